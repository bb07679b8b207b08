// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * rxlat's kernel side: stamps each UDP packet at its first sighting (t0),
 * at netif_receive_skb (t1), at the socket enqueue (t2) and when a recv*()
 * returns it (t3). Each event has one handler; the per-hook programs below
 * are thin wrappers, so the fentry, kprobe and tracepoint/cgroup variants
 * share all logic. The loader enables one variant per stage.
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

#ifndef READ_ONCE
#define READ_ONCE(x) (*(volatile typeof(x) *)&(x))
#define WRITE_ONCE(x, v) (*(volatile typeof(x) *)&(x) = (v))
#endif
#ifndef barrier
#define barrier() asm volatile("" ::: "memory")
#endif

char LICENSE[] SEC("license") = "Dual BSD/GPL";

/* Filters, fixed before load. */
#define MAX_PIDS 16
const volatile __u32 filter_pids[MAX_PIDS] = {};
const volatile __u32 n_filter_pids = 0;
const volatile char filter_comm[RX_COMM_LEN] = {};
const volatile bool have_filter_comm = false;
const volatile __u16 port_lo = 0;
const volatile __u16 port_hi = 65535;
const volatile __u8 want_family = 0;	/* 0 any, 4, 6 */

#include "skb_track.bpf.h"
#include "stats.bpf.h"
#include "sock_ring.bpf.h"

extern void *bpf_cast_to_kern_ctx(void *) __ksym __weak;

static __always_inline bool family_wanted(bool ipv6)
{
	return !want_family || (want_family == 6) == ipv6;
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

/* ---- t2: the packet reaches a socket's receive queue ------------------ */

static __always_inline void on_enqueue(void *sk, __u64 skkey, __u16 lport,
				       __u64 skb, bool ipv6, const struct udphdr *uh)
{
	__u64 t0 = 0, t1 = 0, now;
	__u32 ifindex = 0;
	struct sock_ring *r;

	if (lport < port_lo || lport > port_hi || !family_wanted(ipv6))
		return;
	now = bpf_ktime_get_ns();
	take_skb_stamps(skb, &t0, &t1, &ifindex);
	r = ring_get(sk, skkey, true);
	if (!r) {
		count(RX_C_SOCK_STATE_FAIL);
		return;
	}
	ring_push(r, skkey, skb, t0, t1, now, ifindex, bpf_ntohs(uh->source),
		  bpf_ntohs(uh->len), ipv6 ? ENT_IPV6 : 0);
	count(RX_C_ENQUEUED);
}

static __always_inline void on_enqueue_failed(void *sk, __u64 skkey, __u64 skb)
{
	struct sock_ring *r = ring_get(sk, skkey, false);

	if (r && ring_mark_dropped(r, skb))
		count(RX_C_DROPPED);
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
		on_enqueue_failed(sk, (__u64)sk, (__u64)skb);
	return 0;
}

struct enq_args {
	__u64 sk;
	__u64 skb;
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct enq_args);
} enq_stash SEC(".maps");

SEC("kprobe/__udp_enqueue_schedule_skb")
int BPF_KPROBE(kprobe_udp_enqueue, struct sock *sk, struct sk_buff *skb)
{
	struct enq_args *a;
	__u32 zero = 0;

	on_enqueue_sk(sk, skb);
	/* enqueue runs with BH off: the return probe fires on this CPU */
	a = bpf_map_lookup_elem(&enq_stash, &zero);
	if (a) {
		a->sk = (__u64)sk;
		a->skb = (__u64)skb;
	}
	return 0;
}

SEC("kretprobe/__udp_enqueue_schedule_skb")
int BPF_KRETPROBE(kretprobe_udp_enqueue, int ret)
{
	struct enq_args *a;
	__u32 zero = 0;

	a = bpf_map_lookup_elem(&enq_stash, &zero);
	if (a && ret)
		on_enqueue_failed((void *)a->sk, a->sk, a->skb);
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
	__u16 th, nh;
	bool ipv6;

	if (!bsk)
		return 1;
	bsk = bpf_sk_fullsock(bsk);
	if (!bsk || bsk->protocol != IPPROTO_UDP)
		return 1;
	skb = bpf_cast_to_kern_ctx(ctx);
	ipv6 = ctx->protocol == bpf_htons(ETH_P_IPV6);
	th = skb->transport_header;
	nh = skb->network_header;
	/* the program sees the packet from its network header on */
	bpf_skb_load_bytes(ctx, (__u16)(th - nh), &uh, sizeof(uh));
	on_enqueue(bsk, (__u64)skb->sk, (__u16)bsk->src_port, (__u64)skb, ipv6, &uh);
	return 1;
}

