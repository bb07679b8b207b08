// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sched.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include "rxlat.skel.h"
#include "hist.h"
#include "kbtf.h"
#include "reasons.h"
#include "tracer.h"

/* What each program does, so the plan can switch it on or off. */
enum prog_role {
	ROLE_FIRST,		/* t0 entry tracepoints */
	ROLE_NETIF,		/* t1 */
	ROLE_XMIT,		/* a device sends a tracked packet away */
	ROLE_ENQ,		/* t2 */
	ROLE_ENQ_FAIL,		/* drops right after t2 */
	ROLE_KFREE,		/* kfree_skb with a drop reason (5.17+) */
	ROLE_KFREE_NOREASON,	/* kfree_skb before 5.17 */
	ROLE_RECV,		/* t3 */
	ROLE_SK_FREE,		/* address-keyed state cleanup */
	ROLE_SOFTIRQ,		/* NET_RX softirq start: splits driver */
	ROLE_DATA_READY,	/* data-ready callbacks: wakeups for data */
	ROLE_SCHED,		/* wakeups and switches: split socket */
	ROLE_RECV_ENTER,	/* entry into a receive call: splits socket */
	ROLE_ENQ_TCP,		/* t2 for TCP (the cgroup program serves both) */
	ROLE_RECV_TCP,		/* t3 for TCP (sock_recv_length serves both) */
	ROLE_RECV_ENTER_TCP,
};

struct prog_desc {
	const char *name;
	enum prog_role role;
	int family;		/* -1: any */
	const char *tp;		/* tracepoint it needs, if any */
};

