// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * rxlat compare on handcrafted files: which summary it picks (the last final
 * one, past interval summaries, packet lines and a truncated line), the
 * arithmetic (B - A exactly, in usecs with sign, (B - A)/A in %), empty and
 * one-sided stages, the JSON form, and the exit statuses of bad input.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <json-c/json.h>
#include "check.h"
#include "compare.h"

static char dir[] = "/tmp/rxlat-test_compare.XXXXXX";

static const char *put(const char *name, const char *text)
{
	static char paths[8][256];
	static int n;
	char *p = paths[n++ % 8];
	FILE *f;

	snprintf(p, 256, "%s/%s", dir, name);
	f = fopen(p, "w");
	if (!f || fputs(text, f) < 0 || fclose(f)) {
		perror(p);
		exit(1);
	}
	return p;
}

#define STAGE(name, c, mn, me, p50, p90, p99, p999, mx)                                      \
	"\"" name "\":{\"count\":" #c ",\"min_ns\":" #mn ",\"mean_ns\":" #me ",\"p50_ns\":" #p50 \
	",\"p90_ns\":" #p90 ",\"p99_ns\":" #p99 ",\"p999_ns\":" #p999 ",\"max_ns\":" #mx "}"

static const char file_a[] =
	/* an interval summary: must be ignored */
	"{\"type\":\"summary\",\"final\":false,\"interval\":1,\"elapsed_s\":1.0,"
	"\"packets\":{\"seen\":1,\"delivered\":1},\"stages\":{" STAGE("total", 1, 1, 1, 1, 1, 1, 1, 1) "}}\n"
	"{\"type\":\"packet\",\"time_ns\":1,\"total_ns\":5}\n"
	/* an earlier final summary (two sessions appended): the last one counts */
	"{\"type\":\"summary\",\"final\":true,\"elapsed_s\":9.0,\"packets\":{\"seen\":7},"
	"\"stages\":{" STAGE("total", 7, 7, 7, 7, 7, 7, 7, 7) "}}\n"
	"\n"
	"{\"type\":\"summary\",\"final\":true,\"interval\":0,\"elapsed_s\":3.5,\"time\":1,"
	"\"packets\":{\"seen\":1000,\"delivered\":990,\"dropped\":10,\"not_local\":0,"
	"\"evicted\":0,\"in_flight\":0,\"measured\":990,\"lost\":{\"ringbuf\":0}},"
	"\"stages\":{"
	STAGE("driver", 990, 200, 450, 449, 651, 1011, 2447, 28452) ","
	STAGE("stack", 990, 174, 221, 220, 246, 309, 563, 7103) ","
	STAGE("socket", 0, 0, 0, 0, 0, 0, 0, 0) ","
	STAGE("total", 990, 1552, 184372, 24959, 128511, 3358719, 3948543, 4013689) ","
	STAGE("queued", 990, 0, 10, 5, 6, 7, 8, 9)
	"},\"hooks\":{\"mode\":\"auto\"}}\n"
	/* a truncated last line, as when rxlat is killed mid-write */
	"{\"type\":\"summary\",\"final\":true,\"stages\":{\"tot";

static const char file_b[] =
	"{\"type\":\"summary\",\"final\":true,\"interval\":0,\"elapsed_s\":4.25,"
	"\"packets\":{\"seen\":2000,\"delivered\":2000,\"dropped\":0,\"not_local\":3,"
	"\"evicted\":0,\"in_flight\":0,\"measured\":1500},"
	"\"stages\":{"
	STAGE("driver", 2000, 207, 400, 449, 600, 2022, 2447, 28000) ","
	STAGE("stack", 2000, 174, 221, 220, 246, 309, 563, 7103) ","
	STAGE("socket", 2000, 800, 5000, 4000, 9000, 20000, 40000, 50000) ","
	STAGE("total", 2000, 1500, 100000, 25000, 100000, 1000000, 3948543, 4013689) ","
	STAGE("wakeup", 5, 1, 2, 3, 4, 5, 6, 7)
	"}}\n";

