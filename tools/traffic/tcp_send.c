// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * tcp_send: connect to a TCP receiver (tcp_sink) and either stream COUNT
 * messages of SIZE bytes, paced or as fast as possible, or (-p) play
 * ping-pong with an echoing receiver (tcp_sink -e) and report round-trip
 * times like udp_pingpong.
 *
 * Either way the end is clean and bounded: shutdown(SHUT_WR) tells the
 * receiver that nothing more comes, and the sender waits (within -t) for
 * the receiver to close in turn, so a receiver that stopped early (a reset)
 * is an error rather than silently lost data.
 */
#define _GNU_SOURCE
#include "udplib.h"

#include <errno.h>
#include <getopt.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define MAX_COUNT (1ULL << 62)
#define MAX_REQUESTS 10000000ULL	/* 80 MB of samples */
#define MAX_SIZE (16ULL << 20)
#define MAX_RATE 1000000000ULL

static void usage(void)
{
	printf("usage: %s [options] ADDR PORT\n"
	       "Connect to the numeric address ADDR, port PORT, and send COUNT messages of\n"
	       "SIZE bytes; then shutdown(SHUT_WR) and wait for the receiver to close.\n"
	       "  -n COUNT    messages (default 1000)\n"
	       "  -s SIZE     message bytes, 1..%llu (default 1000); from 8 bytes on, the\n"
	       "              first 8 carry a big-endian sequence number\n"
	       "  -r RATE     messages (-p: round trips) per second (default 0: unlimited)\n"
	       "  -B BURST    with -r: send BURST messages back to back, then wait (default 1)\n"
	       "  -N          leave Nagle's algorithm on (default: TCP_NODELAY)\n"
	       "  -p          ping-pong: send a message, read its SIZE bytes back, COUNT times\n"
	       "              (the receiver: tcp_sink -e -M SIZE)\n"
	       "  -w WARMUP   with -p: extra round trips first, not measured (default 0)\n"
	       "  -j          with -p: print the result as one JSON object\n"
	       "  -t SECONDS  overall timeout, connect included (default 30)\n"
	       "  -v          connection details on stderr\n"
	       "Prints 'sent BYTES bytes'; with -p instead\n"
	       "'rtt_us count C min X p50 X p90 X p99 X max X mean X'.\n"
	       "Exit: 0 ok, 1 failure (refused, reset, wrong echo), 2 bad arguments,\n"
	       "3 timeout or signal first.\n",
	       prog, MAX_SIZE);
}

/* All of BUF, adding what went out to *SENT; -1 with errno (EINTR: the run stopped). */
static int send_all(int fd, const unsigned char *buf, size_t len, uint64_t *sent)
{
	while (len) {
		ssize_t w = send(fd, buf, len, MSG_NOSIGNAL);

		if (w < 0) {
			if (errno == EINTR && !run_stop)
				continue;
			return -1;
		}
		*sent += (uint64_t)w;
		buf += w;
		len -= (size_t)w;
	}
	return 0;
}

/* Exactly LEN bytes: 0, 1 on EOF first, -1 with errno (EINTR: the run stopped). */
static int recv_all(int fd, unsigned char *buf, size_t len)
{
	while (len) {
		ssize_t r = recv(fd, buf, len, MSG_WAITALL);

		if (r == 0)
			return 1;
		if (r < 0) {
			if (errno == EINTR && !run_stop)
				continue;
			return -1;
		}
		buf += r;
		len -= (size_t)r;
	}
	return 0;
}

/* After shutdown(SHUT_WR): read (and drop) until the peer closes. 0, or -1 with errno. */
static int wait_close(int fd)
{
	static unsigned char junk[65536];

	for (;;) {
		ssize_t r = recv(fd, junk, sizeof(junk), 0);

		if (r == 0)
			return 0;
		if (r < 0 && (errno != EINTR || run_stop))
			return -1;
	}
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return (x > y) - (x < y);
}

/* Nearest rank, as udp_pingpong: the smallest sample with at least P% at or below it. */
static double pct_us(const uint64_t *v, uint64_t n, unsigned p)
{
	uint64_t rank = (p * n + 99) / 100;

	return (double)v[rank ? rank - 1 : 0] / 1000.0;
}

