// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* udplib: shared helpers of the traffic tools; see udplib.h. */
#define _GNU_SOURCE
#include "udplib.h"

#include <arpa/inet.h>
#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

const char *prog = "udp";
volatile sig_atomic_t run_stop = RUN_GOING;

void udp_init(const char *argv0)
{
	const char *slash = argv0 ? strrchr(argv0, '/') : NULL;

	if (argv0 && *argv0)
		prog = slash ? slash + 1 : argv0;
}

static void vmsg(const char *fmt, va_list ap, int err)
{
	fprintf(stderr, "%s: ", prog);
	vfprintf(stderr, fmt, ap);
	if (err)
		fprintf(stderr, ": %s", strerror(err));
	fputc('\n', stderr);
}

void usage_error(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vmsg(fmt, ap, 0);
	va_end(ap);
	exit(EXIT_USAGE);
}

void fatal(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vmsg(fmt, ap, 0);
	va_end(ap);
	exit(1);
}

void fatal_sys(const char *fmt, ...)
{
	int err = errno;
	va_list ap;

	va_start(ap, fmt);
	vmsg(fmt, ap, err);
	va_end(ap);
	exit(1);
}

void warn_msg(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vmsg(fmt, ap, 0);
	va_end(ap);
}

/* --- numbers ------------------------------------------------------------- */

/* strtoull would accept blanks, signs ("-1" wraps around) and hex. */
int parse_u64(const char *s, uint64_t min, uint64_t max, uint64_t *out)
{
	uint64_t v = 0;

	if (!s || !*s)
		return -1;
	for (; *s; s++) {
		unsigned d = (unsigned)(*s - '0');

		if (d > 9 || v > (UINT64_MAX - d) / 10)
			return -1;
		v = v * 10 + d;
	}
	if (v < min || v > max)
		return -1;
	*out = v;
	return 0;
}

uint64_t opt_u64(int opt, const char *arg, uint64_t min, uint64_t max)
{
	uint64_t v;

	if (parse_u64(arg, min, max, &v))
		usage_error("invalid -%c '%s': expected an integer in %llu..%llu", opt, arg,
			    (unsigned long long)min, (unsigned long long)max);
	return v;
}

/* Timeouts beyond a few years are typos, and keep the ns arithmetic far from overflow. */
#define MAX_SECONDS 100000000ULL

uint64_t opt_seconds(int opt, const char *arg)
{
	char whole[24];
	const char *dot = strchr(arg, '.');
	size_t wlen = dot ? (size_t)(dot - arg) : strlen(arg);
	uint64_t s, f = 0, ns;

	if (wlen == 0 || wlen >= sizeof(whole))
		goto bad;
	memcpy(whole, arg, wlen);
	whole[wlen] = '\0';
	if (parse_u64(whole, 0, MAX_SECONDS, &s))
		goto bad;
	if (dot) {
		size_t flen = strlen(dot + 1);

		/* "1." is a typo rather than a number; finer than 1 ns is meaningless */
		if (flen == 0 || flen > 9 || parse_u64(dot + 1, 0, 999999999, &f))
			goto bad;
		for (; flen < 9; flen++)
			f *= 10;
	}
	ns = s * NSEC_PER_SEC + f;
	if (ns == 0)
		goto bad;
	return ns;
bad:
	usage_error("invalid -%c '%s': expected seconds > 0 (e.g. 5 or 0.25), at most %llu", opt,
		    arg, (unsigned long long)MAX_SECONDS);
}

/* --- addresses ----------------------------------------------------------- */

