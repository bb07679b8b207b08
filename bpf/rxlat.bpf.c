// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * rxlat's kernel side: stamps each UDP datagram and TCP segment at its
 * first sighting (t0), at netif_receive_skb (t1), at the socket enqueue
 * (t2) and when a read returns it (t3), and keeps the books on every
 * packet it saw.
 *
 * Each event has one handler (filters, rx_path, enqueue, deliver); the
 * per-hook programs below are thin wrappers, so the fentry, kprobe and
 * tracepoint/cgroup variants share all logic. The loader enables one
 * variant per stage.
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

/* udp_recvmsg()'s and tcp_recvmsg()'s arity: 6 before 5.19 (noblock),
 * 5 until 7.1, then 4. Set by the loader from the kernel's BTF. */
const volatile __u32 recvmsg_nargs = 5;
const volatile __u32 tcp_recvmsg_nargs = 5;

#include "stats.bpf.h"
#include "filters.bpf.h"
#include "skb_slots.bpf.h"
#include "sock_state.bpf.h"
#include "thread_state.bpf.h"
#include "rx_path.bpf.h"
#include "enqueue.bpf.h"
#include "deliver.bpf.h"

extern void *bpf_cast_to_kern_ctx(void *) __ksym __weak;

/* ======================= per-hook wrappers ============================== */

/* t0; GRO may merge what its entry points see into other packets */
SEC("tp_btf/netif_rx_entry")
int BPF_PROG(tp_netif_rx_entry, const struct sk_buff *skb)
{
	on_first_sighting(skb, false);
	return 0;
}

SEC("tp_btf/napi_gro_receive_entry")
int BPF_PROG(tp_napi_gro_receive_entry, const struct sk_buff *skb)
{
	on_first_sighting(skb, true);
	return 0;
}

SEC("tp_btf/netif_receive_skb_entry")
int BPF_PROG(tp_netif_receive_skb_entry, const struct sk_buff *skb)
{
	on_first_sighting(skb, false);
	return 0;
}

SEC("tp_btf/netif_receive_skb_list_entry")
int BPF_PROG(tp_netif_receive_skb_list_entry, const struct sk_buff *skb)
{
	on_first_sighting(skb, false);
	return 0;
}

SEC("tp_btf/napi_gro_frags_entry")
int BPF_PROG(tp_napi_gro_frags_entry, const struct sk_buff *skb)
{
	on_first_sighting(skb, true);
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
	on_enqueue_sk(sk, skb, false);
	return 0;
}

/* TCP's enqueue: where the stack takes the segment up for the socket,
 * directly or from the backlog of a socket its owner held. */
SEC("fentry/tcp_v4_do_rcv")
int BPF_PROG(fentry_tcp_v4_do_rcv, struct sock *sk, struct sk_buff *skb)
{
	on_enqueue_sk(sk, skb, true);
	return 0;
}

SEC("fentry/tcp_v6_do_rcv")
int BPF_PROG(fentry_tcp_v6_do_rcv, struct sock *sk, struct sk_buff *skb)
{
	on_enqueue_sk(sk, skb, true);
	return 0;
}

SEC("kprobe/tcp_v4_do_rcv")
int BPF_KPROBE(kprobe_tcp_v4_do_rcv, struct sock *sk, struct sk_buff *skb)
{
	on_enqueue_sk(sk, skb, true);
	return 0;
}

