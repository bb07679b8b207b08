// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The session as an SVG picture: percentile bars per stage on a log axis
 * and, with interval summaries, p50/p99 per stage over time. Plain SVG 1.1:
 * no scripts, no styles from elsewhere, no fonts to fetch; any browser or
 * image viewer shows it.
 */
#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include "report.h"	/* stage_names */
#include "svg.h"

/* Colours of the main stages; their parts and the estimates are grey. */
static const char *const stage_color[RX_NMAIN_STAGES] = {
	"#1f77b4", "#ff7f0e", "#2ca02c", "#d62728",
};

static const char *color_of(int stage)
{
	return stage < RX_NMAIN_STAGES ? stage_color[stage] : "#555555";
}

static const char *name_of(int stage)
{
	return stage_names[stage] ? stage_names[stage] : "?";
}

#define NPCT 4
static const char *const pct_name[NPCT] = { "p50", "p90", "p99", "p99.9" };
static const char *const pct_color[NPCT] = { "#a6cee3", "#1f78b4", "#fb9a99", "#e31a1c" };

static uint64_t pct_of(const struct stage_stats *s, int k)
{
	switch (k) {
	case 0: return s->p50;
	case 1: return s->p90;
	case 2: return s->p99;
	default: return s->p999;
	}
}

/* Geometry, in SVG user units (px). */
#define W	 960.0
#define PLOT_L	 150.0
#define PLOT_R	 (W - 100.0)
#define BAR_H	 11.0
#define BAR_GAP	 2.0
#define ROW_H	 72.0
#define A_TOP	 88.0
#define A_BOTTOM(rows) (A_TOP + (rows) * ROW_H)
#define A_END(rows)	 (A_BOTTOM(rows) + 48.0)
#define B_PLOT_OFF 56.0		/* (b): from its top to the plot */
#define B_PLOT_H 240.0
#define B_HEIGHT (B_PLOT_OFF + B_PLOT_H + 48.0)

/* ---- text ---- */

/*
 * @s as XML character data: markup characters as entities, bytes that are
 * not valid UTF-8 and characters XML 1.0 forbids as U+FFFD, at most
 * @maxchars characters (then an ellipsis).
 */
static void xml_text(FILE *out, const char *s, size_t maxchars)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t nchars = 0;

	while (p && *p) {
		unsigned char c = *p;
		uint32_t cp;
		int len, i;

		if (nchars++ == maxchars) {
			fputs("\xe2\x80\xa6", out);
			return;
		}
		if (c < 0x80) {
			switch (c) {
			case '&': fputs("&amp;", out); break;
			case '<': fputs("&lt;", out); break;
			case '>': fputs("&gt;", out); break;
			case '"': fputs("&quot;", out); break;
			case '\'': fputs("&apos;", out); break;
			case '\t': case '\n': case '\r': fputc(' ', out); break;
			default:
				if (c < 0x20 || c == 0x7f)
					fputs("\xef\xbf\xbd", out);
				else
					fputc(c, out);
			}
			p++;
			continue;
		}
		if (c >= 0xc2 && c <= 0xdf)
			len = 2, cp = c & 0x1f;
		else if (c >= 0xe0 && c <= 0xef)
			len = 3, cp = c & 0x0f;
		else if (c >= 0xf0 && c <= 0xf4)
			len = 4, cp = c & 0x07;
		else
			len = 0, cp = 0;
		for (i = 1; i < len; i++) {
			if ((p[i] & 0xc0) != 0x80)
				break;
			cp = cp << 6 | (p[i] & 0x3f);
		}
		/* overlong, surrogate, beyond U+10FFFF, non-characters, C1 controls */
		if (!len || i < len || (len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) ||
		    cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff) || cp == 0xfffe ||
		    cp == 0xffff || (cp >= 0x80 && cp <= 0x9f)) {
			fputs("\xef\xbf\xbd", out);
			p++;
			continue;
		}
		fwrite(p, 1, (size_t)len, out);
		p += len;
	}
}

/* A latency with its unit: "870 ns", "24.2 µs", "3.36 ms", "1.20 s". */
static void fmt_ns(char *buf, size_t len, double ns)
{
	static const char *const unit[] = { "ns", "\xc2\xb5s", "ms", "s" };
	int u = 0;
	double v = ns;

	while (u < 3 && v >= 999.5) {
		v /= 1000.0;
		u++;
	}
	if (u == 0)
		snprintf(buf, len, "%.0f %s", v, unit[u]);
	else
		snprintf(buf, len, v < 9.995 ? "%.2f %s" : v < 99.95 ? "%.1f %s" : "%.0f %s", v,
			 unit[u]);
}

