/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Before the socket: the first sighting (t0), netif_receive_skb (t1),
 * devices sending a packet on (hops), the NET_RX softirq, and drops.
 */
#ifndef RXLAT_RX_PATH_BPF_H
#define RXLAT_RX_PATH_BPF_H

/* The skb seen at t0 on this CPU that is no packet we want, so that t1
 * need not parse it again. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} not_wanted SEC(".maps");

static __always_inline void remember_not_wanted(__u64 skb)
{
	__u32 zero = 0;
	__u64 *nw = bpf_map_lookup_elem(&not_wanted, &zero);

	if (nw)
		*nw = skb;
}

static __always_inline bool known_not_wanted(__u64 skb)
{
	__u32 zero = 0;
	__u64 *nw = bpf_map_lookup_elem(&not_wanted, &zero);

	return nw && *nw == skb;
}

/* (Re)start a slot for a new packet: counted as seen unless GRO may still
 * merge it into another packet (then it counts at netif_receive_skb, as
 * the packet the stack sees). */
static __always_inline void slot_init(struct slot_ref r, __u64 skb, __u64 now, bool gro)
{
	struct skb_slot *s = SLOT(r);

	__builtin_memset(s, 0, sizeof(*s));
	s->passes = 1;
	s->segs = 1;
	s->tpass = now;
	s->irq_ns = RX_NO_VALUE32;
	if (gro)
		s->flags = SLOT_F_GRO;
	else
		count(RX_C_SEEN);
	SKB(r) = skb;
	STATE(r) = SLOT_RX;
}

/* Start tracking a packet in a fresh slot. */
static __always_inline struct slot_ref track(__u64 skb, __u64 now, bool gro)
{
	struct slot_ref r;
	bool evicted;

	r = slot_claim(skb, now, &evicted);
	if (!r.set)
		return r;
	if (evicted)
		count(RX_C_EVICTED);
	slot_init(r, skb, now, gro);
	return r;
}

/* A tunnel hands its decapsulated packet back to the stack within
 * microseconds; a slot older than this at the same address belongs to a
 * packet that left by a path no hook reports. */
#define REENTRY_NS (1000ULL * 1000)

static __always_inline void on_first_sighting(const struct sk_buff *skb, bool gro)
{
	__u64 now = bpf_ktime_get_ns();
	struct slot_ref r = slot_find((__u64)skb, PRE_SOCKET);
	struct skb_slot *s;

	if (r.set) {
		s = SLOT(r);
		if (STATE(r) == SLOT_XMIT) {
			/* Sent by one device, received by another (veth into a
			 * container): the same packet's next pass - unless it
			 * left the namespace the user asked for. */
			if (!netns_wanted_dev(skb)) {
				slot_free(r);	/* stays counted as forwarded */
				return;
			}
			count_n(RX_C_FORWARDED, (__u64)-1);
			count(RX_C_PASSES);
			STATE(r) = SLOT_RX;
			s->passes++;
			s->crossing_ns += (__u32)(now - s->txmit);
			s->tpass = now;
			s->t1pass = 0;
			return;
		}
		if (!s->t1pass && !(s->flags & SLOT_F_GRO))
			return;	/* a second entry hook in the same pass */
		if (s->t1pass && now - s->t1pass < REENTRY_NS && !(s->flags & SLOT_F_GRO)) {
			/* handed back to the stack (a tunnel): the next pass */
			count(RX_C_PASSES);
			s->passes++;
			s->crossing_ns += (__u32)(now - s->t1pass);
			s->tpass = now;
			s->t1pass = 0;
			return;
		}
		/* A stale slot at this address: a GRO segment merged into
		 * another packet (never counted), or a packet gone unseen. */
		if (!(s->flags & SLOT_F_GRO))
			count(RX_C_VANISHED);
		if (!wanted_packet(skb)) {
			slot_free(r);
			remember_not_wanted((__u64)skb);
			return;
		}
		slot_init(r, (__u64)skb, now, gro);
		SLOT(r)->t0 = now;
		return;
	}
	if (!wanted_packet(skb)) {
		remember_not_wanted((__u64)skb);
		return;
	}
	r = track((__u64)skb, now, gro);
	if (r.set)
		SLOT(r)->t0 = now;
}

