/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * udplib: the parts the traffic tools (udp_sink, udp_blast, udp_pingpong,
 * tcp_sink, tcp_send) share — strict argument parsing, numeric addresses,
 * clocks, and the bounded run that keeps every tool from hanging.
 *
 * Exit status convention for all tools: 0 success, 1 runtime failure,
 * 2 bad arguments, 3 stopped by the timeout (or a signal) before COUNT.
 */
#ifndef UDPLIB_H
#define UDPLIB_H

#include <signal.h>
#include <stdint.h>
#include <sys/socket.h>

#define EXIT_USAGE 2
#define EXIT_TIMEOUT 3

#define NSEC_PER_SEC 1000000000ULL
#define NSEC_PER_USEC 1000ULL
#define DEFAULT_TIMEOUT_NS (30 * NSEC_PER_SEC)

/* Big enough for any UDP datagram over IPv4 or IPv6 (without jumbograms). */
#define UDP_BUF_SIZE 65536

/* The tool's name for messages, from argv[0]. */
extern const char *prog;
void udp_init(const char *argv0);

/* One line on stderr, then exit 2 / exit 1 (the _sys forms add strerror). */
void usage_error(const char *fmt, ...) __attribute__((noreturn, format(printf, 1, 2)));
void fatal(const char *fmt, ...) __attribute__((noreturn, format(printf, 1, 2)));
void fatal_sys(const char *fmt, ...) __attribute__((noreturn, format(printf, 1, 2)));
void warn_msg(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/*
 * Decimal digits only, within [min, max]: no sign, no blanks, no hex, no
 * suffix, no overflow. Returns 0 or -1.
 */
int parse_u64(const char *s, uint64_t min, uint64_t max, uint64_t *out);
/* parse_u64 for the argument of option -OPT; a usage error otherwise. */
uint64_t opt_u64(int opt, const char *arg, uint64_t min, uint64_t max);
/* "SECONDS[.FRACTION]" > 0 for option -OPT, returned in ns. */
uint64_t opt_seconds(int opt, const char *arg);

/*
 * A numeric IPv4/IPv6 address (IPv6 may carry %scope) and a port 0..65535.
 * Never consults NSS, so it works in a bare busybox guest.
 */
int parse_sockaddr(const char *host, const char *port, struct sockaddr_storage *ss,
		   socklen_t *len);
/* "ADDR PORT" positional arguments; a usage error if they do not parse. */
void arg_sockaddr(const char *host, const char *port, struct sockaddr_storage *ss,
		  socklen_t *len);
/* "addr:port" or "[addr]:port", for messages. */
const char *sockaddr_str(const struct sockaddr *sa);
/* An IPv4 (224.0.0.0/4) or IPv6 (ff00::/8) multicast address? */
int sockaddr_is_multicast(const struct sockaddr_storage *ss);
/* An unspecified address (0.0.0.0 or ::)? */
int sockaddr_is_any(const struct sockaddr_storage *ss);
/* The index of interface NAME, the argument of option -OPT; a usage error if there is none. */
unsigned opt_ifindex(int opt, const char *name);

uint64_t mono_ns(void);
uint64_t real_ns(void);
/* Both return early when a signal arrives; callers re-check run_stop. */
void sleep_ns(uint64_t ns);
void sleep_until_ns(uint64_t mono_deadline);

/*
 * The bounded run. run_start arms a timer that sets run_stop to RUN_TIMEOUT
 * when the timeout expires; SIGINT/SIGTERM set RUN_SIGNAL. Handlers are
 * installed without SA_RESTART, so a blocking recv/send/poll/sleep returns
 * EINTR and the loop sees run_stop. After the first expiry the timer keeps
 * firing every 10 ms, so a signal that lands between a loop's check and
 * its blocking call cannot leave the process blocked for good. It is never
 * disarmed: the final output is not cut short by it (a write that can
 * proceed is not interrupted), while one stuck on a full pipe is.
 */
enum { RUN_GOING = 0, RUN_TIMEOUT, RUN_SIGNAL };
extern volatile sig_atomic_t run_stop;
void run_start(uint64_t timeout_ns);

/* Flush stdout; 0, or 1 after saying why on stderr (a full disk, a stuck pipe). */
int finish_stdout(void);

/* Write "ready\n" to PATH.tmp and rename it to PATH, so a waiter never sees a partial file. */
int write_ready_file(const char *path);

/* A UDP socket of FAMILY, and binding it; both exit 1 on failure. */
int udp_socket(int family);
void udp_bind(int fd, const struct sockaddr_storage *ss, socklen_t len);
/* SO_BUSY_POLL; exits 1 if the kernel refuses it (some want CAP_NET_ADMIN). */
void set_busy_poll(int fd, uint64_t usec);

/* The 8-byte big-endian sequence number that leads every payload. */
void put_seq(unsigned char *buf, uint64_t seq);
uint64_t get_seq(const unsigned char *buf);

#endif