int parse_sockaddr(const char *host, const char *port, struct sockaddr_storage *ss,
		   socklen_t *len)
{
	struct addrinfo hints = {
		.ai_flags = AI_NUMERICHOST,
		.ai_family = AF_UNSPEC,
		.ai_socktype = SOCK_DGRAM,
		.ai_protocol = IPPROTO_UDP,
	};
	struct addrinfo *res;
	uint64_t p;

	/* The port is parsed here, not by getaddrinfo, to keep it strict. */
	if (parse_u64(port, 0, 65535, &p))
		return -1;
	/* getaddrinfo takes inet_aton shorthands ("127.1", "0x7f.1"): typos here */
	if (!strchr(host, ':')) {
		struct in_addr a;

		if (inet_pton(AF_INET, host, &a) != 1)
			return -1;
	}
	if (getaddrinfo(host, NULL, &hints, &res) != 0)
		return -1;
	if (res->ai_addrlen > sizeof(*ss)) {
		freeaddrinfo(res);
		return -1;
	}
	memset(ss, 0, sizeof(*ss));
	memcpy(ss, res->ai_addr, res->ai_addrlen);
	*len = res->ai_addrlen;
	freeaddrinfo(res);
	if (ss->ss_family == AF_INET)
		((struct sockaddr_in *)ss)->sin_port = htons((uint16_t)p);
	else if (ss->ss_family == AF_INET6)
		((struct sockaddr_in6 *)ss)->sin6_port = htons((uint16_t)p);
	else
		return -1;
	return 0;
}

void arg_sockaddr(const char *host, const char *port, struct sockaddr_storage *ss,
		  socklen_t *len)
{
	uint64_t p;

	if (parse_u64(port, 1, 65535, &p))
		usage_error("invalid port '%s': expected 1..65535", port);
	if (parse_sockaddr(host, port, ss, len))
		usage_error("invalid address '%s': expected a numeric IPv4 or IPv6 address",
			    host);
}

const char *sockaddr_str(const struct sockaddr *sa)
{
	static char out[INET6_ADDRSTRLEN + 24];
	char addr[INET6_ADDRSTRLEN] = "?";

	if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *s6 = (const void *)sa;

		inet_ntop(AF_INET6, &s6->sin6_addr, addr, sizeof(addr));
		if (s6->sin6_scope_id)
			snprintf(out, sizeof(out), "[%s%%%u]:%u", addr, s6->sin6_scope_id,
				 ntohs(s6->sin6_port));
		else
			snprintf(out, sizeof(out), "[%s]:%u", addr, ntohs(s6->sin6_port));
	} else {
		const struct sockaddr_in *s4 = (const void *)sa;

		inet_ntop(AF_INET, &s4->sin_addr, addr, sizeof(addr));
		snprintf(out, sizeof(out), "%s:%u", addr, ntohs(s4->sin_port));
	}
	return out;
}

int sockaddr_is_multicast(const struct sockaddr_storage *ss)
{
	if (ss->ss_family == AF_INET)
		return IN_MULTICAST(ntohl(((const struct sockaddr_in *)ss)->sin_addr.s_addr));
	if (ss->ss_family == AF_INET6)
		return IN6_IS_ADDR_MULTICAST(&((const struct sockaddr_in6 *)ss)->sin6_addr);
	return 0;
}

int sockaddr_is_any(const struct sockaddr_storage *ss)
{
	if (ss->ss_family == AF_INET)
		return ((const struct sockaddr_in *)ss)->sin_addr.s_addr == htonl(INADDR_ANY);
	if (ss->ss_family == AF_INET6)
		return IN6_IS_ADDR_UNSPECIFIED(&((const struct sockaddr_in6 *)ss)->sin6_addr);
	return 0;
}

unsigned opt_ifindex(int opt, const char *name)
{
	unsigned idx = 0;

	/* if_nametoindex would quietly truncate a name that is too long */
	if (*name && strlen(name) < IF_NAMESIZE)
		idx = if_nametoindex(name);
	if (!idx)
		usage_error("invalid -%c '%s': no such network interface", opt, name);
	return idx;
}

/* --- clocks -------------------------------------------------------------- */

static uint64_t clock_ns(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (uint64_t)ts.tv_sec * NSEC_PER_SEC + (uint64_t)ts.tv_nsec;
}

uint64_t mono_ns(void)
{
	return clock_ns(CLOCK_MONOTONIC);
}

uint64_t real_ns(void)
{
	return clock_ns(CLOCK_REALTIME);
}

static struct timespec ns_to_ts(uint64_t ns)
{
	return (struct timespec){ .tv_sec = (time_t)(ns / NSEC_PER_SEC),
				  .tv_nsec = (long)(ns % NSEC_PER_SEC) };
}

