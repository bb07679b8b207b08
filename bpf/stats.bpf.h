/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Where measurements go: per-CPU log-linear histograms per stage (merged by
 * the loader), per-CPU counters, and per-packet records in a ring buffer
 * when the user asked for them.
 */
#ifndef RXLAT_STATS_BPF_H
#define RXLAT_STATS_BPF_H

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, RX_NSTAGES);
	__type(key, __u32);
	__type(value, struct rx_hist);
} hists SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct rx_counters);
} counters SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct rx_drops);
} drops SEC(".maps");

/* Resized by the loader (--ringbuf-size). */
struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 1 << 22);
} events SEC(".maps");

const volatile bool emit_events = false;
const volatile bool aggregate = true;

/* n may be "negative" (two's complement): per-CPU sums still add up. */
static __always_inline void count_n(enum rx_counter c, __u64 n)
{
	__u32 zero = 0;
	struct rx_counters *cs = bpf_map_lookup_elem(&counters, &zero);

	if (cs && c < RX_NCOUNTERS)
		cs->c[c] += n;
}

static __always_inline void count(enum rx_counter c)
{
	count_n(c, 1);
}

static __always_inline void hist_add(__u32 stage, __u64 v)
{
	struct rx_hist *h = bpf_map_lookup_elem(&hists, &stage);
	__u32 b;

	if (!h)
		return;
	h->count++;
	h->sum += v;
	if (h->count == 1 || v < h->min)
		h->min = v;
	if (v > h->max)
		h->max = v;
	b = rx_hist_bucket(v);
	h->bucket[b & (RX_HIST_NSLOTS - 1)]++;
}

static __always_inline void count_drop(enum rx_drop_stage stage, __u32 reason)
{
	__u32 zero = 0;
	struct rx_drops *d = bpf_map_lookup_elem(&drops, &zero);

	count(RX_C_DROPPED);
	if (d && stage < RX_NDROP_STAGES)
		d->n[stage][reason & (RX_NREASONS - 1)]++;
}

#endif /* RXLAT_STATS_BPF_H */