static const struct prog_desc progs[] = {
	{ "tp_netif_rx_entry", ROLE_FIRST, -1, "netif_rx_entry" },
	{ "tp_napi_gro_receive_entry", ROLE_FIRST, -1, "napi_gro_receive_entry" },
	{ "tp_netif_receive_skb_entry", ROLE_FIRST, -1, "netif_receive_skb_entry" },
	{ "tp_netif_receive_skb_list_entry", ROLE_FIRST, -1, "netif_receive_skb_list_entry" },
	{ "tp_napi_gro_frags_entry", ROLE_FIRST, -1, "napi_gro_frags_entry" },
	{ "tp_netif_receive_skb", ROLE_NETIF, -1, "netif_receive_skb" },
	{ "tp_net_dev_start_xmit", ROLE_XMIT, -1, "net_dev_start_xmit" },
	{ "fentry_udp_enqueue", ROLE_ENQ, RX_HOOK_FENTRY, NULL },
	{ "kprobe_udp_enqueue", ROLE_ENQ, RX_HOOK_KPROBE, NULL },
	{ "fentry_tcp_v4_do_rcv", ROLE_ENQ_TCP, RX_HOOK_FENTRY, NULL },
	{ "fentry_tcp_v6_do_rcv", ROLE_ENQ_TCP, RX_HOOK_FENTRY, NULL },
	{ "kprobe_tcp_v4_do_rcv", ROLE_ENQ_TCP, RX_HOOK_KPROBE, NULL },
	{ "kprobe_tcp_v6_do_rcv", ROLE_ENQ_TCP, RX_HOOK_KPROBE, NULL },
	{ "cg_ingress", ROLE_ENQ, RX_HOOK_TRACEPOINT, NULL },
	{ "fexit_udp_enqueue", ROLE_ENQ_FAIL, RX_HOOK_FENTRY, NULL },
	{ "kretprobe_udp_enqueue", ROLE_ENQ_FAIL, RX_HOOK_KPROBE, NULL },
	{ "tp_kfree_skb", ROLE_KFREE, -1, "kfree_skb" },
	{ "tp_kfree_skb_noreason", ROLE_KFREE_NOREASON, -1, "kfree_skb" },
	{ "tp_sock_recv_length", ROLE_RECV, RX_HOOK_TRACEPOINT, "sock_recv_length" },
	{ "fentry_skb_consume_udp", ROLE_RECV, RX_HOOK_FENTRY, NULL },
	{ "fexit_tcp_recvmsg", ROLE_RECV_TCP, RX_HOOK_FENTRY, NULL },
	{ "kprobe_tcp_recvmsg", ROLE_RECV_TCP, RX_HOOK_KPROBE, NULL },
	{ "kretprobe_tcp_recvmsg", ROLE_RECV_TCP, RX_HOOK_KPROBE, NULL },
	{ "kprobe_skb_consume_udp", ROLE_RECV, RX_HOOK_KPROBE, NULL },
	{ "kprobe_udp_recvmsg", ROLE_RECV_ENTER, RX_HOOK_KPROBE, NULL },
	{ "kprobe_udpv6_recvmsg", ROLE_RECV_ENTER, RX_HOOK_KPROBE, NULL },
	{ "fentry_sk_free", ROLE_SK_FREE, RX_HOOK_FENTRY, NULL },
	{ "kprobe_sk_free", ROLE_SK_FREE, RX_HOOK_KPROBE, NULL },
	{ "tp_softirq_entry", ROLE_SOFTIRQ, -1, "softirq_entry" },
	{ "tp_sk_data_ready", ROLE_DATA_READY, RX_HOOK_TRACEPOINT, "sk_data_ready" },
	{ "fentry_sock_def_readable", ROLE_DATA_READY, RX_HOOK_FENTRY, NULL },
	{ "kprobe_sock_def_readable", ROLE_DATA_READY, RX_HOOK_KPROBE, NULL },
	{ "tp_sched_waking", ROLE_SCHED, -1, "sched_waking" },
	{ "tp_sched_switch", ROLE_SCHED, -1, "sched_switch" },
	{ "tp_enter_recvfrom", ROLE_RECV_ENTER, RX_HOOK_TRACEPOINT, NULL },
	{ "tp_enter_recvmsg", ROLE_RECV_ENTER, RX_HOOK_TRACEPOINT, NULL },
	{ "tp_enter_recvmmsg", ROLE_RECV_ENTER, RX_HOOK_TRACEPOINT, NULL },
	{ "fentry_udp_recvmsg", ROLE_RECV_ENTER, RX_HOOK_FENTRY, NULL },
	{ "fentry_udpv6_recvmsg", ROLE_RECV_ENTER, RX_HOOK_FENTRY, NULL },
	{ "fentry_tcp_recvmsg", ROLE_RECV_ENTER_TCP, RX_HOOK_FENTRY, NULL },
};

static const struct prog_desc *desc_of(const struct bpf_program *prog)
{
	const char *name = bpf_program__name(prog);

	for (size_t i = 0; i < sizeof(progs) / sizeof(progs[0]); i++)
		if (!strcmp(progs[i].name, name))
			return &progs[i];
	return NULL;
}

static bool tp_exists(const char *tp)
{
	/* a missing btf_trace_ typedef means a missing tracepoint */
	const struct btf *btf = kernel_btf();
	char name[128];

	if (!btf)
		return false;
	snprintf(name, sizeof(name), "btf_trace_%s", tp);
	return btf__find_by_name_kind(btf, name, BTF_KIND_TYPEDEF) >= 0;
}

/* Stage index (0 enqueue, 1 read) a role belongs to, -1 if shared. */
static int role_stage(enum prog_role r)
{
	switch (r) {
	case ROLE_ENQ: case ROLE_ENQ_FAIL: case ROLE_ENQ_TCP: return 0;
	case ROLE_RECV: case ROLE_RECV_TCP: return 1;
	default: return -1;
	}
}

