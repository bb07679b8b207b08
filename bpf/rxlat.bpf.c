// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * rxlat's kernel side: stamps each UDP packet at its first sighting (t0),
 * at netif_receive_skb (t1), at the socket enqueue (t2) and when a recv*()
 * returns it (t3), and keeps the books on every packet it saw.
 *
 * Each event has one handler; the per-hook programs at the end are thin
 * wrappers, so the fentry, kprobe and tracepoint/cgroup variants share all
 * logic. The loader enables one variant per stage.
 *
 * Nothing here uses fetching atomics: 5.10's verifier rejects an object that
 * merely contains them, and the matching does not need them (see
 * sock_state.bpf.h).
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_endian.h>
#include "rxlat_abi.h"

#define ETH_P_IP 0x0800
#define ETH_P_IPV6 0x86DD
#define AF_INET 2
#define AF_INET6 10
#define MSG_PEEK 2
#define MSG_ERRQUEUE 0x2000
#define ENOMEM 12

#ifndef barrier_var
#define barrier_var(var) asm volatile("" : "+r"(var))
#endif
#ifndef READ_ONCE
#define READ_ONCE(x) (*(const volatile typeof(x) *)&(x))
#endif
#ifndef WRITE_ONCE
#define WRITE_ONCE(x, v) (*(volatile typeof(x) *)&(x) = (v))
#endif

char LICENSE[] SEC("license") = "Dual BSD/GPL";

/* Filters, fixed before load. */
#define MAX_PIDS 16
const volatile __u32 filter_pids[MAX_PIDS] = {};
const volatile __u32 n_filter_pids = 0;
const volatile char filter_comm[RX_COMM_LEN] = {};
const volatile bool have_filter_comm = false;
const volatile __u16 port_lo = 1;
const volatile __u16 port_hi = 65535;
const volatile __u8 want_family = 0;	/* 0 any, 4, 6 */
const volatile __u32 filter_netns = 0;	/* 0 any, else a namespace inode */
/* udp_recvmsg()'s arity: 6 before 5.19 (noblock), 5 until 7.1, then 4. */
const volatile __u32 recvmsg_nargs = 5;

#include "stats.bpf.h"
#include "skb_slots.bpf.h"
#include "sock_state.bpf.h"
#include "thread_state.bpf.h"

extern void *bpf_cast_to_kern_ctx(void *) __ksym __weak;