SEC("kprobe/tcp_v6_do_rcv")
int BPF_KPROBE(kprobe_tcp_v6_do_rcv, struct sock *sk, struct sk_buff *skb)
{
	on_enqueue_sk(sk, skb, true);
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

	on_enqueue_sk(sk, skb, false);
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
	struct seg_info si = {};
	struct sk_buff *skb;
	struct sock *ksk;
	__u8 h[16] = {};
	__u16 th, nh;
	__u32 off;

	if (!bsk)
		return 1;
	bsk = bpf_sk_fullsock(bsk);
	if (!bsk || (bsk->protocol != IPPROTO_UDP && bsk->protocol != IPPROTO_TCP))
		return 1;
	skb = bpf_cast_to_kern_ctx(ctx);
	ksk = skb->sk;
	if (!ksk)	/* the verifier wants the check before any use */
		return 1;
	th = skb->transport_header;
	nh = skb->network_header;
	off = (__u16)(th - nh);
	/* the program sees the packet from its network header on */
	bpf_skb_load_bytes(ctx, off, h, sizeof(h));
	si.head = (__u64)skb->head;
	si.ipv6 = ctx->protocol == bpf_htons(ETH_P_IPV6);
	si.tcp = bsk->protocol == IPPROTO_TCP;
	si.sport = (h[0] << 8) | h[1];
	if (si.tcp) {
		si.seq = ((__u32)h[4] << 24) | ((__u32)h[5] << 16) | ((__u32)h[6] << 8) | h[7];
		si.len = ctx->len - off - (h[12] >> 4) * 4;
	} else {
		si.len = (h[4] << 8) | h[5];
	}
	on_enqueue(bsk, (__u64)ksk, (__u16)bsk->src_port, (__u64)skb, &si);
	return 1;
}

/* Every drop: the kernel's reason (5.17+) and, from 6.11, the socket. */
SEC("tp_btf/kfree_skb")
int BPF_PROG(tp_kfree_skb, struct sk_buff *skb, void *location, enum skb_drop_reason reason)
{
	on_drop((__u64)skb, reason_of(reason, RX_REASON_UNKNOWN), no_socket_reason());
	return 0;
}

/* [start, end) of __udp4_lib_rcv and __udp6_lib_rcv, set by the loader
 * where kfree_skb has no reason argument. */
const volatile __u64 udp_rcv_lo[2] = {};
const volatile __u64 udp_rcv_hi[2] = {};

SEC("tp_btf/kfree_skb")
int BPF_PROG(tp_kfree_skb_noreason, struct sk_buff *skb, void *location)
{
	__u64 loc = (__u64)location;
	__u32 reason = RX_REASON_UNKNOWN;

	/* No reason codes before 5.17: a packet the UDP receive function
	 * itself frees before any socket had no socket to go to (or, rarely,
	 * a bad checksum or length: the same function frees those). */
	if ((loc >= udp_rcv_lo[0] && loc < udp_rcv_hi[0]) ||
	    (loc >= udp_rcv_lo[1] && loc < udp_rcv_hi[1]))
		reason = RX_REASON_UDP_NOSOCK;
	on_drop((__u64)skb, reason, RX_REASON_UDP_NOSOCK);
	return 0;
}

/* t3 */
SEC("tp_btf/sock_recv_length")
int BPF_PROG(tp_sock_recv_length, struct sock *sk, int ret, int flags)
{
	__u16 family, proto = BPF_CORE_READ(sk, sk_protocol);

	if (proto != IPPROTO_UDP && proto != IPPROTO_TCP)
		return 0;
	family = BPF_CORE_READ(sk, __sk_common.skc_family);
	if (family != AF_INET && family != AF_INET6)
		return 0;
	on_recv_done(sk, (__u64)sk, ret, flags, true, proto == IPPROTO_TCP);
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

static __always_inline void fexit_recvmsg(__u64 *ctx, __u32 nargs, bool tcp)
{
	struct sock *sk = (void *)ctx[0];
	int flags, ret;

	if (nargs == 6) {
		flags = (int)CTX_ARG(ctx, 4);
		ret = (int)CTX_ARG(ctx, 6);
	} else if (nargs == 5) {
		flags = (int)CTX_ARG(ctx, 3);
		ret = (int)CTX_ARG(ctx, 5);
	} else {
		flags = (int)CTX_ARG(ctx, 3);
		ret = (int)CTX_ARG(ctx, 4);
	}
	on_recv_done(sk, (__u64)sk, ret, flags, true, tcp);
}

SEC("fentry/skb_consume_udp")
int BPF_PROG(fentry_skb_consume_udp, struct sock *sk, struct sk_buff *skb, int len)
{
	on_udp_consume(sk, skb, len);
	return 0;
}

SEC("kprobe/skb_consume_udp")
int BPF_KPROBE(kprobe_skb_consume_udp, struct sock *sk, struct sk_buff *skb, int len)
{
	on_udp_consume(sk, skb, len);
	return 0;
}

SEC("fexit/tcp_recvmsg")
int fexit_tcp_recvmsg(__u64 *ctx)
{
	fexit_recvmsg(ctx, tcp_recvmsg_nargs, true);
	return 0;
}

struct recv_args {
	__u64 sk;
	__s32 flags;
	__u32 tcp;
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 8192);
	__type(key, __u64);
	__type(value, struct recv_args);
} recv_stash SEC(".maps");

