// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Prometheus exporter. libmicrohttpd does all of HTTP; this file opens the
 * listening socket (so that address errors are precise one-liners), answers
 * GET /metrics from a snapshot taken per scrape, and renders the text
 * exposition format 0.0.4.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <net/if.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#ifndef RXLAT_NO_PROMETHEUS
#include <microhttpd.h>
#endif
#include "hist.h"
#include "prom.h"
#include "reasons.h"
#include "report.h"	/* stage_names */

static const char *const prom_drop_stage[RX_NDROP_STAGES] = { "driver", "stack", "socket" };

/* 1, 2, 5 per decade from 1 us to 1 s, in ns, and as "le" label values
 * (formatted the way the Go client formats floats). */
const unsigned long long prom_bounds_ns[PROM_NBOUNDS] = {
	1000ULL,	2000ULL,	5000ULL,
	10000ULL,	20000ULL,	50000ULL,
	100000ULL,	200000ULL,	500000ULL,
	1000000ULL,	2000000ULL,	5000000ULL,
	10000000ULL,	20000000ULL,	50000000ULL,
	100000000ULL,	200000000ULL,	500000000ULL,
	1000000000ULL,
};
static const char *const prom_bounds_le[PROM_NBOUNDS] = {
	"1e-06", "2e-06", "5e-06",
	"1e-05", "2e-05", "5e-05",
	"0.0001", "0.0002", "0.0005",
	"0.001", "0.002", "0.005",
	"0.01", "0.02", "0.05",
	"0.1", "0.2", "0.5",
	"1",
};

/*
 * How exact the exported buckets are. rxlat's histogram is log-linear: a
 * bucket [lo, lo + width) with width <= lo/64. A Prometheus bucket "le=L"
 * gets every log-linear bucket that lies wholly at or below L; the one
 * bucket that straddles L (lo <= L < lo + width - 1) is counted above L.
 * So each cumulative count is exact or low by at most the count of that
 * one straddling log-linear bucket: observations in (L - width, L] that may
 * be up to 1/64 of L (1.6 %) away from the boundary. For L = 1 us the
 * straddling bucket is [1000, 1007] ns, for L = 1 ms [999424, 1007615] ns.
 * Counts stay monotonic across scrapes because the histograms only grow.
 */
unsigned long long prom_cumulative(const struct rx_hist *h, unsigned long long le_ns)
{
	unsigned long long n = 0;

	for (uint32_t i = 0; i < RX_HIST_NBUCKETS; i++) {
		uint64_t hi = hist_bucket_lo(i) + hist_bucket_width(i) - 1;

		if (hi > le_ns)
			break;	/* buckets are ordered and contiguous */
		n += h->bucket[i];
	}
	return n;
}

static void label_value(FILE *out, const char *s)
{
	fputc('"', out);
	for (; s && *s; s++) {
		if (*s == '\\')
			fputs("\\\\", out);
		else if (*s == '"')
			fputs("\\\"", out);
		else if (*s == '\n')
			fputs("\\n", out);
		else
			fputc(*s, out);
	}
	fputc('"', out);
}

