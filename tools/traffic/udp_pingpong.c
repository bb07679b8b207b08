// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * udp_pingpong: a UDP echo server and a client that measures round trips.
 *
 * The client sends one datagram, waits for its echo, and only then sends
 * the next, so each round trip is a clean request/response latency with no
 * queueing behind earlier traffic. Its socket is not connected: a server
 * bound to a wildcard address may answer from another local address, and a
 * connected client would drop those answers. Echoes are matched by their
 * sequence number instead, so a late echo of a lost request is never
 * mistaken for the current one.
 */
#define _GNU_SOURCE
#include "udplib.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#define RETRY_NS (50 * NSEC_PER_USEC)		/* pause after ENOBUFS/EAGAIN */
#define REQUEST_TIMEOUT_NS NSEC_PER_SEC		/* an echo later than this is lost */
#define MAX_REQUESTS 100000000ULL		/* 400 MB of samples */
#define MAX_USEC (3600ULL * 1000000)

static void usage(void)
{
	printf("usage: %s server [options] ADDR PORT\n"
	       "       %s client [options] ADDR PORT\n"
	       "server: echo every datagram received on ADDR:PORT back to its sender.\n"
	       "  -n COUNT    exit after COUNT datagrams (default: until the timeout)\n"
	       "  -t SECONDS  overall timeout (default 30)\n"
	       "  -m MODE     recvmsg (default) | recvfrom | epoll\n"
	       "  -R FILE     write \"ready\" to FILE once bound\n"
	       "  -B USEC     set SO_BUSY_POLL\n"
	       "  prints 'echoed N bytes B' at the end\n"
	       "client: one request at a time to the server at ADDR:PORT, 1 s per echo.\n"
	       "  -n COUNT    measured requests (default 1000)\n"
	       "  -w WARMUP   extra requests first, not measured (default 10)\n"
	       "  -s SIZE     payload bytes, 8..65507 (65527 for IPv6), default 64\n"
	       "  -i USEC     pause between requests (default 0)\n"
	       "  -t SECONDS  overall timeout (default 30)\n"
	       "  -B USEC     set SO_BUSY_POLL\n"
	       "  -j          print the result as one JSON object\n"
	       "  prints 'rtt_us count C lost L min X p50 X p90 X p99 X max X mean X'\n"
	       "Exit: 0 ok, 1 failure (or no echo at all), 2 bad arguments,\n"
	       "3 timeout or signal before COUNT.\n",
	       prog, prog);
}

static int transient(int err)
{
	return err == ENOBUFS || err == EAGAIN || err == EWOULDBLOCK || err == EINTR;
}

/* ENOBUFS/EAGAIN are a full queue, not a failure: wait a little and retry. */
static int send_retry(int fd, const void *buf, size_t len, const struct sockaddr *to,
		      socklen_t tolen)
{
	while (sendto(fd, buf, len, 0, to, tolen) < 0) {
		if (!transient(errno) || run_stop)
			return -1;
		if (errno != EINTR)
			sleep_ns(RETRY_NS);
	}
	return 0;
}

/* --- server -------------------------------------------------------------- */

