// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Probe what the running kernel allows and pick a hook per stage:
 * fentry, then kprobe, then tracepoint/cgroup.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/utsname.h>
#include <linux/bpf.h>
#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include "kbtf.h"
#include "plan.h"

const char *family_name(enum rx_hook_family f)
{
	switch (f) {
	case RX_HOOK_FENTRY: return "fentry";
	case RX_HOOK_KPROBE: return "kprobe";
	case RX_HOOK_TRACEPOINT: return "tracepoint";
	default: return "?";
	}
}

static int func_proto_vlen(const struct btf *btf, const char *name, int kind)
{
	const struct btf_type *t;
	int id = btf__find_by_name_kind(btf, name, kind);

	if (id < 0)
		return -1;
	t = btf__type_by_id(btf, id);
	/* FUNC -> FUNC_PROTO; TYPEDEF -> PTR -> FUNC_PROTO */
	while (t && !btf_is_func_proto(t))
		t = btf__type_by_id(btf, t->type);
	return t ? btf_vlen(t) : -1;
}

static bool has_tp(const struct btf *btf, const char *tp)
{
	char name[128];

	snprintf(name, sizeof(name), "btf_trace_%s", tp);
	return btf__find_by_name_kind(btf, name, BTF_KIND_TYPEDEF) >= 0;
}

/* Load a two-instruction fentry program: the only reliable test, since
 * some kernels refuse tracing programs by policy before verification. */
static void probe_fentry(struct kernel_caps *c, const struct btf *btf)
{
	struct bpf_insn insns[] = {
		{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_0, .imm = 0 },
		{ .code = BPF_JMP | BPF_EXIT },
	};
	LIBBPF_OPTS(bpf_prog_load_opts, opts, .expected_attach_type = BPF_TRACE_FENTRY);
	int id = btf__find_by_name_kind(btf, "__udp_enqueue_schedule_skb", BTF_KIND_FUNC);
	int fd;

	if (id < 0) {
		snprintf(c->fentry_why, sizeof(c->fentry_why),
			 "__udp_enqueue_schedule_skb not in the kernel's BTF");
		return;
	}
	opts.attach_btf_id = id;
	fd = bpf_prog_load(BPF_PROG_TYPE_TRACING, "rxlat_probe", "GPL", insns, 2, &opts);
	if (fd >= 0) {
		close(fd);
		c->fentry = true;
		return;
	}
	if (fd == -EPERM)
		snprintf(c->fentry_why, sizeof(c->fentry_why),
			 "the kernel refuses fentry programs (EPERM before verification: a security policy)");
	else
		snprintf(c->fentry_why, sizeof(c->fentry_why), "fentry program load failed: %s",
			 strerror(-fd));
}

static bool kallsyms_has(const char *sym)
{
	FILE *f = fopen("/proc/kallsyms", "r");
	char line[256], name[200];
	bool found = false;

	if (!f)
		return false;
	while (!found && fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%*s %*s %199s", name) == 1 && !strcmp(name, sym))
			found = true;
	}
	fclose(f);
	return found;
}

/*
 * Where __udp4_lib_rcv and __udp6_lib_rcv lie: from each start to the next
 * higher symbol. Two passes over /proc/kallsyms, only on kernels whose
 * kfree_skb has no reason. Left 0 (never matches) when unreadable.
 */
static void udp_rcv_ranges(struct kernel_caps *c)
{
	static const char *const names[2] = { "__udp4_lib_rcv", "__udp6_lib_rcv" };
	unsigned long long a;
	char line[256], name[200];
	FILE *f;

	for (int pass = 0; pass < 2; pass++) {
		f = fopen("/proc/kallsyms", "r");
		if (!f)
			return;
		while (fgets(line, sizeof(line), f)) {
			if (sscanf(line, "%llx %*s %199s", &a, name) != 2 || !a)
				continue;
			for (int i = 0; i < 2; i++) {
				if (pass == 0 && !strcmp(name, names[i]))
					c->udp_rcv_lo[i] = a;
				else if (pass == 1 && c->udp_rcv_lo[i] && a > c->udp_rcv_lo[i] &&
					 (!c->udp_rcv_hi[i] || a < c->udp_rcv_hi[i]))
					c->udp_rcv_hi[i] = a;
			}
		}
		fclose(f);
	}
	for (int i = 0; i < 2; i++)
		if (!c->udp_rcv_hi[i])
			c->udp_rcv_lo[i] = 0;
}

