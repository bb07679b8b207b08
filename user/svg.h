/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* A picture of a session: a self-contained SVG file (no scripts, no links). */
#ifndef RXLAT_SVG_H
#define RXLAT_SVG_H

#include <stddef.h>
#include <stdio.h>
#include "hist.h"
#include "rxlat_abi.h"

/* One interval summary, @t_s seconds since the start (its end, say). */
struct svg_point {
	double t_s;
	struct stage_stats st[RX_NSTAGES];
};

/*
 * Write @path: (a) per stage, bars for p50/p90/p99/p99.9 and a min-max
 * whisker on a log time axis (the main stages always, the others when they
 * have samples); (b) when @n >= 2, p50 and p99 of each main stage over time
 * (log y axis; an interval without samples leaves a gap). @series may be
 * NULL when @n is 0. @title (UTF-8, may be NULL) is escaped. Returns 0, or
 * -errno with one line in @err.
 */
int svg_write(const char *path, const struct stage_stats final[RX_NSTAGES],
	      const struct svg_point *series, size_t n, const char *title, char *err,
	      size_t errlen);

/* The same document on a stream (for tests and pipes); returns 0 or -EIO. */
int svg_render(FILE *out, const struct stage_stats final[RX_NSTAGES],
	       const struct svg_point *series, size_t n, const char *title);

#endif