/* A tick on a 1-2-5 log axis: "1 µs", "20 µs", "500 ms". */
static void fmt_tick(char *buf, size_t len, double ns)
{
	static const char *const unit[] = { "ns", "\xc2\xb5s", "ms", "s" };
	int u = 0;
	double v = ns;

	while (u < 3 && v >= 999.5) {
		v /= 1000.0;
		u++;
	}
	snprintf(buf, len, "%g %s", v, unit[u]);
}

/* ---- axes ---- */

struct logaxis {
	double lo, hi;	/* decade-aligned bounds, ns */
	double a, b;	/* pixel range */
};

static void logaxis_fit(struct logaxis *ax, double vmin, double vmax, double a, double b)
{
	if (!(vmin >= 1.0))
		vmin = 1.0;
	if (!(vmax >= vmin))
		vmax = vmin;
	ax->lo = pow(10.0, floor(log10(vmin)));
	ax->hi = pow(10.0, ceil(log10(vmax)));
	if (ax->hi <= ax->lo)
		ax->hi = ax->lo * 10.0;
	ax->a = a;
	ax->b = b;
}

static double logaxis_pos(const struct logaxis *ax, double v)
{
	double f;

	if (!(v >= ax->lo))
		v = ax->lo;
	if (v > ax->hi)
		v = ax->hi;
	f = (log10(v) - log10(ax->lo)) / (log10(ax->hi) - log10(ax->lo));
	return ax->a + f * (ax->b - ax->a);
}

/* Grid lines and labels at 1, 2, 5 x 10^k; the 2 and 5 labelled only on
 * short axes. @vertical: ticks along y (the time-series plot). */
static void logaxis_draw(FILE *out, const struct logaxis *ax, bool vertical, double c0, double c1)
{
	int d0 = (int)lround(log10(ax->lo)), d1 = (int)lround(log10(ax->hi));
	bool minor_labels = d1 - d0 <= 2;
	char lab[32];

	for (int d = d0; d <= d1; d++) {
		static const int mant[] = { 1, 2, 5 };

		for (int m = 0; m < 3; m++) {
			double v = mant[m] * pow(10.0, d), p;

			if (v > ax->hi * 1.0001)
				break;
			p = logaxis_pos(ax, v);
			if (vertical)
				fprintf(out, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" "
					"stroke=\"%s\" stroke-width=\"1\"/>\n",
					c0, p, c1, p, m ? "#eeeeee" : "#cccccc");
			else
				fprintf(out, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" "
					"stroke=\"%s\" stroke-width=\"1\"/>\n",
					p, c0, p, c1, m ? "#eeeeee" : "#cccccc");
			if (m && !minor_labels)
				continue;
			fmt_tick(lab, sizeof(lab), v);
			if (vertical)
				fprintf(out, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\" "
					"fill=\"#333333\">%s</text>\n",
					c0 - 6, p + 4, lab);
			else
				fprintf(out, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\" "
					"fill=\"#333333\">%s</text>\n", p, c1 + 16, lab);
		}
	}
}

static void swatch(FILE *out, double x, double y, const char *color, const char *label)
{
	fprintf(out, "<rect x=\"%.1f\" y=\"%.1f\" width=\"14\" height=\"10\" fill=\"%s\"/>\n"
		"<text x=\"%.1f\" y=\"%.1f\" fill=\"#333333\">%s</text>\n",
		x, y - 9, color, x + 19, y, label);
}

/* ---- (a) percentile bars ---- */

/* Rows of (a): the main stages always, their parts and the estimates when
 * measured. Returns how many. */
static int bar_rows(const struct stage_stats final[RX_NSTAGES], int rows[RX_NSTAGES])
{
	int n = 0;

	for (int i = 0; i < RX_NSTAGES; i++)
		if (i < RX_NMAIN_STAGES || final[i].count)
			rows[n++] = i;
	return n;
}

