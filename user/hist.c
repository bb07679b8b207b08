// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <math.h>
#include <string.h>
#include "hist.h"

uint64_t hist_bucket_lo(uint32_t i)
{
	uint32_t octave;

	if (i < RX_HIST_SUB)
		return i;
	octave = (i - RX_HIST_SUB) / RX_HIST_SUB;
	return (uint64_t)(RX_HIST_SUB + (i - RX_HIST_SUB) % RX_HIST_SUB) << octave;
}

uint64_t hist_bucket_width(uint32_t i)
{
	if (i < RX_HIST_SUB)
		return 1;
	return 1ULL << ((i - RX_HIST_SUB) / RX_HIST_SUB);
}

void hist_add_value(struct rx_hist *h, uint64_t v)
{
	h->count++;
	h->sum += v;
	if (h->count == 1 || v < h->min)
		h->min = v;
	if (v > h->max)
		h->max = v;
	h->bucket[rx_hist_bucket(v)]++;
}

void hist_merge(struct rx_hist *dst, const struct rx_hist *src)
{
	if (!src->count)
		return;
	if (!dst->count || src->min < dst->min)
		dst->min = src->min;
	if (src->max > dst->max)
		dst->max = src->max;
	dst->count += src->count;
	dst->sum += src->sum;
	for (uint32_t i = 0; i < RX_HIST_NBUCKETS; i++)
		dst->bucket[i] += src->bucket[i];
}

void hist_diff(struct rx_hist *dst, const struct rx_hist *now, const struct rx_hist *then)
{
	int first = -1, last = -1;

	memset(dst, 0, sizeof(*dst));
	dst->count = now->count - then->count;
	dst->sum = now->sum - then->sum;
	for (uint32_t i = 0; i < RX_HIST_NBUCKETS; i++) {
		dst->bucket[i] = now->bucket[i] - then->bucket[i];
		if (dst->bucket[i]) {
			if (first < 0)
				first = (int)i;
			last = (int)i;
		}
	}
	if (first < 0)
		return;
	dst->min = hist_bucket_lo((uint32_t)first);
	if (dst->min < now->min)
		dst->min = now->min;
	dst->max = hist_bucket_lo((uint32_t)last) + hist_bucket_width((uint32_t)last) - 1;
	if (dst->max > now->max)
		dst->max = now->max;
}

uint64_t hist_quantile(const struct rx_hist *h, double q)
{
	uint64_t rank, seen = 0;
	double r;

	if (!h->count)
		return 0;
	/* (double)count can round up to 2^64, which no uint64_t holds */
	r = ceil(q * (double)h->count);
	rank = r >= (double)h->count ? h->count : r < 1 ? 1 : (uint64_t)r;
	for (uint32_t i = 0; i < RX_HIST_NBUCKETS; i++) {
		seen += h->bucket[i];
		if (seen >= rank) {
			uint64_t v = hist_bucket_lo(i) + (hist_bucket_width(i) - 1) / 2;

			if (v < h->min)
				v = h->min;
			if (v > h->max)
				v = h->max;
			return v;
		}
	}
	return h->max;
}

void hist_summarize(const struct rx_hist *h, struct stage_stats *s)
{
	memset(s, 0, sizeof(*s));
	s->count = h->count;
	if (!h->count)
		return;
	s->min = h->min;
	s->max = h->max;
	s->mean = (h->sum + h->count / 2) / h->count;
	s->p50 = hist_quantile(h, 0.50);
	s->p90 = hist_quantile(h, 0.90);
	s->p99 = hist_quantile(h, 0.99);
	s->p999 = hist_quantile(h, 0.999);
}
