// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * udp_sink: a UDP receiver that reads in any of the ways applications do
 * (recvmsg, recvfrom, recvmmsg, read, epoll, poll, non-blocking spin), so
 * rxlat's tests can check that every read path is matched to its packets.
 * It can also measure the classic SO_TIMESTAMPNS latency (-T) that rxlat's
 * numbers are compared against, join a multicast group (-g; several sinks
 * may share the group and port), and take GRO-merged reads (-U), which it
 * counts as the datagrams they were sent as.
 *
 * The process that starts is the process that reads: no fork, no threads,
 * so a test can point rxlat at its pid.
 */
#define _GNU_SOURCE
#include "udplib.h"

#include <errno.h>
#include <getopt.h>
#include <netinet/in.h>
#include <netinet/udp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

enum mode { M_RECVMSG, M_RECVFROM, M_RECVMMSG, M_READ, M_EPOLL, M_POLL, M_NONBLOCK };
static const char *const mode_names[] = {
	"recvmsg", "recvfrom", "recvmmsg", "read", "epoll", "poll", "nonblock",
};
#define N_MODES (sizeof(mode_names) / sizeof(mode_names[0]))

#define MAX_BATCH 1024			/* the kernel's UIO_MAXIOV caps recvmmsg's vlen */
#define NAP_NS (50 * NSEC_PER_USEC)	/* nonblock mode's pause after EAGAIN */
#define MAX_USEC (3600ULL * 1000000)	/* sleeps longer than an hour are typos */
#define CTL_SIZE 128			/* room for SCM_TIMESTAMPNS, UDP_GRO and then some */

#ifndef UDP_GRO
#define UDP_GRO 104
#endif
#ifndef IPV6_MULTICAST_ALL
#define IPV6_MULTICAST_ALL 29
#endif

struct sink {
	int fd, ep;
	enum mode mode;
	uint64_t limit;			/* datagrams to read; 0 = until the timeout */
	unsigned batch;
	uint64_t slow_ns;
	int peek, tstamp, gro, quiet;
	uint64_t count, bytes, no_tstamp;
	uint64_t gro_reads, gro_merged, gro_max;	/* -U: reads, those with >1 datagram, most in one */
	/* one slot per batch entry; single-read modes use slot 0 */
	struct mmsghdr *msgs;
	struct iovec *iov;
	unsigned char *bufs;
	unsigned char (*ctl)[CTL_SIZE];
	struct sockaddr_storage *from;
};

static void usage(void)
{
	printf("usage: %s [options] ADDR PORT\n"
	       "Receive UDP datagrams on the numeric address ADDR, port PORT.\n"
	       "  -n COUNT    stop after COUNT datagrams (default: until the timeout)\n"
	       "  -t SECONDS  overall timeout (default 30); exit 3 if hit before COUNT\n"
	       "  -m MODE     recvmsg (default) | recvfrom | recvmmsg | read | epoll | poll | nonblock\n"
	       "  -b N        recvmmsg batch size, 1..%d (default 8)\n"
	       "  -s USEC     sleep after every read (a slow reader)\n"
	       "  -S USEC     sleep once after binding, before the first read\n"
	       "  -W FILE     once bound (and -R written), wait until FILE exists before\n"
	       "              the first read (at most 120 s); the -t timeout starts then\n"
	       "  -r BYTES    set SO_RCVBUF\n"
	       "  -k          MSG_PEEK each datagram before reading it\n"
	       "  -T          SO_TIMESTAMPNS: print 'ts_lat_ns N' per datagram (recvmsg, recvmmsg)\n"
	       "  -B USEC     set SO_BUSY_POLL\n"
	       "  -R FILE     write \"ready\" to FILE once bound\n"
	       "  -g GROUP    join multicast GROUP (ADDR: GROUP itself or the wildcard);\n"
	       "              sets SO_REUSEADDR and SO_REUSEPORT, so sinks can share the port\n"
	       "  -i IFNAME   with -g: join on this interface (default: as routed)\n"
	       "  -U          UDP_GRO: take merged reads, counted as the datagrams they\n"
	       "              carry (recvmsg, recvmmsg, epoll, nonblock)\n"
	       "  -q          no per-datagram lines\n"
	       "  -v          socket details on stderr\n"
	       "Per datagram: 'seq S len L' (or 'ts_lat_ns N' with -T); at the end, with\n"
	       "-U 'gro reads R merged M max_segs K', then 'received N bytes B'.\n"
	       "Exit: 0 ok, 1 failure, 2 bad arguments, 3 timeout or signal before COUNT.\n",
	       prog, MAX_BATCH);
}

