// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <inttypes.h>
#include <string.h>
#include <time.h>
#include "hist.h"
#include "reasons.h"
#include "verdict.h"
#include "report.h"

const char *const stage_names[RX_NSTAGES] = {
	[RX_ST_DRIVER] = "driver",
	[RX_ST_STACK] = "stack",
	[RX_ST_SOCKET] = "socket",
	[RX_ST_TOTAL] = "total",
	[RX_ST_QUEUED] = "queued",
	[RX_ST_WAKEUP] = "wakeup",
	[RX_ST_RETURN] = "return",
	[RX_ST_IRQ] = "irq",
	[RX_ST_POLL] = "poll",
	[RX_ST_FORWARD] = "forward",
	[RX_ST_CROSSING] = "crossing",
	[RX_ST_BYPASS] = "bypass",
	[RX_ST_BUSYPOLL] = "busypoll",
	[RX_ST_HOL] = "hol",
};

/* Sub-stages print under the stage they split, indented. */
static const int stage_parent[RX_NSTAGES] = {
	[RX_ST_DRIVER] = -1, [RX_ST_STACK] = -1, [RX_ST_SOCKET] = -1, [RX_ST_TOTAL] = -1,
	[RX_ST_QUEUED] = RX_ST_SOCKET, [RX_ST_WAKEUP] = RX_ST_SOCKET, [RX_ST_RETURN] = RX_ST_SOCKET,
	[RX_ST_IRQ] = RX_ST_DRIVER, [RX_ST_POLL] = RX_ST_DRIVER,
	[RX_ST_FORWARD] = RX_ST_STACK, [RX_ST_CROSSING] = RX_ST_STACK,
	[RX_ST_BYPASS] = -1, [RX_ST_BUSYPOLL] = -1, [RX_ST_HOL] = RX_ST_SOCKET,
};

/* Table order: each main stage followed by its parts, then the estimates. */
static const int stage_order[RX_NSTAGES] = {
	RX_ST_DRIVER, RX_ST_IRQ, RX_ST_POLL, RX_ST_STACK, RX_ST_FORWARD, RX_ST_CROSSING,
	RX_ST_SOCKET, RX_ST_HOL, RX_ST_QUEUED, RX_ST_WAKEUP, RX_ST_RETURN, RX_ST_TOTAL,
	RX_ST_BYPASS, RX_ST_BUSYPOLL,
};

void json_string(FILE *out, const char *s, size_t maxlen)
{
	fputc('"', out);
	for (size_t i = 0; i < maxlen && s[i]; i++) {
		unsigned char ch = (unsigned char)s[i];

		if (ch == '"' || ch == '\\')
			fprintf(out, "\\%c", ch);
		else if (ch < 0x20 || ch >= 0x7f)
			fprintf(out, "\\u%04x", ch);
		else
			fputc(ch, out);
	}
	fputc('"', out);
}

/*
 * The books. Every packet seen ends in one outcome or is still in flight;
 * "balance" is what the outcomes fail to explain, and must be 0.
 */
struct books {
	uint64_t seen, copies, splits, sampled_out, seen_at_socket, delivered, measured, filtered, unmeasured;
	uint64_t gro_packets, gro_segments, busy_polled, tcp, hol, woken, woken_cross;
	uint64_t dropped, not_local, forwarded, no_socket, evicted, vanished, in_flight, in_socket;
	int64_t balance;
	uint64_t untracked, lost_ringbuf, state_fail, lost, no_first, no_netif, passes;
	uint64_t by_stage[RX_NDROP_STAGES];
};