static bool wanted(const struct prog_desc *d, const struct tracer *t)
{
	const struct hook_plan *p = &t->plan;
	const struct kernel_caps *c = &t->caps;
	int sk_free_family;

	if (d->tp && !tp_exists(d->tp))
		return false;
	switch (d->role) {
	case ROLE_FIRST:
	case ROLE_NETIF:
	case ROLE_XMIT:
		return true;
	case ROLE_ENQ:
	case ROLE_ENQ_FAIL:
		return d->family == (int)p->enq;
	case ROLE_KFREE:
		return c->tp_kfree_skb_reason;
	case ROLE_KFREE_NOREASON:
		return !c->tp_kfree_skb_reason;
	case ROLE_RECV:
		return d->family == (int)p->recv;
	case ROLE_SK_FREE:
		if (!p->sock_state_hash)
			return false;
		sk_free_family = c->fentry ? RX_HOOK_FENTRY : RX_HOOK_KPROBE;
		return d->family == sk_free_family;
	case ROLE_SOFTIRQ:
		return true;
	case ROLE_DATA_READY:
		/* the tracepoint where the kernel has it, else the callback */
		if (!t->split)
			return false;
		if (c->tp_sk_data_ready)
			return d->family == RX_HOOK_TRACEPOINT;
		return d->family == (c->fentry ? RX_HOOK_FENTRY : RX_HOOK_KPROBE);
	case ROLE_SCHED:
		return t->split;
	case ROLE_RECV_ENTER:
		if (!t->split || d->family != (int)p->recv)
			return false;
		return d->family != RX_HOOK_TRACEPOINT || t->tracefs;
	case ROLE_ENQ_TCP:
		return t->tcp && d->family == (int)p->enq;
	case ROLE_RECV_TCP:
		return t->tcp && d->family == (int)p->recv;
	case ROLE_RECV_ENTER_TCP:
		return t->tcp && t->split && d->family == (int)p->recv;
	}
	return false;
}

static int configure(struct tracer *t, const struct rxlat_opts *o)
{
	struct rxlat_bpf *s = t->skel;
	struct rxlat_bpf__rodata *ro = s->rodata;
	struct bpf_program *prog;
	int err;

	for (uint32_t i = 0; i < o->npids; i++)
		ro->filter_pids[i] = o->pids[i];
	ro->n_filter_pids = o->npids;
	if (o->have_comm) {
		memcpy((char *)ro->filter_comm, o->comm, sizeof(o->comm));
		ro->have_filter_comm = true;
	}
	ro->port_lo = o->port_lo;
	ro->port_hi = o->port_hi;
	ro->want_family = (uint8_t)o->family;
	/* --by aggregates per-packet records in user space */
	ro->emit_events = o->events || o->by;
	ro->sample_every = o->sample;
	ro->aggregate = true;
	ro->slot_set_shift = 32 - (uint32_t)__builtin_ctz(o->slots / SLOT_WAYS);
	t->nsets = o->slots / SLOT_WAYS;
	ro->sock_state_hash = t->plan.sock_state_hash;
	for (int i = 0; i < 2; i++) {
		ro->udp_rcv_lo[i] = t->caps.udp_rcv_lo[i];
		ro->udp_rcv_hi[i] = t->caps.udp_rcv_hi[i];
	}
	ro->thread_state_hash = t->plan.thread_state_hash;
	ro->split_socket = t->split;
	ro->filter_netns = o->netns;
	ro->recvmsg_nargs = (uint32_t)t->caps.recvmsg_nargs;
	ro->tcp_recvmsg_nargs = (uint32_t)t->caps.tcp_recvmsg_nargs;
	ro->want_proto = (uint8_t)o->proto;

	err = bpf_map__set_max_entries(s->maps.slot_sets, o->slots / SLOT_WAYS);
	if (!err)
		err = bpf_map__set_max_entries(s->maps.stats, (uint32_t)t->ncpus);
	if (!err)
		err = bpf_map__set_max_entries(s->maps.events,
					       o->events || o->by ? (uint32_t)o->ringbuf_size : 4096);
	if (!err && t->plan.sock_state_hash)
		err = bpf_map__set_max_entries(s->maps.sock_states_h, o->sockets);
	if (!err && t->plan.thread_state_hash)
		err = bpf_map__set_max_entries(s->maps.thread_states_h, o->sockets);
	/* Kernels before 5.11 have no task storage at all: the map could not
	 * even be created. Its uses are dead code there (thread_state_hash),
	 * so any creatable stand-in of the same shape does. */
	if (!err && libbpf_probe_bpf_map_type(BPF_MAP_TYPE_TASK_STORAGE, NULL) <= 0) {
		err = bpf_map__set_type(s->maps.thread_states, BPF_MAP_TYPE_HASH);
		if (!err)
			err = bpf_map__set_max_entries(s->maps.thread_states, 1);
	}
	if (err)
		return err;

	bpf_object__for_each_program(prog, s->obj) {
		const struct prog_desc *d = desc_of(prog);

		bpf_program__set_autoload(prog, d && wanted(d, t));
	}
	return 0;
}

