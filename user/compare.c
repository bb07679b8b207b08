// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * rxlat compare A.json B.json [--json]: the last final summary of each
 * file of `rxlat -j` output side by side, with B - A and (B - A) / A.
 * JSON goes through json-c (libjson-c-dev ships libjson-c.a): its names do
 * not collide with report.c's json_string() as jansson's do, and it reads
 * counters beyond INT64_MAX (clamped) where jansson rejects the line. Only lines that mention "summary" are
 * parsed, so files with millions of per-packet lines are read quickly.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <json-c/json.h>
#include "compare.h"

const char *const compare_field_names[CMP_NFIELDS] = {
	"count", "min_ns", "mean_ns", "p50_ns", "p90_ns", "p99_ns", "p999_ns", "max_ns",
};
/* how the text table labels them */
static const char *const field_labels[CMP_NFIELDS] = {
	"count", "min", "mean", "p50", "p90", "p99", "p99.9", "max",
};

const char *const compare_packet_names[CMP_NPACKETS] = {
	"seen", "delivered", "measured", "filtered", "unmeasured", "dropped", "not_local",
	"evicted", "in_flight", "lost_events", "untracked_reads",
};

static const char usage[] = "usage: rxlat compare A.json B.json [--json]";

static json_object *get(json_object *o, const char *key)
{
	json_object *v = NULL;

	if (!json_object_is_type(o, json_type_object) || !json_object_object_get_ex(o, key, &v))
		return NULL;
	return v;
}

static bool number_of(json_object *j, int64_t *v)
{
	double d;

	if (json_object_is_type(j, json_type_int)) {
		*v = json_object_get_int64(j);	/* clamps beyond INT64_MAX */
		return true;
	}
	if (json_object_is_type(j, json_type_double)) {
		d = json_object_get_double(j);
		if (!isfinite(d) || fabs(d) >= 9.2e18)
			return false;
		*v = (int64_t)llround(d);
		return true;
	}
	return false;
}

static int fill(json_object *sum, struct compare_summary *s, const char *path, char *err,
		size_t errlen)
{
	json_object *stages = get(sum, "stages"), *packets, *el;

	memset(s, 0, sizeof(*s));
	el = get(sum, "elapsed_s");
	s->elapsed_s = json_object_is_type(el, json_type_double) ||
		       json_object_is_type(el, json_type_int) ? json_object_get_double(el) : -1;
	if (!json_object_is_type(stages, json_type_object)) {
		snprintf(err, errlen, "%s: the final summary has no \"stages\" object", path);
		return -1;
	}
	/* json-c iterates an object in the order its members were read */
	json_object_object_foreach(stages, name, st) {
		int i;

		if (!json_object_is_type(st, json_type_object))
			continue;
		if (s->nstages == CMP_MAX_STAGES) {
			snprintf(err, errlen, "%s: more than %d stages", path, CMP_MAX_STAGES);
			return -1;
		}
		i = s->nstages++;
		snprintf(s->stage[i], CMP_NAME_LEN, "%s", name);
		for (int f = 0; f < CMP_NFIELDS; f++)
			s->st[i][f].have = number_of(get(st, compare_field_names[f]), &s->st[i][f].v);
	}
	packets = get(sum, "packets");
	for (int p = 0; p < CMP_NPACKETS; p++)
		s->packets[p].have = number_of(get(packets, compare_packet_names[p]),
					       &s->packets[p].v);
	return 0;
}

/* One line as a JSON value, strictly (RFC 8259) and wholly; NULL if not. */
static json_object *parse_line(struct json_tokener *tok, const char *line, size_t len)
{
	json_object *j;
	size_t end;

	json_tokener_reset(tok);
	j = json_tokener_parse_ex(tok, line, (int)len);
	if (!j || json_tokener_get_error(tok) != json_tokener_success) {
		json_object_put(j);
		return NULL;
	}
	for (end = json_tokener_get_parse_end(tok); end < len; end++) {
		if (!strchr(" \t\r\n", line[end])) {
			json_object_put(j);
			return NULL;
		}
	}
	return j;
}

