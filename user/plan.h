/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
#ifndef RXLAT_PLAN_H
#define RXLAT_PLAN_H

#include <limits.h>
#include <stdbool.h>
#include "opts.h"
#include "rxlat_abi.h"

/* What the running kernel allows, probed once at start. */
struct kernel_caps {
	int major, minor;
	bool btf;
	bool fentry;
	char fentry_why[160];	/* why not, when !fentry */
	bool kprobe;
	char kprobe_why[160];
	bool tp_sock_recv_length;
	bool tp_kfree_skb_reason;	/* kfree_skb(skb, location, reason...): 5.17+ */
	bool kfunc_cast_to_kern_ctx;
	int recvmsg_nargs;		/* udp_recvmsg(): 6 before 5.19, 4 from 7.2 */
	/* [start, end) of __udp4_lib_rcv, __udp6_lib_rcv (kernels without drop reasons) */
	uint64_t udp_rcv_lo[2], udp_rcv_hi[2];
	int consume_udp_nargs;	/* skb_consume_udp(): 3, or -1 if absent */
	int tcp_recvmsg_nargs;		/* tcp_recvmsg(), likewise */
	bool sk_storage_in_tracing;	/* 5.11+ */
	bool task_storage_in_tracing;	/* 5.12+ */
	bool tp_sk_data_ready;		/* sock:sk_data_ready, 6.5+ */
	char cgroup2[PATH_MAX];		/* cgroup-v2 mount, "" if none */
};

/* Which hook family serves the socket enqueue and read-return stamps. */
struct hook_plan {
	enum rx_hook_family enq;
	enum rx_hook_family recv;
	bool sock_state_hash;		/* address-keyed socket table */
	bool thread_state_hash;		/* thread-id-keyed thread table */
	char why[2][200];		/* for auto: what was passed over and why */
};

/* Minimum kernel: BTF-typed tracepoints, ring buffer, CO-RE (see README). */
#define RXLAT_MIN_MAJOR 5
#define RXLAT_MIN_MINOR 10

int caps_probe(struct kernel_caps *c, char *err, size_t errlen);

/*
 * Choose hooks for @mode. Families the kernel refuses are passed over in
 * auto mode; a forced family that is refused is an error whose reason is
 * written to @err. @refused marks families that failed to load or attach
 * in an earlier attempt.
 */
int plan_hooks(struct hook_plan *p, const struct kernel_caps *c, enum hook_mode mode,
	       const bool refused[2][RX_NHOOK_FAMILIES], char *err, size_t errlen);

const char *family_name(enum rx_hook_family f);
/* Human-readable hook names per stage, for the output. */
void plan_describe_stage(const struct hook_plan *p, int stage, char *buf, size_t len);

#endif
