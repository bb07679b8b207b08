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
	/* socket = queued + wakeup + return */
	RX_ST_QUEUED,	/* in the queue while the reader was not waiting for it */
	RX_ST_WAKEUP,	/* reader woken for data -> reader on a CPU */
	RX_ST_RETURN,	/* reader running (or entering recv*) -> recv*() returns */
	/* driver = irq + poll, where the NET_RX softirq is seen */
	RX_ST_IRQ,	/* first sighting -> NET_RX softirq starts */
	RX_ST_POLL,	/* softirq start (or first sighting) -> netif_receive_skb */
	/* packets that crossed a veth or tunnel into another namespace */
	RX_ST_FORWARD,	/* netif_receive_skb -> sent by a device (all but the last pass) */
	RX_ST_CROSSING,	/* sent by a device -> first sighting of the next pass */
	/* what a different receive path would remove, per packet */
	RX_ST_BYPASS,	/* kernel bypass: driver + stack + wakeup + return */
	RX_ST_BUSYPOLL,	/* busy polling: irq + wakeup */
	/* TCP: socket = hol + queued + wakeup + return */
	RX_ST_HOL,	/* out of order: enqueue -> the gap before it is filled */
	RX_NSTAGES,
};

/* The four stages every output shows; the rest appear where measured. */
#define RX_NMAIN_STAGES 4

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

/* Storage is padded to a power of two: a mask then bounds any index for
 * every verifier version. */
#define RX_HIST_NSLOTS 2048
_Static_assert(RX_HIST_NBUCKETS <= RX_HIST_NSLOTS, "bucket storage");

struct rx_hist {
	__u64 count;
	__u64 sum;
	__u64 min;
	__u64 max;
	__u64 bucket[RX_HIST_NSLOTS];
};

/* Branch-free: six data-dependent branches here would give the BPF
 * verifier 64 paths to follow through every histogram update. Each step
 * adds all-ones to the high part, which carries into bit 2^k exactly when
 * the high part is non-zero. */