/*
 * Attach order: the hooks that finish a packet before the ones that start
 * it. A packet stamped at the enqueue while the read hook is not attached
 * yet would have its read go unseen, and on the tracepoint path (where a
 * read is paired through the socket's queue) every later read of that
 * socket would be paired with the packet before it. Attached in this
 * order, a packet is only ever started when every hook that can end it
 * is in place.
 */
static int attach_rank(enum prog_role r)
{
	switch (r) {
	case ROLE_FIRST: return 3;
	case ROLE_NETIF: case ROLE_XMIT: return 2;
	case ROLE_ENQ: case ROLE_ENQ_TCP: return 1;
	default: return 0;	/* reads, drops, frees, the split's hooks */
	}
}

static int attach_all(struct tracer *t, int *failed_stage, char *err, size_t errlen)
{
	struct bpf_program *prog;

	for (int rank = 0; rank <= 3; rank++) {
		bpf_object__for_each_program(prog, t->skel->obj) {
			const struct prog_desc *d = desc_of(prog);
			struct bpf_link *link;

			if (!bpf_program__autoload(prog) || attach_rank(d->role) != rank)
				continue;
			if (t->nlinks >= TRACER_MAX_LINKS) {
				snprintf(err, errlen, "too many programs to attach");
				return -E2BIG;
			}
			if (d->role == ROLE_ENQ && d->family == RX_HOOK_TRACEPOINT)
				link = bpf_program__attach_cgroup(prog, t->cgroup_fd);
			else
				link = bpf_program__attach(prog);
			if (!link) {
				int e = -errno;

				*failed_stage = role_stage(d->role);
				snprintf(err, errlen, "cannot attach %s (%s): %s",
					 bpf_program__name(prog), bpf_program__section_name(prog),
					 strerror(-e));
				return e;
			}
			t->links[t->nlinks++] = link;
		}
	}
	return 0;
}

void tracer_detach(struct tracer *t)
{
	while (t->nlinks > 0)
		bpf_link__destroy(t->links[--t->nlinks]);
}

static void teardown(struct tracer *t)
{
	tracer_detach(t);
	free(t->scan_buf);
	t->scan_buf = NULL;
	if (t->stats)
		munmap((void *)t->stats, t->stats_len);
	t->stats = NULL;
	rxlat_bpf__destroy(t->skel);
	t->skel = NULL;
	if (t->cgroup_fd >= 0)
		close(t->cgroup_fd);
	t->cgroup_fd = -1;
}

static const char *load_hint(int e)
{
	switch (e) {
	case -EPERM:
	case -EACCES:
		/* as root this is the verifier or a policy saying no */
		return geteuid() ? " (rxlat needs root, or CAP_BPF and CAP_PERFMON)" : "";
	case -ENOMEM:
		return " (locked-memory limit too low? try ulimit -l unlimited)";
	default:
		return "";
	}
}

/*
 * Classic tracepoints (the syscall-entry ones) are attached by id, which
 * libbpf reads from tracefs. If tracefs is not mounted, mount it in a
 * mount namespace of rxlat's own: the host sees no change, and the mount
 * goes away with rxlat.
 */