static void family(FILE *out, const char *name, const char *type, const char *help)
{
	fprintf(out, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static void stage_histogram(FILE *out, const char *stage, const struct rx_hist *h)
{
	unsigned long long total = 0;

	for (uint32_t i = 0; i < RX_HIST_NBUCKETS; i++)
		total += h->bucket[i];
	/* Per-CPU reads of a live histogram may catch an update between its
	 * bucket and its count: keep +Inf >= every finite bucket and
	 * _count = +Inf, as Prometheus requires. */
	if (h->count > total)
		total = h->count;
	for (int b = 0; b < PROM_NBOUNDS; b++)
		fprintf(out, "rxlat_stage_seconds_bucket{stage=\"%s\",le=\"%s\"} %llu\n", stage,
			prom_bounds_le[b], prom_cumulative(h, prom_bounds_ns[b]));
	fprintf(out, "rxlat_stage_seconds_bucket{stage=\"%s\",le=\"+Inf\"} %llu\n", stage, total);
	/* the sum exactly, in decimal seconds */
	fprintf(out, "rxlat_stage_seconds_sum{stage=\"%s\"} %" PRIu64 ".%09" PRIu64 "\n", stage,
		(uint64_t)h->sum / 1000000000u, (uint64_t)h->sum % 1000000000u);
	fprintf(out, "rxlat_stage_seconds_count{stage=\"%s\"} %llu\n", stage, total);
}

void prom_render(FILE *out, const struct rx_hist hists[RX_NSTAGES], const struct tracer_counts *tc,
		 const struct prom_info *info)
{
	const __u64 *c = tc->c.c;
	/* the books, as report.c's books_of() keeps them */
	uint64_t delivered = c[RX_C_DELIVERED] + c[RX_C_FILTERED] + c[RX_C_UNMEASURED];
	uint64_t not_local = c[RX_C_FORWARDED] + c[RX_C_NO_SOCKET];
	static const struct prom_info none;

	if (!info)
		info = &none;

	family(out, "rxlat_stage_seconds", "histogram",
	       "UDP receive latency per packet and stage (driver, stack, socket, total; their parts "
	       "and estimates where measured), since start.");
	/* The main stages always, their parts and the estimates once measured
	 * (as in the JSON summary). */
	for (int i = 0; i < RX_NSTAGES; i++)
		if (i < RX_NMAIN_STAGES || hists[i].count)
			stage_histogram(out, stage_names[i], &hists[i]);

	family(out, "rxlat_packets_seen_total", "counter",
	       "UDP packets matching the filters, counted at their first hook.");
	fprintf(out, "rxlat_packets_seen_total %" PRIu64 "\n", (uint64_t)c[RX_C_SEEN]);

	family(out, "rxlat_packets_extra_total", "counter",
	       "Deliveries beyond one per packet seen: copy (a multicast packet for one more "
	       "socket), split (one more datagram cut from a GSO/GRO packet at its socket).");
	fprintf(out, "rxlat_packets_extra_total{kind=\"copy\"} %" PRIu64 "\n",
		(uint64_t)c[RX_C_COPIES]);
	fprintf(out, "rxlat_packets_extra_total{kind=\"split\"} %" PRIu64 "\n",
		(uint64_t)c[RX_C_SPLITS]);

	family(out, "rxlat_packets_total", "counter",
	       "Seen packets by outcome: delivered (read by a process), dropped, not_local "
	       "(forwarded or no socket), evicted (tracking table full), vanished (left by a "
	       "path no hook reports).");
	fprintf(out, "rxlat_packets_total{outcome=\"delivered\"} %" PRIu64 "\n", delivered);
	fprintf(out, "rxlat_packets_total{outcome=\"dropped\"} %" PRIu64 "\n",
		(uint64_t)c[RX_C_DROPPED]);
	fprintf(out, "rxlat_packets_total{outcome=\"not_local\"} %" PRIu64 "\n", not_local);
	fprintf(out, "rxlat_packets_total{outcome=\"evicted\"} %" PRIu64 "\n",
		(uint64_t)c[RX_C_EVICTED]);
	fprintf(out, "rxlat_packets_total{outcome=\"vanished\"} %" PRIu64 "\n",
		(uint64_t)c[RX_C_VANISHED]);

	family(out, "rxlat_packets_in_flight", "gauge",
	       "Seen packets without an outcome yet: before or in a socket queue.");
	fprintf(out, "rxlat_packets_in_flight %" PRIu64 "\n", (uint64_t)tc->in_flight);

	family(out, "rxlat_drops_total", "counter",
	       "Packets the kernel freed before any read, by stage and drop reason.");
	for (int st = 0; st < RX_NDROP_STAGES; st++) {
		for (int r = 0; r < RX_NREASONS; r++) {
			if (!tc->drops.n[st][r])
				continue;
			fprintf(out, "rxlat_drops_total{stage=\"%s\",reason=", prom_drop_stage[st]);
			label_value(out, reason_name((unsigned)r));
			fprintf(out, "} %" PRIu64 "\n", (uint64_t)tc->drops.n[st][r]);
		}
	}

	family(out, "rxlat_lost_events_total", "counter",
	       "Measurements lost: ringbuf (per-packet records not sent), table_full (stamps "
	       "evicted), socket_state (no per-socket state).");
	fprintf(out, "rxlat_lost_events_total{kind=\"ringbuf\"} %" PRIu64 "\n",
		(uint64_t)c[RX_C_LOST_EVENTS]);
	fprintf(out, "rxlat_lost_events_total{kind=\"table_full\"} %" PRIu64 "\n",
		(uint64_t)c[RX_C_EVICTED]);
	fprintf(out, "rxlat_lost_events_total{kind=\"socket_state\"} %" PRIu64 "\n",
		(uint64_t)c[RX_C_SOCK_STATE_FAIL]);

	family(out, "rxlat_build_info", "gauge",
	       "Always 1; the labels describe this rxlat and the hooks it runs on.");
	fputs("rxlat_build_info{version=", out);
	label_value(out, info->version);
	fputs(",libbpf=", out);
	label_value(out, info->libbpf);
	fputs(",kernel=", out);
	label_value(out, info->kernel);
	fputs(",hook_mode=", out);
	label_value(out, info->hook_mode);
	fputs(",hook_enqueue=", out);
	label_value(out, info->hook_enqueue);
	fputs(",hook_read=", out);
	label_value(out, info->hook_read);
	fputs("} 1\n", out);
}

/* ---- the server ---- */

#ifdef RXLAT_NO_PROMETHEUS
/* The static build (for minimal VM guests) leaves out libmicrohttpd. */
struct prom_server *prom_start(const char *addr_port, prom_snapshot_fn snap, void *ctx,
			       const struct prom_info *info, char *err, size_t errlen)
{
	snprintf(err, errlen, "this rxlat was built without Prometheus support (static build)");
	return NULL;
}

unsigned int prom_port(const struct prom_server *s)
{
	return 0;
}

void prom_stop(struct prom_server *s)
{
}
#else

#define PROM_CONTENT_TYPE "text/plain; version=0.0.4; charset=utf-8"

struct prom_server {
	struct MHD_Daemon *daemon;
	prom_snapshot_fn snap;
	void *ctx;
	pthread_mutex_t lock;	/* serializes snapshots (MHD runs one thread) */
	struct rx_hist *hists;	/* RX_NSTAGES, the snapshot */
	struct tracer_counts *tc;
	struct prom_info info;
	char *strings[6];	/* copies behind info */
	unsigned int port;
};

static enum MHD_Result reply_text(struct MHD_Connection *conn, unsigned int status,
				  const char *text, const char *allow)
{
	struct MHD_Response *r;
	enum MHD_Result ret;

	r = MHD_create_response_from_buffer(strlen(text), (void *)text, MHD_RESPMEM_PERSISTENT);
	if (!r)
		return MHD_NO;
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, "text/plain; charset=utf-8");
	if (allow)
		MHD_add_response_header(r, MHD_HTTP_HEADER_ALLOW, allow);
	ret = MHD_queue_response(conn, status, r);
	MHD_destroy_response(r);
	return ret;
}

static enum MHD_Result handle(void *cls, struct MHD_Connection *conn, const char *url,
			      const char *method, const char *version, const char *upload_data,
			      size_t *upload_data_size, void **con_cls)
{
	struct prom_server *s = cls;
	struct MHD_Response *r;
	enum MHD_Result ret;
	char *body = NULL;
	size_t len = 0;
	FILE *mem;
	int err;

	/* Errors are answered on the first call: MHD then discards any
	 * request body and closes the connection. */
	if (strcmp(url, "/metrics"))
		return reply_text(conn, MHD_HTTP_NOT_FOUND, "Not found: rxlat serves /metrics\n",
				  NULL);
	if (strcmp(method, MHD_HTTP_METHOD_GET) && strcmp(method, MHD_HTTP_METHOD_HEAD))
		return reply_text(conn, MHD_HTTP_METHOD_NOT_ALLOWED, "Method not allowed\n",
				  "GET, HEAD");

	/* A GET is answered on the second call: MHD 0.9 closes the connection
	 * after a response queued on the first one, and Prometheus keeps its
	 * connections alive. A body (there should be none) is discarded. */
	if (!*con_cls) {
		*con_cls = s;
		return MHD_YES;
	}
	if (*upload_data_size) {
		*upload_data_size = 0;
		return MHD_YES;
	}

	pthread_mutex_lock(&s->lock);
	memset(s->hists, 0, sizeof(*s->hists) * RX_NSTAGES);
	memset(s->tc, 0, sizeof(*s->tc));
	err = s->snap(s->ctx, s->hists, s->tc);
	if (!err && (mem = open_memstream(&body, &len))) {
		prom_render(mem, s->hists, s->tc, &s->info);
		if (fclose(mem)) {
			free(body);
			body = NULL;
		}
	}
	pthread_mutex_unlock(&s->lock);
	if (!body)
		return reply_text(conn, MHD_HTTP_SERVICE_UNAVAILABLE,
				  err ? "Reading rxlat's maps failed\n" : "Out of memory\n", NULL);

	r = MHD_create_response_from_buffer(len, body, MHD_RESPMEM_MUST_FREE);
	if (!r) {
		free(body);
		return MHD_NO;
	}
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, PROM_CONTENT_TYPE);
	MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
	ret = MHD_queue_response(conn, MHD_HTTP_OK, r);
	MHD_destroy_response(r);
	return ret;
}