static void books_of(const struct tracer_counts *tc, struct books *b)
{
	const __u64 *c = tc->c.c;

	memset(b, 0, sizeof(*b));
	b->seen = c[RX_C_SEEN];
	b->copies = c[RX_C_COPIES];
	b->splits = c[RX_C_SPLITS];
	b->sampled_out = c[RX_C_SAMPLED_OUT];
	b->gro_packets = c[RX_C_GRO_PACKETS];
	b->gro_segments = c[RX_C_GRO_SEGMENTS];
	b->busy_polled = c[RX_C_BUSY_POLLED];
	b->tcp = c[RX_C_TCP];
	b->hol = c[RX_C_HOL];
	b->woken = c[RX_C_WOKEN];
	b->woken_cross = c[RX_C_WOKEN_CROSS_CPU];
	b->seen_at_socket = c[RX_C_SEEN_AT_SOCKET];
	b->measured = c[RX_C_DELIVERED];
	b->filtered = c[RX_C_FILTERED];
	b->unmeasured = c[RX_C_UNMEASURED];
	b->delivered = b->measured + b->filtered + b->unmeasured;
	b->dropped = c[RX_C_DROPPED];
	b->forwarded = c[RX_C_FORWARDED];
	b->no_socket = c[RX_C_NO_SOCKET];
	b->not_local = b->forwarded + b->no_socket;
	b->evicted = c[RX_C_EVICTED];
	b->vanished = c[RX_C_VANISHED];
	b->in_flight = tc->in_flight;
	b->in_socket = tc->in_socket;
	/* a multicast packet is seen once and delivered once per socket; a
	 * packet of several datagrams once, and delivered once per datagram
	 * where the socket cuts it up */
	b->balance = (int64_t)(b->seen + b->copies + b->splits - b->delivered - b->dropped - b->not_local -
			       b->evicted - b->vanished - b->in_flight);
	b->untracked = c[RX_C_UNTRACKED_READ];
	b->lost_ringbuf = c[RX_C_LOST_EVENTS];
	b->state_fail = c[RX_C_SOCK_STATE_FAIL];
	b->lost = b->lost_ringbuf + b->state_fail + b->evicted;
	b->no_first = c[RX_C_NO_FIRST];
	b->no_netif = c[RX_C_NO_NETIF];
	b->passes = c[RX_C_PASSES];
	for (int st = 0; st < RX_NDROP_STAGES; st++)
		for (int r = 0; r < RX_NREASONS; r++)
			b->by_stage[st] += tc->drops.n[st][r];
}

static const char *const drop_stage_names[RX_NDROP_STAGES] = { "driver", "stack", "socket" };

static void json_drops(FILE *out, const struct tracer_counts *tc, const struct books *b)
{
	bool first = true;

	fputs(",\"drop_reasons\":{", out);
	for (int r = 0; r < RX_NREASONS; r++) {
		uint64_t n = 0;

		for (int st = 0; st < RX_NDROP_STAGES; st++)
			n += tc->drops.n[st][r];
		if (!n)
			continue;
		fprintf(out, "%s\"%s\":%" PRIu64, first ? "" : ",", reason_name((unsigned)r), n);
		first = false;
	}
	fputs("},\"drop_stages\":{", out);
	for (int st = 0; st < RX_NDROP_STAGES; st++) {
		bool f2 = true;

		fprintf(out, "%s\"%s\":{\"count\":%" PRIu64 ",\"reasons\":{", st ? "," : "",
			drop_stage_names[st], b->by_stage[st]);
		for (int r = 0; r < RX_NREASONS; r++) {
			if (!tc->drops.n[st][r])
				continue;
			fprintf(out, "%s\"%s\":%" PRIu64, f2 ? "" : ",", reason_name((unsigned)r),
				(uint64_t)tc->drops.n[st][r]);
			f2 = false;
		}
		fputs("}}", out);
	}
	fputc('}', out);
}

static void json_stage(FILE *out, const struct rx_hist *h)
{
	struct stage_stats s;

	hist_summarize(h, &s);
	fprintf(out,
		"{\"count\":%" PRIu64 ",\"min_ns\":%" PRIu64 ",\"mean_ns\":%" PRIu64
		",\"p50_ns\":%" PRIu64 ",\"p90_ns\":%" PRIu64 ",\"p99_ns\":%" PRIu64
		",\"p999_ns\":%" PRIu64 ",\"max_ns\":%" PRIu64,
		s.count, s.min, s.mean, s.p50, s.p90, s.p99, s.p999, s.max);
}