/* Run compare_main; its stdout and stderr into buffers. */
static int run(char *out, size_t outlen, char *err, size_t errlen, int argc, ...)
{
	char *argv[8], po[300], pe[300];
	int so = dup(1), se = dup(2), fo, fe, ret;
	va_list ap;
	ssize_t n;

	va_start(ap, argc);
	for (int i = 0; i < argc; i++)
		argv[i] = va_arg(ap, char *);
	va_end(ap);
	argv[argc] = NULL;
	snprintf(po, sizeof(po), "%s/out", dir);
	snprintf(pe, sizeof(pe), "%s/err", dir);
	fflush(stdout);
	fflush(stderr);
	fo = open(po, O_RDWR | O_CREAT | O_TRUNC, 0600);
	fe = open(pe, O_RDWR | O_CREAT | O_TRUNC, 0600);
	dup2(fo, 1);
	dup2(fe, 2);
	ret = compare_main(argc, argv);
	fflush(stdout);
	fflush(stderr);
	dup2(so, 1);
	dup2(se, 2);
	close(so);
	close(se);
	n = pread(fo, out, outlen - 1, 0);
	out[n > 0 ? n : 0] = '\0';
	n = pread(fe, err, errlen - 1, 0);
	err[n > 0 ? n : 0] = '\0';
	close(fo);
	close(fe);
	return ret;
}

/* The text table's row "STAGE FIELD ..." (or "NAME ..." for packets), split. */
static int row(const char *text, const char *c0, const char *c1, char cols[6][32])
{
	char *copy = strdup(text), *save = NULL, *line;
	int found = 0;

	for (line = strtok_r(copy, "\n", &save); line && !found; line = strtok_r(NULL, "\n", &save)) {
		int n = sscanf(line, "%31s %31s %31s %31s %31s %31s", cols[0], cols[1], cols[2],
			       cols[3], cols[4], cols[5]);

		if (n >= 2 && !strcmp(cols[0], c0) && (!c1 || !strcmp(cols[1], c1)))
			found = n;
	}
	free(copy);
	return found;
}

