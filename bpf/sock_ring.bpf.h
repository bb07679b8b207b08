/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Matching a recv*() to the packet it returned.
 *
 * No hook names the skb a UDP read returns (KERNEL-FACTS), so each traced
 * socket keeps a ring of the packets pushed at the enqueue hook, in order.
 * After a read returns, the kernel's own queue is the ground truth: its head
 * H is the next packet to be read, so the packet just read is the newest
 * live ring entry older than H. When the queue is empty, it is the oldest
 * live entry (newer entries may still be on their way between the enqueue
 * hook and the queue).
 *
 * This makes the match robust to what a plain FIFO counter gets wrong:
 * packets queued before tracing started (H is not in the ring: the read
 * took an untracked packet), drops after the hook (entries marked dropped),
 * reads that consumed a packet but failed (skipped entries), MSG_PEEK (never
 * pops) and ring overflow (sequence numbers expose overwritten entries).
 */
#ifndef RXLAT_SOCK_RING_BPF_H
#define RXLAT_SOCK_RING_BPF_H

#define RING_BITS 10
#define RING_SIZE (1u << RING_BITS)
#define RING_MASK (RING_SIZE - 1)
/* How many entries a read looks at. Matching is O(1) in the common cases
 * (the read packet is the oldest entry); the window only serves reads
 * after holes, and keeps verification fast whatever RING_SIZE is. */
#define SCAN_WINDOW 32
/* How far back the drop hooks look for the dropped skb (drops happen right
 * after the push, so it is near the tail). */
#define DROP_SEARCH 16
/* A live entry pushed this long before a read that left the queue empty
 * cannot still be in flight: it was consumed unseen. */
#define STALE_NS (1000ULL * 1000)

enum ring_entry_flags {
	ENT_IPV6 = 1 << 0,
};

struct ring_entry {
	__u64 skb;
	__u64 t0;
	__u64 t1;
	__u64 t2;
	__u32 seq;	/* push sequence + 1; 0 while written or once dropped */
	__u32 ifindex;
	__u16 sport;
	__u16 ulen;	/* UDP length field: header + payload */
	__u16 cpu;
	__u16 flags;
};

struct sock_ring {
	__u32 head;		/* sequence number of the oldest unmatched entry */
	__u32 tail;		/* sequence number of the next push */
	__u64 last_empty;	/* time of the last read that left the queue empty */
	struct ring_entry e[RING_SIZE];
};

/* Socket-local storage: freed with the socket, no stale entries. */
struct {
	__uint(type, BPF_MAP_TYPE_SK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct sock_ring);
} sock_rings SEC(".maps");

/* Fallback keyed by the socket's address, for hooks that cannot use
 * socket storage (kprobes, kernels before 5.11); entries are deleted when
 * the socket is freed. max_entries is set by the loader (--sockets). */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1);
	__type(key, __u64);
	__type(value, struct sock_ring);
} sock_rings_h SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct sock_ring);
} zero_ring SEC(".maps");

const volatile bool sock_state_hash = false;
const volatile bool have_atomic_fetch = true;

/* The last push on this CPU, for drop hooks that do not name the skb. */
struct last_push {
	__u64 sk;
	__u64 skb;
	__u32 seq;
	__u32 pad;
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct last_push);
} last_pushes SEC(".maps");

/*
 * @sk is what bpf_sk_storage_get() accepts in the calling program (a BTF
 * socket pointer or a bpf_sock); @key is the socket's kernel address.
 */
static __always_inline struct sock_ring *ring_get(void *sk, __u64 key, bool create)
{
	struct sock_ring *r;
	__u32 zero = 0;

	if (!sock_state_hash)
		return bpf_sk_storage_get(&sock_rings, sk, 0,
					  create ? BPF_SK_STORAGE_GET_F_CREATE : 0);
	r = bpf_map_lookup_elem(&sock_rings_h, &key);
	if (r || !create)
		return r;
	r = bpf_map_lookup_elem(&zero_ring, &zero);
	if (!r)
		return 0;
	bpf_map_update_elem(&sock_rings_h, &key, r, BPF_NOEXIST);
	return bpf_map_lookup_elem(&sock_rings_h, &key);
}

static __always_inline void ring_forget(__u64 key)
{
	if (sock_state_hash)
		bpf_map_delete_elem(&sock_rings_h, &key);
}

static __always_inline __u32 ring_reserve(struct sock_ring *r)
{
	if (have_atomic_fetch)
		return __sync_fetch_and_add(&r->tail, 1);
	/* 5.10 has no fetching atomics: a lost race costs one entry, which
	 * the matcher then treats as overwritten. */
	return r->tail++;
}

