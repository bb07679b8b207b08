/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * First sighting (t0) and netif_receive_skb (t1) stamps, carried from the
 * device hand-off to the socket enqueue.
 *
 * The skb pointer is the packet's identity up to the socket (KERNEL-FACTS:
 * same pointer from the entry tracepoints through the cgroup ingress hook).
 * Instead of a hash map insert/delete per packet, the stamps live in a
 * direct-mapped array indexed by a hash of the pointer: the lookup is
 * inlined by the verifier, and a collision only costs the older packet its
 * t0/t1 (it is still measured from t2 on and counted as missing them).
 */
#ifndef RXLAT_SKB_TRACK_BPF_H
#define RXLAT_SKB_TRACK_BPF_H

struct skb_slot {
	__u64 skb;
	__u64 t0;	/* first sighting, 0 if missed */
	__u64 t1;	/* netif_receive_skb, 0 if not reached yet */
	__u32 ifindex;	/* device at netif_receive_skb */
	__u32 pad;
};

/* Resized by the loader (--slots); must stay a power of two. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1 << 14);
	__type(key, __u32);
	__type(value, struct skb_slot);
} skb_slots SEC(".maps");

const volatile __u32 skb_slot_mask = (1 << 14) - 1;

static __always_inline struct skb_slot *slot_of(__u64 skb)
{
	/* The verifier forbids multiplying a pointer but turns a 32-bit copy
	 * of one into a plain number; the low half is plenty for a hash.
	 * skbs are slab objects 256 bytes apart: mix the bits so that
	 * consecutive allocations spread over the table. */
	__u32 lo = (__u32)skb;
	__u32 idx = ((lo >> 8) * 2654435761u) & skb_slot_mask;

	return bpf_map_lookup_elem(&skb_slots, &idx);
}

static __always_inline void on_first_sighting(const struct sk_buff *skb)
{
	struct skb_slot *s = slot_of((__u64)skb);

	if (!s)
		return;
	s->skb = (__u64)skb;
	s->t0 = bpf_ktime_get_ns();
	s->t1 = 0;
	s->ifindex = 0;
}

static __always_inline void on_netif_receive(struct sk_buff *skb)
{
	struct skb_slot *s = slot_of((__u64)skb);
	__u64 now = bpf_ktime_get_ns();
	struct net_device *dev;

	if (!s)
		return;
	if (s->skb != (__u64)skb || s->t1 != 0) {
		/* Not seen by an entry hook (or a stale slot): only t1 is known. */
		s->skb = (__u64)skb;
		s->t0 = 0;
	}
	s->t1 = now;
	dev = BPF_CORE_READ(skb, dev);
	s->ifindex = dev ? BPF_CORE_READ(dev, ifindex) : 0;
}

/* Take the stamps of @skb at the socket enqueue; the slot is freed for reuse. */
static __always_inline bool take_skb_stamps(__u64 skb, __u64 *t0, __u64 *t1, __u32 *ifindex)
{
	struct skb_slot *s = slot_of(skb);

	if (!s || s->skb != skb)
		return false;
	*t0 = s->t0;
	*t1 = s->t1;
	*ifindex = s->ifindex;
	s->skb = 0;
	return true;
}

#endif /* RXLAT_SKB_TRACK_BPF_H */