/* When the NET_RX softirq last started on each CPU. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} net_rx_start SEC(".maps");

#define NET_RX_SOFTIRQ 3

static __always_inline void on_softirq_entry(unsigned int vec)
{
	__u32 zero = 0;
	__u64 *t;

	if (vec != NET_RX_SOFTIRQ)
		return;
	t = bpf_map_lookup_elem(&net_rx_start, &zero);
	if (t)
		*t = bpf_ktime_get_ns();
}

/*
 * The packet this CPU is taking up the stack. Multicast and broadcast
 * delivery clones it for every socket but the last, synchronously on this
 * CPU; a clone shares the original's data (skb->head).
 */
struct current_rx {
	__u64 skb;
	__u64 head;
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct current_rx);
} current_rxs SEC(".maps");

static __always_inline void on_netif_receive(struct sk_buff *skb)
{
	__u64 now = bpf_ktime_get_ns(), *sirq;
	struct slot_ref r = slot_find((__u64)skb, IN(SLOT_RX));
	struct skb_shared_info *shinfo;
	struct current_rx *cur;
	struct net_device *dev;
	__u32 zero = 0, ifindex;
	unsigned char *head;
	struct skb_slot *s;
	__u16 segs;

	if (!r.set) {
		if (known_not_wanted((__u64)skb) || !wanted_packet(skb))
			return;
		r = track((__u64)skb, now, false);
		if (!r.set)
			return;
	}
	s = SLOT(r);
	head = BPF_CORE_READ(skb, head);
	cur = bpf_map_lookup_elem(&current_rxs, &zero);
	if (cur) {
		cur->skb = (__u64)skb;
		cur->head = (__u64)head;
	}
	if (s->t1pass)
		return;	/* seen at netif_receive_skb in this pass already */
	dev = BPF_CORE_READ(skb, dev);
	ifindex = dev ? BPF_CORE_READ(dev, ifindex) : 0;
	s->t1pass = now;
	s->ifindex_last = ifindex;
	if (s->t1)
		return;	/* a later pass: the first one's stamps stay */
	s->t1 = now;
	s->ifindex = ifindex;
	s->netns = dev ? BPF_CORE_READ(dev, nd_net.net, ns.inum) : 0;
	/* What GRO made of it: the segments merged into this skb. */
	shinfo = (void *)(head + BPF_CORE_READ(skb, end));
	segs = BPF_CORE_READ(shinfo, gso_segs);
	s->segs = segs > 1 ? segs : 1;
	if (s->flags & SLOT_F_GRO) {
		s->flags &= ~SLOT_F_GRO;
		count(RX_C_SEEN);
	}
	if (segs > 1) {
		count(RX_C_GRO_PACKETS);
		count_n(RX_C_GRO_SEGMENTS, segs);
	}
	/* The softirq that runs this receive started after the packet was
	 * first seen: that gap is scheduling delay, the rest is polling. */
	sirq = bpf_map_lookup_elem(&net_rx_start, &zero);
	if (s->t0 && sirq)
		s->irq_ns = *sirq > s->t0 ? (__u32)(*sirq - s->t0) : 0;
}

static __always_inline void on_xmit(const struct sk_buff *skb)
{
	struct slot_ref r;
	struct skb_slot *s;

	/* A packet a local socket sends is no received packet going on;
	 * checking spares every sender a miss on the slot table. Forwarded
	 * and bridged packets have no socket. */
	if (BPF_CORE_READ(skb, sk))
		return;
	r = slot_find((__u64)skb, IN(SLOT_RX));

	if (r.set) {
		__u64 now = bpf_ktime_get_ns();

		s = SLOT(r);
		STATE(r) = SLOT_XMIT;
		s->forward_ns += (__u32)(now - (s->t1pass ? s->t1pass : s->tpass));
		s->txmit = now;
		count(RX_C_FORWARDED);
	}
}

