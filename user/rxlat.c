// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* rxlat: where a UDP packet's receive latency goes, per stage. */
#include <errno.h>
#include <malloc.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/utsname.h>
#include <netinet/in.h>
#include <bpf/libbpf.h>
#include "environ.h"
#include "hist.h"
#include "kbtf.h"
#include "opts.h"
#include "pidwatch.h"
#include "prom.h"
#include "svg.h"
#include "compare.h"
#include "reasons.h"
#include "report.h"
#include "tracer.h"
#include "version.h"

static volatile sig_atomic_t exiting;
static bool verbose;

static void on_signal(int sig)
{
	exiting = sig;
}

static int libbpf_print(enum libbpf_print_level level, const char *fmt, va_list args)
{
	if (!verbose)
		return 0;
	return vfprintf(stderr, fmt, args);
}

static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

static int64_t wall_offset_ns(void)
{
	struct timespec rt, mt;

	clock_gettime(CLOCK_REALTIME, &rt);
	clock_gettime(CLOCK_MONOTONIC, &mt);
	return ((int64_t)rt.tv_sec - (int64_t)mt.tv_sec) * 1000000000LL +
	       ((int64_t)rt.tv_nsec - (int64_t)mt.tv_nsec);
}

struct session {
	const struct rxlat_opts *o;
	struct tracer t;
	struct ring_buffer *rb;
	int64_t wall_offset;
	struct rx_hist *now, *then, *diff;	/* RX_NSTAGES each */
	struct tracer_counts counts;
	struct pidwatch pids;
	struct groups *groups;		/* --by */
	struct svg_point *points;	/* --svg: one per interval */
	size_t npoints, cap_points;
	uint64_t start_ns;
	struct prom_server *prom;
};

/* The exporter's view: the session so far, read on its own thread. */
static int prom_snapshot(void *ctx, struct rx_hist hists[RX_NSTAGES], struct tracer_counts *tc)
{
	struct session *s = ctx;

	return tracer_read(&s->t, hists, tc);
}

static void remember_point(struct session *s, const struct rx_hist *h, uint64_t t)
{
	struct svg_point *p;

	if (!s->o->svg)
		return;
	if (s->npoints == s->cap_points) {
		size_t cap = s->cap_points ? 2 * s->cap_points : 64;
		struct svg_point *np = realloc(s->points, cap * sizeof(*np));

		if (!np)
			return;	/* the picture loses a point, nothing else */
		s->points = np;
		s->cap_points = cap;
	}
	p = &s->points[s->npoints++];
	p->t_s = (double)(t - s->start_ns) / 1e9;
	for (int i = 0; i < RX_NSTAGES; i++)
		hist_summarize(&h[i], &p->st[i]);
}

static int on_event(void *ctx, void *data, size_t size)
{
	struct session *s = ctx;

	if (size < sizeof(struct rx_event))
		return 0;
	if (s->groups)
		groups_add(s->groups, data);
	if (s->o->events)
		report_event(stdout, s->o, data, s->wall_offset);
	return 0;
}

static void install_signals(void)
{
	struct sigaction sa = { .sa_handler = on_signal };

	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
}

static int print_interval(struct session *s, uint64_t n, double elapsed)
{
	struct summary sum = { .counts = &s->counts, .elapsed_s = elapsed, .interval_no = n,
			       .groups = s->groups };
	int err = tracer_read(&s->t, s->now, &s->counts);

	if (err)
		return err;
	for (int i = 0; i < RX_NSTAGES; i++)
		hist_diff(&s->diff[i], &s->now[i], &s->then[i]);
	memcpy(s->then, s->now, sizeof(struct rx_hist) * RX_NSTAGES);
	sum.hists = s->diff;
	report_summary(stdout, s->o, &s->t.plan, &sum);
	remember_point(s, s->diff, mono_ns());
	return 0;
}

static int write_svg(struct session *s)
{
	struct stage_stats final[RX_NSTAGES];
	char err[256];

	for (int i = 0; i < RX_NSTAGES; i++)
		hist_summarize(&s->now[i], &final[i]);
	if (svg_write(s->o->svg, final, s->points, s->npoints, "rxlat: UDP receive latency by stage",
		      err, sizeof(err))) {
		fprintf(stderr, "rxlat: %s\n", err);
		return -1;
	}
	return 0;
}

static int run(struct session *s)
{
	const struct rxlat_opts *o = s->o;
	uint64_t start = s->start_ns = mono_ns(), last = start, intervals = 0;
	uint64_t end = o->duration_s ? start + o->duration_s * 1000000000ULL : 0;
	const struct timespec tick = { .tv_nsec = 50 * 1000 * 1000 };
	int err = 0;

	while (!exiting) {
		uint64_t t;

		/* Producers never wake us (BPF_RB_NO_WAKEUP): drain on a tick. */
		if (s->rb && ring_buffer__consume(s->rb) < 0 && errno != EINTR) {
			err = -errno;
			fprintf(stderr, "rxlat: reading events failed: %s\n", strerror(errno));
			break;
		}
		if (s->rb)
			fflush(stdout);
		t = mono_ns();
		if (o->interval_s && t - last >= o->interval_s * 1000000000ULL) {
			err = print_interval(s, ++intervals, (double)(t - last) / 1e9);
			if (err)
				break;
			last = t;
			if (o->count && intervals >= o->count)
				break;
		}
		if (end && t >= end)
			break;
		if (o->npids && !pidwatch_alive(&s->pids)) {
			fprintf(stderr, "rxlat: every traced process (-p) has exited\n");
			break;
		}
		nanosleep(&tick, NULL);
	}
	/* Stop the programs first: the final books are then exact. */
	tracer_detach(&s->t);
	if (s->rb)
		ring_buffer__consume(s->rb);
	if (!err) {
		struct summary sum = { .counts = &s->counts, .final = true, .groups = s->groups,
				       .elapsed_s = (double)(mono_ns() - start) / 1e9 };

		err = tracer_read(&s->t, s->now, &s->counts);
		if (!err) {
			sum.hists = s->now;
			report_summary(stdout, o, &s->t.plan, &sum);
		}
		if (!err && o->svg)
			err = write_svg(s);
	}
	return err;
}