static void json_log2(FILE *out, const struct rx_hist *h)
{
	uint64_t l2[64] = {};
	bool first = true;

	for (uint32_t i = 0; i < RX_HIST_NBUCKETS; i++)
		if (h->bucket[i])
			l2[hist_bucket_lo(i) ? rx_log2(hist_bucket_lo(i)) + 1 : 0] += h->bucket[i];
	fputs(",\"log2_ns\":[", out);
	for (int k = 0; k < 64; k++) {
		if (!l2[k])
			continue;
		fprintf(out, "%s[%" PRIu64 ",%" PRIu64 ",%" PRIu64 "]", first ? "" : ",",
			k ? (uint64_t)1 << (k - 1) : 0, k ? ((uint64_t)1 << k) - 1 : 0, l2[k]);
		first = false;
	}
	fputc(']', out);
}

static void json_summary(FILE *out, const struct rxlat_opts *o, const struct hook_plan *p,
			 const struct summary *s)
{
	struct books b;
	char desc[256];

	books_of(s->counts, &b);
	fprintf(out, "{\"type\":\"summary\",\"final\":%s,\"interval\":%" PRIu64
		",\"elapsed_s\":%.3f,\"time\":%lld,",
		s->final ? "true" : "false", s->interval_no, s->elapsed_s, (long long)time(NULL));
	fprintf(out,
		"\"packets\":{\"seen\":%" PRIu64 ",\"delivered\":%" PRIu64 ",\"dropped\":%" PRIu64
		",\"not_local\":%" PRIu64 ",\"evicted\":%" PRIu64 ",\"vanished\":%" PRIu64 ",\"in_flight\":%" PRIu64
		",\"balance\":%" PRId64
		",\"measured\":%" PRIu64 ",\"filtered\":%" PRIu64 ",\"unmeasured\":%" PRIu64
		",\"forwarded\":%" PRIu64 ",\"no_socket\":%" PRIu64 ",\"in_socket\":%" PRIu64
		",\"seen_at_socket\":%" PRIu64 ",\"untracked_reads\":%" PRIu64
		",\"no_first_sighting\":%" PRIu64 ",\"no_netif_receive\":%" PRIu64
		",\"extra_passes\":%" PRIu64 ",\"copies\":%" PRIu64 ",\"splits\":%" PRIu64 ",\"sampled_out\":%" PRIu64 ",\"gro_packets\":%" PRIu64
		",\"gro_segments\":%" PRIu64 ",\"busy_polled\":%" PRIu64 ",\"tcp_segments\":%" PRIu64
		",\"behind_gap\":%" PRIu64 ",\"woken\":%" PRIu64 ",\"woken_cross_cpu\":%" PRIu64
		",\"lost_events\":%" PRIu64 ",\"lost\":{\"ringbuf\":%" PRIu64 ",\"table_full\":%" PRIu64
		",\"socket_state\":%" PRIu64 "}",
		b.seen, b.delivered, b.dropped, b.not_local, b.evicted, b.vanished, b.in_flight, b.balance,
		b.measured, b.filtered, b.unmeasured, b.forwarded, b.no_socket, b.in_socket,
		b.seen_at_socket, b.untracked, b.no_first, b.no_netif, b.passes, b.copies, b.splits, b.sampled_out,
		b.gro_packets, b.gro_segments, b.busy_polled, b.tcp, b.hol, b.woken, b.woken_cross,
		b.lost, b.lost_ringbuf, b.evicted, b.state_fail);
	json_drops(out, s->counts, &b);
	fputs("},", out);
	fputs("\"stages\":{", out);
	for (int i = 0; i < RX_NSTAGES; i++) {
		if (i >= RX_NMAIN_STAGES && !s->hists[i].count)
			continue;
		fprintf(out, "%s\"%s\":", i ? "," : "", stage_names[i]);
		json_stage(out, &s->hists[i]);
		if (o->hist)
			json_log2(out, &s->hists[i]);
		fputc('}', out);
	}
	fprintf(out, "},\"hooks\":{\"mode\":\"%s\",\"enqueue\":\"%s\",\"read\":\"%s\"",
		hook_mode_name(o->hooks), family_name(p->enq), family_name(p->recv));
	for (int i = 0; i < RX_ST_TOTAL; i++) {
		plan_describe_stage(p, i, desc, sizeof(desc));
		fprintf(out, ",\"%s\":", stage_names[i]);
		json_string(out, desc, sizeof(desc));
	}
	if (p->why[0][0] || p->why[1][0]) {
		fputs(",\"passed_over\":{\"enqueue\":", out);
		json_string(out, p->why[0], sizeof(p->why[0]));
		fputs(",\"read\":", out);
		json_string(out, p->why[1], sizeof(p->why[1]));
		fputc('}', out);
	}
	fprintf(out, ",\"socket_state\":\"%s\"}", p->sock_state_hash ? "hash" : "sk_storage");
	if (s->groups) {
		fputs(",\"groups\":", out);
		groups_json(out, s->groups);
	}
	if (o->verdict && s->final) {
		fputs(",\"verdict\":", out);
		verdict_json(out, s->hists, s->counts);
	}
	fputs("}\n", out);
}