static int server(int argc, char **argv)
{
	uint64_t limit = 0, timeout_ns = DEFAULT_TIMEOUT_NS, busy = 0;
	uint64_t handled = 0, echoed = 0, bytes = 0, failed = 0;
	int have_busy = 0, opt, fd, ep = -1, status = 0;
	enum { S_RECVMSG, S_RECVFROM, S_EPOLL } mode = S_RECVMSG;
	const char *ready = NULL;
	struct sockaddr_storage ss, from;
	socklen_t sslen;
	static unsigned char buf[UDP_BUF_SIZE];
	struct iovec iov = { buf, sizeof(buf) };
	struct msghdr mh = { .msg_name = &from, .msg_iov = &iov, .msg_iovlen = 1 };

	opterr = 0;
	while ((opt = getopt(argc, argv, ":n:t:m:R:B:h")) != -1) {
		switch (opt) {
		case 'n': limit = opt_u64(opt, optarg, 1, UINT64_MAX); break;
		case 't': timeout_ns = opt_seconds(opt, optarg); break;
		case 'm':
			if (!strcmp(optarg, "recvmsg"))
				mode = S_RECVMSG;
			else if (!strcmp(optarg, "recvfrom"))
				mode = S_RECVFROM;
			else if (!strcmp(optarg, "epoll"))
				mode = S_EPOLL;
			else
				usage_error("invalid -m '%s': expected recvmsg, recvfrom or epoll",
					    optarg);
			break;
		case 'R': ready = optarg; break;
		case 'B': busy = opt_u64(opt, optarg, 0, INT32_MAX); have_busy = 1; break;
		case 'h': usage(); exit(0);
		case ':': usage_error("option -%c needs an argument", optopt);
		default: usage_error("unknown server option -%c (see -h)", optopt);
		}
	}
	if (argc - optind != 2)
		usage_error("expected ADDR PORT after the server options (see -h)");
	arg_sockaddr(argv[optind], argv[optind + 1], &ss, &sslen);
	if (ready && !*ready)
		usage_error("-R needs a file name");

	fd = udp_socket(ss.ss_family);
	if (have_busy)
		set_busy_poll(fd, busy);
	udp_bind(fd, &ss, sslen);
	if (mode == S_EPOLL) {
		struct epoll_event ev = { .events = EPOLLIN, .data.fd = fd };

		ep = epoll_create1(EPOLL_CLOEXEC);
		if (ep < 0 || epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev))
			fatal_sys("epoll");
	}

	run_start(timeout_ns);
	if (ready && write_ready_file(ready))
		fatal_sys("ready file %s", ready);
	while (!run_stop && (!limit || handled < limit)) {
		socklen_t fromlen = sizeof(from);
		ssize_t r;

		if (mode == S_EPOLL) {
			struct epoll_event ev;

			if (epoll_wait(ep, &ev, 1, -1) <= 0) {
				if (errno == EINTR)
					continue;
				warn_msg("epoll_wait: %s", strerror(errno));
				status = 1;
				break;
			}
		}
		if (mode == S_RECVFROM) {
			r = recvfrom(fd, buf, sizeof(buf), 0, (struct sockaddr *)&from, &fromlen);
		} else {
			mh.msg_namelen = sizeof(from);
			r = recvmsg(fd, &mh, mode == S_EPOLL ? MSG_DONTWAIT : 0);
			fromlen = mh.msg_namelen;
		}
		if (r < 0) {
			if (transient(errno))
				continue;
			warn_msg("receive: %s", strerror(errno));
			status = 1;
			break;
		}
		handled++;
		/* a client that vanished must not stop the server for the others */
		if (send_retry(fd, buf, (size_t)r, (struct sockaddr *)&from, fromlen) == 0) {
			echoed++;
			bytes += (uint64_t)r;
		} else if (!run_stop) {
			failed++;
		}
	}

	if (failed)
		printf("echoed %llu bytes %llu failed %llu\n", (unsigned long long)echoed,
		       (unsigned long long)bytes, (unsigned long long)failed);
	else
		printf("echoed %llu bytes %llu\n", (unsigned long long)echoed,
		       (unsigned long long)bytes);
	if (!status && limit && handled < limit) {
		warn_msg("%s after %llu of %llu datagrams",
			 run_stop == RUN_TIMEOUT ? "timed out" : "interrupted",
			 (unsigned long long)handled, (unsigned long long)limit);
		status = EXIT_TIMEOUT;
	}
	if (finish_stdout())
		status = 1;
	return status;
}

/* --- client -------------------------------------------------------------- */

enum { ECHO_GOT, ECHO_LOST, ECHO_STOPPED, ECHO_ERROR };

static void set_rcvtimeo(int fd, uint64_t ns)
{
	/* round up: a zero timeval would mean "wait forever" */
	uint64_t us = (ns + 999) / 1000;
	struct timeval tv = { .tv_sec = (time_t)(us / 1000000),
			      .tv_usec = (suseconds_t)(us % 1000000) };

	if (setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)))
		fatal_sys("SO_RCVTIMEO");
}

/*
 * Wait for the echo of request SEQ until DEADLINE (monotonic). A blocking
 * recv with SO_RCVTIMEO rather than poll+recv: one syscall fewer inside the
 * measured round trip. *SHORTENED says the timeout was cut for this request.
 */
static int wait_echo(int fd, unsigned char *rx, size_t size, uint64_t seq, uint64_t deadline,
		     uint64_t *t1, int *shortened)
{
	for (;;) {
		ssize_t r = recv(fd, rx, UDP_BUF_SIZE, 0);
		uint64_t now = mono_ns();

		if (r < 0) {
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				return ECHO_LOST;
			if (errno != EINTR)
				return ECHO_ERROR;
			if (run_stop)
				return ECHO_STOPPED;
		} else if ((size_t)r == size && get_seq(rx) == seq) {
			*t1 = now;
			return ECHO_GOT;
		}
		/* a late echo of an earlier request: wait only for what is left */
		if (now >= deadline)
			return ECHO_LOST;
		set_rcvtimeo(fd, deadline - now);
		*shortened = 1;
	}
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return (x > y) - (x < y);
}

/* Nearest rank: the smallest sample with at least P% of all samples at or below it. */
static double pct_us(const uint32_t *v, uint64_t n, unsigned p)
{
	uint64_t rank = (p * n + 99) / 100;

	return v[rank ? rank - 1 : 0] / 1000.0;
}

static void report(uint32_t *rtt, uint64_t n, uint64_t lost, int json)
{
	double min = 0, p50 = 0, p90 = 0, p99 = 0, max = 0, mean = 0;
	uint64_t sum = 0;

	if (n) {
		qsort(rtt, n, sizeof(*rtt), cmp_u32);
		for (uint64_t i = 0; i < n; i++)
			sum += rtt[i];
		min = rtt[0] / 1000.0;
		max = rtt[n - 1] / 1000.0;
		p50 = pct_us(rtt, n, 50);
		p90 = pct_us(rtt, n, 90);
		p99 = pct_us(rtt, n, 99);
		mean = (double)sum / (double)n / 1000.0;
	}
	if (json)
		printf("{\"type\":\"rtt_us\",\"count\":%llu,\"lost\":%llu,\"min\":%.3f,"
		       "\"p50\":%.3f,\"p90\":%.3f,\"p99\":%.3f,\"max\":%.3f,\"mean\":%.3f}\n",
		       (unsigned long long)n, (unsigned long long)lost, min, p50, p90, p99, max,
		       mean);
	else
		printf("rtt_us count %llu lost %llu min %.3f p50 %.3f p90 %.3f p99 %.3f "
		       "max %.3f mean %.3f\n",
		       (unsigned long long)n, (unsigned long long)lost, min, p50, p90, p99, max,
		       mean);
}