/* "ADDR:PORT", "[ADDR6]:PORT", ":PORT", "localhost:PORT". any = wildcard. */
static int parse_listen(const char *spec, struct sockaddr_storage *ss, socklen_t *sslen,
			bool *any, char *err, size_t errlen)
{
	char host[INET6_ADDRSTRLEN + IF_NAMESIZE + 2];
	const char *colon, *p;
	struct sockaddr_in *sin = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ss;
	unsigned long port = 0;
	size_t hlen;

	memset(ss, 0, sizeof(*ss));
	*any = false;
	if (!spec || !*spec)
		goto bad;
	if (spec[0] == '[') {
		const char *rb = strchr(spec, ']');

		if (!rb || rb[1] != ':')
			goto bad;
		hlen = (size_t)(rb - spec - 1);
		if (!hlen || hlen >= sizeof(host))
			goto bad;
		memcpy(host, spec + 1, hlen);
		host[hlen] = '\0';
		colon = rb + 1;
	} else {
		colon = strrchr(spec, ':');
		if (!colon)
			goto bad;
		if (memchr(spec, ':', (size_t)(colon - spec))) {
			snprintf(err, errlen, "invalid listen address '%s': put IPv6 addresses in "
				 "brackets, as in [::1]:9465", spec);
			return -EINVAL;
		}
		hlen = (size_t)(colon - spec);
		if (hlen >= sizeof(host))
			goto bad;
		memcpy(host, spec, hlen);
		host[hlen] = '\0';
	}
	p = colon + 1;
	if (!*p || strlen(p) > 5)
		goto bad;
	for (; *p; p++) {
		if (*p < '0' || *p > '9')
			goto bad;
		port = port * 10 + (unsigned long)(*p - '0');
	}
	if (port > 65535)
		goto bad;

	if (spec[0] == '[') {
		char *pct = strchr(host, '%');

		if (pct) {
			*pct++ = '\0';
			sin6->sin6_scope_id = if_nametoindex(pct);
			if (!sin6->sin6_scope_id) {
				snprintf(err, errlen, "invalid listen address '%s': no interface '%s'",
					 spec, pct);
				return -EINVAL;
			}
		}
		if (inet_pton(AF_INET6, host, &sin6->sin6_addr) != 1)
			goto bad;
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons((uint16_t)port);
		*sslen = sizeof(*sin6);
		return 0;
	}
	if (!host[0]) {
		*any = true;
		sin6->sin6_family = AF_INET6;
		sin6->sin6_addr = in6addr_any;
		sin6->sin6_port = htons((uint16_t)port);
		*sslen = sizeof(*sin6);
		return 0;
	}
	if (!strcmp(host, "localhost"))
		strcpy(host, "127.0.0.1");
	if (inet_pton(AF_INET, host, &sin->sin_addr) != 1)
		goto bad;
	sin->sin_family = AF_INET;
	sin->sin_port = htons((uint16_t)port);
	*sslen = sizeof(*sin);
	return 0;
bad:
	snprintf(err, errlen, "invalid listen address '%s': expected IPv4:PORT, [IPv6]:PORT or "
		 ":PORT (all addresses), PORT from 0 to 65535", spec ? spec : "");
	return -EINVAL;
}

