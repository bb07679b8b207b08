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
 *
 * To a multicast group it can set the hop limit (-T), the outgoing
 * interface (-i) and loopback (-L). With -G it hands the kernel one buffer
 * per send and lets UDP GSO (UDP_SEGMENT) cut it into datagrams, each with
 * its own sequence number, as a QUIC server does.
 */
#define _GNU_SOURCE
#include "udplib.h"

#include <errno.h>
#include <getopt.h>
#include <netinet/in.h>
#include <netinet/udp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define RETRY_NS (50 * NSEC_PER_USEC)	/* pause after ENOBUFS/EAGAIN */
#define MAX_COUNT (1ULL << 62)
#define MAX_PPS 1000000000ULL

#ifndef UDP_SEGMENT
#define UDP_SEGMENT 103
#endif

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
	       "  -T TTL      multicast TTL / hop limit, 0..255 (default 1)\n"
	       "  -i IFNAME   send multicast out of this interface (default: as routed)\n"
	       "  -L          set multicast loopback on explicitly (the kernel default)\n"
	       "  -G SEGSIZE  UDP GSO: each send() passes SIZE bytes that the stack cuts into\n"
	       "              datagrams of SEGSIZE (the last may be shorter, at least 8);\n"
	       "              COUNT still counts datagrams; SEGSIZE must fit the path MTU\n"
	       "Prints 'sent N' ('sent N refused R' after ICMP port unreachables).\n"
	       "Exit: 0 ok, 1 failure, 2 bad arguments, 3 timeout or signal before COUNT.\n",
	       prog);
}

/* Multicast options: TTL (-1: leave), the interface (0: as routed), loopback forced on. */
static void set_multicast(int fd, int family, int ttl, unsigned ifindex, int loop)
{
	int on = 1, got = 0;
	socklen_t gl = sizeof(got);

	if (family == AF_INET) {
		struct ip_mreqn mr = { .imr_ifindex = (int)ifindex };

		if (ttl >= 0 && setsockopt(fd, IPPROTO_IP, IP_MULTICAST_TTL, &ttl, sizeof(ttl)))
			fatal_sys("IP_MULTICAST_TTL %d", ttl);
		if (ifindex && setsockopt(fd, IPPROTO_IP, IP_MULTICAST_IF, &mr, sizeof(mr)))
			fatal_sys("IP_MULTICAST_IF %u", ifindex);
		if (loop && (setsockopt(fd, IPPROTO_IP, IP_MULTICAST_LOOP, &on, sizeof(on)) ||
			     getsockopt(fd, IPPROTO_IP, IP_MULTICAST_LOOP, &got, &gl)))
			fatal_sys("IP_MULTICAST_LOOP");
	} else {
		int idx = (int)ifindex;

		if (ttl >= 0 &&
		    setsockopt(fd, IPPROTO_IPV6, IPV6_MULTICAST_HOPS, &ttl, sizeof(ttl)))
			fatal_sys("IPV6_MULTICAST_HOPS %d", ttl);
		if (ifindex && setsockopt(fd, IPPROTO_IPV6, IPV6_MULTICAST_IF, &idx, sizeof(idx)))
			fatal_sys("IPV6_MULTICAST_IF %u", ifindex);
		if (loop && (setsockopt(fd, IPPROTO_IPV6, IPV6_MULTICAST_LOOP, &on, sizeof(on)) ||
			     getsockopt(fd, IPPROTO_IPV6, IPV6_MULTICAST_LOOP, &got, &gl)))
			fatal_sys("IPV6_MULTICAST_LOOP");
	}
	/* read back: make sure the kernel really loops our datagrams to local sockets */
	if (loop && !got)
		fatal("multicast loopback did not turn on");
}