static void probe_kprobe(struct kernel_caps *c)
{
	if (access("/sys/bus/event_source/devices/kprobe/type", F_OK)) {
		snprintf(c->kprobe_why, sizeof(c->kprobe_why),
			 "no kprobe support (no kprobe PMU: kernel built without CONFIG_KPROBES)");
		return;
	}
	if (!kallsyms_has("__udp_enqueue_schedule_skb") || !kallsyms_has("skb_consume_udp") ||
	    !kallsyms_has("udp_recvmsg")) {
		snprintf(c->kprobe_why, sizeof(c->kprobe_why),
			 "__udp_enqueue_schedule_skb, skb_consume_udp or udp_recvmsg missing from /proc/kallsyms");
		return;
	}
	c->kprobe = true;
}

static void find_cgroup2(struct kernel_caps *c)
{
	FILE *f = fopen("/proc/self/mounts", "r");
	char dev[256], dir[PATH_MAX], type[64];

	c->cgroup2[0] = '\0';
	if (!f)
		return;
	while (fscanf(f, "%255s %4095s %63s %*[^\n]", dev, dir, type) == 3) {
		if (!strcmp(type, "cgroup2")) {
			snprintf(c->cgroup2, sizeof(c->cgroup2), "%s", dir);
			break;
		}
	}
	fclose(f);
}

int caps_probe(struct kernel_caps *c, char *err, size_t errlen)
{
	struct utsname u;
	const struct btf *btf;

	memset(c, 0, sizeof(*c));
	if (uname(&u) == 0)
		sscanf(u.release, "%d.%d", &c->major, &c->minor);
	if (c->major < RXLAT_MIN_MAJOR ||
	    (c->major == RXLAT_MIN_MAJOR && c->minor < RXLAT_MIN_MINOR)) {
		snprintf(err, errlen, "kernel %s is too old: rxlat needs Linux %d.%d or later",
			 u.release, RXLAT_MIN_MAJOR, RXLAT_MIN_MINOR);
		return -ENOTSUP;
	}
	btf = kernel_btf();
	if (!btf) {
		snprintf(err, errlen,
			 "no kernel BTF (/sys/kernel/btf/vmlinux): rxlat needs a kernel built with CONFIG_DEBUG_INFO_BTF=y");
		return -ENOTSUP;
	}
	c->btf = true;
	c->sk_storage_in_tracing = c->major > 5 || (c->major == 5 && c->minor >= 11);
	c->task_storage_in_tracing = c->major > 5 || (c->major == 5 && c->minor >= 12);
	c->tp_sock_recv_length = has_tp(btf, "sock_recv_length");
	c->tp_sk_data_ready = has_tp(btf, "sk_data_ready");
	/* the typedef's proto starts with the tracepoint's void *ctx */
	c->tp_kfree_skb_reason = func_proto_vlen(btf, "btf_trace_kfree_skb", BTF_KIND_TYPEDEF) >= 4;
	if (!c->tp_kfree_skb_reason)
		udp_rcv_ranges(c);
	c->kfunc_cast_to_kern_ctx =
		btf__find_by_name_kind(btf, "bpf_cast_to_kern_ctx", BTF_KIND_FUNC) >= 0;
	c->recvmsg_nargs = func_proto_vlen(btf, "udp_recvmsg", BTF_KIND_FUNC);
	c->consume_udp_nargs = func_proto_vlen(btf, "skb_consume_udp", BTF_KIND_FUNC);
	c->tcp_recvmsg_nargs = func_proto_vlen(btf, "tcp_recvmsg", BTF_KIND_FUNC);
	probe_fentry(c, btf);
	probe_kprobe(c);
	find_cgroup2(c);
	return 0;
}

/* Why the tracepoint/cgroup family cannot serve @stage here, or NULL. */
static const char *tracepoint_gap(const struct kernel_caps *c, int stage)
{
	if (stage == RX_ST_STACK) {
		if (!c->cgroup2[0])
			return "cgroup v2 is not mounted (mount -t cgroup2 none /sys/fs/cgroup)";
		if (!c->kfunc_cast_to_kern_ctx)
			return "the cgroup hook needs bpf_cast_to_kern_ctx (Linux 6.3+)";
		if (!c->sk_storage_in_tracing)
			return "socket storage in tracing programs needs Linux 5.11+";
		return NULL;
	}
	if (!c->tp_sock_recv_length)
		return "the sock:sock_recv_length tracepoint needs Linux 6.4+";
	return NULL;
}