static void bars(FILE *out, const struct stage_stats final[RX_NSTAGES], const int rows[],
		 int nrows)
{
	double vmin = INFINITY, vmax = 0, bottom = A_BOTTOM(nrows), lx = PLOT_L + NPCT * 80.0;
	struct logaxis ax;
	char lab[48];
	bool any = false;

	for (int r = 0; r < nrows; r++) {
		const struct stage_stats *s = &final[rows[r]];

		if (!s->count)
			continue;
		any = true;
		/* a minimum of 0 ns (parts of a stage can be empty) would stretch
		 * the axis down to 1 ns: its whisker starts at the axis instead */
		if (s->min)
			vmin = fmin(vmin, (double)s->min);
		vmin = fmin(vmin, (double)s->p50);
		vmax = fmax(vmax, (double)s->max);
		vmax = fmax(vmax, (double)s->p999);
	}
	if (any)
		logaxis_fit(&ax, vmin, vmax, PLOT_L, PLOT_R);
	else
		logaxis_fit(&ax, 1e3, 1e6, PLOT_L, PLOT_R);

	fprintf(out, "<text x=\"20\" y=\"50\" fill=\"#333333\">Receive latency per packet, whole "
		"session: percentiles per stage as bars, min\xe2\x80\x93max as a whisker "
		"(log scale)</text>\n");
	for (int k = 0; k < NPCT; k++)
		swatch(out, PLOT_L + k * 80.0, 74, pct_color[k], pct_name[k]);
	fprintf(out, "<g stroke=\"#555555\" stroke-width=\"1.5\"><line x1=\"%.1f\" y1=\"69\" "
		"x2=\"%.1f\" y2=\"69\"/><line x1=\"%.1f\" y1=\"65\" x2=\"%.1f\" y2=\"73\"/>"
		"<line x1=\"%.1f\" y1=\"65\" x2=\"%.1f\" y2=\"73\"/></g>\n<text x=\"%.1f\" y=\"74\" "
		"fill=\"#333333\">min\xe2\x80\x93max</text>\n",
		lx, lx + 24, lx, lx, lx + 24, lx + 24, lx + 30);

	logaxis_draw(out, &ax, false, A_TOP, bottom);
	fprintf(out, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#333333\"/>\n",
		PLOT_L, bottom, PLOT_R, bottom);
	fprintf(out, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\" fill=\"#333333\">"
		"latency (log scale)</text>\n", (PLOT_L + PLOT_R) / 2, bottom + 36);

	for (int r = 0; r < nrows; r++) {
		int i = rows[r];
		const struct stage_stats *s = &final[i];
		double top = A_TOP + r * ROW_H + 6, wy = top + NPCT * (BAR_H + BAR_GAP) + 5;

		fprintf(out, "<text x=\"20\" y=\"%.1f\" font-weight=\"bold\" fill=\"%s\">%s</text>\n",
			top + 20, color_of(i), name_of(i));
		fprintf(out, "<text x=\"20\" y=\"%.1f\" font-size=\"11\" fill=\"#555555\">"
			"n=%llu</text>\n", top + 35, (unsigned long long)s->count);
		if (!s->count) {
			fprintf(out, "<text x=\"%.1f\" y=\"%.1f\" fill=\"#888888\">no samples</text>\n",
				PLOT_L + 8, top + 28);
			continue;
		}
		for (int k = 0; k < NPCT; k++) {
			double v = (double)pct_of(s, k), y = top + k * (BAR_H + BAR_GAP);
			double w = logaxis_pos(&ax, v) - PLOT_L;

			if (w < 1)
				w = 1;
			fmt_ns(lab, sizeof(lab), v);
			fprintf(out, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" "
				"fill=\"%s\"><title>%s %s: %s</title></rect>\n",
				PLOT_L, y, w, BAR_H, pct_color[k], name_of(i), pct_name[k], lab);
			fprintf(out, "<text x=\"%.1f\" y=\"%.1f\" font-size=\"10\" fill=\"#222222\">"
				"%s %s</text>\n", PLOT_L + w + 4, y + BAR_H - 2, pct_name[k], lab);
		}
		/* whisker under the bars: min to max */
		{
			double x0 = logaxis_pos(&ax, (double)s->min), x1 = logaxis_pos(&ax, (double)s->max);
			char a[32], b[32];

			fmt_ns(a, sizeof(a), (double)s->min);
			fmt_ns(b, sizeof(b), (double)s->max);
			fprintf(out, "<g stroke=\"#555555\" stroke-width=\"1.5\"><title>%s min %s, "
				"max %s</title>"
				"<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\"/>"
				"<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\"/>"
				"<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\"/></g>\n",
				name_of(i), a, b, x0, wy, x1, wy, x0, wy - 4, x0, wy + 4, x1, wy - 4,
				x1, wy + 4);
			fprintf(out, "<text x=\"%.1f\" y=\"%.1f\" font-size=\"10\" fill=\"#555555\">"
				"max %s</text>\n", x1 + 4, wy + 4, b);
		}
	}
}