static inline __attribute__((always_inline)) __u32 rx_log2(__u64 v)
{
	__u64 s, r;

	s = ((v >> 32) + 0xFFFFFFFFULL) >> 32;
	r = s << 5;
	v >>= s << 5;
	s = ((v >> 16) + 0xFFFFULL) >> 16;
	r |= s << 4;
	v >>= s << 4;
	s = ((v >> 8) + 0xFFULL) >> 8;
	r |= s << 3;
	v >>= s << 3;
	s = ((v >> 4) + 0xFULL) >> 4;
	r |= s << 2;
	v >>= s << 2;
	s = ((v >> 2) + 0x3ULL) >> 2;
	r |= s << 1;
	v >>= s << 1;
	r |= v >> 1;
	return (__u32)r;
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

/*
 * Event counters. The books: every packet counted as seen ends in exactly
 * one outcome - delivered (measured, filtered or unmeasured), dropped,
 * not_local, evicted - or is still in flight.
 */
enum rx_counter {
	RX_C_SEEN,		/* UDP packets matching the filters, at their first hook */
	RX_C_SEEN_AT_SOCKET,	/* of those, first seen at the socket enqueue */
	RX_C_ENQUEUED,		/* pushed to a socket queue */
	RX_C_DELIVERED,		/* read by a process the filters keep: measured */
	RX_C_FILTERED,		/* read by a process -p/-c exclude */
	RX_C_UNMEASURED,	/* left the queue by a read rxlat could not pair */
	RX_C_DROPPED,		/* freed by the kernel before any read (see drops map) */
	RX_C_FORWARDED,		/* sent out by a device, not received locally */
	RX_C_NO_SOCKET,		/* no local socket for it */
	RX_C_EVICTED,		/* tracking state overwritten: table full */
	RX_C_UNTRACKED_READ,	/* a read returned a packet rxlat did not see queued */
	RX_C_NO_FIRST,		/* measured without a first sighting */
	RX_C_NO_NETIF,		/* measured without netif_receive_skb */
	RX_C_LOST_EVENTS,	/* ring buffer full: per-packet record not sent */
	RX_C_SOCK_STATE_FAIL,	/* could not allocate per-socket state */
	RX_C_PASSES,		/* receive passes beyond the first (veth, tunnels) */
	RX_C_MULTIPASS,		/* measured packets that took more than one pass */
	RX_C_WOKEN,		/* measured packets whose reader was woken for them */
	RX_C_WOKEN_CROSS_CPU,	/* ... by a wakeup from another CPU than the reader's */
	RX_C_CROSS_CPU,		/* measured packets read on another CPU than enqueued */
	RX_C_COPIES,		/* extra copies of one packet for more sockets (multicast) */
	RX_C_GRO_PACKETS,	/* packets merged by GRO from several segments */
	RX_C_GRO_SEGMENTS,	/* the segments in those */
	RX_C_BUSY_POLLED,	/* measured packets that reached a reader already in recv*() */
	RX_C_TCP,		/* measured TCP segments */
	RX_C_HOL,		/* measured TCP segments that waited behind a gap */
	RX_C_SPLITS,		/* extra datagrams cut from one GSO/GRO packet at a socket */
	RX_C_SAMPLED_OUT,	/* measured packets without a record (--sample) */
	RX_C_VANISHED,		/* left by a path no hook reports (its address came back) */
	RX_NCOUNTERS,
};

struct rx_counters {
	__u64 c[RX_NCOUNTERS];
};

/* Drops by the stage they happened in and the kernel's drop reason. */
enum rx_drop_stage { RX_DS_DRIVER, RX_DS_STACK, RX_DS_SOCKET, RX_NDROP_STAGES };
#define RX_NREASONS 256
/* Reasons rxlat names itself where the kernel has no reason codes (< 5.17). */
#define RX_REASON_UNKNOWN (RX_NREASONS - 1)
#define RX_REASON_RCVBUF (RX_NREASONS - 2)
#define RX_REASON_MEM (RX_NREASONS - 3)
/* Freed inside __udp{4,6}_lib_rcv before any socket: no socket for it. */
#define RX_REASON_UDP_NOSOCK (RX_NREASONS - 4)

struct rx_drops {
	__u64 n[RX_NDROP_STAGES][RX_NREASONS];
};

/*
 * Everything counted on one CPU: one array row per CPU, found with one
 * inlined lookup per program run instead of one per-CPU-map helper call
 * per counter and per histogram. The loader memory-maps the rows.
 */
/*
 * Stage vectors of measured packets not yet added to the histograms. A
 * read's hook only appends here (two cache lines) and the histograms (two
 * cache lines per stage) are updated at the CPU's next context switch, off
 * the reader's path; the loader adds what is left when it reads.
 */
#define RX_PENDING 16

struct rx_pending {
	__u32 n;
	__u32 pad;
	__u32 valid[RX_PENDING];	/* bit i: stage i measured */
	__u64 st[RX_PENDING][RX_NSTAGES];
};

struct cpu_stats {
	struct rx_counters c;
	struct rx_drops d;
	struct rx_pending p;
	struct rx_hist h[RX_NSTAGES];
};

/* Per-packet record sent through the ring buffer (-e, --json -e). */
#define RX_NO_VALUE (~0ULL)	/* stage_ns[] entry that could not be measured */
#define RX_NO_VALUE32 (~0U)
#define RX_COMM_LEN 16

enum rx_event_flags {
	RX_EV_IPV6 = 1 << 0,
	RX_EV_WOKEN = 1 << 1,		/* the reader was woken for this packet */
	RX_EV_WAKE_CROSS_CPU = 1 << 2,	/* ... from another CPU */
	RX_EV_TCP = 1 << 3,		/* a TCP segment (else a UDP datagram) */
	RX_EV_BUSY_POLLED = 1 << 4,	/* the reader was already in recv*() */
	RX_EV_COPY = 1 << 5,		/* a copy for another socket (multicast) */
	RX_EV_OOO = 1 << 6,		/* TCP: arrived out of order */
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
	__u32 passes;			/* receive passes (1, or more after hops) */
	__u32 netns_first;		/* namespace of the first pass's device */
	__u32 ifindex_last;		/* device of the last pass */
	__u16 sport;			/* packet source port, host order */
	__u16 dport;			/* socket's local port, host order */
	__u16 cpu_enq;			/* CPU that ran the enqueue */
	__u16 cpu_read;			/* CPU that returned the read */
	__u32 flags;			/* enum rx_event_flags */
	__u32 segs;			/* segments GRO merged into it (1: none) */
	__u32 pad;
	char comm[RX_COMM_LEN];
};

/*
 * Per-packet tracking slots (see bpf/skb_slots.bpf.h). Shared because the
 * loader reads the table (memory-mapped) to count packets still in flight.
 */
enum slot_state {
	SLOT_FREE = 0,
	SLOT_RX,	/* seen by a receive hook, not yet at a socket */
	SLOT_XMIT,	/* sent out by a device: forwarded, or crossing into
			 * another namespace (it may come back as a new pass) */
	SLOT_QUEUED,	/* pushed to a socket's receive queue */
	SLOT_TOMB,	/* dropped after the push; kept for its successor link */
};

/* A packet's stamps and links; its skb and state live in the set's tags. */
struct skb_slot {
	__u64 sk;		/* QUEUED/TOMB: the socket */
	__u64 next;		/* QUEUED/TOMB: the skb pushed after it to that socket */
	__u64 t0;		/* first sighting, 0 if missed */
	__u64 t1;		/* first netif_receive_skb, 0 if missed */
	__u64 t2;		/* socket enqueue */
	__u64 tpass;		/* first sighting of the current pass */
	__u64 t1pass;		/* netif_receive_skb of the current pass, 0 if not yet */
	__u64 txmit;		/* last time a device sent it away */
	__u32 irq_ns;		/* first pass: first sighting -> NET_RX softirq */
	__u32 forward_ns;	/* summed over hops: netif_receive_skb -> xmit */
	__u32 crossing_ns;	/* summed over hops: xmit -> next first sighting */
	__u32 ifindex;		/* device at the first netif_receive_skb */
	__u32 netns;		/* its network namespace */
	__u32 ifindex_last;	/* device at the last netif_receive_skb */
	__u16 sport;		/* UDP source port, host order */
	__u16 ulen;		/* UDP length field */
	__u16 cpu;		/* CPU of the enqueue */
	__u8 passes;		/* receive passes (2+ after veth or tunnel hops) */
	__u8 flags;		/* SLOT_F_* */
	__u32 seq_end;		/* TCP: sequence number after its last byte */
	__u16 segs;		/* segments GRO merged into it */
	__u16 pad;
};

enum slot_flags {
	SLOT_F_IPV6 = 1 << 0,
	SLOT_F_TCP = 1 << 1,
	SLOT_F_OOO = 1 << 2,		/* TCP: arrived ahead of a gap */
	SLOT_F_GRO = 1 << 3,		/* first seen by GRO: counted at netif_receive_skb */
	SLOT_F_COPY = 1 << 4,		/* a multicast copy: not counted as seen */
};

/* Slots per set; the loader sizes the table in sets (--slots / SLOT_WAYS). */
#define SLOT_WAYS 8

/*
 * The skb pointers and states of a set sit together in its first cache
 * line, so a search (every hook does one) touches one line rather than
 * one per way; the payload is read only on a hit.
 */
struct slot_set {
	__u64 skb[SLOT_WAYS];
	__u8 state[SLOT_WAYS];
	__u8 pad[56];
	struct skb_slot w[SLOT_WAYS];
};

/* Which hook feeds the socket-enqueue (t2) and read-return (t3) stamps. */
enum rx_hook_family {
	RX_HOOK_FENTRY,
	RX_HOOK_KPROBE,
	RX_HOOK_TRACEPOINT,
	RX_NHOOK_FAMILIES,
};

_Static_assert(sizeof(struct rx_hist) == 32 + 8 * RX_HIST_NSLOTS, "rx_hist layout");
_Static_assert(sizeof(struct rx_hist) <= 32768, "per-CPU map values are limited to 32 KiB");
_Static_assert(sizeof(struct rx_counters) == 8 * RX_NCOUNTERS, "rx_counters layout");
_Static_assert(sizeof(struct rx_drops) == 8 * RX_NDROP_STAGES * RX_NREASONS, "rx_drops layout");
_Static_assert(sizeof(struct rx_event) == 80 + 8 * RX_NSTAGES, "rx_event layout");
_Static_assert(sizeof(struct skb_slot) == 104, "skb_slot layout");
_Static_assert(sizeof(struct slot_set) == 128 + 104 * SLOT_WAYS, "slot_set layout");
_Static_assert(sizeof(struct slot_set) <= 4096, "one slot set within a page");

#endif /* RXLAT_ABI_H */
