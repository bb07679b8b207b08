/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* `rxlat compare A.json B.json [--json]`: two sessions' final summaries. */
#ifndef RXLAT_COMPARE_H
#define RXLAT_COMPARE_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

/*
 * argv[0] is "compare". Prints the comparison on stdout; returns the exit
 * status: 0, 1 (a file missing, unreadable or without a final summary) or
 * 2 (usage). Every error is one line on stderr.
 */
int compare_main(int argc, char **argv);

/* The fields compared per stage, as named in the JSON summary. */
enum { CMP_COUNT, CMP_MIN, CMP_MEAN, CMP_P50, CMP_P90, CMP_P99, CMP_P999, CMP_MAX, CMP_NFIELDS };
extern const char *const compare_field_names[CMP_NFIELDS];	/* "count", "min_ns", ... */

/* The packet outcomes compared, keys of the summary's "packets" object. */
#define CMP_NPACKETS 11
extern const char *const compare_packet_names[CMP_NPACKETS];	/* "seen", "delivered", ... */

#define CMP_MAX_STAGES 32
#define CMP_NAME_LEN 32

struct cmp_value {
	bool have;	/* present (and a number) in the file */
	int64_t v;
};

/* The last final summary of one file. */
struct compare_summary {
	double elapsed_s;	/* < 0 if absent */
	int nstages;
	char stage[CMP_MAX_STAGES][CMP_NAME_LEN];	/* in the file's order */
	struct cmp_value st[CMP_MAX_STAGES][CMP_NFIELDS];
	struct cmp_value packets[CMP_NPACKETS];
};

/* Read @path ("-": stdin). Returns 0, or -1 with one line in @err. */
int compare_load(const char *path, struct compare_summary *s, char *err, size_t errlen);

/*
 * The comparison of @a (file @name_a) and @b: an aligned text table in
 * microseconds, or with @json one JSON object (values in ns) on one line.
 */
void compare_print(FILE *out, const char *name_a, const struct compare_summary *a,
		   const char *name_b, const struct compare_summary *b, bool json);

#endif