int compare_load(const char *path, struct compare_summary *s, char *err, size_t errlen)
{
	bool is_stdin = !strcmp(path, "-");
	FILE *f = is_stdin ? stdin : fopen(path, "r");
	struct json_tokener *tok = NULL;
	json_object *last = NULL;
	char *line = NULL;
	size_t cap = 0;
	ssize_t len;
	unsigned long bad = 0;
	int ret = -1;

	if (!f) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	tok = json_tokener_new_ex(JSON_TOKENER_DEFAULT_DEPTH);
	if (!tok) {
		snprintf(err, errlen, "out of memory");
		goto out;
	}
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT);
	errno = 0;
	while ((len = getline(&line, &cap, f)) > 0) {
		json_object *j, *type;

		if (!strstr(line, "\"summary\"") || len > INT32_MAX)
			continue;
		j = parse_line(tok, line, (size_t)len);
		if (!j) {
			bad++;	/* a truncated last line, say */
			continue;
		}
		type = get(j, "type");
		if (json_object_is_type(type, json_type_string) &&
		    !strcmp(json_object_get_string(type), "summary") &&
		    json_object_is_type(get(j, "final"), json_type_boolean) &&
		    json_object_get_boolean(get(j, "final"))) {
			json_object_put(last);
			last = j;
		} else {
			json_object_put(j);
		}
	}
	if (ferror(f)) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno ? errno : EIO));
		goto out;
	}
	if (!last) {
		snprintf(err, errlen, "%s: no final summary (a JSON line with \"type\":\"summary\" "
			 "and \"final\":true, as rxlat -j writes on exit)%s", path,
			 bad ? "; some summary lines are not valid JSON" : "");
		goto out;
	}
	ret = fill(last, s, path, err, errlen);
out:
	json_object_put(last);
	if (tok)
		json_tokener_free(tok);
	free(line);
	if (!is_stdin)
		fclose(f);
	return ret;
}

/* ---- output ---- */

/* ns as microseconds, exactly: "12.345", "-0.007" */
static void fmt_us(char *buf, size_t len, int64_t ns, bool sign)
{
	uint64_t a = ns < 0 ? (uint64_t)0 - (uint64_t)ns : (uint64_t)ns;

	snprintf(buf, len, "%s%" PRIu64 ".%03" PRIu64, ns < 0 ? "-" : sign ? "+" : "", a / 1000,
		 a % 1000);
}

struct delta {
	bool have;		/* both sides present */
	int64_t diff;		/* b - a */
	bool have_rel;		/* a != 0, or both 0 */
	double rel_pct;		/* 100 * (b - a) / a */
};

static struct delta delta_of(struct cmp_value a, struct cmp_value b)
{
	struct delta d = {};

	if (!a.have || !b.have)
		return d;
	d.have = true;
	d.diff = (int64_t)((uint64_t)b.v - (uint64_t)a.v);
	if (a.v) {
		d.have_rel = true;
		d.rel_pct = 100.0 * ((double)b.v - (double)a.v) / fabs((double)a.v);
	} else if (!b.v) {
		d.have_rel = true;
		d.rel_pct = 0;
	}
	return d;
}

/* A stage's latency fields mean nothing when it has no samples. */
static struct cmp_value field_of(const struct compare_summary *s, int stage, int f)
{
	struct cmp_value none = {};

	if (stage < 0)
		return none;
	if (f != CMP_COUNT && (!s->st[stage][CMP_COUNT].have || !s->st[stage][CMP_COUNT].v))
		return none;
	return s->st[stage][f];
}

static int stage_index(const struct compare_summary *s, const char *name)
{
	for (int i = 0; i < s->nstages; i++)
		if (!strcmp(s->stage[i], name))
			return i;
	return -1;
}

/* Stages of A in A's order, then those only B has. */
static int stage_union(const struct compare_summary *a, const struct compare_summary *b,
		       const char *names[2 * CMP_MAX_STAGES])
{
	int n = 0;

	for (int i = 0; i < a->nstages; i++)
		names[n++] = a->stage[i];
	for (int i = 0; i < b->nstages; i++)
		if (stage_index(a, b->stage[i]) < 0)
			names[n++] = b->stage[i];
	return n;
}