static __always_inline bool family_wanted(bool ipv6)
{
	return !want_family || (want_family == 6) == ipv6;
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

static __always_inline __u32 reason_of(enum skb_drop_reason r, __u32 fallback)
{
	return r < RX_NREASONS ? r : fallback;
}

/* ---- t0 / t1: the device hand-off and netif_receive_skb ---------------- */

/* The skb seen at t0 on this CPU that is no UDP packet we want, so that t1
 * need not parse it again. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} not_wanted SEC(".maps");

/* Is the packet at skb->data (its network header, at these hooks) a UDP
 * datagram the filters keep? Fragments and IPv6 extension headers are not
 * parsed: such packets are picked up at the socket instead. */
static __always_inline bool wanted_udp(const struct sk_buff *skb)
{
	__u16 proto = BPF_CORE_READ(skb, protocol);
	unsigned char *data = BPF_CORE_READ(skb, data);
	__u8 h[48];
	__u32 off;

	if (!netns_wanted_dev(skb))
		return false;
	if (proto == bpf_htons(ETH_P_IP)) {
		if (!family_wanted(false) || bpf_probe_read_kernel(h, 28, data))
			return false;
		/* version 4, UDP, neither a fragment nor more to come */
		if ((h[0] >> 4) != 4 || h[9] != IPPROTO_UDP || (h[6] & 0x3f) || h[7])
			return false;
		off = (h[0] & 0xf) * 4;
		if (off != 20 && bpf_probe_read_kernel(h + 20, 8, data + (off & 0x3c)))
			return false;
		return port_wanted((h[22] << 8) | h[23]);
	}
	if (proto == bpf_htons(ETH_P_IPV6)) {
		if (!family_wanted(true) || bpf_probe_read_kernel(h, 48, data))
			return false;
		return h[6] == IPPROTO_UDP && port_wanted((h[42] << 8) | h[43]);
	}
	return false;
}

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

/* Start tracking a packet: a fresh slot, counted as seen. */
static __always_inline struct slot_ref track(__u64 skb, __u64 now)
{
	struct slot_ref r;
	struct skb_slot *s;
	bool evicted;

	r = slot_claim(skb, now, &evicted);
	if (!r.set)
		return r;
	if (evicted)
		count(RX_C_EVICTED);
	s = SLOT(r);
	__builtin_memset(s, 0, sizeof(*s));
	s->passes = 1;
	s->tpass = now;
	s->irq_ns = RX_NO_VALUE32;
	SKB(r) = skb;
	STATE(r) = SLOT_RX;
	count(RX_C_SEEN);
	return r;
}

static __always_inline void on_first_sighting(const struct sk_buff *skb)
{
	__u64 now = bpf_ktime_get_ns();
	struct slot_ref r = slot_find((__u64)skb, PRE_SOCKET);
	struct skb_slot *s;

	if (r.set) {
		if (STATE(r) == SLOT_XMIT) {
			/* Sent by one device, received by another (veth into a
			 * container, a tunnel): the same packet's next pass. */
			s = SLOT(r);
			count_n(RX_C_FORWARDED, (__u64)-1);
			count(RX_C_PASSES);
			STATE(r) = SLOT_RX;
			s->passes++;
			s->crossing_ns += (__u32)(now - s->txmit);
			s->tpass = now;
			s->t1pass = 0;
		}
		return;	/* else already tracked: a second entry hook in one pass */
	}
	if (!wanted_udp(skb)) {
		remember_not_wanted((__u64)skb);
		return;
	}
	r = track((__u64)skb, now);
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

static __always_inline void on_netif_receive(struct sk_buff *skb)
{
	__u64 now = bpf_ktime_get_ns(), *sirq;
	struct slot_ref r = slot_find((__u64)skb, IN(SLOT_RX));
	struct net_device *dev;
	__u32 zero = 0, ifindex;
	struct skb_slot *s;

	if (!r.set) {
		if (known_not_wanted((__u64)skb) || !wanted_udp(skb))
			return;
		r = track((__u64)skb, now);
		if (!r.set)
			return;
	}
	s = SLOT(r);
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
	/* The softirq that runs this receive started after the packet was
	 * first seen: that gap is scheduling delay, the rest is polling. */
	sirq = bpf_map_lookup_elem(&net_rx_start, &zero);
	if (s->t0 && sirq)
		s->irq_ns = *sirq > s->t0 ? (__u32)(*sirq - s->t0) : 0;
}

static __always_inline void on_xmit(const struct sk_buff *skb)
{
	struct slot_ref r = slot_find((__u64)skb, IN(SLOT_RX));
	struct skb_slot *s;

	if (r.set) {
		__u64 now = bpf_ktime_get_ns();

		s = SLOT(r);
		STATE(r) = SLOT_XMIT;
		s->forward_ns += (__u32)(now - (s->t1pass ? s->t1pass : s->tpass));
		s->txmit = now;
		count(RX_C_FORWARDED);
	}
}

/* ---- t2: the packet reaches a socket's receive queue ------------------ */

/*
 * @sk is what bpf_sk_storage_get() accepts in the calling program,
 * @skaddr the socket's kernel address, @uh the packet's UDP header.
 */
static __always_inline void on_enqueue(void *sk, __u64 skaddr, __u16 lport, __u64 skb,
				       bool ipv6, const struct udphdr *uh)
{
	struct sock_state *ss;
	struct slot_ref r;
	struct skb_slot *s;
	bool created;
	__u64 now;

	if (!port_wanted(lport) || !family_wanted(ipv6) || !netns_wanted_sk(skaddr))
		return;
	now = bpf_ktime_get_ns();
	r = slot_find(skb, IN(SLOT_RX));
	if (!r.set) {
		r = track(skb, now);
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
	s->sport = bpf_ntohs(uh->source);
	s->ulen = bpf_ntohs(uh->len);
	s->cpu = bpf_get_smp_processor_id();
	s->flags = ipv6 ? SLOT_F_IPV6 : 0;
	count(RX_C_ENQUEUED);
	if (ss)
		sock_push(ss, skaddr, skb, r, created);
}

/* The kernel freed @skb without delivering it. */
static __always_inline void on_drop(__u64 skb, __u32 reason, __u32 no_socket)
{
	/* A packet before its socket first: a queued slot with this address
	 * may belong to a packet already read (see slot_find). */
	struct slot_ref r = slot_find(skb, PRE_SOCKET);

	if (!r.set)
		r = slot_find(skb, IN(SLOT_QUEUED));
	if (!r.set)
		return;
	switch (STATE(r)) {
	case SLOT_RX:
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

static __always_inline void on_enqueue_sk(struct sock *sk, struct sk_buff *skb)
{
	unsigned char *head = BPF_CORE_READ(skb, head);
	__u16 th = BPF_CORE_READ(skb, transport_header);
	__u16 proto = BPF_CORE_READ(skb, protocol);
	struct udphdr uh = {};

	bpf_probe_read_kernel(&uh, sizeof(uh), head + th);
	on_enqueue(sk, (__u64)sk, BPF_CORE_READ(sk, __sk_common.skc_num), (__u64)skb,
		   proto == bpf_htons(ETH_P_IPV6), &uh);
}

/* ---- t3: a recv*() returned ------------------------------------------- */

static __always_inline void deliver(const struct skb_slot *e, __u64 now, __u64 skaddr, int len,
				    struct task_struct *task, __u32 tid)
{
	struct sock *sk = (void *)skaddr;
	struct socket_split sp;
	__u64 st[RX_NSTAGES];
	struct rx_event *ev;
	__u32 cpu = bpf_get_smp_processor_id();

	/*
	 * Which stages this packet has, as one mask: branching on each stage
	 * value against "none" would let the verifier track every
	 * combination of known values through the code below.
	 */
	__u32 valid = (1u << RX_ST_SOCKET);
	bool has_t0 = e->t0 && e->t2 >= e->t0, has_t1 = e->t1 && e->t2 >= e->t1;

	__builtin_memset(st, 0, sizeof(st));
	st[RX_ST_SOCKET] = now >= e->t2 ? now - e->t2 : 0;
	if (has_t0) {
		st[RX_ST_TOTAL] = now - e->t0;
		valid |= 1u << RX_ST_TOTAL;
	}
	if (has_t1) {
		st[RX_ST_STACK] = e->t2 - e->t1;
		valid |= 1u << RX_ST_STACK;
	} else if (has_t0) {
		/* A missed t1 makes driver unknown but t0 still bounds the
		 * total; keep the stage sum equal to the total. */
		st[RX_ST_STACK] = e->t2 - e->t0;
		valid |= 1u << RX_ST_STACK;
	}
	if (has_t0 && has_t1 && e->t1 >= e->t0) {
		st[RX_ST_DRIVER] = e->t1 - e->t0;
		valid |= 1u << RX_ST_DRIVER;
		if (e->irq_ns != RX_NO_VALUE32 && e->irq_ns <= st[RX_ST_DRIVER]) {
			st[RX_ST_IRQ] = e->irq_ns;
			st[RX_ST_POLL] = st[RX_ST_DRIVER] - e->irq_ns;
			valid |= (1u << RX_ST_IRQ) | (1u << RX_ST_POLL);
		}
	}
	if (e->passes > 1) {
		st[RX_ST_FORWARD] = e->forward_ns;
		st[RX_ST_CROSSING] = e->crossing_ns;
		valid |= (1u << RX_ST_FORWARD) | (1u << RX_ST_CROSSING);
	}
	split_socket_stage(task, tid, e->t2, now, e->cpu, &sp);
	if (split_socket) {
		st[RX_ST_QUEUED] = sp.queued;
		st[RX_ST_WAKEUP] = sp.wakeup;
		st[RX_ST_RETURN] = sp.ret;
		valid |= (1u << RX_ST_QUEUED) | (1u << RX_ST_WAKEUP) | (1u << RX_ST_RETURN);
		if (valid & (1u << RX_ST_TOTAL)) {
			st[RX_ST_BYPASS] = st[RX_ST_TOTAL] - sp.queued;
			valid |= 1u << RX_ST_BYPASS;
		}
		if (valid & (1u << RX_ST_IRQ)) {
			st[RX_ST_BUSYPOLL] = st[RX_ST_IRQ] + sp.wakeup;
			valid |= 1u << RX_ST_BUSYPOLL;
		}
	}

	count(RX_C_DELIVERED);
	if (!e->t0)
		count(RX_C_NO_FIRST);
	if (!e->t1)
		count(RX_C_NO_NETIF);
	if (e->passes > 1)
		count(RX_C_MULTIPASS);
	if (sp.woken)
		count(RX_C_WOKEN);
	if (sp.wake_cross_cpu)
		count(RX_C_WOKEN_CROSS_CPU);
	if (e->cpu != cpu)
		count(RX_C_CROSS_CPU);
	if (aggregate) {
		struct cpu_stats *cs = my_stats();

		if (cs)
			pend(cs, valid, st);
	}
	if (!emit_events)
		return;
	ev = bpf_ringbuf_reserve(&events, sizeof(*ev), 0);
	if (!ev) {
		count(RX_C_LOST_EVENTS);
		return;
	}
	ev->ts_ns = now;
	for (int i = 0; i < RX_NSTAGES; i++)
		ev->stage_ns[i] = (valid & (1u << i)) ? st[i] : RX_NO_VALUE;
	ev->pid = bpf_get_current_pid_tgid() >> 32;
	ev->tid = (__u32)bpf_get_current_pid_tgid();
	ev->netns = BPF_CORE_READ(sk, __sk_common.skc_net.net, ns.inum);
	ev->ifindex = e->ifindex;
	ev->len = len;
	ev->pkt_len = e->ulen >= 8 ? e->ulen - 8 : 0;
	ev->passes = e->passes;
	ev->netns_first = e->netns;
	ev->ifindex_last = e->ifindex_last;
	ev->sport = e->sport;
	ev->dport = BPF_CORE_READ(sk, __sk_common.skc_num);
	ev->cpu_enq = e->cpu;
	ev->cpu_read = cpu;
	ev->flags = ((e->flags & SLOT_F_IPV6) ? RX_EV_IPV6 : 0) |
		    (sp.woken ? RX_EV_WOKEN : 0) | (sp.wake_cross_cpu ? RX_EV_WAKE_CROSS_CPU : 0);
	bpf_get_current_comm(ev->comm, sizeof(ev->comm));
	/* No wakeup: the loader polls. A wakeup per packet costs the traced
	 * ping-pong tens of microseconds. */
	bpf_ringbuf_submit(ev, BPF_RB_NO_WAKEUP);
}

/* @task: the reading task as a trusted pointer, NULL where the hook has none */
static __always_inline void on_recv_done(void *sk, __u64 skaddr, int ret, int flags,
					 struct task_struct *task, bool direct)
{
	struct sock_state *ss;
	struct read_match m;
	bool created;
	__u64 now;

	if (ret < 0 || (flags & (MSG_PEEK | MSG_ERRQUEUE)))
		return;
	ss = sock_state_get(sk, skaddr, false, &created);
	if (!ss) {
		if (reader_wanted())
			count(RX_C_UNTRACKED_READ);
		return;
	}
	now = bpf_ktime_get_ns();
	sock_read(ss, skaddr, queue_head(skaddr, direct), now, &m);
	/* Unconditional: a branch on the count would make the verifier
	 * track each value separately. */
	count_n(RX_C_UNMEASURED, m.skipped);
	if (!m.hit) {
		if (reader_wanted())
			count(RX_C_UNTRACKED_READ);
		return;
	}
	if (!reader_wanted()) {
		count(RX_C_FILTERED);
		return;
	}
	deliver(&m.slot, now, skaddr, ret, task, (__u32)bpf_get_current_pid_tgid());
}

/* ======================= per-hook wrappers ============================== */

/* t0 */
SEC("tp_btf/netif_rx_entry")
int BPF_PROG(tp_netif_rx_entry, const struct sk_buff *skb)
{
	on_first_sighting(skb);
	return 0;
}

SEC("tp_btf/napi_gro_receive_entry")
int BPF_PROG(tp_napi_gro_receive_entry, const struct sk_buff *skb)
{
	on_first_sighting(skb);
	return 0;
}

SEC("tp_btf/netif_receive_skb_entry")
int BPF_PROG(tp_netif_receive_skb_entry, const struct sk_buff *skb)
{
	on_first_sighting(skb);
	return 0;
}

SEC("tp_btf/netif_receive_skb_list_entry")
int BPF_PROG(tp_netif_receive_skb_list_entry, const struct sk_buff *skb)
{
	on_first_sighting(skb);
	return 0;
}

SEC("tp_btf/napi_gro_frags_entry")
int BPF_PROG(tp_napi_gro_frags_entry, const struct sk_buff *skb)
{
	on_first_sighting(skb);
	return 0;
}

/* t1 */
SEC("tp_btf/netif_receive_skb")
int BPF_PROG(tp_netif_receive_skb, struct sk_buff *skb)
{
	on_netif_receive(skb);
	return 0;
}

/* a device sends a tracked packet away */
SEC("tp_btf/net_dev_start_xmit")
int BPF_PROG(tp_net_dev_start_xmit, const struct sk_buff *skb)
{
	on_xmit(skb);
	return 0;
}

/* t2 */
SEC("fentry/__udp_enqueue_schedule_skb")
int BPF_PROG(fentry_udp_enqueue, struct sock *sk, struct sk_buff *skb)
{
	on_enqueue_sk(sk, skb);
	return 0;
}

SEC("fexit/__udp_enqueue_schedule_skb")
int BPF_PROG(fexit_udp_enqueue, struct sock *sk, struct sk_buff *skb, int ret)
{
	if (ret)
		on_enqueue_failed((__u64)skb, ret);
	return 0;
}

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} enq_skb SEC(".maps");

SEC("kprobe/__udp_enqueue_schedule_skb")
int BPF_KPROBE(kprobe_udp_enqueue, struct sock *sk, struct sk_buff *skb)
{
	__u32 zero = 0;
	__u64 *stash;

	on_enqueue_sk(sk, skb);
	/* enqueue runs with BH off: the return probe fires on this CPU */
	stash = bpf_map_lookup_elem(&enq_skb, &zero);
	if (stash)
		*stash = (__u64)skb;
	return 0;
}

SEC("kretprobe/__udp_enqueue_schedule_skb")
int BPF_KRETPROBE(kretprobe_udp_enqueue, int ret)
{
	__u32 zero = 0;
	__u64 *stash = bpf_map_lookup_elem(&enq_skb, &zero);

	if (stash && ret)
		on_enqueue_failed(*stash, ret);
	return 0;
}

/*
 * The cgroup-v2 root's ingress program runs in sk_filter_trim_cap() just
 * before the UDP enqueue, for every inet socket on the host. It must never
 * change the verdict: always return 1.
 */
SEC("cgroup_skb/ingress")
int cg_ingress(struct __sk_buff *ctx)
{
	struct bpf_sock *bsk = ctx->sk;
	struct udphdr uh = {};
	struct sk_buff *skb;
	struct sock *ksk;
	__u16 th, nh;

	if (!bsk)
		return 1;
	bsk = bpf_sk_fullsock(bsk);
	if (!bsk || bsk->protocol != IPPROTO_UDP)
		return 1;
	skb = bpf_cast_to_kern_ctx(ctx);
	ksk = skb->sk;
	if (!ksk)	/* the verifier wants the check before any use */
		return 1;
	th = skb->transport_header;
	nh = skb->network_header;
	/* the program sees the packet from its network header on */
	bpf_skb_load_bytes(ctx, (__u16)(th - nh), &uh, sizeof(uh));
	on_enqueue(bsk, (__u64)ksk, (__u16)bsk->src_port, (__u64)skb,
		   ctx->protocol == bpf_htons(ETH_P_IPV6), &uh);
	return 1;
}

/* Every drop: the kernel's reason (5.17+) and, from 6.11, the socket. */
SEC("tp_btf/kfree_skb")
int BPF_PROG(tp_kfree_skb, struct sk_buff *skb, void *location, enum skb_drop_reason reason)
{
	on_drop((__u64)skb, reason_of(reason, RX_REASON_UNKNOWN), no_socket_reason());
	return 0;
}

SEC("tp_btf/kfree_skb")
int BPF_PROG(tp_kfree_skb_noreason, struct sk_buff *skb, void *location)
{
	on_drop((__u64)skb, RX_REASON_UNKNOWN, RX_NREASONS);
	return 0;
}

/* t3 */
SEC("tp_btf/sock_recv_length")
int BPF_PROG(tp_sock_recv_length, struct sock *sk, int ret, int flags)
{
	__u16 family;

	if (BPF_CORE_READ(sk, sk_protocol) != IPPROTO_UDP)
		return 0;
	family = BPF_CORE_READ(sk, __sk_common.skc_family);
	if (family != AF_INET && family != AF_INET6)
		return 0;
	on_recv_done(sk, (__u64)sk, ret, flags, bpf_get_current_task_btf(), true);
	return 0;
}

/*
 * udp_recvmsg() and udpv6_recvmsg() changed arity twice (noblock went in
 * 5.19, addr_len in 7.2). One program reads flags and the return value at
 * the offsets the running kernel uses; the loader sets recvmsg_nargs, and
 * the verifier drops the other branches as dead code.
 */
/* A context load at a constant offset. Branches that differ only in the
 * offset get merged by the compiler into one load from a computed address,
 * which verifiers before 7.x reject ("modified ctx ptr"). */
#define CTX_ARG(ctx, n)                                                        \
	({                                                                     \
		__u64 __v;                                                     \
		asm volatile("%[v] = *(u64 *)(%[c] + %[off])"                  \
			     : [v] "=r"(__v)                                   \
			     : [c] "r"(ctx), [off] "i"((n) * 8));              \
		__v;                                                           \
	})

static __always_inline void fexit_recvmsg(__u64 *ctx)
{
	struct sock *sk = (void *)ctx[0];
	int flags, ret;

	if (recvmsg_nargs == 6) {
		flags = (int)CTX_ARG(ctx, 4);
		ret = (int)CTX_ARG(ctx, 6);
	} else if (recvmsg_nargs == 5) {
		flags = (int)CTX_ARG(ctx, 3);
		ret = (int)CTX_ARG(ctx, 5);
	} else {
		flags = (int)CTX_ARG(ctx, 3);
		ret = (int)CTX_ARG(ctx, 4);
	}
	on_recv_done(sk, (__u64)sk, ret, flags, bpf_get_current_task_btf(), true);
}

SEC("fexit/udp_recvmsg")
int fexit_udp_recvmsg(__u64 *ctx)
{
	fexit_recvmsg(ctx);
	return 0;
}

SEC("fexit/udpv6_recvmsg")
int fexit_udpv6_recvmsg(__u64 *ctx)
{
	fexit_recvmsg(ctx);
	return 0;
}

struct recv_args {
	__u64 sk;
	__s32 flags;
	__u32 pad;
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 8192);
	__type(key, __u64);
	__type(value, struct recv_args);
} recv_stash SEC(".maps");

static __always_inline void stash_recv(struct pt_regs *ctx)
{
	__u64 id = bpf_get_current_pid_tgid();
	__u64 p4 = PT_REGS_PARM4(ctx), p5 = PT_REGS_PARM5(ctx);
	struct recv_args a = { .sk = PT_REGS_PARM1(ctx) };

	/* Both loads first: selecting between two context offsets makes the
	 * compiler modify the context pointer, which older verifiers reject. */
	barrier_var(p4);
	barrier_var(p5);
	a.flags = recvmsg_nargs == 6 ? (int)p5 : (int)p4;
	bpf_map_update_elem(&recv_stash, &id, &a, BPF_ANY);
	on_recv_enter(NULL, (__u32)id);
}

static __always_inline void unstash_recv(int ret)
{
	__u64 id = bpf_get_current_pid_tgid();
	struct recv_args *a = bpf_map_lookup_elem(&recv_stash, &id);

	if (!a)
		return;
	on_recv_done((void *)a->sk, a->sk, ret, a->flags, NULL, false);
	bpf_map_delete_elem(&recv_stash, &id);
}

SEC("kprobe/udp_recvmsg")
int BPF_KPROBE(kprobe_udp_recvmsg)
{
	stash_recv(ctx);
	return 0;
}

SEC("kretprobe/udp_recvmsg")
int BPF_KRETPROBE(kretprobe_udp_recvmsg, int ret)
{
	unstash_recv(ret);
	return 0;
}

SEC("kprobe/udpv6_recvmsg")
int BPF_KPROBE(kprobe_udpv6_recvmsg)
{
	stash_recv(ctx);
	return 0;
}

SEC("kretprobe/udpv6_recvmsg")
int BPF_KRETPROBE(kretprobe_udpv6_recvmsg, int ret)
{
	unstash_recv(ret);
	return 0;
}

/* Address-keyed socket state must go with the socket. */
SEC("fentry/sk_free")
int BPF_PROG(fentry_sk_free, struct sock *sk)
{
	sock_state_forget((__u64)sk);
	return 0;
}

SEC("kprobe/sk_free")
int BPF_KPROBE(kprobe_sk_free, struct sock *sk)
{
	sock_state_forget((__u64)sk);
	return 0;
}

/* ---- splitting the socket stage and the driver stage ------------------- */

SEC("tp_btf/softirq_entry")
int BPF_PROG(tp_softirq_entry, unsigned int vec)
{
	on_softirq_entry(vec);
	return 0;
}

SEC("tp_btf/sk_data_ready")
int BPF_PROG(tp_sk_data_ready, const struct sock *sk)
{
	on_data_ready();
	return 0;
}

/* Before 6.5 there is no sk_data_ready tracepoint: the default callback. */
SEC("fentry/sock_def_readable")
int BPF_PROG(fentry_sock_def_readable, struct sock *sk)
{
	on_data_ready();
	return 0;
}

SEC("kprobe/sock_def_readable")
int BPF_KPROBE(kprobe_sock_def_readable)
{
	on_data_ready();
	return 0;
}

SEC("tp_btf/sched_waking")
int BPF_PROG(tp_sched_waking, struct task_struct *p)
{
	on_waking(p, BPF_CORE_READ(p, pid));
	return 0;
}

SEC("tp_btf/sched_switch")
int BPF_PROG(tp_sched_switch, bool preempt, struct task_struct *prev, struct task_struct *next)
{
	struct cpu_stats *cs = my_stats();

	/* the reader is off the CPU: a good moment for the histogram work */
	if (cs && cs->p.n)
		flush_pending_now(0);
	on_switch_in(next, BPF_CORE_READ(next, pid));
	return 0;
}

/* Entry into a receive call: per-syscall tracepoints cost nothing to other
 * syscalls (a raw sys_enter hook would tax every syscall on the host). */
static __always_inline void recv_enter_current(void)
{
	on_recv_enter(bpf_get_current_task_btf(), (__u32)bpf_get_current_pid_tgid());
}

SEC("tracepoint/syscalls/sys_enter_recvfrom")
int tp_enter_recvfrom(void *ctx)
{
	recv_enter_current();
	return 0;
}

SEC("tracepoint/syscalls/sys_enter_recvmsg")
int tp_enter_recvmsg(void *ctx)
{
	recv_enter_current();
	return 0;
}

SEC("tracepoint/syscalls/sys_enter_recvmmsg")
int tp_enter_recvmmsg(void *ctx)
{
	recv_enter_current();
	return 0;
}

SEC("fentry/udp_recvmsg")
int BPF_PROG(fentry_udp_recvmsg)
{
	recv_enter_current();
	return 0;
}

SEC("fentry/udpv6_recvmsg")
int BPF_PROG(fentry_udpv6_recvmsg)
{
	recv_enter_current();
	return 0;
}