static enum mode parse_mode(const char *s)
{
	for (size_t i = 0; i < N_MODES; i++)
		if (!strcmp(s, mode_names[i]))
			return (enum mode)i;
	usage_error("invalid -m '%s': expected recvmsg, recvfrom, recvmmsg, read, epoll, poll or nonblock",
		    s);
}

/* The SCM_TIMESTAMPNS stamp in ns, or -1 if the datagram came without one. */
static int64_t find_tstamp(const struct msghdr *mh)
{
	for (struct cmsghdr *c = CMSG_FIRSTHDR(mh); c; c = CMSG_NXTHDR((struct msghdr *)mh, c)) {
		if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_TIMESTAMPNS) {
			struct timespec ts;

			memcpy(&ts, CMSG_DATA(c), sizeof(ts));
			return (int64_t)ts.tv_sec * (int64_t)NSEC_PER_SEC + ts.tv_nsec;
		}
	}
	return -1;
}

/* The segment size of a GRO-merged read (UDP_GRO cmsg), or 0 for a single datagram. */
static size_t find_gro_size(const struct msghdr *mh)
{
	for (struct cmsghdr *c = CMSG_FIRSTHDR(mh); c; c = CMSG_NXTHDR((struct msghdr *)mh, c)) {
		if (c->cmsg_level == SOL_UDP && c->cmsg_type == UDP_GRO) {
			int size;

			memcpy(&size, CMSG_DATA(c), sizeof(size));
			return size > 0 ? (size_t)size : 0;
		}
	}
	return 0;
}

/* One datagram; STAMP is its SCM_TIMESTAMPNS (-1: none), NOW as for account. */
static void account_one(struct sink *s, const unsigned char *buf, size_t len, int64_t stamp,
			uint64_t now)
{
	s->count++;
	s->bytes += len;
	if (s->tstamp) {
		if (stamp < 0) {
			s->no_tstamp++;
			return;
		}
		/* signed: a realtime clock step may make it negative */
		if (!s->quiet)
			printf("ts_lat_ns %lld\n", (long long)((int64_t)now - stamp));
	} else if (!s->quiet) {
		if (len >= 8)
			printf("seq %llu len %zu\n", (unsigned long long)get_seq(buf), len);
		else
			printf("seq - len %zu\n", len);
	}
}

/*
 * One read of LEN bytes. With -U a read may carry several datagrams merged
 * by GRO (or sent with UDP_SEGMENT): all of SEG bytes but the last, which
 * may be shorter. Each counts as the datagram it was on the wire.
 * NOW is CLOCK_REALTIME taken right after the read returned (-T only).
 */
static void account(struct sink *s, const unsigned char *buf, size_t len,
		    const struct msghdr *mh, uint64_t now)
{
	int64_t stamp = s->tstamp ? find_tstamp(mh) : -1;
	size_t seg = s->gro ? find_gro_size(mh) : 0, off = 0;
	uint64_t segs = 0;

	if (!seg || seg > len)
		seg = len;
	do {	/* at least once: a datagram may be empty */
		size_t l = len - off < seg ? len - off : seg;

		account_one(s, buf + off, l, stamp, now);
		off += l;
		segs++;
	} while (off < len);
	if (s->gro) {
		s->gro_reads++;
		if (segs > 1)
			s->gro_merged++;
		if (segs > s->gro_max)
			s->gro_max = segs;
	}
}