SEC("tp_btf/udp_fail_queue_rcv_skb")
int BPF_PROG(tp_udp_fail_queue_rcv_skb, int rc, struct sock *sk)
{
	struct sock_ring *r = ring_get(sk, (__u64)sk, false);

	if (r && ring_mark_last_push_dropped(r, (__u64)sk))
		count(RX_C_DROPPED);
	return 0;
}

/* Linux 6.11+: kfree_skb names the receiving socket of a dropped packet. */
SEC("tp_btf/kfree_skb")
int BPF_PROG(tp_kfree_skb, struct sk_buff *skb, void *location,
	     enum skb_drop_reason reason, struct sock *rx_sk)
{
	if (!rx_sk)
		return 0;
	on_enqueue_failed(rx_sk, (__u64)rx_sk, (__u64)skb);
	return 0;
}

/* ---- t3: a recv*() returned ------------------------------------------- */

static __always_inline __u64 queue_head(__u64 skaddr)
{
	struct udp_sock *up = (void *)skaddr;
	struct sock *sk = (void *)skaddr;
	__u64 first = 0;

	/* udp_recvmsg() reads reader_queue first and refills it from
	 * sk_receive_queue; an empty list points at itself. */
	bpf_core_read(&first, sizeof(first), &up->reader_queue.next);
	if (first && first != (__u64)&up->reader_queue)
		return first;
	first = 0;
	bpf_core_read(&first, sizeof(first), &sk->sk_receive_queue.next);
	if (first && first != (__u64)&sk->sk_receive_queue)
		return first;
	return 0;
}

