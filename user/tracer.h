/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* The BPF side's lifecycle: open, configure, load, attach, read, destroy. */
#ifndef RXLAT_TRACER_H
#define RXLAT_TRACER_H

#include <stddef.h>
#include <stdint.h>
#include <pthread.h>
#include "opts.h"
#include "plan.h"
#include "rxlat_abi.h"

struct rxlat_bpf;
struct bpf_link;

#define TRACER_MAX_LINKS 32

struct tracer {
	struct rxlat_bpf *skel;
	struct bpf_link *links[TRACER_MAX_LINKS];
	int nlinks;
	int cgroup_fd;
	int ncpus;
	struct kernel_caps caps;
	struct hook_plan plan;
	bool split;		/* split the socket stage (sched hooks) */
	bool tracefs;		/* tracefs reachable: classic tracepoints attach */
	bool tcp;		/* trace TCP as well as UDP */
	const struct cpu_stats *stats;	/* memory-mapped statistics, a row per CPU */
	size_t stats_len;
	void *scan_buf;		/* a chunk of the slot table, for counting */
	pthread_mutex_t read_lock;	/* the exporter's thread reads too */
	uint32_t nsets;
};

/* Everything the kernel side counted, summed over CPUs. */
struct tracer_counts {
	struct rx_counters c;
	struct rx_drops drops;
	uint64_t in_flight;	/* packets still tracked: before or in a socket */
	uint64_t in_socket;	/* of those, queued in a socket */
};

/* Probe, plan, load and attach. On failure, @err holds one line. */
int tracer_start(struct tracer *t, const struct rxlat_opts *o, char *err, size_t errlen);
/* Detach and free everything; safe on a partly started tracer. */
void tracer_stop(struct tracer *t);

/* Sum the per-CPU histograms and counters; count packets in flight. */
int tracer_read(struct tracer *t, struct rx_hist hists[RX_NSTAGES], struct tracer_counts *tc);
/* Stop every program (maps stay readable): the final read is then exact. */
void tracer_detach(struct tracer *t);
int tracer_events_fd(const struct tracer *t);

#endif