static void text_row(FILE *out, const char *label, struct cmp_value a, struct cmp_value b,
		     bool usec)
{
	struct delta d = delta_of(a, b);
	char va[32] = "-", vb[32] = "-", vd[32] = "-", vr[32] = "-";

	if (usec) {
		if (a.have)
			fmt_us(va, sizeof(va), a.v, false);
		if (b.have)
			fmt_us(vb, sizeof(vb), b.v, false);
		if (d.have)
			fmt_us(vd, sizeof(vd), d.diff, true);
	} else {
		if (a.have)
			snprintf(va, sizeof(va), "%" PRId64, a.v);
		if (b.have)
			snprintf(vb, sizeof(vb), "%" PRId64, b.v);
		if (d.have)
			snprintf(vd, sizeof(vd), "%+" PRId64, d.diff);
	}
	if (d.have_rel)
		snprintf(vr, sizeof(vr), "%+.2f%%", d.rel_pct);
	fprintf(out, "%-23s %14s %14s %14s %10s\n", label, va, vb, vd, vr);
}

static void text_compare(FILE *out, const char *name_a, const struct compare_summary *a,
			 const char *name_b, const struct compare_summary *b)
{
	const char *names[2 * CMP_MAX_STAGES];
	int n = stage_union(a, b, names);

	fprintf(out, "A: %s", name_a);
	if (a->elapsed_s >= 0)
		fprintf(out, " (%.3f s)", a->elapsed_s);
	fprintf(out, "\nB: %s", name_b);
	if (b->elapsed_s >= 0)
		fprintf(out, " (%.3f s)", b->elapsed_s);
	fputs("\n\n", out);
	fprintf(out, "%-10s %-12s %14s %14s %14s %10s  (usecs)\n", "stage", "value", "A", "B",
		"B-A", "B-A %");
	for (int k = 0; k < n; k++) {
		int ia = stage_index(a, names[k]), ib = stage_index(b, names[k]);

		for (int f = 0; f < CMP_NFIELDS; f++) {
			char label[CMP_NAME_LEN + 16];

			snprintf(label, sizeof(label), "%-10s %s", names[k], field_labels[f]);
			text_row(out, label, field_of(a, ia, f), field_of(b, ib, f), f != CMP_COUNT);
		}
	}
	fprintf(out, "\n%-23s %14s %14s %14s %10s\n", "packets", "A", "B", "B-A", "B-A %");
	for (int p = 0; p < CMP_NPACKETS; p++) {
		if (!a->packets[p].have && !b->packets[p].have)
			continue;
		text_row(out, compare_packet_names[p], a->packets[p], b->packets[p], false);
	}
}

static json_object *num_or_null(struct cmp_value v)
{
	return v.have ? json_object_new_int64(v.v) : NULL;	/* NULL: JSON null */
}

static json_object *json_delta(struct cmp_value a, struct cmp_value b)
{
	struct delta d = delta_of(a, b);
	json_object *o = json_object_new_object();

	json_object_object_add(o, "a", num_or_null(a));
	json_object_object_add(o, "b", num_or_null(b));
	json_object_object_add(o, "diff", d.have ? json_object_new_int64(d.diff) : NULL);
	if (d.have_rel) {
		char buf[32];

		/* ten significant digits, not json-c's seventeen */
		snprintf(buf, sizeof(buf), "%.10g", d.rel_pct);
		json_object_object_add(o, "rel_pct", json_object_new_double_s(d.rel_pct, buf));
	} else {
		json_object_object_add(o, "rel_pct", NULL);
	}
	return o;
}

static json_object *json_side(const char *name, const struct compare_summary *s)
{
	json_object *o = json_object_new_object();
	char buf[32];

	json_object_object_add(o, "file", json_object_new_string(name));
	snprintf(buf, sizeof(buf), "%.3f", s->elapsed_s);
	json_object_object_add(o, "elapsed_s",
			       s->elapsed_s >= 0 ? json_object_new_double_s(s->elapsed_s, buf) : NULL);
	return o;
}

