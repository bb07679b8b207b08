// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * tcp_sink: accept ONE TCP connection and read it until EOF or until a
 * byte count, with a chosen read size and syscall, so rxlat's tests can
 * check how TCP segments are matched to reads — including reads smaller
 * than a segment (-b 100) and segments merged by GRO. With -e it is the
 * echo side of tcp_send -p: it reads messages of a fixed size and writes
 * each one back.
 *
 * The process that starts is the process that reads: no fork, no threads,
 * so a test can point rxlat at its pid.
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
#include <sys/uio.h>
#include <unistd.h>

enum mode { M_RECV, M_READ, M_RECVMSG };
static const char *const mode_names[] = { "recv", "read", "recvmsg" };

#define MAX_USEC (3600ULL * 1000000)	/* sleeps longer than an hour are typos */
#define MAX_CHUNK (16ULL << 20)		/* read and message sizes up to 16 MiB */

static void usage(void)
{
	printf("usage: %s [options] ADDR PORT\n"
	       "Listen on the numeric address ADDR, port PORT, accept one TCP connection\n"
	       "and read it until EOF (or until -n BYTES).\n"
	       "  -n BYTES    stop after BYTES bytes (default: until EOF)\n"
	       "  -t SECONDS  overall timeout, accept included (default 30); exit 3 if hit\n"
	       "  -b BYTES    read size, 1..%llu (default 65536; small values split segments)\n"
	       "  -m MODE     recv (default) | read | recvmsg\n"
	       "  -s USEC     sleep after every read (a slow reader)\n"
	       "  -S USEC     sleep once after accept, before the first read\n"
	       "  -r BYTES    set SO_RCVBUF (on the listening socket, before listen)\n"
	       "  -R FILE     write \"ready\" to FILE once listening\n"
	       "  -e          echo: read messages of -M bytes, write each back (tcp_send -p);\n"
	       "              TCP_NODELAY on\n"
	       "  -M BYTES    with -e: message size, 1..%llu (default 64)\n"
	       "  -q          no per-read lines\n"
	       "  -v          connection details on stderr\n"
	       "Per read: 'read L'; with -e, 'echoed N messages' at the end; last\n"
	       "'received BYTES bytes in READS reads'. Exit: 0 EOF or -n reached,\n"
	       "1 failure, 2 bad arguments, 3 timeout or signal first.\n",
	       prog, MAX_CHUNK, MAX_CHUNK);
}

static enum mode parse_mode(const char *s)
{
	for (size_t i = 0; i < sizeof(mode_names) / sizeof(mode_names[0]); i++)
		if (!strcmp(s, mode_names[i]))
			return (enum mode)i;
	usage_error("invalid -m '%s': expected recv, read or recvmsg", s);
}

static ssize_t do_read(int fd, enum mode mode, void *buf, size_t len)
{
	struct iovec iov = { buf, len };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };

	switch (mode) {
	case M_READ:
		return read(fd, buf, len);
	case M_RECVMSG:
		return recvmsg(fd, &mh, 0);
	default:
		return recv(fd, buf, len, 0);
	}
}

/* All of BUF, or -1 (errno set; EINTR only once the run is stopped). */
static int write_all(int fd, const unsigned char *buf, size_t len)
{
	while (len) {
		ssize_t w = send(fd, buf, len, MSG_NOSIGNAL);

		if (w < 0) {
			if (errno == EINTR && !run_stop)
				continue;
			return -1;
		}
		buf += w;
		len -= (size_t)w;
	}
	return 0;
}

