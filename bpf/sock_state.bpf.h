/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Matching a recv*() to the packet it returned.
 *
 * No hook names the skb a UDP read returns (KERNEL-FACTS). Each traced
 * socket therefore remembers which skb the next read will return:
 *
 *  - after a read, the kernel's own queue is the ground truth: its head is
 *    the next packet to be read;
 *  - when a read empties the queue, the next packet is the one pushed after
 *    the packet just read (each queued slot links to its successor), or,
 *    if none was pushed yet, the next push.
 *
 * Re-reading the queue after every read makes the match correct whatever
 * happened before: packets queued before tracing started, drops after the
 * enqueue hook (tombstones are skipped), MSG_PEEK (never advances), failed
 * reads, concurrent producers. The per-socket state is three words, so it
 * fits socket-local storage on every kernel.
 */
#ifndef RXLAT_SOCK_STATE_BPF_H
#define RXLAT_SOCK_STATE_BPF_H

/* sock_state.next when the next read's packet is not known yet. */
#define NEXT_UNSYNC 1ULL
/* Links followed past dropped packets or unseen reads in one step. */
#define WALK_MAX 8
/* A packet pushed this long before a read that emptied the queue cannot
 * still be on its way to the queue: that read's successor was read unseen. */
#define IN_FLIGHT_NS (200ULL * 1000)

struct sock_state {
	__u64 next;		/* skb the next read returns; 0: the next push */
	__u64 last_push;	/* newest skb pushed */
	__u64 last_empty;	/* when a read last left the queue empty */
	__u64 fence;		/* target of the full barrier below */
	/* TCP only */
	__u64 fill_t;		/* when a retransmission last filled a gap */
	__u32 max_end;		/* highest sequence number seen + 1 */
	__u32 gap_end;		/* where the open gap ends */
	__u8 tcp_seen;
	__u8 gaps;		/* a gap is open */
	__u8 pad[2];
};

/*
 * A read that empties the queue and a push that races with it each store
 * one word and load the other's (the successor link, the "next push"
 * marker): without a full barrier between, both can miss the other's
 * store. A locked add is one on x86, and as a non-fetching atomic it loads
 * on every kernel rxlat supports.
 */
static __always_inline void full_fence(struct sock_state *ss)
{
	__sync_fetch_and_add(&ss->fence, 1);
}

/* Socket-local storage: freed with the socket. */
struct {
	__uint(type, BPF_MAP_TYPE_SK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct sock_state);
} sock_states SEC(".maps");

/* Fallback keyed by the socket's address, for hooks that cannot use socket
 * storage (kprobes, kernels before 5.11); entries go when the socket is
 * freed. max_entries is set by the loader (--sockets). */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 1);
	__type(key, __u64);
	__type(value, struct sock_state);
} sock_states_h SEC(".maps");

const volatile bool sock_state_hash = false;

/*
 * @sk is what bpf_sk_storage_get() accepts in the calling program (a BTF
 * socket pointer or a bpf_sock); @key is the socket's kernel address.
 * *@created tells whether the state is new.
 */
static __always_inline struct sock_state *sock_state_get(void *sk, __u64 key, bool create,
							 bool *created)
{
	struct sock_state *ss, fresh = {};

	*created = false;
	if (!sock_state_hash) {
		ss = bpf_sk_storage_get(&sock_states, sk, 0, 0);
		if (ss || !create)
			return ss;
		ss = bpf_sk_storage_get(&sock_states, sk, 0, BPF_SK_STORAGE_GET_F_CREATE);
	} else {
		ss = bpf_map_lookup_elem(&sock_states_h, &key);
		if (ss || !create)
			return ss;
		bpf_map_update_elem(&sock_states_h, &key, &fresh, BPF_NOEXIST);
		ss = bpf_map_lookup_elem(&sock_states_h, &key);
	}
	*created = ss != NULL;
	return ss;
}

static __always_inline void sock_state_forget(__u64 key)
{
	if (sock_state_hash)
		bpf_map_delete_elem(&sock_states_h, &key);
}

/* The skb at the head of the socket's receive queues, 0 if both are empty.
 * udp_recvmsg() reads reader_queue first and refills it from
 * sk_receive_queue; an empty list's head points at itself. With @direct
 * (a BTF socket pointer, in tracing programs) struct sock's own fields are
 * loaded directly; reader_queue lies beyond struct sock and always takes a
 * probe read. */
static __always_inline __u64 queue_head(__u64 skaddr, bool direct)
{
	struct udp_sock *up = (void *)skaddr;
	struct sock *sk = (void *)skaddr;
	__u64 first = 0;

	bpf_core_read(&first, sizeof(first), &up->reader_queue.next);
	if (first && first != (__u64)&up->reader_queue)
		return first;
	if (direct)
		first = (__u64)sk->sk_receive_queue.next;
	else if (bpf_core_read(&first, sizeof(first), &sk->sk_receive_queue.next))
		first = 0;
	if (first && first != (__u64)&sk->sk_receive_queue)
		return first;
	return 0;
}