static void text_checks(const char *text)
{
	char c[6][32];

	CHECK(strstr(text, "(3.500 s)") && strstr(text, "(4.250 s)"), "elapsed times shown");
	/* driver p99: 1011 -> 2022 ns: +1.011 us, +100 % */
	CHECK(row(text, "driver", "p99", c) == 6, "driver p99 row");
	CHECK(!strcmp(c[2], "1.011") && !strcmp(c[3], "2.022"), "A %s B %s", c[2], c[3]);
	CHECK(!strcmp(c[4], "+1.011") && !strcmp(c[5], "+100.00%"), "B-A %s %s", c[4], c[5]);
	/* driver mean 450 -> 400: -0.050 us, -11.11 % */
	row(text, "driver", "mean", c);
	CHECK(!strcmp(c[4], "-0.050") && !strcmp(c[5], "-11.11%"), "mean %s %s", c[4], c[5]);
	/* driver min 200 -> 207: +0.007, +3.50 % */
	row(text, "driver", "min", c);
	CHECK(!strcmp(c[4], "+0.007") && !strcmp(c[5], "+3.50%"), "min %s %s", c[4], c[5]);
	/* equal values: +0.000, +0.00 % */
	row(text, "stack", "p99.9", c);
	CHECK(!strcmp(c[4], "+0.000") && !strcmp(c[5], "+0.00%"), "equal %s %s", c[4], c[5]);
	/* counts are plain integers */
	row(text, "total", "count", c);
	CHECK(!strcmp(c[2], "990") && !strcmp(c[3], "2000") && !strcmp(c[4], "+1010") &&
	      !strcmp(c[5], "+102.02%"), "count %s %s %s %s", c[2], c[3], c[4], c[5]);
	/* total p99: 3358719 -> 1000000 ns = -2358.719 us, -70.23 % */
	row(text, "total", "p99", c);
	CHECK(!strcmp(c[4], "-2358.719") && !strcmp(c[5], "-70.23%"), "total p99 %s %s", c[4],
	      c[5]);
	/* socket had no samples in A: its latencies are "-", so are the deltas */
	row(text, "socket", "count", c);
	CHECK(!strcmp(c[2], "0") && !strcmp(c[4], "+2000") && !strcmp(c[5], "-"),
	      "socket count %s %s %s", c[2], c[4], c[5]);
	row(text, "socket", "p50", c);
	CHECK(!strcmp(c[2], "-") && !strcmp(c[3], "4.000") && !strcmp(c[4], "-") &&
	      !strcmp(c[5], "-"), "socket p50 %s %s %s %s", c[2], c[3], c[4], c[5]);
	/* queued only in A, wakeup only in B: the other side is "-" */
	row(text, "queued", "p50", c);
	CHECK(!strcmp(c[2], "0.005") && !strcmp(c[3], "-"), "queued %s %s", c[2], c[3]);
	row(text, "wakeup", "max", c);
	CHECK(!strcmp(c[2], "-") && !strcmp(c[3], "0.007"), "wakeup %s %s", c[2], c[3]);
	/* queued min is 0 in A: a difference needs B, a ratio a non-zero A */
	row(text, "queued", "min", c);
	CHECK(!strcmp(c[2], "0.000") && !strcmp(c[5], "-"), "queued min %s %s", c[2], c[5]);
	/* packets side by side */
	CHECK(row(text, "delivered", NULL, c) == 5, "delivered row");
	CHECK(!strcmp(c[1], "990") && !strcmp(c[2], "2000") && !strcmp(c[3], "+1010") &&
	      !strcmp(c[4], "+102.02%"), "delivered %s %s %s %s", c[1], c[2], c[3], c[4]);
	row(text, "dropped", NULL, c);
	CHECK(!strcmp(c[3], "-10") && !strcmp(c[4], "-100.00%"), "dropped %s %s", c[3], c[4]);
	row(text, "not_local", NULL, c);
	CHECK(!strcmp(c[3], "+3") && !strcmp(c[4], "-"), "not_local from 0: %s %s", c[3], c[4]);
	/* stages in A's order, then B's extras */
	CHECK(strstr(text, "driver") < strstr(text, "stack") &&
	      strstr(text, "total ") < strstr(text, "queued") &&
	      strstr(text, "queued") < strstr(text, "wakeup"), "stage order");
}

static json_object *at(json_object *o, const char *path)
{
	char *copy = strdup(path), *save = NULL;

	for (char *k = strtok_r(copy, ".", &save); k && o; k = strtok_r(NULL, ".", &save))
		if (!json_object_object_get_ex(o, k, &o))
			o = NULL;
	free(copy);
	return o;
}

static void json_checks(const char *text)
{
	json_object *j = json_tokener_parse(text), *v;

	if (!CHECK(j != NULL, "compare --json output parses: %.80s", text))
		return;
	CHECK(!strchr(text, '\n') || strchr(text, '\n')[1] == '\0', "one line");
	v = at(j, "type");
	CHECK(v && !strcmp(json_object_get_string(v), "compare"), "type");
	ASSERT_EQ(json_object_get_int64(at(j, "stages.driver.p99_ns.a")), 1011);
	ASSERT_EQ(json_object_get_int64(at(j, "stages.driver.p99_ns.b")), 2022);
	ASSERT_EQ(json_object_get_int64(at(j, "stages.driver.p99_ns.diff")), 1011);
	CHECK(json_object_get_double(at(j, "stages.driver.p99_ns.rel_pct")) == 100.0, "rel 100");
	ASSERT_EQ(json_object_get_int64(at(j, "stages.total.p99_ns.diff")), (uint64_t)-2358719);
	v = at(j, "stages.total.p99_ns.rel_pct");
	CHECK(v && fabs(json_object_get_double(v) - (-70.22674418)) < 1e-6, "rel %s",
	      json_object_get_string(v));
	/* absent or meaningless values are null, present and defined */
	CHECK(json_object_object_get_ex(at(j, "stages.socket.p50_ns"), "a", &v) && !v, "null a");
	CHECK(json_object_object_get_ex(at(j, "stages.socket.p50_ns"), "diff", &v) && !v, "null");
	CHECK(json_object_object_get_ex(at(j, "stages.socket.count"), "rel_pct", &v) && !v,
	      "no ratio from 0");
	ASSERT_EQ(json_object_get_int64(at(j, "stages.socket.count.diff")), 2000);
	CHECK(json_object_object_get_ex(at(j, "stages.wakeup.max_ns"), "a", &v) && !v, "B only");
	ASSERT_EQ(json_object_get_int64(at(j, "packets.delivered.diff")), 1010);
	ASSERT_EQ(json_object_get_int64(at(j, "packets.dropped.diff")), (uint64_t)-10);
	CHECK(json_object_get_double(at(j, "a.elapsed_s")) == 3.5, "elapsed a");
	json_object_put(j);
}