int main(int argc, char **argv)
{
	uint64_t limit = 0, chunk = 65536, msg = 64, rcvbuf = 0;
	uint64_t timeout_ns = DEFAULT_TIMEOUT_NS, slow_ns = 0, presleep_ns = 0;
	uint64_t total = 0, reads = 0, echoed = 0, have = 0;
	int echo = 0, have_msg = 0, quiet = 0, verbose = 0, eof = 0, opt, lfd, fd = -1;
	int status = 0, one = 1;
	enum mode mode = M_RECV;
	const char *ready = NULL;
	struct sockaddr_storage ss, peer;
	socklen_t sslen, peerlen = sizeof(peer);
	unsigned char *buf;

	udp_init(argv[0]);
	opterr = 0;
	while ((opt = getopt(argc, argv, ":n:t:b:m:s:S:r:R:eM:qvh")) != -1) {
		switch (opt) {
		case 'n': limit = opt_u64(opt, optarg, 1, UINT64_MAX); break;
		case 't': timeout_ns = opt_seconds(opt, optarg); break;
		case 'b': chunk = opt_u64(opt, optarg, 1, MAX_CHUNK); break;
		case 'm': mode = parse_mode(optarg); break;
		case 's': slow_ns = opt_u64(opt, optarg, 0, MAX_USEC) * NSEC_PER_USEC; break;
		case 'S': presleep_ns = opt_u64(opt, optarg, 0, MAX_USEC) * NSEC_PER_USEC; break;
		case 'r': rcvbuf = opt_u64(opt, optarg, 1, INT32_MAX); break;
		case 'R': ready = optarg; break;
		case 'e': echo = 1; break;
		case 'M': msg = opt_u64(opt, optarg, 1, MAX_CHUNK); have_msg = 1; break;
		case 'q': quiet = 1; break;
		case 'v': verbose = 1; break;
		case 'h': usage(); return 0;
		case ':': usage_error("option -%c needs an argument", optopt);
		default: usage_error("unknown option -%c (see -h)", optopt);
		}
	}
	if (argc - optind != 2)
		usage_error("expected ADDR PORT after the options (see -h)");
	arg_sockaddr(argv[optind], argv[optind + 1], &ss, &sslen);
	if (have_msg && !echo)
		usage_error("-M needs -e");
	if (echo && limit % msg)
		usage_error("-n %llu is not a whole number of -M %llu byte messages",
			    (unsigned long long)limit, (unsigned long long)msg);
	if (ready && !*ready)
		usage_error("-R needs a file name");

	buf = malloc(echo ? msg : chunk);
	if (!buf)
		fatal("out of memory");
	lfd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, IPPROTO_TCP);
	if (lfd < 0)
		fatal_sys("socket");
	/* a rerun on the same port must not wait out TIME_WAIT */
	if (setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)))
		fatal_sys("SO_REUSEADDR");
	/* before listen: the window scale is fixed by the SYN exchange, and accept inherits it */
	if (rcvbuf) {
		int v = (int)rcvbuf;

		if (setsockopt(lfd, SOL_SOCKET, SO_RCVBUF, &v, sizeof(v)))
			fatal_sys("SO_RCVBUF %d", v);
	}
	if (bind(lfd, (struct sockaddr *)&ss, sslen))
		fatal_sys("bind %s", sockaddr_str((struct sockaddr *)&ss));
	if (listen(lfd, 1))
		fatal_sys("listen");

	run_start(timeout_ns);
	if (ready && write_ready_file(ready))
		fatal_sys("ready file %s", ready);
	while (!run_stop) {
		fd = accept4(lfd, (struct sockaddr *)&peer, &peerlen, SOCK_CLOEXEC);
		if (fd >= 0)
			break;
		/* a connection reset before it was accepted: wait for the next */
		if (errno != EINTR && errno != ECONNABORTED)
			fatal_sys("accept");
		peerlen = sizeof(peer);
	}
	close(lfd);	/* exactly one connection: later ones are refused */
	/* echoes go out at once: Nagle would hold a message's tail for an ACK */
	if (fd >= 0 && echo && setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one)))
		fatal_sys("TCP_NODELAY");

	if (fd >= 0 && (verbose || rcvbuf)) {
		int eff = 0;
		socklen_t l = sizeof(eff);

		getsockopt(fd, SOL_SOCKET, SO_RCVBUF, &eff, &l);
		if (verbose)
			warn_msg("accepted %s, mode %s, read size %llu, SO_RCVBUF %d",
				 sockaddr_str((struct sockaddr *)&peer), mode_names[mode],
				 (unsigned long long)(echo ? (chunk < msg ? chunk : msg) : chunk),
				 eff);
		/* the kernel doubles the request, capped by net.core.rmem_max: say so */
		if ((uint64_t)eff / 2 < rcvbuf)
			warn_msg("SO_RCVBUF %llu capped by net.core.rmem_max, effective %d",
				 (unsigned long long)rcvbuf, eff);
	}
	if (fd >= 0)
		sleep_ns(presleep_ns);

	while (fd >= 0 && !run_stop && (!limit || total < limit)) {
		/* never read past -n, nor (echoing) past the current message */
		uint64_t want = chunk;
		ssize_t r;

		if (echo && msg - have < want)
			want = msg - have;
		if (limit && limit - total < want)
			want = limit - total;
		r = do_read(fd, mode, buf + (echo ? have : 0), (size_t)want);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			warn_msg("%s: %s", mode_names[mode], strerror(errno));
			status = 1;
			break;
		}
		if (r == 0) {
			eof = 1;
			break;
		}
		total += (uint64_t)r;
		reads++;
		if (!quiet)
			printf("read %zd\n", r);
		if (echo && (have += (uint64_t)r) == msg) {
			if (write_all(fd, buf, (size_t)msg)) {
				if (run_stop)
					break;
				warn_msg("echo: %s", strerror(errno));
				status = 1;
				break;
			}
			echoed++;
			have = 0;
		}
		if (slow_ns)
			sleep_ns(slow_ns);
	}
	if (eof && have) {
		warn_msg("EOF inside a message (%llu of %llu bytes)", (unsigned long long)have,
			 (unsigned long long)msg);
		status = 1;
	}

	if (echo)
		printf("echoed %llu messages\n", (unsigned long long)echoed);
	printf("received %llu bytes in %llu reads\n", (unsigned long long)total,
	       (unsigned long long)reads);
	if (!status && !eof && !(limit && total >= limit)) {
		if (fd < 0)
			warn_msg("%s waiting for a connection",
				 run_stop == RUN_TIMEOUT ? "timed out" : "interrupted");
		else
			warn_msg("%s after %llu bytes, before %s",
				 run_stop == RUN_TIMEOUT ? "timed out" : "interrupted",
				 (unsigned long long)total, limit ? "-n BYTES" : "EOF");
		status = EXIT_TIMEOUT;
	}
	if (fd >= 0)
		close(fd);
	if (finish_stdout())
		status = 1;
	return status;
}