static __always_inline void ring_push(struct sock_ring *r, __u64 sk, __u64 skb,
				      __u64 t0, __u64 t1, __u64 t2, __u32 ifindex,
				      __u16 sport, __u16 ulen, __u16 flags)
{
	__u32 seq = ring_reserve(r);
	struct ring_entry *e = &r->e[seq & RING_MASK];
	__u32 prev = e->seq;
	struct last_push *lp;
	__u32 zero = 0;

	/* Overwriting an entry nobody has read or dropped loses a packet's
	 * stamps: count it here, where it happens, and only here. */
	if (prev && (__s32)(prev - 1 - READ_ONCE(r->head)) >= 0)
		count(RX_C_RING_EVICTED);
	WRITE_ONCE(e->seq, 0);
	barrier();
	e->skb = skb;
	e->t0 = t0;
	e->t1 = t1;
	e->t2 = t2;
	e->ifindex = ifindex;
	e->sport = sport;
	e->ulen = ulen;
	e->cpu = bpf_get_smp_processor_id();
	e->flags = flags;
	barrier();
	WRITE_ONCE(e->seq, seq + 1);

	lp = bpf_map_lookup_elem(&last_pushes, &zero);
	if (lp) {
		lp->sk = sk;
		lp->skb = skb;
		lp->seq = seq;
	}
}

/*
 * A dropped packet leaves a hole (seq 0) that readers skip. The common
 * drop comes right after its push on the same CPU, so the slot is usually
 * the newest and is handed back to keep the ring free of holes.
 */
static __always_inline void ring_punch(struct sock_ring *r, struct ring_entry *e, __u32 seq)
{
	WRITE_ONCE(e->seq, 0);
	if (have_atomic_fetch)
		__sync_val_compare_and_swap(&r->tail, seq + 1, seq);
}

/* Drop @skb if it is among the newest entries; true the first time. */
static __always_inline bool ring_mark_dropped(struct sock_ring *r, __u64 skb)
{
	__u32 tail = READ_ONCE(r->tail);

	for (__u32 i = 1; i <= DROP_SEARCH; i++) {
		__u32 s = tail - i;
		struct ring_entry *e = &r->e[s & RING_MASK];

		if ((__s32)(s - r->head) < 0)
			break;
		if (e->seq != s + 1 || e->skb != skb)
			continue;
		ring_punch(r, e, s);
		return true;
	}
	return false;
}

/* Same, for hooks that only name the socket: use this CPU's last push. */
static __always_inline bool ring_mark_last_push_dropped(struct sock_ring *r, __u64 sk)
{
	struct last_push *lp;
	struct ring_entry *e;
	__u32 zero = 0;

	lp = bpf_map_lookup_elem(&last_pushes, &zero);
	if (!lp || lp->sk != sk)
		return false;
	e = &r->e[lp->seq & RING_MASK];
	lp->sk = 0;
	if (e->seq != lp->seq + 1 || e->skb != lp->skb)
		return false;
	ring_punch(r, e, lp->seq);
	return true;
}

struct ring_match {
	struct ring_entry ent;	/* the packet the read returned */
	__u32 skipped;		/* live entries that left the queue unseen */
};

/*
 * Pop the entry the read just returned. @qhead is the socket queue's head
 * skb after the read (0 if empty). Returns true with @m->ent filled when the
 * read returned a tracked packet.
 *
 * Each case is one forward scan of at most SCAN_WINDOW entries. Counters
 * are only ever added to, never branched on, so the verifier need not
 * track their values.
 */
static __always_inline bool ring_match_read(struct sock_ring *r, __u64 qhead, __u64 now,
					    struct ring_match *m)
{
	__u32 head = r->head, tail = READ_ONCE(r->tail);
	__u32 live = 0, nlive = 0, stop = 0;
	bool have_live = false, found = false;
	struct ring_entry *e;

	m->skipped = 0;
	if ((__s32)(tail - head) < 0)
		head = tail;
	/* older entries were overwritten (and counted) by ring_push() */
	if (tail - head > RING_SIZE)
		head = tail - RING_SIZE;

	if (qhead) {
		/* The read returned the newest live entry older than qhead. */
		for (__u32 i = 0; i < SCAN_WINDOW; i++) {
			__u32 s = head + i;

			if (s == tail)
				break;
			e = &r->e[s & RING_MASK];
			if (e->seq != s + 1)
				continue;
			if (e->skb == qhead) {
				stop = s;
				found = true;
				break;
			}
			live = s;
			nlive++;
			have_live = true;
		}
		if (!found) {
			/* The queue's head is older than anything tracked: the
			 * read returned a packet queued before rxlat saw it, or
			 * one whose entry was overwritten. */
			r->head = head;
			return false;
		}
		r->head = stop;
		m->skipped = nlive - (have_live ? 1 : 0);
		if (!have_live)
			return false;
		m->ent = r->e[live & RING_MASK];
		return true;
	}

	/* Queue empty: the read returned the oldest live entry; newer ones
	 * may still be between the enqueue hook and the queue. */
	stop = head;
	for (__u32 i = 0; i < SCAN_WINDOW; i++) {
		__u32 s = head + i;

		if (s == tail)
			break;
		e = &r->e[s & RING_MASK];
		if (e->seq != s + 1) {
			if (tail - s <= 1)
				break;	/* the newest push is still being written */
			stop = s + 1;
			continue;
		}
		stop = s + 1;
		if (r->last_empty && e->t2 + STALE_NS < r->last_empty) {
			nlive++;
			continue;
		}
		live = s;
		have_live = true;
		break;
	}
	r->head = stop;
	r->last_empty = now;
	m->skipped = nlive;
	if (!have_live)
		return false;
	m->ent = r->e[live & RING_MASK];
	return true;
}

#endif /* RXLAT_SOCK_RING_BPF_H */
