/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Log-linear histogram math: merge, difference, percentiles. */
#ifndef RXLAT_HIST_H
#define RXLAT_HIST_H

#include <stdint.h>
#include "rxlat_abi.h"

struct stage_stats {
	uint64_t count;
	uint64_t min, max;
	uint64_t mean;
	uint64_t p50, p90, p99, p999;
};

uint64_t hist_bucket_lo(uint32_t i);
uint64_t hist_bucket_width(uint32_t i);

void hist_add_value(struct rx_hist *h, uint64_t v);
void hist_merge(struct rx_hist *dst, const struct rx_hist *src);
/*
 * dst = now - then, for interval reports without clearing kernel maps.
 * min/max of the difference come from its outermost buckets, clamped to
 * the cumulative min/max.
 */
void hist_diff(struct rx_hist *dst, const struct rx_hist *now, const struct rx_hist *then);
/* Nearest-rank quantile (q in (0,1]): the midpoint of the bucket holding
 * rank ceil(q*count), clamped to [min, max]. 0 for an empty histogram. */
uint64_t hist_quantile(const struct rx_hist *h, double q);
void hist_summarize(const struct rx_hist *h, struct stage_stats *s);

#endif