static void report(uint64_t *rtt, uint64_t n, int json)
{
	double min = 0, p50 = 0, p90 = 0, p99 = 0, max = 0, mean = 0;
	uint64_t sum = 0;

	if (n) {
		qsort(rtt, n, sizeof(*rtt), cmp_u64);
		for (uint64_t i = 0; i < n; i++)
			sum += rtt[i];
		min = (double)rtt[0] / 1000.0;
		max = (double)rtt[n - 1] / 1000.0;
		p50 = pct_us(rtt, n, 50);
		p90 = pct_us(rtt, n, 90);
		p99 = pct_us(rtt, n, 99);
		mean = (double)sum / (double)n / 1000.0;
	}
	if (json)
		printf("{\"type\":\"rtt_us\",\"count\":%llu,\"min\":%.3f,\"p50\":%.3f,"
		       "\"p90\":%.3f,\"p99\":%.3f,\"max\":%.3f,\"mean\":%.3f}\n",
		       (unsigned long long)n, min, p50, p90, p99, max, mean);
	else
		printf("rtt_us count %llu min %.3f p50 %.3f p90 %.3f p99 %.3f max %.3f mean %.3f\n",
		       (unsigned long long)n, min, p50, p90, p99, max, mean);
}

static const char *stop_word(void)
{
	return run_stop == RUN_TIMEOUT ? "timed out" : "interrupted";
}

