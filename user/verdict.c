// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <inttypes.h>
#include <string.h>
#include "hist.h"
#include "verdict.h"

/* A finding: one sentence, and the numbers behind it. */
struct finding {
	const char *id;
	char text[320];
	/* cited values: stage name and which percentile, in ns or percent */
	struct cite { const char *what; uint64_t value; const char *unit; } cite[4];
	int ncite;
};

struct verdict {
	struct stage_stats st[RX_NSTAGES];
	uint64_t woken, woken_cross, multipass, measured;
	struct finding f[8];
	int nf;
};

static double us(uint64_t ns)
{
	return (double)ns / 1000.0;
}

static struct finding *add(struct verdict *v, const char *id)
{
	struct finding *f = &v->f[v->nf++];

	memset(f, 0, sizeof(*f));
	f->id = id;
	return f;
}

static void cite(struct finding *f, const char *what, uint64_t value, const char *unit)
{
	f->cite[f->ncite++] = (struct cite){ what, value, unit };
}

static uint64_t pct(uint64_t part, uint64_t whole)
{
	return whole ? (part * 100 + whole / 2) / whole : 0;
}

/*
 * The rules. Shares compare medians of per-packet stages, which is what the
 * table shows; the bypass and busy-poll estimates are per-packet sums
 * measured directly (stages "bypass" and "busypoll"), not sums of medians.
 */