static void json_compare(FILE *out, const char *name_a, const struct compare_summary *a,
			 const char *name_b, const struct compare_summary *b)
{
	const char *names[2 * CMP_MAX_STAGES];
	int n = stage_union(a, b, names);
	json_object *root = json_object_new_object(), *stages = json_object_new_object();
	json_object *packets = json_object_new_object();

	json_object_object_add(root, "type", json_object_new_string("compare"));
	json_object_object_add(root, "a", json_side(name_a, a));
	json_object_object_add(root, "b", json_side(name_b, b));
	for (int k = 0; k < n; k++) {
		int ia = stage_index(a, names[k]), ib = stage_index(b, names[k]);
		json_object *st = json_object_new_object();

		for (int f = 0; f < CMP_NFIELDS; f++)
			json_object_object_add(st, compare_field_names[f],
					       json_delta(field_of(a, ia, f), field_of(b, ib, f)));
		json_object_object_add(stages, names[k], st);
	}
	json_object_object_add(root, "stages", stages);
	for (int p = 0; p < CMP_NPACKETS; p++)
		if (a->packets[p].have || b->packets[p].have)
			json_object_object_add(packets, compare_packet_names[p],
					       json_delta(a->packets[p], b->packets[p]));
	json_object_object_add(root, "packets", packets);
	fputs(json_object_to_json_string_ext(root, JSON_C_TO_STRING_PLAIN |
					     JSON_C_TO_STRING_NOSLASHESCAPE), out);
	fputc('\n', out);
	json_object_put(root);
}

void compare_print(FILE *out, const char *name_a, const struct compare_summary *a,
		   const char *name_b, const struct compare_summary *b, bool json)
{
	if (json)
		json_compare(out, name_a, a, name_b, b);
	else
		text_compare(out, name_a, a, name_b, b);
}

int compare_main(int argc, char **argv)
{
	const char *files[2];
	int nfiles = 0;
	bool json = false, opts_done = false;
	struct compare_summary *s;
	char err[512];
	int ret = 0;

	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];

		if (!opts_done && !strcmp(a, "--")) {
			opts_done = true;
		} else if (!opts_done && (!strcmp(a, "--json") || !strcmp(a, "-j"))) {
			json = true;
		} else if (!opts_done && (!strcmp(a, "--help") || !strcmp(a, "-h"))) {
			printf("%s\n\nThe last final summary of each file of rxlat -j output, side "
			       "by side:\nper stage count, min, mean, p50, p90, p99, p99.9 and max "
			       "(usecs), B-A and\n(B-A)/A in %%, then the packet outcomes. --json: "
			       "one JSON object (ns).\n", usage);
			return 0;
		} else if (!opts_done && a[0] == '-' && a[1]) {
			fprintf(stderr, "rxlat compare: unknown option '%s' (%s)\n", a, usage);
			return 2;
		} else if (nfiles == 2) {
			fprintf(stderr, "rxlat compare: unexpected argument '%s' (%s)\n", a, usage);
			return 2;
		} else {
			files[nfiles++] = a;
		}
	}
	if (nfiles != 2) {
		fprintf(stderr, "rxlat compare: expected two files (%s)\n", usage);
		return 2;
	}
	if (!strcmp(files[0], "-") && !strcmp(files[1], "-")) {
		fprintf(stderr, "rxlat compare: only one of the files can be stdin (-)\n");
		return 2;
	}
	s = calloc(2, sizeof(*s));
	if (!s) {
		fprintf(stderr, "rxlat compare: out of memory\n");
		return 1;
	}
	for (int k = 0; k < 2 && !ret; k++) {
		if (compare_load(files[k], &s[k], err, sizeof(err))) {
			fprintf(stderr, "rxlat compare: %s\n", err);
			ret = 1;
		}
	}
	if (!ret) {
		compare_print(stdout, files[0], &s[0], files[1], &s[1], json);
		if (fflush(stdout) || ferror(stdout)) {
			fprintf(stderr, "rxlat compare: writing the output failed: %s\n",
				strerror(errno));
			ret = 1;
		}
	}
	free(s);
	return ret;
}