static void us(char *buf, size_t len, uint64_t ns, bool valid)
{
	if (!valid)
		snprintf(buf, len, "-");
	else
		snprintf(buf, len, "%" PRIu64 ".%03" PRIu64, ns / 1000, ns % 1000);
}

void report_log2_hist(FILE *out, const struct rx_hist *h, const char *unit)
{
	uint64_t l2[64] = {}, peak = 0;
	int lo = -1, hi = -1;

	for (uint32_t i = 0; i < RX_HIST_NBUCKETS; i++)
		if (h->bucket[i])
			l2[hist_bucket_lo(i) ? rx_log2(hist_bucket_lo(i)) + 1 : 0] += h->bucket[i];
	for (int k = 0; k < 64; k++) {
		if (!l2[k])
			continue;
		if (lo < 0)
			lo = k;
		hi = k;
		if (l2[k] > peak)
			peak = l2[k];
	}
	if (lo < 0)
		return;
	fprintf(out, "%24s : count    distribution\n", unit);
	for (int k = lo; k <= hi; k++) {
		uint64_t a = k ? (uint64_t)1 << (k - 1) : 0, b = k ? ((uint64_t)1 << k) - 1 : 0;
		int stars = (int)(l2[k] * 40 / peak);

		fprintf(out, "%10" PRIu64 " -> %-10" PRIu64 " : %-8" PRIu64 " |%-*.*s%*s|\n", a, b,
			l2[k], stars, stars, "****************************************", 40 - stars, "");
	}
}