/* ---- (b) percentiles over time ---- */

static double nice_step(double range)
{
	double raw = range / 8, mag, norm;

	if (!(raw > 0))
		return 1;
	mag = pow(10.0, floor(log10(raw)));
	norm = raw / mag;
	return (norm < 1.5 ? 1 : norm < 3.5 ? 2 : norm < 7.5 ? 5 : 10) * mag;
}

/* (b) at @top: the main stages' p50 and p99 per interval. */
static void series_plot(FILE *out, const struct svg_point *pt, size_t n, double top)
{
	double vmin = INFINITY, vmax = 0, t0 = 0, t1 = 0, step;
	double pt_top = top + B_PLOT_OFF, pt_bot = pt_top + B_PLOT_H, ly = top + 37;
	struct logaxis ay;
	bool any = false;

	for (size_t j = 0; j < n; j++) {
		if (!isfinite(pt[j].t_s))
			continue;
		t0 = fmin(t0, pt[j].t_s);
		t1 = fmax(t1, pt[j].t_s);
		for (int i = 0; i < RX_NMAIN_STAGES; i++) {
			if (!pt[j].st[i].count)
				continue;
			any = true;
			vmin = fmin(vmin, (double)pt[j].st[i].p50);
			vmax = fmax(vmax, (double)pt[j].st[i].p99);
		}
	}
	if (!(t1 > t0))
		t1 = t0 + 1;
	if (any)
		logaxis_fit(&ay, vmin, vmax, pt_bot, pt_top);
	else
		logaxis_fit(&ay, 1e3, 1e6, pt_bot, pt_top);

#define TX(t) (PLOT_L + ((t) - t0) / (t1 - t0) * (PLOT_R - PLOT_L))
	fprintf(out, "<text x=\"20\" y=\"%.1f\" fill=\"#333333\">Per interval: p50 (solid) and p99 "
		"(dashed) of each stage (log scale)</text>\n", top + 18);
	for (int i = 0; i < RX_NMAIN_STAGES; i++) {
		double x = PLOT_L + i * 90.0;

		fprintf(out, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"%s\" "
			"stroke-width=\"2\"/>\n<text x=\"%.1f\" y=\"%.1f\" fill=\"#333333\">%s</text>\n",
			x, ly, x + 22, ly, color_of(i), x + 27, ly + 4, name_of(i));
	}
	{
		double x = PLOT_L + RX_NMAIN_STAGES * 90.0 + 20;

		fprintf(out, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#555555\" "
			"stroke-width=\"2\"/>\n<text x=\"%.1f\" y=\"%.1f\" fill=\"#333333\">p50</text>\n"
			"<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#555555\" "
			"stroke-width=\"2\" stroke-dasharray=\"6 4\"/>\n<text x=\"%.1f\" y=\"%.1f\" "
			"fill=\"#333333\">p99</text>\n",
			x, ly, x + 22, ly, x + 27, ly + 4, x + 70, ly, x + 92, ly, x + 97, ly + 4);
	}

	logaxis_draw(out, &ay, true, PLOT_L, PLOT_R);
	step = nice_step(t1 - t0);
	for (double t = ceil(t0 / step) * step; t <= t1 + step * 1e-9; t += step) {
		char lab[32];

		snprintf(lab, sizeof(lab), "%g s", fabs(t) < step * 1e-9 ? 0.0 : t);
		fprintf(out, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#eeeeee\"/>\n"
			"<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\" fill=\"#333333\">%s</text>\n",
			TX(t), pt_top, TX(t), pt_bot, TX(t), pt_bot + 16, lab);
	}
	fprintf(out, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"none\" "
		"stroke=\"#333333\"/>\n", PLOT_L, pt_top, PLOT_R - PLOT_L, B_PLOT_H);
	fprintf(out, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\" fill=\"#333333\">"
		"time since start</text>\n", (PLOT_L + PLOT_R) / 2, pt_bot + 36);
	if (!any)
		fprintf(out, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\" fill=\"#888888\">"
			"no samples in any interval</text>\n", (PLOT_L + PLOT_R) / 2,
			(pt_top + pt_bot) / 2);

	for (int i = 0; i < RX_NMAIN_STAGES; i++) {
		for (int q = 0; q < 2; q++) {
			bool pen = false;

			fprintf(out, "<path fill=\"none\" stroke=\"%s\" stroke-width=\"%s\"%s d=\"",
				color_of(i), q ? "1.5" : "2", q ? " stroke-dasharray=\"6 4\"" : "");
			for (size_t j = 0; j < n; j++) {
				const struct stage_stats *s = &pt[j].st[i];

				if (!s->count || !isfinite(pt[j].t_s)) {
					pen = false;	/* a gap where an interval saw nothing */
					continue;
				}
				fprintf(out, "%s%.1f %.1f", pen ? " L" : " M", TX(pt[j].t_s),
					logaxis_pos(&ay, (double)(q ? s->p99 : s->p50)));
				pen = true;
			}
			fputs("\"/>\n", out);
			if (n > 120)
				continue;
			/* dots, so that an isolated interval shows too */
			fprintf(out, "<g fill=\"%s\">", color_of(i));
			for (size_t j = 0; j < n; j++) {
				const struct stage_stats *s = &pt[j].st[i];

				if (!s->count || !isfinite(pt[j].t_s))
					continue;
				fprintf(out, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"2\"/>", TX(pt[j].t_s),
					logaxis_pos(&ay, (double)(q ? s->p99 : s->p50)));
			}
			fputs("</g>\n", out);
		}
	}
#undef TX
}

