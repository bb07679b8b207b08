/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Prometheus exporter: GET /metrics in the text exposition format 0.0.4,
 * served by libmicrohttpd from its own thread.
 */
#ifndef RXLAT_PROM_H
#define RXLAT_PROM_H

#include <stddef.h>
#include <stdio.h>
#include "rxlat_abi.h"
#include "tracer.h"

/*
 * Fills cumulative (since start) histograms and counters; called from the
 * HTTP thread once per scrape, never concurrently with itself, on zeroed
 * buffers. Returns 0, or non-zero to answer the scrape with 503. It runs
 * concurrently with the main thread: it must not share scratch buffers
 * with it unlocked (tracer_read() uses the tracer's percpu_buf).
 * prom_render() calls reason_name(): call reasons_load() before prom_start().
 */
typedef int (*prom_snapshot_fn)(void *ctx, struct rx_hist hists[RX_NSTAGES],
				struct tracer_counts *tc);

/* Labels of rxlat_build_info; NULL fields are exported as "". */
struct prom_info {
	const char *version, *libbpf, *kernel, *hook_mode, *hook_enqueue, *hook_read;
};

struct prom_server;

/*
 * Listen on @addr_port and serve until prom_stop(). Accepted forms:
 *   "127.0.0.1:9465"  numeric IPv4 address
 *   "[::1]:9465"      numeric IPv6 address in brackets
 *   ":9465"           all addresses (IPv6 and IPv4 when the kernel has IPv6)
 *   "localhost:9465"  127.0.0.1
 * Port 0 picks a free port (see prom_port()). @info is copied. On a bad
 * address or a socket/bind/listen failure, returns NULL with one line in @err.
 */
struct prom_server *prom_start(const char *addr_port, prom_snapshot_fn snap, void *ctx,
			       const struct prom_info *info, char *err, size_t errlen);
/* Stop serving, wait for the HTTP thread (a scrape in progress finishes),
 * free. Call it before tearing down what snap() reads. NULL is a no-op. */
void prom_stop(struct prom_server *s);
/* The port actually bound (useful with port 0). */
unsigned int prom_port(const struct prom_server *s);

/* The /metrics body for these cumulative values. */
void prom_render(FILE *out, const struct rx_hist hists[RX_NSTAGES], const struct tracer_counts *tc,
		 const struct prom_info *info);

/* Upper bounds ("le") of rxlat_stage_seconds, in ns; +Inf follows them. */
#define PROM_NBOUNDS 19
extern const unsigned long long prom_bounds_ns[PROM_NBOUNDS];

/*
 * Observations counted at or below @le_ns: every log-linear bucket whose
 * highest value is <= le_ns. A bucket straddling le_ns counts as above it.
 */
unsigned long long prom_cumulative(const struct rx_hist *h, unsigned long long le_ns);

#endif