static void text_summary(FILE *out, const struct rxlat_opts *o, const struct hook_plan *p,
			 const struct summary *s)
{
	struct books b;
	char desc[256];

	books_of(s->counts, &b);
	if (s->final)
		fprintf(out, "\nSummary over %.1f s\n", s->elapsed_s);
	else {
		char ts[16];
		time_t now = time(NULL);

		strftime(ts, sizeof(ts), "%H:%M:%S", localtime(&now));
		fprintf(out, "\n%s  interval %" PRIu64 " (%.1f s)\n", ts, s->interval_no, s->elapsed_s);
	}
	fprintf(out, "packets: %" PRIu64 " seen", b.seen);
	if (b.copies)
		fprintf(out, " + %" PRIu64 " multicast copies", b.copies);
	if (b.splits)
		fprintf(out, " + %" PRIu64 " datagrams split off", b.splits);
	fprintf(out, " = %" PRIu64 " delivered + %" PRIu64 " dropped + %" PRIu64 " not local + %"
		PRIu64 " evicted", b.delivered, b.dropped, b.not_local, b.evicted);
	if (b.vanished)
		fprintf(out, " + %" PRIu64 " vanished", b.vanished);
	fprintf(out, " + %" PRIu64 " in flight", b.in_flight);
	if (b.balance)
		fprintf(out, " (unbalanced by %" PRId64 ")", b.balance);
	fputc('\n', out);
	fprintf(out, "         %" PRIu64 " measured", b.measured);
	if (b.filtered)
		fprintf(out, ", %" PRIu64 " read by processes the filters exclude", b.filtered);
	if (b.unmeasured)
		fprintf(out, ", %" PRIu64 " read unpaired", b.unmeasured);
	if (b.untracked)
		fprintf(out, "; %" PRIu64 " reads of packets queued before tracing", b.untracked);
	if (b.tcp)
		fprintf(out, "; %" PRIu64 " TCP segments (%" PRIu64 " behind a gap)", b.tcp, b.hol);
	if (b.gro_packets)
		fprintf(out, "; GRO merged %" PRIu64 " segments into %" PRIu64 " packets",
			b.gro_segments, b.gro_packets);
	if (b.busy_polled)
		fprintf(out, "; %" PRIu64 " reached a reader already waiting in recv (busy polling)",
			b.busy_polled);
	if (b.woken)
		fprintf(out, "; %" PRIu64 " woke their reader (%" PRIu64 " from another CPU)", b.woken,
			b.woken_cross);
	fputc('\n', out);
	if (b.dropped) {
		fprintf(out, "drops:  ");
		for (int st = 0; st < RX_NDROP_STAGES; st++) {
			for (int r = 0; r < RX_NREASONS; r++) {
				if (s->counts->drops.n[st][r])
					fprintf(out, " %s/%s %" PRIu64, drop_stage_names[st],
						reason_name((unsigned)r),
						(uint64_t)s->counts->drops.n[st][r]);
			}
		}
		fputc('\n', out);
	}
	if (b.not_local)
		fprintf(out, "not local: %" PRIu64 " forwarded, %" PRIu64 " for no socket\n",
			b.forwarded, b.no_socket);
	fprintf(out, "lost events: %" PRIu64 "\n", b.lost);
	if (b.lost_ringbuf)
		fprintf(out, "warning: %" PRIu64 " per-packet events lost: raise --ringbuf-size or "
			"--sample\n", b.lost_ringbuf);
	if (b.sampled_out)
		fprintf(out, "sampled: %" PRIu64 " measured packets without a per-packet record "
			"(--sample)\n", b.sampled_out);
	if (b.vanished)
		fprintf(out, "note: %" PRIu64 " packets left by a path no hook reports (outcome "
			"unknown)\n", b.vanished);
	if (b.evicted)
		fprintf(out, "warning: %" PRIu64 " packets lost their stamps to a full table: raise --slots\n",
			b.evicted);
	if (b.state_fail)
		fprintf(out, "warning: %" PRIu64 " packets found no socket state: raise --sockets\n",
			b.state_fail);
	fprintf(out, "%-10s %10s %10s %10s %10s %10s %10s %10s %10s  (usecs)\n", "stage", "count",
		"min", "mean", "p50", "p90", "p99", "p99.9", "max");
	for (int k = 0; k < RX_NSTAGES; k++) {
		int i = stage_order[k];
		struct stage_stats st;
		char c[8][24], name[16];

		if (i >= RX_NMAIN_STAGES && !s->hists[i].count)
			continue;
		snprintf(name, sizeof(name), "%s%s", stage_parent[i] >= 0 ? "  " : "", stage_names[i]);
		hist_summarize(&s->hists[i], &st);
		us(c[0], sizeof(c[0]), st.min, st.count);
		us(c[1], sizeof(c[1]), st.mean, st.count);
		us(c[2], sizeof(c[2]), st.p50, st.count);
		us(c[3], sizeof(c[3]), st.p90, st.count);
		us(c[4], sizeof(c[4]), st.p99, st.count);
		us(c[5], sizeof(c[5]), st.p999, st.count);
		us(c[6], sizeof(c[6]), st.max, st.count);
		fprintf(out, "%-10s %10" PRIu64 " %10s %10s %10s %10s %10s %10s %10s\n", name,
			st.count, c[0], c[1], c[2], c[3], c[4], c[5], c[6]);
	}
	if (o->hist) {
		for (int i = 0; i < RX_NSTAGES; i++) {
			if (!s->hists[i].count)
				continue;
			fprintf(out, "\n%s:\n", stage_names[i]);
			report_log2_hist(out, &s->hists[i], "nsecs");
		}
	}
	if (s->groups)
		groups_text(out, s->groups);
	if (o->verdict && s->final)
		verdict_text(out, s->hists, s->counts);
	if (s->final) {
		fputs("hooks:\n", out);
		for (int i = 0; i < RX_ST_TOTAL; i++) {
			plan_describe_stage(p, i, desc, sizeof(desc));
			fprintf(out, "  %-7s %s\n", stage_names[i], desc);
		}
	}
}

