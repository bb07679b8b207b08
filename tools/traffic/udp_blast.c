// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * udp_blast: send COUNT numbered UDP datagrams, as fast as possible or
 * paced to a rate (optionally in back-to-back bursts). Each payload starts
 * with its big-endian sequence number, so a receiver can tell which
 * datagrams arrived.
 *
 * The socket is connected: the kernel routes once, and an ICMP port
 * unreachable comes back as ECONNREFUSED on a later send. That send did not
 * go out, so the same datagram is sent again; a receiver that starts late
 * simply misses the early sequence numbers.
 */
#define _GNU_SOURCE
#include "udplib.h"

#include <errno.h>
#include <getopt.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define RETRY_NS (50 * NSEC_PER_USEC)	/* pause after ENOBUFS/EAGAIN */
#define MAX_COUNT (1ULL << 62)
#define MAX_PPS 1000000000ULL

static void usage(void)
{
	printf("usage: %s [options] ADDR PORT\n"
	       "Send numbered UDP datagrams to the numeric address ADDR, port PORT.\n"
	       "  -n COUNT    datagrams to send (default 1000)\n"
	       "  -s SIZE     payload bytes, 8..65507 (65527 for IPv6), default 64;\n"
	       "              the first 8 carry a big-endian sequence number\n"
	       "  -r PPS      rate limit in datagrams per second (default 0: unlimited)\n"
	       "  -B BURST    with -r: send BURST back to back, then wait (default 1)\n"
	       "  -p SRCPORT  bind this source port\n"
	       "  -I ADDR     bind this source address\n"
	       "  -t SECONDS  overall timeout (default 30); exit 3 if hit before COUNT\n"
	       "Prints 'sent N' ('sent N refused R' after ICMP port unreachables).\n"
	       "Exit: 0 ok, 1 failure, 2 bad arguments, 3 timeout or signal before COUNT.\n",
	       prog);
}

int main(int argc, char **argv)
{
	uint64_t count = 1000, size = 64, pps = 0, burst = 1, sport = 0;
	uint64_t timeout_ns = DEFAULT_TIMEOUT_NS, sent = 0, refused = 0, retries = 0, start;
	const char *src = NULL;
	int have_burst = 0, opt, fd, status = 0;
	struct sockaddr_storage dst, local;
	socklen_t dstlen, locallen;
	unsigned char *buf;

	udp_init(argv[0]);
	opterr = 0;
	while ((opt = getopt(argc, argv, ":n:s:r:B:p:I:t:h")) != -1) {
		switch (opt) {
		case 'n': count = opt_u64(opt, optarg, 1, MAX_COUNT); break;
		case 's': size = opt_u64(opt, optarg, 8, 65527); break;
		case 'r': pps = opt_u64(opt, optarg, 0, MAX_PPS); break;
		case 'B': burst = opt_u64(opt, optarg, 1, MAX_COUNT); have_burst = 1; break;
		case 'p': sport = opt_u64(opt, optarg, 1, 65535); break;
		case 'I': src = optarg; break;
		case 't': timeout_ns = opt_seconds(opt, optarg); break;
		case 'h': usage(); return 0;
		case ':': usage_error("option -%c needs an argument", optopt);
		default: usage_error("unknown option -%c (see -h)", optopt);
		}
	}
	if (argc - optind != 2)
		usage_error("expected ADDR PORT after the options (see -h)");
	arg_sockaddr(argv[optind], argv[optind + 1], &dst, &dstlen);
	if (dst.ss_family == AF_INET && size > 65507)
		usage_error("invalid -s %llu: IPv4 payloads are at most 65507 bytes",
			    (unsigned long long)size);
	if (have_burst && !pps)
		usage_error("-B needs a rate (-r PPS)");
	if (src || sport) {
		char port[8];

		snprintf(port, sizeof(port), "%llu", (unsigned long long)sport);
		if (!src)
			src = dst.ss_family == AF_INET ? "0.0.0.0" : "::";
		if (parse_sockaddr(src, port, &local, &locallen))
			usage_error("invalid -I '%s': expected a numeric IPv4 or IPv6 address", src);
		if (local.ss_family != dst.ss_family)
			usage_error("-I %s and %s are not the same address family", src,
				    argv[optind]);
	}

	buf = calloc(1, size);
	if (!buf)
		fatal("out of memory");
	fd = udp_socket(dst.ss_family);
	if (src)
		udp_bind(fd, &local, locallen);
	if (connect(fd, (struct sockaddr *)&dst, dstlen))
		fatal_sys("connect %s", sockaddr_str((struct sockaddr *)&dst));

	run_start(timeout_ns);
	start = mono_ns();
	while (sent < count && !run_stop) {
		/* pace by absolute deadlines: a late wakeup is made up, not accumulated */
		if (pps && sent % burst == 0) {
			sleep_until_ns(start + (uint64_t)((unsigned __int128)sent * NSEC_PER_SEC / pps));
			if (run_stop)
				break;
		}
		put_seq(buf, sent);
		if (send(fd, buf, size, 0) >= 0) {
			sent++;
			continue;
		}
		if (errno == ECONNREFUSED) {
			refused++;	/* reported for an earlier datagram; this one did not go out */
		} else if (errno == ENOBUFS || errno == EAGAIN || errno == EWOULDBLOCK) {
			retries++;
			sleep_ns(RETRY_NS);
		} else if (errno != EINTR) {
			warn_msg("send to %s: %s", sockaddr_str((struct sockaddr *)&dst),
				 strerror(errno));
			status = 1;
			break;
		}
	}

	if (refused)
		printf("sent %llu refused %llu\n", (unsigned long long)sent,
		       (unsigned long long)refused);
	else
		printf("sent %llu\n", (unsigned long long)sent);
	if (retries)
		warn_msg("%llu sends retried after ENOBUFS/EAGAIN", (unsigned long long)retries);
	if (!status && sent < count) {
		warn_msg("%s after %llu of %llu datagrams",
			 run_stop == RUN_TIMEOUT ? "timed out" : "interrupted",
			 (unsigned long long)sent, (unsigned long long)count);
		status = EXIT_TIMEOUT;
	}
	if (finish_stdout())
		status = 1;
	return status;
}
