/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The contract between rxlat's BPF programs and its loader: every type
 * here crosses the kernel/user boundary (maps, ring-buffer records), so
 * all of them use fixed-width fields and have their sizes asserted.
 */
#ifndef RXLAT_ABI_H
#define RXLAT_ABI_H

#ifndef __bpf__
#include <linux/types.h>
#endif

/* Stages a packet passes; durations are in nanoseconds. */
enum rx_stage {
	RX_ST_DRIVER,	/* first sighting -> netif_receive_skb */
	RX_ST_STACK,	/* netif_receive_skb -> socket enqueue */
	RX_ST_SOCKET,	/* socket enqueue -> recv*() returns it */
	RX_ST_TOTAL,	/* first sighting -> recv*() returns it */
	RX_NSTAGES,
};

/*
 * Log-linear histogram shared by the in-kernel aggregation and user space.
 * Values below 2^SUB_BITS get one bucket each; every octave above that is
 * split into 2^SUB_BITS equal buckets, so a bucket's width is at most 1/64
 * of its lower bound and its midpoint is within 0.78 % of any value in it.
 * Octaves run up to 2^MAX_LOG2 ns (17 s); larger values land in the last
 * bucket (max_ns still records them exactly).
 */
#define RX_HIST_SUB_BITS 6
#define RX_HIST_SUB	 (1u << RX_HIST_SUB_BITS)
#define RX_HIST_MAX_LOG2 34
#define RX_HIST_NBUCKETS (RX_HIST_SUB + (RX_HIST_MAX_LOG2 - RX_HIST_SUB_BITS) * RX_HIST_SUB)

struct rx_hist {
	__u64 count;
	__u64 sum;
	__u64 min;
	__u64 max;
	__u64 bucket[RX_HIST_NBUCKETS];
};

static inline __attribute__((always_inline)) __u32 rx_log2(__u64 v)
{
	__u32 r = 0;

	if (v >> 32) { v >>= 32; r += 32; }
	if (v >> 16) { v >>= 16; r += 16; }
	if (v >> 8) { v >>= 8; r += 8; }
	if (v >> 4) { v >>= 4; r += 4; }
	if (v >> 2) { v >>= 2; r += 2; }
	if (v >> 1) { r += 1; }
	return r;
}

static inline __attribute__((always_inline)) __u32 rx_hist_bucket(__u64 v)
{
	__u32 e;

	if (v < RX_HIST_SUB)
		return (__u32)v;
	e = rx_log2(v);
	if (e >= RX_HIST_MAX_LOG2)
		return RX_HIST_NBUCKETS - 1;
	return RX_HIST_SUB + (e - RX_HIST_SUB_BITS) * RX_HIST_SUB +
	       (__u32)((v >> (e - RX_HIST_SUB_BITS)) & (RX_HIST_SUB - 1));
}

/* Event counters; every packet and every anomaly lands in one of these. */
enum rx_counter {
	RX_C_ENQUEUED,		/* reached a traced socket's enqueue hook */
	RX_C_DELIVERED,		/* matched to the recv*() that returned it */
	RX_C_FILTERED,		/* delivered, but to a reader -p/-c excluded */
	RX_C_DROPPED,		/* dropped after the enqueue hook, before any read */
	RX_C_SKIPPED,		/* left the queue without a matching read (recv error) */
	RX_C_UNTRACKED_READ,	/* a read returned a packet rxlat never saw enqueued */
	RX_C_RING_EVICTED,	/* per-socket table full: oldest entry overwritten */
	RX_C_NO_FIRST,		/* delivered without a first sighting (driver unknown) */
	RX_C_NO_NETIF,		/* delivered without netif_receive_skb */
	RX_C_LOST_EVENTS,	/* ring buffer full: per-packet record not sent */
	RX_C_SOCK_STATE_FAIL,	/* could not allocate per-socket state */
	RX_NCOUNTERS,
};

struct rx_counters {
	__u64 c[RX_NCOUNTERS];
};

/* Per-packet record sent through the ring buffer (-e, --json -e). */
#define RX_NO_VALUE (~0ULL)	/* stage_ns[] entry that could not be measured */
#define RX_COMM_LEN 16

enum rx_event_flags {
	RX_EV_IPV6 = 1 << 0,
};

struct rx_event {
	__u64 ts_ns;			/* recv*() return, CLOCK_MONOTONIC */
	__u64 stage_ns[RX_NSTAGES];
	__u32 pid;			/* reader's tgid */
	__u32 tid;
	__u32 netns;			/* inode of the socket's network namespace */
	__u32 ifindex;			/* device at netif_receive_skb (0: unknown) */
	__u32 len;			/* bytes returned by the read */
	__u32 pkt_len;			/* UDP payload length seen at enqueue */
	__u16 sport;			/* packet source port, host order */
	__u16 dport;			/* socket's local port, host order */
	__u16 cpu_enq;			/* CPU that ran the enqueue */
	__u16 cpu_read;			/* CPU that returned the read */
	__u32 flags;			/* enum rx_event_flags */
	__u32 pad;
	char comm[RX_COMM_LEN];
};

/* Which hook feeds the socket-enqueue (t2) and read-return (t3) stamps. */
enum rx_hook_family {
	RX_HOOK_FENTRY,
	RX_HOOK_KPROBE,
	RX_HOOK_TRACEPOINT,
	RX_NHOOK_FAMILIES,
};

_Static_assert(sizeof(struct rx_hist) == 32 + 8 * RX_HIST_NBUCKETS, "rx_hist layout");
_Static_assert(sizeof(struct rx_hist) <= 32768, "per-CPU map values are limited to 32 KiB");
_Static_assert(sizeof(struct rx_counters) == 8 * RX_NCOUNTERS, "rx_counters layout");
_Static_assert(sizeof(struct rx_event) == 96, "rx_event layout");

#endif /* RXLAT_ABI_H */