static int open_listener(const char *spec, struct sockaddr_storage *ss, socklen_t sslen, bool any,
			 char *err, size_t errlen)
{
	int fd, one = 1, zero = 0;

	fd = socket(ss->ss_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0 && any && (errno == EAFNOSUPPORT || errno == EPROTONOSUPPORT)) {
		/* a kernel without IPv6: all IPv4 addresses then */
		struct sockaddr_in *sin = (struct sockaddr_in *)ss;
		uint16_t port = ((struct sockaddr_in6 *)ss)->sin6_port;

		memset(ss, 0, sizeof(*ss));
		sin->sin_family = AF_INET;
		sin->sin_addr.s_addr = htonl(INADDR_ANY);
		sin->sin_port = port;
		sslen = sizeof(*sin);
		fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	}
	if (fd < 0) {
		snprintf(err, errlen, "cannot listen on %s: socket: %s", spec, strerror(errno));
		return -1;
	}
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (any && ss->ss_family == AF_INET6)
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof(zero));
	if (bind(fd, (struct sockaddr *)ss, sslen) || listen(fd, 64)) {
		snprintf(err, errlen, "cannot listen on %s: %s", spec, strerror(errno));
		close(fd);
		return -1;
	}
	return fd;
}

static unsigned int bound_port(int fd)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);

	if (getsockname(fd, (struct sockaddr *)&ss, &len))
		return 0;
	if (ss.ss_family == AF_INET6)
		return ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
	return ntohs(((struct sockaddr_in *)&ss)->sin_port);
}