static const char *family_gap(const struct kernel_caps *c, enum rx_hook_family f, int stage)
{
	if (stage == RX_ST_SOCKET && f != RX_HOOK_TRACEPOINT &&
	    (c->recvmsg_nargs < 4 || c->recvmsg_nargs > 6))
		return "udp_recvmsg() has an argument list rxlat does not know";
	if (stage == RX_ST_SOCKET && f != RX_HOOK_TRACEPOINT && c->consume_udp_nargs != 3)
		return "skb_consume_udp(sk, skb, len), where UDP reads are matched, is not in the kernel's BTF";
	switch (f) {
	case RX_HOOK_FENTRY: return c->fentry ? NULL : c->fentry_why;
	case RX_HOOK_KPROBE: return c->kprobe ? NULL : c->kprobe_why;
	case RX_HOOK_TRACEPOINT: return tracepoint_gap(c, stage);
	default: return "unknown hook family";
	}
}

int plan_hooks(struct hook_plan *p, const struct kernel_caps *c, enum hook_mode mode,
	       const bool refused[2][RX_NHOOK_FAMILIES], char *err, size_t errlen)
{
	/* stage index 0: enqueue (end of "stack"), 1: read return (end of "socket") */
	static const int stage_of[2] = { RX_ST_STACK, RX_ST_SOCKET };
	static const char *stage_name[2] = { "stack (socket enqueue)", "socket (read return)" };
	enum rx_hook_family chosen[2];

	memset(p, 0, sizeof(*p));
	for (int s = 0; s < 2; s++) {
		bool ok = false;
		size_t off = 0;

		for (int f = 0; f < RX_NHOOK_FAMILIES && !ok; f++) {
			const char *gap;

			if (mode != HOOKS_AUTO && f != (int)mode - 1)
				continue;
			gap = refused[s][f] ? "failed to load or attach" : family_gap(c, f, stage_of[s]);
			if (!gap) {
				chosen[s] = f;
				ok = true;
				break;
			}
			if (mode != HOOKS_AUTO) {
				snprintf(err, errlen, "--hooks %s cannot serve the %s stage: %s",
					 family_name(f), stage_name[s], gap);
				return -ENOTSUP;
			}
			off += snprintf(p->why[s] + off, off < sizeof(p->why[s]) ? sizeof(p->why[s]) - off : 0,
					"%s%s: %s", off ? "; " : "", family_name(f), gap);
		}
		if (!ok) {
			snprintf(err, errlen, "no hook can serve the %s stage: %s", stage_name[s], p->why[s]);
			return -ENOTSUP;
		}
	}
	p->enq = chosen[0];
	p->recv = chosen[1];
	p->sock_state_hash = p->enq == RX_HOOK_KPROBE || p->recv == RX_HOOK_KPROBE ||
			     !c->sk_storage_in_tracing;
	/* kretprobes have no task pointer to key task storage with */
	p->thread_state_hash = p->recv == RX_HOOK_KPROBE || !c->task_storage_in_tracing;
	if (p->sock_state_hash && !c->fentry && !c->kprobe) {
		snprintf(err, errlen, "address-keyed socket state needs fentry or kprobe on sk_free");
		return -ENOTSUP;
	}
	return 0;
}

void plan_describe_stage(const struct hook_plan *p, int stage, char *buf, size_t len)
{
	switch (stage) {
	case RX_ST_DRIVER:
		snprintf(buf, len, "tp_btf/{netif_rx,napi_gro_receive,netif_receive_skb,"
			 "netif_receive_skb_list,napi_gro_frags}_entry -> tp_btf/netif_receive_skb");
		break;
	case RX_ST_STACK:
		snprintf(buf, len, "tp_btf/netif_receive_skb -> %s",
			 p->enq == RX_HOOK_FENTRY ? "fentry/__udp_enqueue_schedule_skb" :
			 p->enq == RX_HOOK_KPROBE ? "kprobe/__udp_enqueue_schedule_skb" :
						    "cgroup_skb/ingress (cgroup-v2 root)");
		break;
	case RX_ST_SOCKET:
		snprintf(buf, len, "%s -> %s",
			 p->enq == RX_HOOK_FENTRY ? "fentry/__udp_enqueue_schedule_skb" :
			 p->enq == RX_HOOK_KPROBE ? "kprobe/__udp_enqueue_schedule_skb" :
						    "cgroup_skb/ingress",
			 p->recv == RX_HOOK_FENTRY ? "fentry/skb_consume_udp" :
			 p->recv == RX_HOOK_KPROBE ? "kprobe/skb_consume_udp" :
						     "tp_btf/sock_recv_length");
		break;
	default:
		snprintf(buf, len, "first sighting -> read return");
	}
}
