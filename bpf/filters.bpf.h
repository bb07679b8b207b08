/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* What the user asked to see: filters fixed before load, and the packet
 * parser that applies them at the first hooks. */
#ifndef RXLAT_FILTERS_BPF_H
#define RXLAT_FILTERS_BPF_H

#define MAX_PIDS 16
const volatile __u32 filter_pids[MAX_PIDS] = {};
const volatile __u32 n_filter_pids = 0;
const volatile char filter_comm[RX_COMM_LEN] = {};
const volatile bool have_filter_comm = false;
const volatile __u16 port_lo = 1;
const volatile __u16 port_hi = 65535;
const volatile __u8 want_family = 0;	/* 0 any, 4, 6 */
const volatile __u8 want_proto = 0;	/* 0 UDP and TCP, else IPPROTO_UDP or _TCP */
const volatile __u32 filter_netns = 0;	/* 0 any, else a namespace inode */

static __always_inline bool family_wanted(bool ipv6)
{
	return !want_family || (want_family == 6) == ipv6;
}

static __always_inline bool proto_wanted(__u8 proto)
{
	if (proto != IPPROTO_UDP && proto != IPPROTO_TCP)
		return false;
	return !want_proto || want_proto == proto;
}

static __always_inline bool port_wanted(__u16 port)
{
	return port >= port_lo && port <= port_hi;
}

static __always_inline bool netns_wanted_dev(const struct sk_buff *skb)
{
	struct net_device *dev;

	if (!filter_netns)
		return true;
	dev = BPF_CORE_READ(skb, dev);
	return dev && BPF_CORE_READ(dev, nd_net.net, ns.inum) == filter_netns;
}

static __always_inline bool netns_wanted_sk(__u64 skaddr)
{
	struct sock *sk = (void *)skaddr;

	return !filter_netns || BPF_CORE_READ(sk, __sk_common.skc_net.net, ns.inum) == filter_netns;
}

static __always_inline bool reader_wanted(void)
{
	__u32 tgid = bpf_get_current_pid_tgid() >> 32;
	char comm[RX_COMM_LEN];

	if (n_filter_pids) {
		bool hit = false;

		for (__u32 i = 0; i < MAX_PIDS; i++) {
			if (i >= n_filter_pids)
				break;
			if (filter_pids[i] == tgid) {
				hit = true;
				break;
			}
		}
		if (!hit)
			return false;
	}
	if (have_filter_comm) {
		bpf_get_current_comm(comm, sizeof(comm));
		for (int i = 0; i < RX_COMM_LEN; i++) {
			if (comm[i] != filter_comm[i])
				return false;
			if (!comm[i])
				break;
		}
	}
	return true;
}

/*
 * Is the packet at skb->data (its network header, at the receive hooks) a
 * UDP datagram or a TCP segment with data that the filters keep?
 * Fragments and IPv6 extension headers are not parsed: such packets are
 * picked up at the socket instead. Pure TCP ACKs carry nothing to read.
 */
static __always_inline bool wanted_packet(const struct sk_buff *skb)
{
	__u16 proto = BPF_CORE_READ(skb, protocol), l3len, l4len;
	unsigned char *data = BPF_CORE_READ(skb, data);
	__u8 h[64];
	__u32 off;

	if (!netns_wanted_dev(skb))
		return false;
	if (proto == bpf_htons(ETH_P_IP)) {
		if (!family_wanted(false) || bpf_probe_read_kernel(h, 20, data))
			return false;
		/* version 4, neither a fragment nor more to come */
		if ((h[0] >> 4) != 4 || !proto_wanted(h[9]) || (h[6] & 0x3f) || h[7])
			return false;
		off = (h[0] & 0xf) * 4;
		l3len = (h[2] << 8) | h[3];
		proto = h[9];
	} else if (proto == bpf_htons(ETH_P_IPV6)) {
		if (!family_wanted(true) || bpf_probe_read_kernel(h, 40, data))
			return false;
		if (!proto_wanted(h[6]))
			return false;
		off = 40;
		l3len = 40 + ((h[4] << 8) | h[5]);
		proto = h[6];
	} else {
		return false;
	}
	if (bpf_probe_read_kernel(h, 20, data + (off & 0x3f)))
		return false;
	if (!port_wanted((h[2] << 8) | h[3]))
		return false;
	if (proto == IPPROTO_UDP)
		return true;
	l4len = (h[12] >> 4) * 4;
	return l3len > off + l4len;	/* TCP with data */
}

#endif /* RXLAT_FILTERS_BPF_H */