void sleep_ns(uint64_t ns)
{
	struct timespec ts = ns_to_ts(ns);

	if (ns)
		clock_nanosleep(CLOCK_MONOTONIC, 0, &ts, NULL);
}

/* Absolute deadlines keep a paced sender's rate exact: sleep overshoot does not accumulate. */
void sleep_until_ns(uint64_t mono_deadline)
{
	struct timespec ts = ns_to_ts(mono_deadline);

	clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL);
}

/* --- the bounded run ----------------------------------------------------- */

#define KICK_NS 10000000ULL	/* 10 ms */

static void arm_timer(uint64_t first_ns)
{
	struct itimerval it = {
		.it_value = { .tv_sec = (time_t)(first_ns / NSEC_PER_SEC),
			      .tv_usec = (suseconds_t)(first_ns % NSEC_PER_SEC / 1000) },
		.it_interval = { .tv_sec = 0, .tv_usec = KICK_NS / 1000 },
	};

	/* a zero it_value would disarm the timer instead of firing now */
	if (!it.it_value.tv_sec && !it.it_value.tv_usec)
		it.it_value.tv_usec = 1;
	setitimer(ITIMER_REAL, &it, NULL);
}

static void on_alarm(int sig)
{
	(void)sig;
	if (run_stop == RUN_GOING)
		run_stop = RUN_TIMEOUT;
}

static void on_term(int sig)
{
	int saved = errno;

	(void)sig;
	if (run_stop == RUN_GOING)
		run_stop = RUN_SIGNAL;
	/* the same periodic kick as after a timeout (setitimer is a bare syscall) */
	arm_timer(KICK_NS);
	errno = saved;
}

void run_start(uint64_t timeout_ns)
{
	struct sigaction sa = { .sa_flags = 0 };	/* no SA_RESTART: blocked calls must return */

	sigemptyset(&sa.sa_mask);
	sa.sa_handler = on_alarm;
	sigaction(SIGALRM, &sa, NULL);
	sa.sa_handler = on_term;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	arm_timer(timeout_ns);
}

/* --- files and sockets --------------------------------------------------- */

int finish_stdout(void)
{
	int lost = ferror(stdout);	/* an earlier write already failed */

	if (fflush(stdout)) {
		warn_msg("writing stdout: %s", strerror(errno));
		return 1;
	}
	if (lost)
		warn_msg("writing stdout: some output was lost");
	return lost ? 1 : 0;
}

int write_ready_file(const char *path)
{
	static const char msg[] = "ready\n";
	char tmp[4096];
	int fd, ok;

	if (snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= (int)sizeof(tmp)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		return -1;
	ok = write(fd, msg, sizeof(msg) - 1) == (ssize_t)(sizeof(msg) - 1);
	if (close(fd) || !ok) {
		unlink(tmp);
		return -1;
	}
	if (rename(tmp, path)) {
		unlink(tmp);
		return -1;
	}
	return 0;
}

int udp_socket(int family)
{
	int fd = socket(family, SOCK_DGRAM | SOCK_CLOEXEC, IPPROTO_UDP);

	if (fd < 0)
		fatal_sys("socket");
	return fd;
}

void udp_bind(int fd, const struct sockaddr_storage *ss, socklen_t len)
{
	if (bind(fd, (const struct sockaddr *)ss, len))
		fatal_sys("bind %s", sockaddr_str((const struct sockaddr *)ss));
}

void set_busy_poll(int fd, uint64_t usec)
{
	int v = (int)usec;

	if (setsockopt(fd, SOL_SOCKET, SO_BUSY_POLL, &v, sizeof(v)))
		fatal_sys("SO_BUSY_POLL %d", v);
}

void put_seq(unsigned char *buf, uint64_t seq)
{
	uint64_t be = htobe64(seq);

	memcpy(buf, &be, sizeof(be));
}

uint64_t get_seq(const unsigned char *buf)
{
	uint64_t be;

	memcpy(&be, buf, sizeof(be));
	return be64toh(be);
}
