/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * One slot per packet in flight, from its first sighting until a read
 * returns it (or the kernel drops it, or a device sends it away).
 *
 * The skb pointer is the packet's identity all the way into the socket
 * queue (KERNEL-FACTS). Slots live in a 4-way set-associative array indexed
 * by a hash of the pointer: one inlined array lookup per hook instead of a
 * hash-map insert and delete per packet, and a full set costs the oldest
 * packet its stamps (counted as evicted) rather than failing.
 */
#ifndef RXLAT_SKB_SLOTS_BPF_H
#define RXLAT_SKB_SLOTS_BPF_H

/* Resized by the loader (--slots / SLOT_WAYS sets). */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1 << 13);
	__type(key, __u32);
	__type(value, struct slot_set);
} slot_sets SEC(".maps");

const volatile __u32 slot_set_shift = 32 - 13;	/* 32 - log2(sets) */

/* The low 32 bits of an address as a plain number. The verifier forbids
 * arithmetic on a pointer except a 32-bit copy: plenty for a hash. An
 * explicit 32-bit move: left to itself the compiler may shift the pointer
 * register in place, which the verifier rejects. */
static __always_inline __u32 addr_lo(__u64 skb)
{
	__u32 in = (__u32)skb, lo;

	asm volatile("%0 = %1" : "=w"(lo) : "w"(in));
	return lo;
}

static __always_inline struct slot_set *set_of_lo(__u32 lo)
{
	/* skbs are slab objects 256 bytes apart: drop the low bits, then
	 * Fibonacci-hash (the product's top bits are the well-mixed ones) */
	__u32 idx = ((lo >> 8) * 2654435761u) >> slot_set_shift;

	return bpf_map_lookup_elem(&slot_sets, &idx);
}

static __always_inline struct slot_set *set_of(__u64 skb)
{
	return set_of_lo(addr_lo(skb));
}

/*
 * TCP segments in a socket are keyed by the bytes they carry, not by their
 * skb: TCP merges a segment into the one queued before it and frees its
 * skb with no hook firing (tcp_try_coalesce), so a reader slower than the
 * sender sees the same address come back for segment after segment, and
 * keyed by address they would all crowd into one set. The key is odd and
 * below every kernel address: it never equals an skb pointer. Sequence
 * number and ports are what a drop hook can read back from the skb.
 */
static __always_inline __u64 tcp_key(__u32 seq, __u16 sport, __u16 dport)
{
	__u32 h = (seq ^ ((__u32)sport << 16 | dport)) * 2654435761u;

	return ((__u64)h << 8) | 1;
}

/*
 * A slot: its set and way. The payload is SLOT(r); the skb and state are
 * the set's tags. r.set is NULL when a search found nothing.
 */
struct slot_ref {
	struct slot_set *set;
	__u32 i;
};

#define SLOT(r) (&(r).set->w[(r).i & (SLOT_WAYS - 1)])
#define STATE(r) ((r).set->state[(r).i & (SLOT_WAYS - 1)])
#define SKB(r) ((r).set->skb[(r).i & (SLOT_WAYS - 1)])

#define IN(state) (1u << (state))
#define PRE_SOCKET (IN(SLOT_RX) | IN(SLOT_XMIT))
#define IN_SOCKET (IN(SLOT_QUEUED) | IN(SLOT_TOMB))

static __always_inline struct slot_ref no_slot(void)
{
	return (struct slot_ref){ NULL, 0 };
}

/*
 * The slot of @skb in one of @states (a mask of 1 << SLOT_*). An skb is
 * freed by the read that returns it, before the read's hook runs: its
 * address can already carry a new packet through the receive hooks while
 * the old one's slot is still queued. The state tells the two apart.
 */
static __always_inline struct slot_ref slot_find(__u64 skb, __u32 states)
{
	struct slot_set *set = set_of(skb);

	if (!set || !skb)
		return no_slot();
#pragma unroll
	for (int i = 0; i < SLOT_WAYS; i++)
		if (set->skb[i] == skb && (IN(set->state[i]) & states))
			return (struct slot_ref){ set, i };
	return no_slot();
}

/*
 * Forget which of the ways a search found, as far as the verifier knows.
 * A search leaves one verifier state per way, and every later search
 * multiplies them; a value read back from map memory is just "some way",
 * so the states merge again. @who keeps a reader's program and a softirq
 * that interrupts it on the same CPU apart.
 */
enum { LAUNDER_READER, LAUNDER_PRODUCER };

struct launder_pad {
	__u32 v[2];
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct launder_pad);
} launder_pads SEC(".maps");