static void judge(struct verdict *v, const struct rx_hist *h, const struct tracer_counts *tc)
{
	const struct stage_stats *st = v->st;
	const struct stage_stats *total = &st[RX_ST_TOTAL], *sock = &st[RX_ST_SOCKET];
	struct finding *f;

	for (int i = 0; i < RX_NSTAGES; i++)
		hist_summarize(&h[i], &v->st[i]);
	v->woken = tc->c.c[RX_C_WOKEN];
	v->woken_cross = tc->c.c[RX_C_WOKEN_CROSS_CPU];
	v->multipass = tc->c.c[RX_C_MULTIPASS];
	v->measured = tc->c.c[RX_C_DELIVERED];

	if (!total->count) {
		f = add(v, "no-data");
		snprintf(f->text, sizeof(f->text),
			 "no packet was measured end to end; nothing to conclude");
		return;
	}
	if (st[RX_ST_BYPASS].count) {
		f = add(v, "bypass");
		snprintf(f->text, sizeof(f->text),
			 "kernel bypass (DPDK, netmap, Onload, AF_XDP) would remove the driver, stack, "
			 "wakeup and system-call time: %.1f us of %.1f us at p50 (%" PRIu64 "%%), "
			 "%.1f us of %.1f us at p99",
			 us(st[RX_ST_BYPASS].p50), us(total->p50), pct(st[RX_ST_BYPASS].p50, total->p50),
			 us(st[RX_ST_BYPASS].p99), us(total->p99));
		cite(f, "bypass.p50", st[RX_ST_BYPASS].p50, "ns");
		cite(f, "total.p50", total->p50, "ns");
		cite(f, "bypass.p99", st[RX_ST_BYPASS].p99, "ns");
		cite(f, "total.p99", total->p99, "ns");
	}
	if (st[RX_ST_BUSYPOLL].count) {
		f = add(v, "busypoll");
		snprintf(f->text, sizeof(f->text),
			 "busy polling (SO_BUSY_POLL, net.core.busy_read) would remove the softirq "
			 "scheduling delay and the wakeup: %.1f us at p50, %.1f us at p99",
			 us(st[RX_ST_BUSYPOLL].p50), us(st[RX_ST_BUSYPOLL].p99));
		cite(f, "busypoll.p50", st[RX_ST_BUSYPOLL].p50, "ns");
		cite(f, "busypoll.p99", st[RX_ST_BUSYPOLL].p99, "ns");
	}
	if (st[RX_ST_QUEUED].count && sock->p50 && st[RX_ST_QUEUED].p50 * 2 > sock->p50) {
		f = add(v, "queued");
		snprintf(f->text, sizeof(f->text),
			 "the application is the bottleneck: packets wait %.1f us (p50) in the socket "
			 "queue while the reader is busy elsewhere, %" PRIu64 "%% of the socket stage "
			 "(%.1f us); a faster stack or bypass will not help, a faster or parallel "
			 "reader will",
			 us(st[RX_ST_QUEUED].p50), pct(st[RX_ST_QUEUED].p50, sock->p50), us(sock->p50));
		cite(f, "queued.p50", st[RX_ST_QUEUED].p50, "ns");
		cite(f, "socket.p50", sock->p50, "ns");
	}
	if (st[RX_ST_WAKEUP].count && sock->p50 && st[RX_ST_WAKEUP].p50 * 3 > sock->p50 &&
	    v->woken) {
		uint64_t cross = pct(v->woken_cross, v->woken);

		f = add(v, "wakeup");
		snprintf(f->text, sizeof(f->text),
			 "waking the reader dominates: wakeup %.1f us (p50) of a %.1f us socket stage; "
			 "%" PRIu64 "%% of wakeups crossed CPUs. %s",
			 us(st[RX_ST_WAKEUP].p50), us(sock->p50), cross,
			 cross >= 50 ? "Pin the reader to the CPU that receives its packets "
				       "(IRQ/RPS affinity) or busy-poll"
				     : "Busy-poll, or keep the reader's CPU from idling deeply");
		cite(f, "wakeup.p50", st[RX_ST_WAKEUP].p50, "ns");
		cite(f, "socket.p50", sock->p50, "ns");
		cite(f, "cross_cpu_wakeups", cross, "%");
	}
	if (st[RX_ST_IRQ].count && st[RX_ST_DRIVER].p99 &&
	    st[RX_ST_IRQ].p99 * 2 > st[RX_ST_DRIVER].p99 && st[RX_ST_IRQ].p99 > 10000) {
		f = add(v, "softirq");
		snprintf(f->text, sizeof(f->text),
			 "softirq scheduling delay drives the driver stage's tail: %.1f us of %.1f us "
			 "at p99; consider threaded NAPI, IRQ affinity or busy polling",
			 us(st[RX_ST_IRQ].p99), us(st[RX_ST_DRIVER].p99));
		cite(f, "irq.p99", st[RX_ST_IRQ].p99, "ns");
		cite(f, "driver.p99", st[RX_ST_DRIVER].p99, "ns");
	}
	if (v->multipass && st[RX_ST_CROSSING].count) {
		f = add(v, "containers");
		snprintf(f->text, sizeof(f->text),
			 "%" PRIu64 "%% of packets crossed into another network namespace; forwarding "
			 "took %.1f us and the crossing %.1f us at p50 (%.1f / %.1f us at p99), on top "
			 "of a second pass through the stack",
			 pct(v->multipass, v->measured), us(st[RX_ST_FORWARD].p50),
			 us(st[RX_ST_CROSSING].p50), us(st[RX_ST_FORWARD].p99),
			 us(st[RX_ST_CROSSING].p99));
		cite(f, "forward.p50", st[RX_ST_FORWARD].p50, "ns");
		cite(f, "crossing.p50", st[RX_ST_CROSSING].p50, "ns");
		cite(f, "multipass_share", pct(v->multipass, v->measured), "%");
	}
}

void verdict_text(FILE *out, const struct rx_hist hists[RX_NSTAGES], const struct tracer_counts *tc)
{
	struct verdict v = {};

	judge(&v, hists, tc);
	fputs("\nverdict:\n", out);
	for (int i = 0; i < v.nf; i++)
		fprintf(out, "  - %s\n", v.f[i].text);
}

void verdict_json(FILE *out, const struct rx_hist hists[RX_NSTAGES], const struct tracer_counts *tc)
{
	struct verdict v = {};

	judge(&v, hists, tc);
	fputs("{\"findings\":[", out);
	for (int i = 0; i < v.nf; i++) {
		const struct finding *f = &v.f[i];

		fprintf(out, "%s{\"id\":\"%s\",\"text\":\"", i ? "," : "", f->id);
		/* the texts are ours: plain ASCII without quotes or backslashes */
		fputs(f->text, out);
		fputs("\",\"cites\":{", out);
		for (int k = 0; k < f->ncite; k++)
			fprintf(out, "%s\"%s\":%" PRIu64, k ? "," : "", f->cite[k].what, f->cite[k].value);
		fputs("}}", out);
	}
	fputs("]}", out);
}