/* A packet reached the socket (@self is its slot): link it behind the
 * previous push. That one may have had the same address (freed and
 * reused): never link a slot to itself. */
static __always_inline void sock_push(struct sock_state *ss, __u64 skaddr, __u64 skb,
				      struct slot_ref self, bool created, bool tcp)
{
	__u64 prev = ss->last_push;
	struct slot_ref p;

	if (created) {
		/* Packets may already be queued: until a read shows the queue's
		 * head, the next read's packet is unknown. TCP needs no such
		 * care: sequence numbers say which bytes a read consumed. */
		ss->next = !tcp && queue_head(skaddr, false) ? NEXT_UNSYNC : 0;
		prev = 0;
	}
	ss->last_push = skb;
	if (prev) {
		/* a reused address finds the pusher itself: pass over its way */
		p = slot_find_queued(prev, skaddr, IN_SOCKET, true,
				     prev == skb ? self.i : SLOT_WAYS, LAUNDER_PRODUCER);
		if (p.set && SLOT(p)->next == 0)
			SLOT(p)->next = skb;
	}
	full_fence(ss);
	if (ss->next == 0)
		ss->next = skb;
}

struct read_match {
	struct skb_slot slot;	/* the packet the read returned */
	__u32 skipped;		/* queued packets read unseen (no stats) */
	bool hit;
};

/*
 * Resolve which packet a read of @skaddr just returned, free its slot and
 * set up the next read. @qhead is the queue's head after the read.
 */
static __always_inline void sock_read(struct sock_state *ss, __u64 skaddr, __u64 qhead,
				      __u64 now, struct read_match *m)
{
	__u64 cand = ss->next, next = 0;
	struct slot_ref s, read_slot = no_slot();

	m->hit = false;
	m->skipped = 0;

	/* Skip packets dropped after their push. */
	for (int i = 0; i < WALK_MAX; i++) {
		if (cand <= NEXT_UNSYNC)
			break;
		s = slot_find_queued(cand, skaddr, IN_SOCKET, false, SLOT_WAYS, LAUNDER_READER);
		if (!s.set) {
			cand = 0;
			break;
		}
		if (STATE(s) == SLOT_QUEUED)
			break;
		cand = SLOT(s)->next;
		slot_free(s);
	}

	if (cand > NEXT_UNSYNC && cand != qhead) {
		s = slot_find_queued(cand, skaddr, IN(SLOT_QUEUED), false, SLOT_WAYS, LAUNDER_READER);
		if (s.set) {
			/* A read that empties the queue while the expected packet
			 * was pushed long before the previous such read means
			 * that packet was read unseen: it is not this one. */
			if (!qhead && ss->last_empty && SLOT(s)->t2 + IN_FLIGHT_NS < ss->last_empty) {
				m->skipped++;
				next = SLOT(s)->next;
				slot_free(s);
				s = next ? slot_find_queued(next, skaddr, IN(SLOT_QUEUED), false,
							    SLOT_WAYS, LAUNDER_READER) : no_slot();
			}
			if (s.set) {
				m->slot = *SLOT(s);
				m->hit = true;
				next = SLOT(s)->next;
				read_slot = s;	/* freed last: a racing push links to it */
			}
		}
	}

	if (qhead) {
		/* Packets between the one read and the queue's head were read
		 * unseen (failed reads, other readers): free what we can. A
		 * link may be lost (a dropped packet's slot reused), so only
		 * what was pushed before the head can be behind it. */
		struct slot_ref q = slot_find_queued(qhead, skaddr, IN(SLOT_QUEUED), true, SLOT_WAYS,
						     LAUNDER_READER);
		__u64 head_t2 = q.set ? SLOT(q)->t2 : 0;

		for (int i = 0; i < WALK_MAX; i++) {
			if (!next || next == qhead || !head_t2)
				break;
			s = slot_find_queued(next, skaddr, IN_SOCKET, false, SLOT_WAYS, LAUNDER_READER);
			if (!s.set || SLOT(s)->t2 >= head_t2)
				break;
			if (STATE(s) == SLOT_QUEUED)
				m->skipped++;
			next = SLOT(s)->next;
			slot_free(s);
		}
		ss->next = qhead;
	} else {
		ss->next = next;
		ss->last_empty = now;
		if (!next && read_slot.set) {
			full_fence(ss);
			next = READ_ONCE(SLOT(read_slot)->next);
			if (next)
				ss->next = next;
		}
	}
	if (read_slot.set)
		slot_free(read_slot);
}

#endif /* RXLAT_SOCK_STATE_BPF_H */