int svg_render(FILE *out, const struct stage_stats final[RX_NSTAGES],
	       const struct svg_point *series, size_t n, const char *title)
{
	static const struct stage_stats none[RX_NSTAGES];
	int rows[RX_NSTAGES], nrows;
	bool plot_b = n >= 2 && series;
	double h;

	if (!final)
		final = none;
	if (!title || !*title)
		title = "rxlat";
	nrows = bar_rows(final, rows);
	h = A_END(nrows) + (plot_b ? 16 + B_HEIGHT : 0);
	fprintf(out, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
		"<svg xmlns=\"http://www.w3.org/2000/svg\" version=\"1.1\" width=\"%.0f\" "
		"height=\"%.0f\" viewBox=\"0 0 %.0f %.0f\" font-family=\"DejaVu Sans, Helvetica, "
		"Arial, sans-serif\" font-size=\"12\">\n<title>", W, h, W, h);
	xml_text(out, title, 200);
	fputs("</title>\n<desc>UDP receive latency per stage, written by rxlat</desc>\n", out);
	fprintf(out, "<rect x=\"0\" y=\"0\" width=\"%.0f\" height=\"%.0f\" fill=\"#ffffff\"/>\n", W, h);
	fputs("<text x=\"20\" y=\"28\" font-size=\"18\" font-weight=\"bold\" fill=\"#111111\">", out);
	xml_text(out, title, 100);
	fputs("</text>\n", out);
	bars(out, final, rows, nrows);
	if (plot_b)
		series_plot(out, series, n, A_END(nrows) + 16);
	fputs("</svg>\n", out);
	return ferror(out) ? -EIO : 0;
}

int svg_write(const char *path, const struct stage_stats final[RX_NSTAGES],
	      const struct svg_point *series, size_t n, const char *title, char *err,
	      size_t errlen)
{
	FILE *f;
	int ret;

	if (!path || !*path) {
		snprintf(err, errlen, "no SVG file name");
		return -EINVAL;
	}
	f = fopen(path, "w");
	if (!f) {
		ret = -errno;
		snprintf(err, errlen, "cannot write %s: %s", path, strerror(errno));
		return ret;
	}
	ret = svg_render(f, final, series, n, title);
	if (fflush(f) && !ret)
		ret = -errno;
	if (fclose(f) && !ret)
		ret = -errno;
	if (ret) {
		snprintf(err, errlen, "cannot write %s: %s", path, strerror(-ret));
		return ret;
	}
	return 0;
}