static __always_inline void stash_recv(struct pt_regs *ctx, __u32 nargs, bool tcp)
{
	__u64 id = bpf_get_current_pid_tgid();
	__u64 p4 = PT_REGS_PARM4(ctx), p5 = PT_REGS_PARM5(ctx);
	struct recv_args a = { .sk = PT_REGS_PARM1(ctx), .tcp = tcp };

	/* Both loads first: selecting between two context offsets makes the
	 * compiler modify the context pointer, which older verifiers reject. */
	barrier_var(p4);
	barrier_var(p5);
	a.flags = nargs == 6 ? (int)p5 : (int)p4;
	bpf_map_update_elem(&recv_stash, &id, &a, BPF_ANY);
	on_recv_enter(NULL, (__u32)id);
}

static __always_inline void unstash_recv(int ret)
{
	__u64 id = bpf_get_current_pid_tgid();
	struct recv_args *a = bpf_map_lookup_elem(&recv_stash, &id);

	if (!a)
		return;
	on_recv_done((void *)a->sk, a->sk, ret, a->flags, false, a->tcp);
	bpf_map_delete_elem(&recv_stash, &id);
}

/* Entry into a UDP read (the socket-stage split); skb_consume_udp above
 * resolves the read itself. */
SEC("kprobe/udp_recvmsg")
int BPF_KPROBE(kprobe_udp_recvmsg)
{
	on_recv_enter(NULL, (__u32)bpf_get_current_pid_tgid());
	return 0;
}

SEC("kprobe/udpv6_recvmsg")
int BPF_KPROBE(kprobe_udpv6_recvmsg)
{
	on_recv_enter(NULL, (__u32)bpf_get_current_pid_tgid());
	return 0;
}

SEC("kprobe/tcp_recvmsg")
int BPF_KPROBE(kprobe_tcp_recvmsg)
{
	stash_recv(ctx, tcp_recvmsg_nargs, true);
	return 0;
}

SEC("kretprobe/tcp_recvmsg")
int BPF_KRETPROBE(kretprobe_tcp_recvmsg, int ret)
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

	/* the reader is off the CPU: a good moment for the histogram work,
	 * unless a read handler was preempted on this CPU (see read_enter) */
	if (cs && cs->p.n && !reads_under_way())
		flush_pending_now(0);
	on_switch_in(next, BPF_CORE_READ(next, pid));
	return 0;
}

/* Entry into a receive call: per-syscall tracepoints cost nothing to other
 * syscalls (a raw sys_enter hook would tax every syscall on the host). */
static __always_inline void recv_enter_current(void)
{
	on_recv_enter(thread_state_hash ? NULL : bpf_get_current_task_btf(),
		      (__u32)bpf_get_current_pid_tgid());
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

SEC("fentry/tcp_recvmsg")
int BPF_PROG(fentry_tcp_recvmsg)
{
	recv_enter_current();
	return 0;
}
