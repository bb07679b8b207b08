// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include "groups.h"
#include "hist.h"
#include "report.h"

/* Enough for any sane view; the rest share one row, so nothing is lost. */
#define MAX_GROUPS 64

struct group {
	uint64_t key;
	char label[32];
	struct rx_hist h[RX_NMAIN_STAGES];
};

struct groups {
	enum group_by by;
	struct group *g[MAX_GROUPS + 1];	/* the last one is "other" */
	int n;
};

static const char *const by_names[] = { "none", "netns", "dev", "pid", "port", "proto", "gro",
					 "busy-poll" };

const char *groups_by_name(enum group_by by)
{
	return by_names[by];
}

struct groups *groups_new(enum group_by by)
{
	struct groups *g = calloc(1, sizeof(*g));

	if (g)
		g->by = by;
	return g;
}

static void label_of(const struct groups *gs, const struct rx_event *e, uint64_t *key,
		     char *label, size_t len)
{
	switch (gs->by) {
	case BY_NETNS:
		*key = e->netns;
		snprintf(label, len, "%u", e->netns);
		break;
	case BY_DEV:
		/* the device the packet reached its socket through */
		*key = e->ifindex_last ? e->ifindex_last : e->ifindex;
		*key |= (uint64_t)e->netns << 32;
		snprintf(label, len, "if%u@%u", (unsigned)(*key & 0xffffffff), e->netns);
		break;
	case BY_PID: {
		char comm[RX_COMM_LEN + 1];

		memcpy(comm, e->comm, RX_COMM_LEN);
		comm[RX_COMM_LEN] = '\0';
		for (char *c = comm; *c; c++)
			if ((unsigned char)*c < 0x20 || (unsigned char)*c >= 0x7f || *c == '"' || *c == '\\')
				*c = '?';
		*key = e->pid;
		snprintf(label, len, "%u/%s", e->pid, comm);
		break;
	}
	case BY_PROTO:
		*key = !!(e->flags & RX_EV_TCP);
		snprintf(label, len, "%s", *key ? "tcp" : "udp");
		break;
	case BY_GRO:
		/* whether GRO merged segments into the packet the stack saw */
		*key = e->segs > 1;
		snprintf(label, len, "%s", *key ? "gro-merged" : "single");
		break;
	case BY_BUSY_POLL:
		*key = !!(e->flags & RX_EV_BUSY_POLLED);
		snprintf(label, len, "%s", *key ? "busy-polled" : "softirq");
		break;
	default:
		*key = e->dport;
		snprintf(label, len, "%u", e->dport);
	}
}

void groups_add(struct groups *gs, const struct rx_event *e)
{
	struct group *g = NULL;
	char label[32];
	uint64_t key;

	label_of(gs, e, &key, label, sizeof(label));
	for (int i = 0; i < gs->n && !g; i++)
		if (gs->g[i]->key == key)
			g = gs->g[i];
	if (!g) {
		int slot = gs->n < MAX_GROUPS ? gs->n : MAX_GROUPS;

		if (!gs->g[slot]) {
			gs->g[slot] = calloc(1, sizeof(struct group));
			if (!gs->g[slot])
				return;
			gs->g[slot]->key = slot == MAX_GROUPS ? UINT64_MAX : key;
			snprintf(gs->g[slot]->label, sizeof(gs->g[slot]->label), "%s",
				 slot == MAX_GROUPS ? "other" : label);
		}
		g = gs->g[slot];
		if (gs->n < MAX_GROUPS)
			gs->n++;
	}
	for (int s = 0; s < RX_NMAIN_STAGES; s++)
		if (e->stage_ns[s] != RX_NO_VALUE)
			hist_add_value(&g->h[s], e->stage_ns[s]);
}

void groups_free(struct groups *gs)
{
	if (!gs)
		return;
	for (int i = 0; i <= MAX_GROUPS; i++)
		free(gs->g[i]);
	free(gs);
}

static int rows(const struct groups *gs)
{
	return gs->n + (gs->g[MAX_GROUPS] ? 1 : 0);
}

static const struct group *row(const struct groups *gs, int i)
{
	return i < gs->n ? gs->g[i] : gs->g[MAX_GROUPS];
}

void groups_text(FILE *out, const struct groups *gs)
{
	fprintf(out, "\nby %s:\n%-24s %10s %10s %10s %10s %10s %10s  (usecs, p50 unless noted)\n",
		by_names[gs->by], by_names[gs->by], "packets", "driver", "stack", "socket", "total",
		"total p99");
	for (int i = 0; i < rows(gs); i++) {
		const struct group *g = row(gs, i);
		struct stage_stats st[RX_NMAIN_STAGES];

		for (int s = 0; s < RX_NMAIN_STAGES; s++)
			hist_summarize(&g->h[s], &st[s]);
		fprintf(out, "%-24s %10" PRIu64 " %10.3f %10.3f %10.3f %10.3f %10.3f\n", g->label,
			st[RX_ST_SOCKET].count, st[RX_ST_DRIVER].p50 / 1e3, st[RX_ST_STACK].p50 / 1e3,
			st[RX_ST_SOCKET].p50 / 1e3, st[RX_ST_TOTAL].p50 / 1e3, st[RX_ST_TOTAL].p99 / 1e3);
	}
}

void groups_json(FILE *out, const struct groups *gs)
{
	fprintf(out, "{\"by\":\"%s\",\"rows\":[", by_names[gs->by]);
	for (int i = 0; i < rows(gs); i++) {
		const struct group *g = row(gs, i);

		fprintf(out, "%s{\"key\":\"%s\",\"stages\":{", i ? "," : "", g->label);
		for (int s = 0; s < RX_NMAIN_STAGES; s++) {
			struct stage_stats st;

			hist_summarize(&g->h[s], &st);
			fprintf(out, "%s\"%s\":{\"count\":%" PRIu64 ",\"min_ns\":%" PRIu64
				",\"mean_ns\":%" PRIu64 ",\"p50_ns\":%" PRIu64 ",\"p90_ns\":%" PRIu64
				",\"p99_ns\":%" PRIu64 ",\"p999_ns\":%" PRIu64 ",\"max_ns\":%" PRIu64 "}",
				s ? "," : "", stage_names[s], st.count, st.min, st.mean, st.p50, st.p90,
				st.p99, st.p999, st.max);
		}
		fputs("}}", out);
	}
	fputs("]}", out);
}