/* The kernel rewrites these on every call. */
static void reset_slot(struct sink *s, unsigned i)
{
	struct msghdr *mh = &s->msgs[i].msg_hdr;

	mh->msg_namelen = sizeof(s->from[i]);
	mh->msg_controllen = s->tstamp || s->gro ? CTL_SIZE : 0;
	mh->msg_flags = 0;
}

/* EINTR (timeout, signal) and EAGAIN (non-blocking, nothing there) just mean "no datagram". */
static int no_datagram(void)
{
	return errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK ? 0 : -1;
}

/*
 * One round: wait for readability (epoll, poll), peek (-k), read.
 * Returns the datagrams read, 0 for none, -1 on an error (errno set).
 */
static int step(struct sink *s)
{
	int nb = s->mode == M_EPOLL || s->mode == M_POLL || s->mode == M_NONBLOCK ? MSG_DONTWAIT : 0;
	unsigned char *buf = s->bufs;
	uint64_t now = 0;
	ssize_t r;

	if (s->mode == M_EPOLL) {
		struct epoll_event ev;

		if (epoll_wait(s->ep, &ev, 1, -1) <= 0)
			return no_datagram();
	} else if (s->mode == M_POLL) {
		struct pollfd p = { .fd = s->fd, .events = POLLIN };

		if (poll(&p, 1, -1) <= 0)
			return no_datagram();
	}
	if (s->peek && recv(s->fd, buf, UDP_BUF_SIZE, MSG_PEEK | nb) < 0)
		return no_datagram();

	switch (s->mode) {
	case M_RECVMMSG: {
		unsigned vlen = s->batch;
		int n;

		/* never read past COUNT: the rest belongs to whoever reads next */
		if (s->limit && s->limit - s->count < vlen)
			vlen = (unsigned)(s->limit - s->count);
		for (unsigned i = 0; i < vlen; i++)
			reset_slot(s, i);
		/* WAITFORONE: block for the first, then take what is queued */
		n = recvmmsg(s->fd, s->msgs, vlen, MSG_WAITFORONE, NULL);
		if (s->tstamp)
			now = real_ns();	/* one stamp for the whole batch */
		if (n < 0)
			return no_datagram();
		for (int i = 0; i < n; i++)
			account(s, s->bufs + (size_t)i * UDP_BUF_SIZE, s->msgs[i].msg_len,
				&s->msgs[i].msg_hdr, now);
		return n;
	}
	case M_RECVFROM:
	case M_POLL: {
		struct sockaddr_storage from;
		socklen_t fl = sizeof(from);

		r = recvfrom(s->fd, buf, UDP_BUF_SIZE, nb, (struct sockaddr *)&from, &fl);
		break;
	}
	case M_READ:
		r = read(s->fd, buf, UDP_BUF_SIZE);
		break;
	default:	/* recvmsg, epoll, nonblock */
		reset_slot(s, 0);
		r = recvmsg(s->fd, &s->msgs[0].msg_hdr, nb);
		if (s->tstamp)
			now = real_ns();
		break;
	}
	if (r < 0)
		return no_datagram();
	account(s, buf, (size_t)r, &s->msgs[0].msg_hdr, now);
	return 1;
}

static void alloc_slots(struct sink *s)
{
	unsigned n = s->mode == M_RECVMMSG ? s->batch : 1;

	s->msgs = calloc(n, sizeof(*s->msgs));
	s->iov = calloc(n, sizeof(*s->iov));
	s->bufs = malloc((size_t)n * UDP_BUF_SIZE);
	s->ctl = calloc(n, sizeof(*s->ctl));
	s->from = calloc(n, sizeof(*s->from));
	if (!s->msgs || !s->iov || !s->bufs || !s->ctl || !s->from)
		fatal("out of memory");
	for (unsigned i = 0; i < n; i++) {
		struct msghdr *mh = &s->msgs[i].msg_hdr;

		s->iov[i] = (struct iovec){ s->bufs + (size_t)i * UDP_BUF_SIZE, UDP_BUF_SIZE };
		mh->msg_name = &s->from[i];
		mh->msg_iov = &s->iov[i];
		mh->msg_iovlen = 1;
		mh->msg_control = s->ctl[i];
	}
}

