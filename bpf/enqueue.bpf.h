/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* t2: a packet reaches a socket's receive queue (or, for TCP, its stream). */
#ifndef RXLAT_ENQUEUE_BPF_H
#define RXLAT_ENQUEUE_BPF_H

/* What the enqueue hooks read from the packet's transport header. */
struct seg_info {
	__u64 head;	/* skb->head: shared by multicast copies */
	__u32 seq;	/* TCP: first sequence number */
	__u32 len;	/* UDP: the UDP length field; TCP: payload bytes */
	__u16 sport;	/* host order */
	bool ipv6;
	bool tcp;
};

/*
 * A multicast or broadcast copy for one more socket: a clone of the
 * packet this CPU is delivering. It gets its own slot with the original's
 * stamps, and is counted as a copy, not as another packet seen.
 */
static __always_inline struct slot_ref track_copy(__u64 skb, const struct seg_info *si, __u64 now)
{
	struct slot_ref orig, r;
	struct current_rx *cur;
	__u32 zero = 0;
	bool evicted;

	cur = bpf_map_lookup_elem(&current_rxs, &zero);
	if (!cur || !si->head || cur->head != si->head || cur->skb == skb)
		return no_slot();
	orig = slot_find(cur->skb, IN(SLOT_RX));
	if (!orig.set)
		return no_slot();
	r = slot_claim(skb, now, &evicted);
	if (!r.set)
		return r;
	if (evicted)
		count(RX_C_EVICTED);
	/* the original may sit in the same set: its payload is read first */
	*SLOT(r) = *SLOT(orig);
	SLOT(r)->flags |= SLOT_F_COPY;
	SKB(r) = skb;
	STATE(r) = SLOT_RX;
	count(RX_C_COPIES);
	return r;
}

/*
 * A UDP packet that carries several datagrams (GSO from a local sender,
 * or merged by GRO) reaching a socket that did not ask for them merged
 * (UDP_GRO) is cut into its datagrams right there, on this CPU: new skbs
 * the receive hooks never saw. The first takes over the packet's slot;
 * the rest get the packet's stamps from a per-CPU template and are
 * counted as splits.
 */
struct split_src {
	__u64 orig;		/* the packet's skb */
	__u32 left;		/* datagrams still to come from it */
	__u32 pad;
	struct skb_slot slot;	/* its stamps */
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct split_src);
} split_srcs SEC(".maps");

static __always_inline struct slot_ref track_split(__u64 skb, const struct seg_info *si, __u64 now)
{
	struct slot_ref orig, r;
	struct current_rx *cur;
	struct split_src *sp;
	__u32 zero = 0;
	bool evicted;

	cur = bpf_map_lookup_elem(&current_rxs, &zero);
	sp = bpf_map_lookup_elem(&split_srcs, &zero);
	if (!cur || !sp || si->tcp || !cur->skb || cur->skb == skb)
		return no_slot();
	orig = slot_find(cur->skb, IN(SLOT_RX));
	if (orig.set && SLOT(orig)->segs > 1) {
		/* the first datagram: the packet's slot moves to its skb (the
		 * set follows the address) */
		sp->orig = cur->skb;
		sp->left = SLOT(orig)->segs - 1;
		sp->slot = *SLOT(orig);
		sp->slot.segs = 1;
		slot_free(orig);
		r = slot_claim(skb, now, &evicted);
		if (!r.set) {
			sp->left = 0;
			count(RX_C_EVICTED);	/* seen, now without a slot */
			return r;
		}
		if (evicted)
			count(RX_C_EVICTED);
		*SLOT(r) = sp->slot;
		SKB(r) = skb;
		STATE(r) = SLOT_RX;
		sp->slot.flags &= ~SLOT_F_GRO;	/* the others are splits, not seen */
		return r;
	}
	if (sp->orig != cur->skb || !sp->left)
		return no_slot();
	sp->left--;
	r = slot_claim(skb, now, &evicted);
	if (!r.set)
		return r;
	if (evicted)
		count(RX_C_EVICTED);
	*SLOT(r) = sp->slot;
	SKB(r) = skb;
	STATE(r) = SLOT_RX;
	count(RX_C_SPLITS);
	return r;
}

/*
 * TCP is matched by sequence numbers, not queue positions: reads consume
 * bytes. A segment arriving beyond the highest byte seen so far opens a
 * gap: it and every segment after it wait, out of order, until
 * retransmissions fill the gap up to where it ended; from the last fill on
 * they are readable. Only the first open gap is tracked: segments behind a
 * second one count as waiting until the first is filled.
 */
static __always_inline void tcp_arrival(struct sock_state *ss, struct skb_slot *s,
					const struct seg_info *si, bool created, __u64 now)
{
	__u32 end = si->seq + si->len;

	s->seq_end = end;
	if (created || !ss->tcp_seen) {
		ss->tcp_seen = 1;
		ss->max_end = end;
		return;
	}
	if ((__s32)(si->seq - ss->max_end) > 0 && !ss->gaps) {
		ss->gaps = 1;
		ss->gap_end = si->seq;
	}
	if ((__s32)(si->seq - ss->max_end) >= 0) {
		if (ss->gaps)
			s->flags |= SLOT_F_OOO;
	} else if (ss->gaps) {
		ss->fill_t = now;	/* a retransmission into the gap */
		if ((__s32)(end - ss->gap_end) >= 0)
			ss->gaps = 0;
	}
	if ((__s32)(end - ss->max_end) > 0)
		ss->max_end = end;
}

/* Move a queued TCP segment's slot to its byte key (see tcp_key). Should
 * no slot be had there, it stays at its address: only slower to find. */