int main(int argc, char **argv)
{
	uint64_t count = 1000, size = 64, pps = 0, burst = 1, sport = 0;
	uint64_t timeout_ns = DEFAULT_TIMEOUT_NS, sent = 0, refused = 0, retries = 0, start, n, len;
	uint64_t ttl = 0, segsize = 0;
	const char *src = NULL, *ifname = NULL;
	int have_burst = 0, have_ttl = 0, loop = 0, opt, fd, status = 0;
	unsigned ifindex = 0;
	struct sockaddr_storage dst, local;
	socklen_t dstlen, locallen;
	unsigned char *buf;

	udp_init(argv[0]);
	opterr = 0;
	while ((opt = getopt(argc, argv, ":n:s:r:B:p:I:t:T:i:LG:h")) != -1) {
		switch (opt) {
		case 'n': count = opt_u64(opt, optarg, 1, MAX_COUNT); break;
		case 's': size = opt_u64(opt, optarg, 8, 65527); break;
		case 'r': pps = opt_u64(opt, optarg, 0, MAX_PPS); break;
		case 'B': burst = opt_u64(opt, optarg, 1, MAX_COUNT); have_burst = 1; break;
		case 'p': sport = opt_u64(opt, optarg, 1, 65535); break;
		case 'I': src = optarg; break;
		case 't': timeout_ns = opt_seconds(opt, optarg); break;
		case 'T': ttl = opt_u64(opt, optarg, 0, 255); have_ttl = 1; break;
		case 'i': ifname = optarg; break;
		case 'L': loop = 1; break;
		case 'G': segsize = opt_u64(opt, optarg, 8, 65527); break;
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
	if ((have_ttl || ifname || loop) && !sockaddr_is_multicast(&dst))
		usage_error("-%c needs a multicast ADDR, not %s", have_ttl ? 'T' : ifname ? 'i' : 'L',
			    argv[optind]);
	if (ifname)
		ifindex = opt_ifindex('i', ifname);
	if (segsize) {
		if (segsize >= size)
			usage_error("-G %llu needs a larger -s SIZE to cut (-s %llu)",
				    (unsigned long long)segsize, (unsigned long long)size);
		if (size % segsize && size % segsize < 8)
			usage_error("-s %llu -G %llu leaves a last datagram of %llu bytes, under 8",
				    (unsigned long long)size, (unsigned long long)segsize,
				    (unsigned long long)(size % segsize));
		if (have_burst)
			usage_error("-B does not go with -G: each send is a burst already");
	}
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
	/* before connect: it routes a multicast destination by the chosen interface */
	set_multicast(fd, dst.ss_family, have_ttl ? (int)ttl : -1, ifindex, loop);
	if (segsize) {
		int v = (int)segsize;

		if (setsockopt(fd, SOL_UDP, UDP_SEGMENT, &v, sizeof(v)))
			fatal_sys("UDP_SEGMENT %d", v);
	}
	if (connect(fd, (struct sockaddr *)&dst, dstlen))
		fatal_sys("connect %s%s", sockaddr_str((struct sockaddr *)&dst),
			  sockaddr_is_multicast(&dst) && !ifindex ?
				  " (a multicast group needs a route or -i IFNAME)" : "");

	run_start(timeout_ns);
	start = mono_ns();
	while (sent < count && !run_stop) {
		/* pace by absolute deadlines: a late wakeup is made up, not accumulated */
		if (pps && sent % burst == 0) {
			sleep_until_ns(start + (uint64_t)((unsigned __int128)sent * NSEC_PER_SEC / pps));
			if (run_stop)
				break;
		}
		/* -G: one send, several datagrams; never more than COUNT in all */
		n = 1;
		len = size;
		if (segsize) {
			n = (size + segsize - 1) / segsize;
			if (n > count - sent) {
				n = count - sent;
				len = n * segsize;
			}
		}
		for (uint64_t i = 0; i < n; i++)
			put_seq(buf + i * segsize, sent + i);
		if (send(fd, buf, len, 0) >= 0) {
			sent += n;
			continue;
		}
		if (errno == ECONNREFUSED) {
			refused++;	/* reported for an earlier datagram; this one did not go out */
		} else if (errno == ENOBUFS || errno == EAGAIN || errno == EWOULDBLOCK) {
			retries++;
			sleep_ns(RETRY_NS);
		} else if (errno != EINTR) {
			if (segsize && (errno == EINVAL || errno == EIO || errno == EMSGSIZE))
				warn_msg("send to %s with UDP_SEGMENT %llu: %s (each datagram must fit "
					 "the route's MTU, at most 64 or 128 of them per send, and the "
					 "device must offload checksums)",
					 sockaddr_str((struct sockaddr *)&dst),
					 (unsigned long long)segsize, strerror(errno));
			else
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