static __always_inline void deliver(struct ring_entry *e, __u64 now, __u64 skaddr, int len)
{
	struct sock *sk = (void *)skaddr;
	__u64 st[RX_NSTAGES];
	struct rx_event *ev;

	st[RX_ST_DRIVER] = e->t0 && e->t1 && e->t1 >= e->t0 ? e->t1 - e->t0 : RX_NO_VALUE;
	st[RX_ST_STACK] = e->t1 && e->t2 >= e->t1 ? e->t2 - e->t1 : RX_NO_VALUE;
	st[RX_ST_SOCKET] = now >= e->t2 ? now - e->t2 : 0;
	st[RX_ST_TOTAL] = e->t0 && now >= e->t0 ? now - e->t0 : RX_NO_VALUE;
	/* A missed t1 makes driver unknown but t0 still bounds the total; keep
	 * the stage sum equal to the total by folding driver into stack. */
	if (!e->t1 && e->t0 && e->t2 >= e->t0)
		st[RX_ST_STACK] = e->t2 - e->t0;

	count(RX_C_DELIVERED);
	if (!e->t0)
		count(RX_C_NO_FIRST);
	if (!e->t1)
		count(RX_C_NO_NETIF);
	if (aggregate) {
		for (int i = 0; i < RX_NSTAGES; i++)
			if (st[i] != RX_NO_VALUE)
				hist_add(i, st[i]);
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
		ev->stage_ns[i] = st[i];
	ev->pid = bpf_get_current_pid_tgid() >> 32;
	ev->tid = (__u32)bpf_get_current_pid_tgid();
	ev->netns = BPF_CORE_READ(sk, __sk_common.skc_net.net, ns.inum);
	ev->ifindex = e->ifindex;
	ev->len = len;
	ev->pkt_len = e->ulen >= 8 ? e->ulen - 8 : 0;
	ev->sport = e->sport;
	ev->dport = BPF_CORE_READ(sk, __sk_common.skc_num);
	ev->cpu_enq = e->cpu;
	ev->cpu_read = bpf_get_smp_processor_id();
	ev->flags = (e->flags & ENT_IPV6) ? RX_EV_IPV6 : 0;
	bpf_get_current_comm(ev->comm, sizeof(ev->comm));
	/* No wakeup: the loader polls. A wakeup per packet costs the traced
	 * ping-pong tens of microseconds. */
	bpf_ringbuf_submit(ev, BPF_RB_NO_WAKEUP);
}

static __always_inline void on_recv_done(void *sk, __u64 skaddr, int ret, int flags)
{
	struct sock_ring *r;
	struct ring_match m;
	__u64 now;
	bool hit;

	if (ret < 0 || (flags & (MSG_PEEK | MSG_ERRQUEUE)))
		return;
	r = ring_get(sk, skaddr, false);
	if (!r) {
		if (reader_wanted())
			count(RX_C_UNTRACKED_READ);
		return;
	}
	now = bpf_ktime_get_ns();
	hit = ring_match_read(r, queue_head(skaddr), now, &m);
	/* Unconditional: a branch on these would make the verifier track
	 * every count separately and explode the ring loops' state space. */
	count_n(RX_C_SKIPPED, m.skipped);
	if (!reader_wanted()) {
		if (hit)
			count(RX_C_FILTERED);
		return;
	}
	if (!hit) {
		count(RX_C_UNTRACKED_READ);
		return;
	}
	deliver(&m.ent, now, skaddr, ret);
}

SEC("tp_btf/sock_recv_length")
int BPF_PROG(tp_sock_recv_length, struct sock *sk, int ret, int flags)
{
	__u16 family;

	if (BPF_CORE_READ(sk, sk_protocol) != IPPROTO_UDP)
		return 0;
	family = BPF_CORE_READ(sk, __sk_common.skc_family);
	if (family != AF_INET && family != AF_INET6)
		return 0;
	on_recv_done(sk, (__u64)sk, ret, flags);
	return 0;
}

/* Linux 5.19 dropped udp_recvmsg()'s noblock argument: one wrapper each. */
SEC("fexit/udp_recvmsg")
int BPF_PROG(fexit_udp_recvmsg, struct sock *sk, struct msghdr *msg, size_t len,
	     int flags, int *addr_len, int ret)
{
	on_recv_done(sk, (__u64)sk, ret, flags);
	return 0;
}

SEC("fexit/udp_recvmsg")
int BPF_PROG(fexit_udp_recvmsg_noblock, struct sock *sk, struct msghdr *msg, size_t len,
	     int noblock, int flags, int *addr_len, int ret)
{
	on_recv_done(sk, (__u64)sk, ret, flags);
	return 0;
}

SEC("fexit/udpv6_recvmsg")
int BPF_PROG(fexit_udpv6_recvmsg, struct sock *sk, struct msghdr *msg, size_t len,
	     int flags, int *addr_len, int ret)
{
	on_recv_done(sk, (__u64)sk, ret, flags);
	return 0;
}

SEC("fexit/udpv6_recvmsg")
int BPF_PROG(fexit_udpv6_recvmsg_noblock, struct sock *sk, struct msghdr *msg, size_t len,
	     int noblock, int flags, int *addr_len, int ret)
{
	on_recv_done(sk, (__u64)sk, ret, flags);
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

const volatile bool recvmsg_has_noblock = false;

static __always_inline void stash_recv(struct pt_regs *ctx)
{
	__u64 id = bpf_get_current_pid_tgid();
	struct recv_args a = {
		.sk = PT_REGS_PARM1(ctx),
		.flags = recvmsg_has_noblock ? PT_REGS_PARM5(ctx) : PT_REGS_PARM4(ctx),
	};

	bpf_map_update_elem(&recv_stash, &id, &a, BPF_ANY);
}

static __always_inline void unstash_recv(int ret)
{
	__u64 id = bpf_get_current_pid_tgid();
	struct recv_args *a = bpf_map_lookup_elem(&recv_stash, &id);

	if (!a)
		return;
	on_recv_done((void *)a->sk, a->sk, ret, a->flags);
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
	ring_forget((__u64)sk);
	return 0;
}

SEC("kprobe/sk_free")
int BPF_KPROBE(kprobe_sk_free, struct sock *sk)
{
	ring_forget((__u64)sk);
	return 0;
}

/* ---- t0 and t1: the device hand-off and netif_receive_skb --------------- */

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

SEC("tp_btf/netif_receive_skb")
int BPF_PROG(tp_netif_receive_skb, struct sk_buff *skb)
{
	on_netif_receive(skb);
	return 0;
}