int main(int argc, char **argv)
{
	struct rxlat_opts o;
	struct session s = { .o = &o };
	char err[512] = "";
	int ret;

	if (argc > 1 && !strcmp(argv[1], "compare"))
		return compare_main(argc - 1, argv + 1);
	ret = opts_parse(&o, argc, argv, stderr);
	if (ret != EXIT_OK || o.done)
		return ret;
	verbose = o.verbose;
	libbpf_set_print(libbpf_print);
	install_signals();

	s.now = calloc(3 * RX_NSTAGES, sizeof(struct rx_hist));
	if (!s.now) {
		fprintf(stderr, "rxlat: out of memory\n");
		return EXIT_RUNTIME;
	}
	s.then = s.now + RX_NSTAGES;
	s.diff = s.then + RX_NSTAGES;

	if (env_check_privileges(err, sizeof(err)) || env_check_memlock(err, sizeof(err))) {
		fprintf(stderr, "rxlat: %s\n", err);
		ret = EXIT_RUNTIME;
		goto cleanup;
	}
	/* Watch before attaching, so that a process that exits meanwhile is
	 * noticed rather than traced forever. */
	if (o.npids && !pidwatch_start(&s.pids, o.pids, o.npids)) {
		fprintf(stderr, "rxlat: no process given with -p is running any more\n");
		ret = EXIT_RUNTIME;
		goto cleanup;
	}
	if (tracer_start(&s.t, &o, err, sizeof(err))) {
		fprintf(stderr, "rxlat: %s\n", err);
		ret = EXIT_RUNTIME;
		goto cleanup;
	}
	if (o.by) {
		s.groups = groups_new(o.by);
		if (!s.groups) {
			fprintf(stderr, "rxlat: out of memory\n");
			ret = EXIT_RUNTIME;
			goto cleanup;
		}
	}
	if (o.events || o.by) {
		s.rb = ring_buffer__new(tracer_events_fd(&s.t), on_event, &s, NULL);
		if (!s.rb) {
			fprintf(stderr, "rxlat: cannot set up the event ring buffer: %s\n",
				strerror(errno));
			ret = EXIT_RUNTIME;
			goto cleanup;
		}
		if (o.events)
			report_events_header(stdout, &o);
	}
	s.wall_offset = wall_offset_ns();
	reasons_load();
	/* setup parsed the kernel's BTF (megabytes): give that memory back */
	kernel_btf_release();
	malloc_trim(0);
	{
		char d[256];

		fprintf(stderr, "rxlat: tracing %s receive latency; hooks (%s):\n",
			o.proto == IPPROTO_UDP ? "UDP" : o.proto == IPPROTO_TCP ? "TCP" : "UDP and TCP",
			hook_mode_name(o.hooks));
		for (int i = 0; i < RX_ST_TOTAL; i++) {
			plan_describe_stage(&s.t.plan, i, d, sizeof(d));
			fprintf(stderr, "rxlat:   %-7s %s\n", stage_names[i], d);
		}
		if (s.t.plan.why[0][0])
			fprintf(stderr, "rxlat:   (enqueue: passed over %s)\n", s.t.plan.why[0]);
		if (s.t.plan.why[1][0])
			fprintf(stderr, "rxlat:   (read: passed over %s)\n", s.t.plan.why[1]);
		fprintf(stderr, "rxlat: %s\n", o.duration_s ? "running" : "Ctrl-C to end");
	}
	if (o.prometheus) {
		struct utsname u;
		char enq[16], rd[16];
		struct prom_info info = {
			.version = RXLAT_VERSION, .libbpf = libbpf_version_string(),
			.hook_mode = hook_mode_name(o.hooks), .hook_enqueue = enq, .hook_read = rd,
		};

		uname(&u);
		info.kernel = u.release;
		snprintf(enq, sizeof(enq), "%s", family_name(s.t.plan.enq));
		snprintf(rd, sizeof(rd), "%s", family_name(s.t.plan.recv));
		s.prom = prom_start(o.prometheus, prom_snapshot, &s, &info, err, sizeof(err));
		if (!s.prom) {
			fprintf(stderr, "rxlat: %s\n", err);
			ret = EXIT_RUNTIME;
			goto cleanup;
		}
		fprintf(stderr, "rxlat: serving Prometheus metrics on port %u at /metrics\n",
			prom_port(s.prom));
	}
	ret = run(&s) ? EXIT_RUNTIME : EXIT_OK;

cleanup:
	prom_stop(s.prom);
	ring_buffer__free(s.rb);
	tracer_stop(&s.t);
	pidwatch_stop(&s.pids);
	groups_free(s.groups);
	free(s.points);
	free(s.now);
	return ret;
}
