// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The log-linear histogram against exact percentiles of sorted samples:
 * every reported percentile up to p99.9 must be within 1 % of the exact
 * nearest-rank value, merges must equal the histogram of the union, and
 * interval differences must equal the histogram of the interval.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "check.h"
#include "hist.h"

static uint64_t rng_state = 0x9E3779B97F4A7C15ULL;

static uint64_t rnd(void)
{
	/* xorshift64*: deterministic across runs and machines */
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 2685821657736338717ULL;
}

static double urand(void)
{
	return (double)(rnd() >> 11) / 9007199254740992.0;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static uint64_t exact_rank(const uint64_t *sorted, size_t n, double q)
{
	size_t rank = (size_t)ceil(q * (double)n);

	if (rank < 1)
		rank = 1;
	return sorted[rank - 1];
}

typedef uint64_t (*gen_fn)(void);

static uint64_t gen_uniform_small(void) { return rnd() % 5000; }		/* 0..5 µs */
static uint64_t gen_exponential(void) { return (uint64_t)(-log(1 - urand()) * 20000); }
static uint64_t gen_lognormal(void)
{
	double u1 = urand() + 1e-12, u2 = urand();
	double z = sqrt(-2 * log(u1)) * cos(2 * M_PI * u2);

	return (uint64_t)exp(9.0 + 1.5 * z);	/* median ~8 µs, long tail */
}
static uint64_t gen_wide(void) { return (uint64_t)pow(10.0, 1 + urand() * 9); }	/* 10 ns..10 s */

static void check_distribution(const char *name, gen_fn gen, size_t n)
{
	uint64_t *v = malloc(n * sizeof(*v));
	struct rx_hist *h = calloc(1, sizeof(*h));
	static const double qs[] = { 0.01, 0.1, 0.25, 0.5, 0.75, 0.9, 0.95, 0.99, 0.995, 0.999 };
	struct stage_stats s;
	uint64_t sum = 0;

	for (size_t i = 0; i < n; i++) {
		v[i] = gen();
		sum += v[i];
		hist_add_value(h, v[i]);
	}
	qsort(v, n, sizeof(*v), cmp_u64);
	for (size_t k = 0; k < sizeof(qs) / sizeof(qs[0]); k++) {
		uint64_t exact = exact_rank(v, n, qs[k]);
		uint64_t got = hist_quantile(h, qs[k]);
		double err = exact ? fabs((double)got - (double)exact) / (double)exact : (double)got;

		if (!CHECK(err <= 0.01, "%s q=%.3f exact=%" PRIu64 " got=%" PRIu64 " err=%.4f", name,
			   qs[k], exact, got, err))
			break;
	}
	hist_summarize(h, &s);
	ASSERT_EQ(s.count, n);
	ASSERT_EQ(s.min, v[0]);
	ASSERT_EQ(s.max, v[n - 1]);
	ASSERT_EQ(s.mean, (sum + n / 2) / n);
	free(v);
	free(h);
}

static void check_buckets(void)
{
	/* every value maps to a bucket whose [lo, lo+width) contains it, and
	 * bucket widths never exceed 1/64 of the bucket's lower bound */
	for (int e = 0; e < RX_HIST_MAX_LOG2; e++) {
		for (int k = 0; k < 200; k++) {
			uint64_t v = (1ULL << e) + (rnd() % (1ULL << e));
			uint32_t b = rx_hist_bucket(v);
			uint64_t lo = hist_bucket_lo(b), w = hist_bucket_width(b);

			if (!CHECK(b < RX_HIST_NBUCKETS && lo <= v && v < lo + w,
				   "v=%" PRIu64 " b=%u lo=%" PRIu64 " w=%" PRIu64, v, b, lo, w))
				return;
			if (lo >= RX_HIST_SUB && !CHECK(w * 64 <= lo, "bucket %u too wide", b))
				return;
		}
	}
	ASSERT_EQ(rx_hist_bucket(0), 0);
	ASSERT_EQ(rx_hist_bucket(63), 63);
	ASSERT_EQ(rx_hist_bucket(64), 64);
	ASSERT_EQ(rx_hist_bucket(UINT64_MAX), RX_HIST_NBUCKETS - 1);
	ASSERT_EQ(rx_hist_bucket(1ULL << RX_HIST_MAX_LOG2), RX_HIST_NBUCKETS - 1);
	ASSERT_EQ(rx_hist_bucket((1ULL << RX_HIST_MAX_LOG2) - 1), RX_HIST_NBUCKETS - 1);
	ASSERT_EQ(rx_hist_bucket((1ULL << (RX_HIST_MAX_LOG2 - 1)) - 1), RX_HIST_NBUCKETS - 1 - RX_HIST_SUB);
}

static void check_merge_and_diff(void)
{
	struct rx_hist *a = calloc(1, sizeof(*a)), *b = calloc(1, sizeof(*b));
	struct rx_hist *all = calloc(1, sizeof(*all)), *m = calloc(1, sizeof(*m));
	struct rx_hist *d = calloc(1, sizeof(*d));

	for (int i = 0; i < 20000; i++) {
		uint64_t v = gen_lognormal();

		hist_add_value(i % 3 ? a : b, v);
		hist_add_value(all, v);
	}
	hist_merge(m, a);
	hist_merge(m, b);
	ASSERT_EQ(memcmp(m, all, sizeof(*m)), 0);

	/* all - a must be b, bucket for bucket */
	hist_diff(d, all, a);
	ASSERT_EQ(d->count, b->count);
	ASSERT_EQ(d->sum, b->sum);
	ASSERT_EQ(memcmp(d->bucket, b->bucket, sizeof(d->bucket)), 0);
	ASSERT_LE(d->min, b->min);
	ASSERT_LE(b->max, d->max);
	for (double q = 0.1; q < 1.0; q += 0.1)
		ASSERT_EQ(hist_quantile(d, q), hist_quantile(b, q) < d->min ? d->min : hist_quantile(b, q));

	/* empty histograms report zeros */
	memset(d, 0, sizeof(*d));
	ASSERT_EQ(hist_quantile(d, 0.5), 0);
	free(a);
	free(b);
	free(all);
	free(m);
	free(d);
}

int main(void)
{
	check_buckets();
	check_distribution("uniform 0-5us", gen_uniform_small, 100000);
	check_distribution("exponential", gen_exponential, 100000);
	check_distribution("lognormal", gen_lognormal, 200000);
	check_distribution("10ns-10s", gen_wide, 200000);
	check_distribution("tiny sample", gen_lognormal, 7);
	check_merge_and_diff();
	return check_report("test_hist");
}