void report_summary(FILE *out, const struct rxlat_opts *o, const struct hook_plan *p,
		    const struct summary *s)
{
	if (o->json)
		json_summary(out, o, p, s);
	else
		text_summary(out, o, p, s);
	fflush(out);
}

void report_events_header(FILE *out, const struct rxlat_opts *o)
{
	if (o->json)
		return;
	fprintf(out, "%-15s %-7s %-7s %-15s %5s %5s %7s %9s %9s %9s %9s\n", "TIME", "PID", "TID",
		"COMM", "SPORT", "DPORT", "CPU", "DRIVER", "STACK", "SOCKET", "TOTAL");
}

void report_event(FILE *out, const struct rxlat_opts *o, const struct rx_event *e,
		  int64_t wall_offset_ns)
{
	/* wraps rather than overflows on garbage stamps */
	int64_t wall = (int64_t)(e->ts_ns + (uint64_t)wall_offset_ns);
	char comm[RX_COMM_LEN + 1];

	if (o->json) {
		fprintf(out, "{\"type\":\"packet\",\"time_ns\":%lld,\"pid\":%u,\"tid\":%u,\"comm\":",
			(long long)wall, e->pid, e->tid);
		json_string(out, e->comm, RX_COMM_LEN);
		fprintf(out, ",\"proto\":\"%s\",\"segs\":%u,\"woken\":%s,\"wake_cross_cpu\":%s"
			",\"busy_polled\":%s,\"copy\":%s,\"out_of_order\":%s",
			e->flags & RX_EV_TCP ? "tcp" : "udp", e->segs,
			e->flags & RX_EV_WOKEN ? "true" : "false",
			e->flags & RX_EV_WAKE_CROSS_CPU ? "true" : "false",
			e->flags & RX_EV_BUSY_POLLED ? "true" : "false",
			e->flags & RX_EV_COPY ? "true" : "false",
			e->flags & RX_EV_OOO ? "true" : "false");
		fprintf(out, ",\"passes\":%u,\"netns_first\":%u,\"ifindex_last\":%u", e->passes,
			e->netns_first, e->ifindex_last);
		fprintf(out, ",\"family\":%d,\"sport\":%u,\"dport\":%u,\"len\":%u,\"pkt_len\":%u"
			",\"netns\":%u,\"ifindex\":%u,\"cpu_enqueue\":%u,\"cpu_read\":%u",
			e->flags & RX_EV_IPV6 ? 6 : 4, e->sport, e->dport, e->len, e->pkt_len, e->netns,
			e->ifindex, e->cpu_enq, e->cpu_read);
		for (int i = 0; i < RX_NSTAGES; i++) {
			if (e->stage_ns[i] == RX_NO_VALUE)
				fprintf(out, ",\"%s_ns\":null", stage_names[i]);
			else
				fprintf(out, ",\"%s_ns\":%llu", stage_names[i],
					(unsigned long long)e->stage_ns[i]);
		}
		fputs("}\n", out);
		return;
	}
	{
		time_t secs = (time_t)(wall / 1000000000);
		struct tm tm;
		char ts[16], cpu[16], st[RX_NSTAGES][24];

		if (!localtime_r(&secs, &tm) || !strftime(ts, sizeof(ts), "%H:%M:%S", &tm))
			snprintf(ts, sizeof(ts), "??:??:??");
		memcpy(comm, e->comm, RX_COMM_LEN);
		comm[RX_COMM_LEN] = '\0';
		for (char *c = comm; *c; c++)
			if ((unsigned char)*c < 0x20 || (unsigned char)*c >= 0x7f)
				*c = '?';
		snprintf(cpu, sizeof(cpu), "%u>%u", e->cpu_enq, e->cpu_read);
		for (int i = 0; i < RX_NSTAGES; i++)
			us(st[i], sizeof(st[i]), e->stage_ns[i], e->stage_ns[i] != RX_NO_VALUE);
		fprintf(out, "%s.%06lld %-7u %-7u %-15s %5u %5u %7s %9s %9s %9s %9s\n", ts,
			(long long)((wall / 1000) % 1000000), e->pid, e->tid, comm, e->sport,
			e->dport, cpu, st[0], st[1], st[2], st[3]);
	}
}