static void free_server(struct prom_server *s)
{
	if (!s)
		return;
	for (size_t i = 0; i < sizeof(s->strings) / sizeof(s->strings[0]); i++)
		free(s->strings[i]);
	free(s->hists);
	free(s->tc);
	pthread_mutex_destroy(&s->lock);
	free(s);
}

struct prom_server *prom_start(const char *addr_port, prom_snapshot_fn snap, void *ctx,
			       const struct prom_info *info, char *err, size_t errlen)
{
	const char *src[6] = {};
	const char **dst[6];
	struct sockaddr_storage ss;
	struct prom_server *s;
	sigset_t all, saved;
	socklen_t sslen;
	bool any;
	int fd;

	if (!snap) {
		snprintf(err, errlen, "Prometheus exporter: no snapshot function");
		return NULL;
	}
	if (parse_listen(addr_port, &ss, &sslen, &any, err, errlen))
		return NULL;
	s = calloc(1, sizeof(*s));
	if (!s) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	pthread_mutex_init(&s->lock, NULL);
	s->snap = snap;
	s->ctx = ctx;
	s->hists = calloc(RX_NSTAGES, sizeof(*s->hists));
	s->tc = calloc(1, sizeof(*s->tc));
	if (info) {
		src[0] = info->version, src[1] = info->libbpf, src[2] = info->kernel;
		src[3] = info->hook_mode, src[4] = info->hook_enqueue, src[5] = info->hook_read;
	}
	dst[0] = &s->info.version, dst[1] = &s->info.libbpf, dst[2] = &s->info.kernel;
	dst[3] = &s->info.hook_mode, dst[4] = &s->info.hook_enqueue, dst[5] = &s->info.hook_read;
	for (int i = 0; i < 6; i++) {
		s->strings[i] = strdup(src[i] ? src[i] : "");
		*dst[i] = s->strings[i];
		if (!s->strings[i])
			goto oom;
	}
	if (!s->hists || !s->tc)
		goto oom;

	fd = open_listener(addr_port, &ss, sslen, any, err, errlen);
	if (fd < 0) {
		free_server(s);
		return NULL;
	}
	s->port = bound_port(fd);

	/* The HTTP thread inherits this mask: signals stay with the main thread. */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &saved);
	s->daemon = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_AUTO |
				     (ss.ss_family == AF_INET6 ? MHD_USE_IPv6 : 0),
				     0, NULL, NULL, handle, s,
				     MHD_OPTION_LISTEN_SOCKET, (MHD_socket)fd,
				     MHD_OPTION_CONNECTION_LIMIT, (unsigned int)32,
				     MHD_OPTION_CONNECTION_TIMEOUT, (unsigned int)30,
				     MHD_OPTION_END);
	pthread_sigmask(SIG_SETMASK, &saved, NULL);
	if (!s->daemon) {
		/* some of MHD's failure paths close the socket, others do not */
		if (fcntl(fd, F_GETFD) != -1)
			close(fd);
		snprintf(err, errlen, "cannot start the HTTP server on %s", addr_port);
		free_server(s);
		return NULL;
	}
	return s;
oom:
	snprintf(err, errlen, "out of memory");
	free_server(s);
	return NULL;
}

unsigned int prom_port(const struct prom_server *s)
{
	return s ? s->port : 0;
}

void prom_stop(struct prom_server *s)
{
	if (!s)
		return;
	MHD_stop_daemon(s->daemon);	/* joins the thread, closes the socket */
	free_server(s);
}
#endif /* RXLAT_NO_PROMETHEUS */
