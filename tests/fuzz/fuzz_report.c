// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * libFuzzer target: rxlat's text and JSON formatters, fed arbitrary
 * kernel-side records (events, histograms, counters, drops), as a buggy or
 * newer kernel side could produce. JSON output must always be valid: every
 * line goes through the test suite's strict parser (tests/helpers/jsonq.c).
 */
#define main jsonq_main
#include "../helpers/jsonq.c"
#undef main
#include <stdint.h>
#include "report.h"

static struct rx_hist hists[RX_NSTAGES];
static struct tracer_counts counts;

static size_t take(void *dst, size_t want, const uint8_t **data, size_t *size)
{
	size_t n = want < *size ? want : *size;

	memset(dst, 0, want);
	memcpy(dst, *data, n);
	*data += n;
	*size -= n;
	return n;
}

static void check_json(const char *out, size_t len)
{
	const char *line = out;

	while (line < out + len) {
		const char *nl = memchr(line, '\n', (size_t)(out + len - line));
		struct parser p = { .s = line, .len = nl ? (size_t)(nl - line) : (size_t)(out + len - line) };

		if (!nl || parse_line(&p) < 0) {
			fprintf(stderr, "invalid JSON line (%s): %.*s\n", nl ? p.err : "no newline",
				(int)p.len, line);
			abort();
		}
		line = nl + 1;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct rxlat_opts o = { .port_lo = 1, .port_hi = 65535 };
	struct hook_plan plan = {};
	struct rx_event ev;
	struct summary sum = { .hists = hists, .counts = &counts };
	uint8_t mode = 0, sparse[64];
	char *out = NULL;
	size_t outlen = 0;
	FILE *f;

	take(&mode, 1, &data, &size);
	o.json = mode & 1;
	o.hist = mode & 2;
	o.events = mode & 4;
	sum.final = mode & 8;
	sum.elapsed_s = (double)(mode >> 4);
	take(&ev, sizeof(ev), &data, &size);
	take(&counts.c, sizeof(counts.c), &data, &size);
	take(&counts.in_flight, sizeof(counts.in_flight), &data, &size);
	memset(hists, 0, sizeof(hists));
	memset(&counts.drops, 0, sizeof(counts.drops));
	/* sparse histograms and drops: (stage/where, index, value) triples */
	while (take(sparse, 11, &data, &size) == 11) {
		uint16_t idx;
		uint64_t v;

		memcpy(&idx, sparse + 1, 2);
		memcpy(&v, sparse + 3, 8);
		if (sparse[0] < RX_NSTAGES) {
			struct rx_hist *h = &hists[sparse[0]];

			if (idx < 4)
				(&h->count)[idx] = v;
			else
				h->bucket[idx % RX_HIST_NSLOTS] = v;
		} else {
			counts.drops.n[sparse[0] % RX_NDROP_STAGES][idx % RX_NREASONS] = v;
		}
	}
	f = open_memstream(&out, &outlen);
	report_event(f, &o, &ev, (int64_t)ev.ts_ns);
	report_summary(f, &o, &plan, &sum);
	fclose(f);
	if (o.json)
		check_json(out, outlen);
	free(out);
	return 0;
}