/*
 * -g GROUP: a multicast address of ADDR's family, and ADDR itself either
 * the group (only its datagrams reach the socket) or the wildcard (with
 * IP_MULTICAST_ALL off, still only groups this socket joined). A unicast
 * ADDR would never see the group's datagrams.
 */
static void check_group(const char *group, struct sockaddr_storage *grp, socklen_t *grplen,
			const struct sockaddr_storage *ss, const char *addr)
{
	if (parse_sockaddr(group, "0", grp, grplen) || !sockaddr_is_multicast(grp))
		usage_error("invalid -g '%s': expected a numeric multicast address", group);
	if (grp->ss_family != ss->ss_family)
		usage_error("-g %s and %s are not the same address family", group, addr);
	if (sockaddr_is_any(ss))
		return;
	if (ss->ss_family == AF_INET ?
	    ((const struct sockaddr_in *)ss)->sin_addr.s_addr !=
		    ((const struct sockaddr_in *)grp)->sin_addr.s_addr :
	    memcmp(&((const struct sockaddr_in6 *)ss)->sin6_addr,
		   &((const struct sockaddr_in6 *)grp)->sin6_addr, sizeof(struct in6_addr)))
		usage_error("with -g, ADDR must be the group %s or the wildcard, not %s", group,
			    addr);
}

/* IP_ADD_MEMBERSHIP / IPV6_JOIN_GROUP on IFINDEX (0: the interface the group routes to). */
static void join_group(int fd, const struct sockaddr_storage *grp, unsigned ifindex,
		       const char *group)
{
	int off = 0;

	if (grp->ss_family == AF_INET) {
		struct ip_mreqn mr = {
			.imr_multiaddr = ((const struct sockaddr_in *)grp)->sin_addr,
			.imr_address.s_addr = htonl(INADDR_ANY),
			.imr_ifindex = (int)ifindex,
		};

		if (setsockopt(fd, IPPROTO_IP, IP_ADD_MEMBERSHIP, &mr, sizeof(mr)))
			fatal_sys("join %s (IP_ADD_MEMBERSHIP; without -i the group needs a route)",
				  group);
		/* only the groups this socket joined, not every group joined on the host */
		if (setsockopt(fd, IPPROTO_IP, IP_MULTICAST_ALL, &off, sizeof(off)))
			fatal_sys("IP_MULTICAST_ALL");
	} else {
		const struct sockaddr_in6 *g6 = (const struct sockaddr_in6 *)grp;
		struct ipv6_mreq mr = {
			.ipv6mr_multiaddr = g6->sin6_addr,
			/* GROUP%IFNAME names the interface as well as -i does */
			.ipv6mr_interface = ifindex ? ifindex : g6->sin6_scope_id,
		};

		if (setsockopt(fd, IPPROTO_IPV6, IPV6_JOIN_GROUP, &mr, sizeof(mr)))
			fatal_sys("join %s (IPV6_JOIN_GROUP)", group);
		/* IPV6_MULTICAST_ALL came with Linux 4.20; older kernels deliver as before */
		if (setsockopt(fd, IPPROTO_IPV6, IPV6_MULTICAST_ALL, &off, sizeof(off)) &&
		    errno != ENOPROTOOPT)
			fatal_sys("IPV6_MULTICAST_ALL");
	}
}