static void load_checks(const char *a)
{
	struct compare_summary s;
	char err[512];

	ASSERT_EQ(compare_load(a, &s, err, sizeof(err)), 0);
	ASSERT_EQ(s.nstages, 5);
	CHECK(!strcmp(s.stage[3], "total"), "stage 3 %s", s.stage[3]);
	ASSERT_EQ(s.st[3][CMP_P99].v, 3358719);
	CHECK(s.elapsed_s == 3.5, "elapsed %g", s.elapsed_s);
	ASSERT_EQ(s.packets[0].v, 1000);	/* seen */
	CHECK(!strcmp(compare_packet_names[0], "seen"), "packet 0");
}

static void bad_input(const char *a, const char *b)
{
	char out[4096], err[1024];
	const char *none = put("none.json", "{\"type\":\"summary\",\"final\":false,\"stages\":{}}\n"
					    "{\"type\":\"packet\"}\nnot json\n");
	const char *nostages = put("nostages.json", "{\"type\":\"summary\",\"final\":true}\n");
	char missing[300];
	struct {
		int want;
		int argc;
		const char *argv[5];
	} cases[] = {
		{ 2, 1, { "compare" } },
		{ 2, 2, { "compare", a } },
		{ 2, 4, { "compare", a, b, b } },
		{ 2, 4, { "compare", "--frobnicate", a, b } },
		{ 2, 3, { "compare", "-", "-" } },
		{ 1, 3, { "compare", a, missing } },
		{ 1, 3, { "compare", none, b } },
		{ 1, 3, { "compare", a, nostages } },
		{ 1, 3, { "compare", dir, b } },
	};

	snprintf(missing, sizeof(missing), "%s/missing.json", dir);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const char **v = cases[i].argv;
		int st = run(out, sizeof(out), err, sizeof(err), cases[i].argc, v[0], v[1], v[2],
			     v[3], v[4]);
		char *nl = strchr(err, '\n');

		CHECK(st == cases[i].want, "case %zu: status %d, want %d", i, st, cases[i].want);
		CHECK(out[0] == '\0', "case %zu: stdout empty", i);
		CHECK(nl && nl[1] == '\0' && !strncmp(err, "rxlat compare: ", 15),
		      "case %zu: one stderr line: %s", i, err);
	}
	CHECK(run(out, sizeof(out), err, sizeof(err), 2, "compare", "--help") == 0 &&
	      strstr(out, "usage:"), "--help");
}

int main(void)
{
	char out[16384], err[1024];
	const char *a, *b;

	if (!mkdtemp(dir)) {
		perror("mkdtemp");
		return 1;
	}
	a = put("a.json", file_a);
	b = put("b.json", file_b);
	load_checks(a);
	CHECK(run(out, sizeof(out), err, sizeof(err), 3, "compare", a, b) == 0, "text: %s", err);
	text_checks(out);
	CHECK(run(out, sizeof(out), err, sizeof(err), 4, "compare", a, b, "--json") == 0,
	      "json: %s", err);
	json_checks(out);
	CHECK(run(out, sizeof(out), err, sizeof(err), 4, "compare", "--json", a, b) == 0 &&
	      out[0] == '{', "--json first");
	bad_input(a, b);
	{
		char cmd[400];

		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
		if (system(cmd))
			fprintf(stderr, "could not remove %s\n", dir);
	}
	return check_report("test_compare");
}