static __always_inline __u32 reason_of(enum skb_drop_reason r, __u32 fallback)
{
	return r < RX_NREASONS ? r : fallback;
}

/* The kernel freed @skb without delivering it. */
/*
 * The byte key (tcp_key) of a TCP segment the stack dropped after its
 * enqueue hook, 0 if @skb is no TCP segment. The headers are where the
 * stack left them: skb->data has moved past them by then.
 */
static __always_inline __u64 tcp_key_of_dropped(__u64 skbaddr)
{
	struct sk_buff *skb = (void *)skbaddr;
	unsigned char *head = BPF_CORE_READ(skb, head);
	__u16 nh = BPF_CORE_READ(skb, network_header);
	__u16 th = BPF_CORE_READ(skb, transport_header);
	__u16 proto = BPF_CORE_READ(skb, protocol);
	__u8 h[8];

	if (!proto_wanted(IPPROTO_TCP) || nh == (__u16)~0 || th == (__u16)~0 || th <= nh)
		return 0;
	if (bpf_probe_read_kernel(h, sizeof(h), head + nh))
		return 0;
	if (proto == bpf_htons(ETH_P_IP) ? h[0] >> 4 != 4 || th - nh < 20 :
	    proto != bpf_htons(ETH_P_IPV6) || h[0] >> 4 != 6 || h[6] != IPPROTO_TCP)
		return 0;
	if (proto == bpf_htons(ETH_P_IP)) {
		if (bpf_probe_read_kernel(h, 1, head + nh + 9) || h[0] != IPPROTO_TCP)
			return 0;
	}
	if (bpf_probe_read_kernel(h, sizeof(h), head + th))
		return 0;
	return tcp_key(((__u32)h[4] << 24) | ((__u32)h[5] << 16) | ((__u32)h[6] << 8) | h[7],
		       (h[0] << 8) | h[1], (h[2] << 8) | h[3]);
}

static __always_inline void on_drop(__u64 skb, __u32 reason, __u32 no_socket)
{
	/* A packet before its socket first: a queued slot with this address
	 * may belong to a packet already read (see slot_find). */
	struct slot_ref r = slot_find(skb, PRE_SOCKET);
	__u64 key;

	if (!r.set)
		r = slot_find(skb, IN(SLOT_QUEUED));
	if (!r.set) {
		/* a TCP segment past its enqueue hook, keyed by its bytes; a
		 * retransmission shares the key with the original, and is
		 * the newer one */
		key = tcp_key_of_dropped(skb);
		if (key)
			r = slot_find_queued(key, 0, IN(SLOT_QUEUED), true, SLOT_WAYS,
					     LAUNDER_PRODUCER);
	}
	if (!r.set)
		return;
	switch (STATE(r)) {
	case SLOT_RX:
		if (SLOT(r)->flags & SLOT_F_GRO)
			count_atomic(RX_C_SEEN);	/* dropped before GRO counted it */
		if (reason == no_socket)
			count_atomic(RX_C_NO_SOCKET);
		else
			count_drop(SLOT(r)->t1 ? RX_DS_STACK : RX_DS_DRIVER, reason);
		slot_free(r);
		break;
	case SLOT_QUEUED:
		count_drop(RX_DS_SOCKET, reason);
		STATE(r) = SLOT_TOMB;	/* keeps the successor link */
		break;
	case SLOT_XMIT:
		slot_free(r);		/* already counted as forwarded */
		break;
	}
}

static __always_inline __u32 no_socket_reason(void)
{
	if (bpf_core_enum_value_exists(enum skb_drop_reason, SKB_DROP_REASON_NO_SOCKET))
		return bpf_core_enum_value(enum skb_drop_reason, SKB_DROP_REASON_NO_SOCKET);
	return RX_NREASONS;	/* matches no reason */
}

#endif /* RXLAT_RX_PATH_BPF_H */