int main(int argc, char **argv)
{
	uint64_t count = 1000, size = 1000, rate = 0, burst = 1, warmup = 0;
	uint64_t timeout_ns = DEFAULT_TIMEOUT_NS, done = 0, sent = 0, n = 0, start;
	int have_burst = 0, have_warmup = 0, nagle = 0, ping = 0, json = 0, verbose = 0;
	int opt, fd, status = 0, connected = 0, closed = 0;
	struct sockaddr_storage dst;
	socklen_t dstlen;
	unsigned char *tx, *rx = NULL;
	uint64_t *rtt = NULL;

	udp_init(argv[0]);
	opterr = 0;
	while ((opt = getopt(argc, argv, ":n:s:r:B:Npw:jt:vh")) != -1) {
		switch (opt) {
		case 'n': count = opt_u64(opt, optarg, 1, MAX_COUNT); break;
		case 's': size = opt_u64(opt, optarg, 1, MAX_SIZE); break;
		case 'r': rate = opt_u64(opt, optarg, 0, MAX_RATE); break;
		case 'B': burst = opt_u64(opt, optarg, 1, MAX_COUNT); have_burst = 1; break;
		case 'N': nagle = 1; break;
		case 'p': ping = 1; break;
		case 'w': warmup = opt_u64(opt, optarg, 0, MAX_REQUESTS); have_warmup = 1; break;
		case 'j': json = 1; break;
		case 't': timeout_ns = opt_seconds(opt, optarg); break;
		case 'v': verbose = 1; break;
		case 'h': usage(); return 0;
		case ':': usage_error("option -%c needs an argument", optopt);
		default: usage_error("unknown option -%c (see -h)", optopt);
		}
	}
	if (argc - optind != 2)
		usage_error("expected ADDR PORT after the options (see -h)");
	arg_sockaddr(argv[optind], argv[optind + 1], &dst, &dstlen);
	if (have_burst && !rate)
		usage_error("-B needs a rate (-r RATE)");
	if (have_burst && ping)
		usage_error("-B does not go with -p: a round trip at a time");
	if ((have_warmup || json) && !ping)
		usage_error("-%c needs -p", have_warmup ? 'w' : 'j');
	if (ping && count > MAX_REQUESTS)
		usage_error("invalid -n %llu: -p measures at most %llu round trips",
			    (unsigned long long)count, MAX_REQUESTS);

	tx = calloc(1, size);
	if (ping) {
		rx = malloc(size);
		rtt = malloc(count * sizeof(*rtt));
	}
	if (!tx || (ping && (!rx || !rtt)))
		fatal("out of memory");
	fd = socket(dst.ss_family, SOCK_STREAM | SOCK_CLOEXEC, IPPROTO_TCP);
	if (fd < 0)
		fatal_sys("socket");
	if (!nagle) {
		int one = 1;

		if (setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one)))
			fatal_sys("TCP_NODELAY");
	}

	run_start(timeout_ns);
	/* only the run's own signals interrupt a connect: EINTR means the run is over */
	if (connect(fd, (struct sockaddr *)&dst, dstlen) == 0)
		connected = 1;
	else if (errno != EINTR)
		fatal_sys("connect %s", sockaddr_str((struct sockaddr *)&dst));
	if (connected && verbose) {
		struct sockaddr_storage local;
		socklen_t ll = sizeof(local);
		char from[80];	/* sockaddr_str has one static buffer */

		getsockname(fd, (struct sockaddr *)&local, &ll);
		snprintf(from, sizeof(from), "%s", sockaddr_str((struct sockaddr *)&local));
		warn_msg("connected %s -> %s, %s, %s", from, sockaddr_str((struct sockaddr *)&dst),
			 nagle ? "Nagle" : "TCP_NODELAY", ping ? "ping-pong" : "stream");
	}

	start = mono_ns();
	for (uint64_t i = 0; connected && i < (ping ? warmup + count : count) && !run_stop; i++) {
		uint64_t t0, t1;

		/* pace by absolute deadlines: a late wakeup is made up, not accumulated */
		if (rate && i % burst == 0) {
			sleep_until_ns(start + (uint64_t)((unsigned __int128)i * NSEC_PER_SEC / rate));
			if (run_stop)
				break;
		}
		if (size >= 8)
			put_seq(tx, i);
		t0 = mono_ns();
		if (send_all(fd, tx, (size_t)size, &sent)) {
			if (run_stop)
				break;
			warn_msg("send to %s: %s", sockaddr_str((struct sockaddr *)&dst),
				 strerror(errno));
			status = 1;
			break;
		}
		if (!ping) {
			done++;
			continue;
		}
		switch (recv_all(fd, rx, (size_t)size)) {
		case 0:
			break;
		case 1:
			warn_msg("%s closed the connection before echo %llu",
				 sockaddr_str((struct sockaddr *)&dst), (unsigned long long)i);
			status = 1;
			break;
		default:
			if (!run_stop) {
				warn_msg("receive: %s", strerror(errno));
				status = 1;
			}
			break;
		}
		if (status || run_stop)
			break;
		t1 = mono_ns();
		if (memcmp(tx, rx, (size_t)size)) {
			warn_msg("echo %llu differs from the request", (unsigned long long)i);
			status = 1;
			break;
		}
		if (i >= warmup) {
			done++;
			rtt[n++] = t1 - t0;
		}
	}

	/* all sent: tell the receiver, and wait until it has read everything and closed */
	if (connected && !status && !run_stop) {
		if (shutdown(fd, SHUT_WR)) {
			warn_msg("shutdown: %s", strerror(errno));
			status = 1;
		} else if (wait_close(fd) == 0) {
			closed = 1;
		} else if (!run_stop) {
			/* a reset: the receiver closed with our data unread */
			warn_msg("waiting for %s to close: %s",
				 sockaddr_str((struct sockaddr *)&dst), strerror(errno));
			status = 1;
		}
	}

	if (ping)
		report(rtt, n, json);
	else
		printf("sent %llu bytes\n", (unsigned long long)sent);
	if (!status && !connected) {
		warn_msg("%s connecting to %s", stop_word(), sockaddr_str((struct sockaddr *)&dst));
		status = EXIT_TIMEOUT;
	} else if (!status && done < count) {
		warn_msg("%s after %llu of %llu %s", stop_word(), (unsigned long long)done,
			 (unsigned long long)count, ping ? "round trips" : "messages");
		status = EXIT_TIMEOUT;
	} else if (!status && !closed) {
		warn_msg("%s waiting for %s to close", stop_word(),
			 sockaddr_str((struct sockaddr *)&dst));
		status = EXIT_TIMEOUT;
	}
	close(fd);
	if (finish_stdout())
		status = 1;
	return status;
}