static bool ensure_tracefs(void)
{
	if (!access("/sys/kernel/tracing/events", F_OK) ||
	    !access("/sys/kernel/debug/tracing/events", F_OK))
		return true;
	if (unshare(CLONE_NEWNS) ||
	    mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) ||
	    mount("tracefs", "/sys/kernel/tracing", "tracefs", 0, NULL))
		return false;
	return !access("/sys/kernel/tracing/events", F_OK);
}

int tracer_start(struct tracer *t, const struct rxlat_opts *o, char *err, size_t errlen)
{
	bool refused[2][RX_NHOOK_FAMILIES] = {};
	int e;

	memset(t, 0, sizeof(*t));
	t->cgroup_fd = -1;
	pthread_mutex_init(&t->read_lock, NULL);
	t->split = !o->no_split;
	t->tcp = o->proto != 17;	/* IPPROTO_UDP */
	/* without it the split misses receive-call entries: worse, not wrong */
	t->tracefs = ensure_tracefs();
	t->ncpus = libbpf_num_possible_cpus();
	if (t->ncpus <= 0) {
		snprintf(err, errlen, "cannot count possible CPUs");
		return -EINVAL;
	}
	e = caps_probe(&t->caps, err, errlen);
	if (e)
		return e;

	/* In auto mode a family that fails to load or attach is passed over
	 * for its stage and the next one tried. */
	for (int attempt = 0; attempt < 2 * RX_NHOOK_FAMILIES; attempt++) {
		int failed_stage = -1;

		e = plan_hooks(&t->plan, &t->caps, o->hooks, refused, err, errlen);
		if (e)
			return e;
		t->skel = rxlat_bpf__open();
		if (!t->skel) {
			e = -errno;
			snprintf(err, errlen, "cannot open the BPF object: %s", strerror(-e));
			return e;
		}
		e = configure(t, o);
		if (e) {
			snprintf(err, errlen, "cannot configure the BPF object: %s", strerror(-e));
			teardown(t);
			return e;
		}
		if (t->plan.enq == RX_HOOK_TRACEPOINT) {
			t->cgroup_fd = open(t->caps.cgroup2, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
			if (t->cgroup_fd < 0) {
				e = -errno;
				snprintf(err, errlen, "cannot open cgroup-v2 root %s: %s",
					 t->caps.cgroup2, strerror(-e));
				teardown(t);
				return e;
			}
		}
		/* libbpf parses the kernel's BTF again for its relocations:
		 * drop rxlat's copy first (megabytes), after the last use */
		reasons_load();
		kernel_btf_release();
		malloc_trim(0);
		e = rxlat_bpf__load(t->skel);
		if (e) {
			snprintf(err, errlen, "cannot load the BPF programs: %s%s (run with -v for the verifier log)",
				 strerror(-e), load_hint(e));
			/* which family failed is unknown at load: retry only
			 * by giving up the least portable one in use */
			if (o->hooks == HOOKS_AUTO && (t->plan.enq == RX_HOOK_FENTRY ||
						       t->plan.recv == RX_HOOK_FENTRY)) {
				refused[0][RX_HOOK_FENTRY] = refused[1][RX_HOOK_FENTRY] = true;
				teardown(t);
				continue;
			}
			teardown(t);
			return e;
		}
		e = attach_all(t, &failed_stage, err, errlen);
		if (!e)
			break;
		teardown(t);
		if (o->hooks != HOOKS_AUTO || failed_stage < 0)
			return e;
		refused[failed_stage][failed_stage ? t->plan.recv : t->plan.enq] = true;
	}
	if (!t->skel)
		return e ? e : -EINVAL;

	/* Read the statistics in place, not per syscall. */
	t->stats_len = ((size_t)t->ncpus * sizeof(struct cpu_stats) + 4095) & ~(size_t)4095;
	t->stats = mmap(NULL, t->stats_len, PROT_READ, MAP_SHARED,
			bpf_map__fd(t->skel->maps.stats), 0);
	if (t->stats == MAP_FAILED) {
		e = -errno;
		t->stats = NULL;
		snprintf(err, errlen, "cannot map the statistics: %s", strerror(-e));
		tracer_stop(t);
		return e;
	}
	return 0;
}

void tracer_stop(struct tracer *t)
{
	teardown(t);
}

/*
 * Count packets still tracked by scanning the slot table in chunks. Not
 * through a memory map: scanning one would make the whole table (megabytes)
 * resident in rxlat, and a map's pages cannot be dropped again.
 */
#define SCAN_CHUNK 256

static int tracer_read_locked(struct tracer *t, struct rx_hist hists[RX_NSTAGES],
			      struct tracer_counts *tc);

static int count_in_flight(struct tracer *t, struct tracer_counts *tc)
{
	int fd = bpf_map__fd(t->skel->maps.slot_sets);
	uint32_t keys[SCAN_CHUNK], count, batch = 0;
	bool first = true;
	int err;

	if (!t->scan_buf) {
		t->scan_buf = malloc(SCAN_CHUNK * sizeof(struct slot_set));
		if (!t->scan_buf)
			return -ENOMEM;
	}
	for (;;) {
		LIBBPF_OPTS(bpf_map_batch_opts, opts);

		count = SCAN_CHUNK;
		err = bpf_map_lookup_batch(fd, first ? NULL : &batch, &batch, keys, t->scan_buf,
					   &count, &opts);
		if (err && errno != ENOENT)
			return -errno;
		for (uint32_t i = 0; i < count; i++) {
			const struct slot_set *set = &((const struct slot_set *)t->scan_buf)[i];

			for (int w = 0; w < SLOT_WAYS; w++) {
				uint8_t state = set->state[w];

				/* GRO segments merged into other packets were never
				 * counted: they are not in flight either */
				if (state == SLOT_RX && (set->w[w].flags & SLOT_F_GRO))
					continue;
				tc->in_flight += state == SLOT_RX || state == SLOT_QUEUED;
				tc->in_socket += state == SLOT_QUEUED;
			}
		}
		if (err)	/* ENOENT: that was the last chunk */
			return 0;
		first = false;
	}
}

int tracer_read(struct tracer *t, struct rx_hist hists[RX_NSTAGES], struct tracer_counts *tc)
{
	int err;

	pthread_mutex_lock(&t->read_lock);
	err = tracer_read_locked(t, hists, tc);
	pthread_mutex_unlock(&t->read_lock);
	return err;
}

static int tracer_read_locked(struct tracer *t, struct rx_hist hists[RX_NSTAGES],
			      struct tracer_counts *tc)
{
	memset(hists, 0, sizeof(struct rx_hist) * RX_NSTAGES);
	memset(tc, 0, sizeof(*tc));
	/* Per-CPU values may be "negative" (a packet counted as forwarded
	 * on one CPU and taken back on another): unsigned sums wrap right. */
	for (int cpu = 0; cpu < t->ncpus; cpu++) {
		const struct cpu_stats *cs = &t->stats[cpu];

		for (int s = 0; s < RX_NSTAGES; s++)
			hist_merge(&hists[s], &cs->h[s]);
		/* measured packets whose histogram update is still pending */
		for (uint32_t k = 0; k < cs->p.n && k < RX_PENDING; k++)
			for (int s = 0; s < RX_NSTAGES; s++)
				if (cs->p.valid[k] & (1u << s))
					hist_add_value(&hists[s], cs->p.st[k][s]);
		for (int i = 0; i < RX_NCOUNTERS; i++)
			tc->c.c[i] += cs->c.c[i];
		for (int st = 0; st < RX_NDROP_STAGES; st++)
			for (int r = 0; r < RX_NREASONS; r++)
				tc->drops.n[st][r] += cs->d.n[st][r];
	}
	return count_in_flight(t, tc);
	return 0;
}

int tracer_events_fd(const struct tracer *t)
{
	return bpf_map__fd(t->skel->maps.events);
}
