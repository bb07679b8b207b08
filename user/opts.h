/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
#ifndef RXLAT_OPTS_H
#define RXLAT_OPTS_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#define RXLAT_MAX_PIDS 16
#define RXLAT_COMM_LEN 16

/* Exit statuses, documented in --help and the man page. */
enum { EXIT_OK = 0, EXIT_RUNTIME = 1, EXIT_USAGE = 2 };

enum hook_mode { HOOKS_AUTO, HOOKS_FENTRY, HOOKS_KPROBE, HOOKS_TRACEPOINT };

struct rxlat_opts {
	uint32_t pids[RXLAT_MAX_PIDS];
	uint32_t npids;
	char comm[RXLAT_COMM_LEN];
	bool have_comm;
	uint16_t port_lo, port_hi;
	int family;		/* 0: both, 4, 6 */
	int proto;		/* 0: UDP and TCP, 17: UDP, 6: TCP */
	bool hist;		/* -H */
	bool events;		/* -e */
	bool json;		/* -j */
	bool verbose;		/* -v */
	uint64_t duration_s;	/* -d, 0: until a signal */
	uint64_t interval_s;	/* 0: one summary at the end */
	uint64_t count;		/* summaries to print, 0: unlimited */
	enum hook_mode hooks;
	uint64_t ringbuf_size;
	uint32_t slots;		/* skb stamp table entries */
	uint32_t sockets;	/* address-keyed socket table entries */
	uint32_t netns;		/* --netns: namespace inode, 0 for all */
	bool no_split;		/* --no-split: no socket-stage split */
	uint32_t sample;	/* --sample: records for 1 in N packets */
	bool verdict;		/* --verdict */
	int by;			/* --by: enum group_by, 0 for none */
	const char *prometheus;	/* --prometheus ADDR:PORT, or NULL */
	const char *svg;	/* --svg FILE, or NULL */
	bool done;		/* --help/--usage/--version printed: exit 0 */
};

/*
 * Parse argv into @o. On a usage error, writes one line to @err and returns
 * EXIT_USAGE; returns EXIT_OK otherwise (check o->done for --help).
 */
int opts_parse(struct rxlat_opts *o, int argc, char **argv, FILE *err);

/* Strict unsigned parse: digits only, no sign, no overflow, within [min,max]. */
int parse_u64(const char *s, uint64_t min, uint64_t max, uint64_t *out);
/* Like parse_u64 but accepts a K/M/G (binary) suffix. */
int parse_size(const char *s, uint64_t min, uint64_t max, uint64_t *out);

const char *hook_mode_name(enum hook_mode m);

#endif