static __always_inline struct slot_ref tcp_rekey(struct slot_ref r, __u64 key, __u64 now)
{
	struct slot_ref k;
	bool evicted;

	k = slot_claim(key, now, &evicted);
	if (!k.set)
		return r;
	if (evicted)
		count(RX_C_EVICTED);
	*SLOT(k) = *SLOT(r);
	SKB(k) = key;
	STATE(k) = SLOT_QUEUED;
	slot_free(r);
	return k;
}

/*
 * @sk is what bpf_sk_storage_get() accepts in the calling program,
 * @skaddr the socket's kernel address.
 */
static __always_inline void on_enqueue(void *sk, __u64 skaddr, __u16 lport, __u64 skb,
				       const struct seg_info *si)
{
	struct sock_state *ss;
	struct slot_ref r;
	struct skb_slot *s;
	bool created;
	__u32 len;
	__u64 now;

	if (!port_wanted(lport) || !family_wanted(si->ipv6) || !netns_wanted_sk(skaddr) ||
	    !proto_wanted(si->tcp ? IPPROTO_TCP : IPPROTO_UDP))
		return;
	if (si->tcp && !si->len)
		return;	/* nothing to read: a pure ACK, a bare FIN */
	now = bpf_ktime_get_ns();
	r = slot_find(skb, IN(SLOT_RX));
	if (!r.set)
		r = track_copy(skb, si, now);
	if (!r.set)
		r = track_split(skb, si, now);
	if (!r.set) {
		r = track(skb, now, false);
		if (!r.set)
			return;
		count(RX_C_SEEN_AT_SOCKET);
	}
	s = SLOT(r);
	ss = sock_state_get(sk, skaddr, true, &created);
	if (!ss) {
		/* The packet is still counted: its read will be unmatched. */
		count(RX_C_SOCK_STATE_FAIL);
	}
	STATE(r) = SLOT_QUEUED;
	s->sk = skaddr;
	s->next = 0;
	s->t2 = now;
	s->sport = si->sport;
	len = si->len;
	if (si->tcp) {
		/* A retransmission that overlaps bytes already received (TCP
		 * collapses segments when it retransmits) is queued whole, but
		 * the reader gets only what is new. */
		struct tcp_sock *tp = (void *)skaddr;
		__u32 rcv_nxt = BPF_CORE_READ(tp, rcv_nxt), end = si->seq + si->len;

		if ((__s32)(rcv_nxt - si->seq) > 0 && (__s32)(end - rcv_nxt) > 0)
			len = end - rcv_nxt;
	}
	s->ulen = len > 65535 ? 65535 : len;	/* GRO'd TCP can exceed it */
	s->cpu = bpf_get_smp_processor_id();
	s->flags |= (si->ipv6 ? SLOT_F_IPV6 : 0) | (si->tcp ? SLOT_F_TCP : 0);
	/* a packet that never met GRO's counting is counted now */
	if (s->flags & SLOT_F_GRO) {
		s->flags &= ~SLOT_F_GRO;
		count(RX_C_SEEN);
	}
	count(RX_C_ENQUEUED);
	if (si->tcp) {
		r = tcp_rekey(r, tcp_key(si->seq, si->sport, lport), now);
		skb = SKB(r);
		s = SLOT(r);
	}
	if (!ss)
		return;
	if (si->tcp)
		tcp_arrival(ss, s, si, created, now);
	sock_push(ss, skaddr, skb, r, created, si->tcp);
}

/* Enqueue failures name no reason before 5.17: derive one from the errno. */
static __always_inline void on_enqueue_failed(__u64 skb, int err)
{
	__u32 reason = RX_REASON_MEM;

	if (err == -ENOMEM)
		reason = bpf_core_enum_value_exists(enum skb_drop_reason,
						    SKB_DROP_REASON_SOCKET_RCVBUFF) ?
			 bpf_core_enum_value(enum skb_drop_reason, SKB_DROP_REASON_SOCKET_RCVBUFF) :
			 RX_REASON_RCVBUF;
	else if (bpf_core_enum_value_exists(enum skb_drop_reason, SKB_DROP_REASON_PROTO_MEM))
		reason = bpf_core_enum_value(enum skb_drop_reason, SKB_DROP_REASON_PROTO_MEM);
	on_drop(skb, reason, RX_NREASONS);
}

/* The transport header, for hooks with a BTF skb (fentry, kprobe). */
static __always_inline void seg_of_skb(struct sk_buff *skb, bool tcp, struct seg_info *si)
{
	unsigned char *head = BPF_CORE_READ(skb, head);
	__u16 th = BPF_CORE_READ(skb, transport_header);
	__u8 h[16] = {};

	bpf_probe_read_kernel(h, sizeof(h), head + th);
	si->head = (__u64)head;
	si->ipv6 = BPF_CORE_READ(skb, protocol) == bpf_htons(ETH_P_IPV6);
	si->tcp = tcp;
	si->sport = (h[0] << 8) | h[1];
	if (tcp) {
		/* at tcp_v{4,6}_do_rcv() skb->data is still the TCP header */
		si->seq = ((__u32)h[4] << 24) | ((__u32)h[5] << 16) | ((__u32)h[6] << 8) | h[7];
		si->len = BPF_CORE_READ(skb, len) - (h[12] >> 4) * 4;
	} else {
		si->len = (h[4] << 8) | h[5];
	}
}

static __always_inline void on_enqueue_sk(struct sock *sk, struct sk_buff *skb, bool tcp)
{
	struct seg_info si = {};

	seg_of_skb(skb, tcp, &si);
	on_enqueue(sk, (__u64)sk, BPF_CORE_READ(sk, __sk_common.skc_num), (__u64)skb, &si);
}

#endif /* RXLAT_ENQUEUE_BPF_H */