static int client(int argc, char **argv)
{
	uint64_t count = 1000, warmup = 10, size = 64, gap_ns = 0, busy = 0;
	uint64_t timeout_ns = DEFAULT_TIMEOUT_NS, n = 0, lost = 0, done = 0;
	int json = 0, have_busy = 0, opt, fd, status = 0, shortened = 0;
	struct sockaddr_storage srv;
	socklen_t srvlen;
	unsigned char *tx;
	static unsigned char rx[UDP_BUF_SIZE];
	uint32_t *rtt;

	opterr = 0;
	while ((opt = getopt(argc, argv, ":n:w:s:i:t:B:jh")) != -1) {
		switch (opt) {
		case 'n': count = opt_u64(opt, optarg, 1, MAX_REQUESTS); break;
		case 'w': warmup = opt_u64(opt, optarg, 0, MAX_REQUESTS); break;
		case 's': size = opt_u64(opt, optarg, 8, 65527); break;
		case 'i': gap_ns = opt_u64(opt, optarg, 0, MAX_USEC) * NSEC_PER_USEC; break;
		case 't': timeout_ns = opt_seconds(opt, optarg); break;
		case 'B': busy = opt_u64(opt, optarg, 0, INT32_MAX); have_busy = 1; break;
		case 'j': json = 1; break;
		case 'h': usage(); exit(0);
		case ':': usage_error("option -%c needs an argument", optopt);
		default: usage_error("unknown client option -%c (see -h)", optopt);
		}
	}
	if (argc - optind != 2)
		usage_error("expected ADDR PORT after the client options (see -h)");
	arg_sockaddr(argv[optind], argv[optind + 1], &srv, &srvlen);
	if (srv.ss_family == AF_INET && size > 65507)
		usage_error("invalid -s %llu: IPv4 payloads are at most 65507 bytes",
			    (unsigned long long)size);

	tx = calloc(1, size);
	rtt = malloc(count * sizeof(*rtt));
	if (!tx || !rtt)
		fatal("out of memory");
	fd = udp_socket(srv.ss_family);
	if (have_busy)
		set_busy_poll(fd, busy);
	set_rcvtimeo(fd, REQUEST_TIMEOUT_NS);

	run_start(timeout_ns);
	for (uint64_t seq = 0; seq < warmup + count && !run_stop; seq++) {
		uint64_t t0, t1 = 0;
		int res;

		if (shortened) {
			set_rcvtimeo(fd, REQUEST_TIMEOUT_NS);
			shortened = 0;
		}
		put_seq(tx, seq);
		t0 = mono_ns();
		if (send_retry(fd, tx, size, (struct sockaddr *)&srv, srvlen)) {
			if (run_stop)
				break;
			warn_msg("send to %s: %s", sockaddr_str((struct sockaddr *)&srv),
				 strerror(errno));
			status = 1;
			break;
		}
		res = wait_echo(fd, rx, size, seq, t0 + REQUEST_TIMEOUT_NS, &t1, &shortened);
		if (res == ECHO_STOPPED)
			break;	/* cut short by the timeout: neither answered nor lost */
		if (res == ECHO_ERROR) {
			warn_msg("receive: %s", strerror(errno));
			status = 1;
			break;
		}
		if (seq >= warmup) {
			done++;
			if (res == ECHO_LOST)
				lost++;
			else	/* < 2^32 ns: the wait is capped at about 1 s */
				rtt[n++] = (uint32_t)(t1 - t0);
		}
		if (gap_ns)
			sleep_ns(gap_ns);
	}

	report(rtt, n, lost, json);
	if (!status && done < count) {
		warn_msg("%s after %llu of %llu requests",
			 run_stop == RUN_TIMEOUT ? "timed out" : "interrupted",
			 (unsigned long long)done, (unsigned long long)count);
		status = EXIT_TIMEOUT;
	} else if (!status && n == 0) {
		warn_msg("no echo from %s", sockaddr_str((struct sockaddr *)&srv));
		status = 1;
	}
	if (finish_stdout())
		status = 1;
	return status;
}

int main(int argc, char **argv)
{
	udp_init(argv[0]);
	if (argc >= 2 && !strcmp(argv[1], "server"))
		return server(argc - 1, argv + 1);
	if (argc >= 2 && !strcmp(argv[1], "client"))
		return client(argc - 1, argv + 1);
	if (argc >= 2 && (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help"))) {
		usage();
		return 0;
	}
	usage_error("expected 'server' or 'client' first (see -h)");
}
