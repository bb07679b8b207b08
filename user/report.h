/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Everything rxlat prints on stdout: summaries, histograms, per-packet lines. */
#ifndef RXLAT_REPORT_H
#define RXLAT_REPORT_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include "opts.h"
#include "plan.h"
#include "rxlat_abi.h"
#include "tracer.h"
#include "groups.h"

extern const char *const stage_names[RX_NSTAGES];

struct summary {
	const struct rx_hist *hists;		/* RX_NSTAGES of them */
	const struct tracer_counts *counts;	/* cumulative, for the books */
	double elapsed_s;			/* span the histograms cover */
	bool final;				/* the whole session, on exit */
	uint64_t interval_no;			/* 1-based; 0 for the final one */
	const struct groups *groups;		/* --by, or NULL */
};

void report_summary(FILE *out, const struct rxlat_opts *o, const struct hook_plan *p,
		    const struct summary *s);
void report_events_header(FILE *out, const struct rxlat_opts *o);
/* @wall_offset_ns converts the event's CLOCK_MONOTONIC stamp to wall time. */
void report_event(FILE *out, const struct rxlat_opts *o, const struct rx_event *e,
		  int64_t wall_offset_ns);
void report_log2_hist(FILE *out, const struct rx_hist *h, const char *unit);

/* JSON string with every byte outside printable ASCII escaped. */
void json_string(FILE *out, const char *s, size_t maxlen);

#endif