int main(int argc, char **argv)
{
	struct sink s = { .fd = -1, .ep = -1, .mode = M_RECVMSG, .batch = 8 };
	uint64_t timeout_ns = DEFAULT_TIMEOUT_NS, presleep_ns = 0, rcvbuf = 0, busy = 0;
	int have_batch = 0, have_busy = 0, verbose = 0, opt, status = 0;
	const char *ready = NULL, *argv_rcvbuf = NULL, *group = NULL, *ifname = NULL, *gate = NULL;
	struct sockaddr_storage ss, grp;
	socklen_t sslen, grplen;
	unsigned ifindex = 0;

	udp_init(argv[0]);
	opterr = 0;
	while ((opt = getopt(argc, argv, ":n:t:m:b:s:S:W:r:kTB:R:g:i:Uqvh")) != -1) {
		switch (opt) {
		case 'n': s.limit = opt_u64(opt, optarg, 1, UINT64_MAX); break;
		case 't': timeout_ns = opt_seconds(opt, optarg); break;
		case 'm': s.mode = parse_mode(optarg); break;
		case 'b': s.batch = (unsigned)opt_u64(opt, optarg, 1, MAX_BATCH); have_batch = 1; break;
		case 's': s.slow_ns = opt_u64(opt, optarg, 0, MAX_USEC) * NSEC_PER_USEC; break;
		case 'S': presleep_ns = opt_u64(opt, optarg, 0, MAX_USEC) * NSEC_PER_USEC; break;
		case 'r': rcvbuf = opt_u64(opt, optarg, 1, INT32_MAX); argv_rcvbuf = optarg; break;
		case 'k': s.peek = 1; break;
		case 'T': s.tstamp = 1; break;
		case 'B': busy = opt_u64(opt, optarg, 0, INT32_MAX); have_busy = 1; break;
		case 'R': ready = optarg; break;
		case 'W': gate = optarg; break;
		case 'g': group = optarg; break;
		case 'i': ifname = optarg; break;
		case 'U': s.gro = 1; break;
		case 'q': s.quiet = 1; break;
		case 'v': verbose = 1; break;
		case 'h': usage(); return 0;
		case ':': usage_error("option -%c needs an argument", optopt);
		default: usage_error("unknown option -%c (see -h)", optopt);
		}
	}
	if (argc - optind != 2)
		usage_error("expected ADDR PORT after the options (see -h)");
	arg_sockaddr(argv[optind], argv[optind + 1], &ss, &sslen);
	if (s.tstamp && s.mode != M_RECVMSG && s.mode != M_RECVMMSG)
		usage_error("-T needs -m recvmsg or -m recvmmsg");
	if (have_batch && s.mode != M_RECVMMSG)
		usage_error("-b needs -m recvmmsg");
	if (ready && !*ready)
		usage_error("-R needs a file name");
	if (s.gro && s.mode != M_RECVMSG && s.mode != M_RECVMMSG && s.mode != M_EPOLL &&
	    s.mode != M_NONBLOCK)
		usage_error("-U needs -m recvmsg, recvmmsg, epoll or nonblock (it reads a cmsg)");
	if (ifname && !group)
		usage_error("-i needs -g");
	if (group)
		check_group(group, &grp, &grplen, &ss, argv[optind]);
	if (ifname)
		ifindex = opt_ifindex('i', ifname);

	alloc_slots(&s);
	s.fd = udp_socket(ss.ss_family);
	/* options before bind, so even the first datagram sees them */
	if (rcvbuf) {
		int v = (int)rcvbuf;

		if (setsockopt(s.fd, SOL_SOCKET, SO_RCVBUF, &v, sizeof(v)))
			fatal_sys("SO_RCVBUF %d", v);
	}
	if (s.tstamp) {
		int on = 1;

		if (setsockopt(s.fd, SOL_SOCKET, SO_TIMESTAMPNS, &on, sizeof(on)))
			fatal_sys("SO_TIMESTAMPNS");
	}
	if (have_busy)
		set_busy_poll(s.fd, busy);
	if (s.gro) {
		int on = 1;

		if (setsockopt(s.fd, SOL_UDP, UDP_GRO, &on, sizeof(on)))
			fatal_sys("UDP_GRO");
	}
	if (group) {
		int on = 1;

		/* several sinks on one group and port: each gets its own copy of every datagram */
		if (setsockopt(s.fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on)) ||
		    setsockopt(s.fd, SOL_SOCKET, SO_REUSEPORT, &on, sizeof(on)))
			fatal_sys("SO_REUSEADDR/SO_REUSEPORT");
		/* a link-local group bound as ADDR needs its interface */
		if (ss.ss_family == AF_INET6 && ifindex && !sockaddr_is_any(&ss) &&
		    !((struct sockaddr_in6 *)&ss)->sin6_scope_id)
			((struct sockaddr_in6 *)&ss)->sin6_scope_id = ifindex;
	}
	udp_bind(s.fd, &ss, sslen);
	if (group)
		join_group(s.fd, &grp, ifindex, group);
	if (s.mode == M_EPOLL) {
		struct epoll_event ev = { .events = EPOLLIN, .data.fd = s.fd };

		s.ep = epoll_create1(EPOLL_CLOEXEC);
		if (s.ep < 0 || epoll_ctl(s.ep, EPOLL_CTL_ADD, s.fd, &ev))
			fatal_sys("epoll");
	}
	if (verbose || rcvbuf) {
		int eff = 0;
		socklen_t l = sizeof(eff);

		getsockopt(s.fd, SOL_SOCKET, SO_RCVBUF, &eff, &l);
		if (verbose)
			warn_msg("bound %s, mode %s, SO_RCVBUF %d (requested %s)%s%s%s%s%s",
				 sockaddr_str((struct sockaddr *)&ss), mode_names[s.mode], eff,
				 rcvbuf ? argv_rcvbuf : "default", group ? ", joined " : "",
				 group ? group : "", ifname ? " on " : "", ifname ? ifname : "",
				 s.gro ? ", UDP_GRO" : "");
		/* the kernel doubles the request, capped by net.core.rmem_max: say so */
		if ((uint64_t)eff / 2 < rcvbuf)
			warn_msg("SO_RCVBUF %llu capped by net.core.rmem_max, effective %d",
				 (unsigned long long)rcvbuf, eff);
	}

	if (ready && write_ready_file(ready))
		fatal_sys("ready file %s", ready);
	if (gate) {
		/* a test's go signal: the reader must not start before the
		 * tracer is attached, however long that takes (TCG guests) */
		uint64_t end = mono_ns() + 120ULL * 1000 * 1000 * 1000;

		while (access(gate, F_OK) != 0) {
			if (mono_ns() >= end) {
				warn_msg("-W %s: no such file after 120 s", gate);
				return 3;
			}
			sleep_ns(10 * 1000 * 1000);
		}
	}
	run_start(timeout_ns);
	sleep_ns(presleep_ns);

	while (!run_stop && (!s.limit || s.count < s.limit)) {
		int n = step(&s);

		if (n < 0) {
			warn_msg("%s: %s", mode_names[s.mode], strerror(errno));
			status = 1;
			break;
		}
		if (n == 0 && s.mode == M_NONBLOCK)
			sleep_ns(NAP_NS);
		else if (n > 0 && s.slow_ns)
			sleep_ns(s.slow_ns);
	}

	if (s.gro)
		printf("gro reads %llu merged %llu max_segs %llu\n",
		       (unsigned long long)s.gro_reads, (unsigned long long)s.gro_merged,
		       (unsigned long long)s.gro_max);
	printf("received %llu bytes %llu\n", (unsigned long long)s.count,
	       (unsigned long long)s.bytes);
	if (s.no_tstamp)
		warn_msg("%llu datagrams came without a timestamp",
			 (unsigned long long)s.no_tstamp);
	if (!status && s.limit && s.count < s.limit) {
		warn_msg("%s after %llu of %llu datagrams",
			 run_stop == RUN_TIMEOUT ? "timed out" : "interrupted",
			 (unsigned long long)s.count, (unsigned long long)s.limit);
		status = EXIT_TIMEOUT;
	}
	if (finish_stdout())
		status = 1;
	return status;
}