static __always_inline __u32 launder(__u32 v, int who)
{
	struct launder_pad *l;
	__u32 zero = 0;

	l = bpf_map_lookup_elem(&launder_pads, &zero);
	if (!l)
		return v;
	WRITE_ONCE(l->v[who & 1], v);
	return READ_ONCE(l->v[who & 1]);
}

/*
 * The slot of @skb queued to socket @sk. Address reuse can leave two: the
 * packet just read (its read's hook has not run yet) and a new one at the
 * same address. The older is the one a read returns first; the newer is
 * the tail a new push links behind. @exclude_i: a way to pass over
 * (SLOT_WAYS for none). @sk 0 matches any socket.
 */
static __always_inline struct slot_ref slot_find_queued(__u64 skb, __u64 sk, __u32 states,
							 bool newest, __u32 exclude_i, int who)
{
	struct slot_set *set = set_of(skb);
	__u64 best_t2 = 0;
	__u32 best = SLOT_WAYS;

	if (!set || !skb)
		return no_slot();
#pragma unroll
	for (int i = 0; i < SLOT_WAYS; i++) {
		if (set->skb[i] != skb || !(IN(set->state[i]) & states) || i == exclude_i)
			continue;
		if (sk && set->w[i].sk != sk)
			continue;
		if (best == SLOT_WAYS || (newest ? set->w[i].t2 > best_t2 : set->w[i].t2 < best_t2)) {
			best = i;
			best_t2 = set->w[i].t2;
		}
	}
	best = launder(best, who);
	if (best >= SLOT_WAYS)
		return no_slot();
	/* mask in a register the compiler cannot swap for an unmasked copy */
	best &= SLOT_WAYS - 1;
	asm volatile("" : "+r"(best));
	return (struct slot_ref){ set, best };
}

static __always_inline __u64 slot_last_activity(const struct skb_slot *s)
{
	__u64 t = s->tpass;

	if (s->t1 > t)
		t = s->t1;
	if (s->t2 > t)
		t = s->t2;
	return t;
}

/* Bit 8 of slot_claim_way()'s answer: the way held a live packet. */
#define CLAIM_EVICTED 0x100

/*
 * A global function, so the verifier checks the search once rather than
 * at each of its callers; it answers the way (SLOT_WAYS: no set) and the
 * caller finds the set again from the address.
 */
__attribute__((noinline)) int slot_claim_way(__u32 lo)
{
	struct slot_set *set = set_of_lo(lo);
	__u64 oldest = ~0ULL;
	__u32 victim = SLOT_WAYS;

	if (!set)
		return SLOT_WAYS;
#pragma unroll
	for (int i = 0; i < SLOT_WAYS; i++)
		if (set->state[i] == SLOT_FREE)
			return i;
#pragma unroll
	for (int i = 0; i < SLOT_WAYS; i++)
		if (set->state[i] == SLOT_TOMB || set->state[i] == SLOT_XMIT)
			return i;
	/* the set is full of live packets: take the least recently active */
	for (int i = 0; i < SLOT_WAYS; i++) {
		__u64 last = slot_last_activity(&set->w[i]);

		if (last < oldest) {
			oldest = last;
			victim = i;
		}
	}
	if (victim >= SLOT_WAYS)
		return SLOT_WAYS;
	victim &= SLOT_WAYS - 1;
	/* a GRO segment never counted (merged into another) is no loss */
	return victim | (set->w[victim].flags & SLOT_F_GRO ? 0 : CLAIM_EVICTED);
}

/*
 * A slot for a packet not yet tracked: a free way, else a finished one
 * (dropped, or sent away), else the least recently active. *@evicted is
 * set when the slot's packet was still being tracked: the caller counts
 * it, since that packet now has no outcome.
 */
static __always_inline struct slot_ref slot_claim(__u64 skb, __u64 now, bool *evicted)
{
	__u32 lo = addr_lo(skb);
	struct slot_set *set = set_of_lo(lo);
	int r = slot_claim_way(lo);
	__u32 way = r & 0xff;

	*evicted = r & CLAIM_EVICTED;
	if (!set || way >= SLOT_WAYS)
		return no_slot();
	way &= SLOT_WAYS - 1;
	asm volatile("" : "+r"(way));
	return (struct slot_ref){ set, way };
}

static __always_inline void slot_free(struct slot_ref r)
{
	STATE(r) = SLOT_FREE;
	SKB(r) = 0;
}

#endif /* RXLAT_SKB_SLOTS_BPF_H */
