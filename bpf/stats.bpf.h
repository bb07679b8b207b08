/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Where measurements go: per-CPU log-linear histograms per stage (merged by
 * the loader), per-CPU counters, and per-packet records in a ring buffer
 * when the user asked for them.
 */
#ifndef RXLAT_STATS_BPF_H
#define RXLAT_STATS_BPF_H

/* One row per possible CPU (max_entries set by the loader). */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(map_flags, BPF_F_MMAPABLE);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct cpu_stats);
} stats SEC(".maps");

/* Resized by the loader (--ringbuf-size). */
struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 1 << 22);
} events SEC(".maps");

const volatile bool emit_events = false;
const volatile __u32 sample_every = 1;	/* records for 1 in N packets */
const volatile bool aggregate = true;

/*
 * Read handlers run in process context, and a BPF program there can be
 * preempted on its CPU by another task's (fentry and kprobe programs on any
 * preemptible kernel; tracepoints too on 7.x with lazy preemption). Per-CPU
 * scratch memory is therefore indexed by how many read handlers are under
 * way on the CPU, and the pending list is flushed at a context switch only
 * while none is: one preempted half-way through appending would otherwise
 * bring back entries the flush had already counted.
 */
#define READ_DEPTH_MAX 2
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u32);
} read_depths SEC(".maps");

static __always_inline __u32 *read_depth(void)
{
	__u32 zero = 0;

	return bpf_map_lookup_elem(&read_depths, &zero);
}

/* false: too many handlers already under way here (the read goes unmatched
 * and its packet stays in the books as queued) */
static __always_inline bool read_enter(void)
{
	__u32 *d = read_depth();

	if (!d || *d >= READ_DEPTH_MAX)
		return false;
	*d += 1;
	return true;
}

static __always_inline void read_exit(void)
{
	__u32 *d = read_depth();

	if (d && *d)
		*d -= 1;
}

/* This handler's scratch index: the handlers under way nest (a preempted
 * one resumes only after the one that preempted it ends). */
static __always_inline __u32 read_index(void)
{
	__u32 *d = read_depth();

	return d && *d ? (*d - 1) & (READ_DEPTH_MAX - 1) : 0;
}

static __always_inline bool reads_under_way(void)
{
	__u32 *d = read_depth();

	return d && *d;
}

static __always_inline struct cpu_stats *my_stats(void)
{
	__u32 cpu = bpf_get_smp_processor_id();

	return bpf_map_lookup_elem(&stats, &cpu);
}

/*
 * Programs run with preemption off, so a row has one writer at a time,
 * except that a softirq can interrupt a reader's program on the same CPU.
 * The counters both contexts touch (drops can happen in either) use
 * atomic adds; the rest, and the histograms, are written by one context.
 * n may be "negative" (two's complement): per-CPU sums still add up.
 */
static __always_inline void count_n(enum rx_counter c, __u64 n)
{
	struct cpu_stats *cs = my_stats();

	if (cs && c < RX_NCOUNTERS)
		cs->c.c[c] += n;
}

static __always_inline void count(enum rx_counter c)
{
	count_n(c, 1);
}

static __always_inline void count_atomic(enum rx_counter c)
{
	struct cpu_stats *cs = my_stats();

	if (cs && c < RX_NCOUNTERS)
		__sync_fetch_and_add(&cs->c.c[c], 1);
}

static __always_inline void hist_add(struct cpu_stats *cs, __u32 stage, __u64 v)
{
	struct rx_hist *h;
	__u32 b;

	if (stage >= RX_NSTAGES)
		return;
	h = &cs->h[stage];
	h->count++;
	h->sum += v;
	if (h->count == 1 || v < h->min)
		h->min = v;
	if (v > h->max)
		h->max = v;
	b = rx_hist_bucket(v);
	h->bucket[b & (RX_HIST_NSLOTS - 1)]++;
}

/* Add the pending stage vectors to the histograms. */
static __always_inline void flush_pending(struct cpu_stats *cs)
{
	__u32 n = cs->p.n;

	for (__u32 k = 0; k < RX_PENDING; k++) {
		__u32 valid;

		if (k >= n)
			break;
		valid = cs->p.valid[k];
		for (int i = 0; i < RX_NSTAGES; i++)
			if (valid & (1u << i))
				hist_add(cs, i, cs->p.st[k][i]);
	}
	cs->p.n = 0;
}

/*
 * A global function: the verifier checks it once, on its own, instead of
 * once for every path through each caller (its nested loops would
 * otherwise multiply those paths).
 */
__attribute__((noinline)) int flush_pending_now(int unused)
{
	struct cpu_stats *cs = my_stats();
	/* Uses the argument: a caller the compiler knows passes a value
	 * nobody reads may leave any pointer in R1, which the verifier
	 * rejects for a global function ("R1 is not a scalar"). */
	asm volatile("" : : "r"(unused));

	if (cs)
		flush_pending(cs);
	return 0;
}

static __always_inline void pend(struct cpu_stats *cs, __u32 valid, const __u64 *st)
{
	__u32 n = cs->p.n;

	if (n >= RX_PENDING) {
		flush_pending_now(0);
		n = 0;
	}
	n &= RX_PENDING - 1;
	cs->p.valid[n] = valid;
	for (int i = 0; i < RX_NSTAGES; i++)
		cs->p.st[n][i] = st[i];
	cs->p.n = n + 1;
}

static __always_inline void count_drop(enum rx_drop_stage stage, __u32 reason)
{
	struct cpu_stats *cs = my_stats();

	if (!cs)
		return;
	__sync_fetch_and_add(&cs->c.c[RX_C_DROPPED], 1);
	if (stage < RX_NDROP_STAGES)
		__sync_fetch_and_add(&cs->d.n[stage][reason & (RX_NREASONS - 1)], 1);
}

#endif /* RXLAT_STATS_BPF_H */
