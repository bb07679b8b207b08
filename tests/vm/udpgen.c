/*
 * udpgen: minimal UDP sender/receiver for the VM guests (busybox's nc has no
 * UDP mode). Built statically by build-helpers.sh, installed as /bin/udpgen.
 *
 *   udpgen recv ADDR PORT SECONDS        read datagrams until SECONDS pass
 *   udpgen send ADDR PORT COUNT [USEC]   send COUNT 64-byte datagrams, USEC
 *                                        microseconds apart (default 1000)
 *
 * ADDR is numeric IPv4 or IPv6. Both stop early on SIGTERM or SIGINT, print
 * a one-line count on stderr and exit 0 on success, 1 on a socket error, 2 on
 * a usage error.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <signal.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static int usage(void)
{
	fprintf(stderr, "usage: udpgen recv ADDR PORT SECONDS\n"
			"       udpgen send ADDR PORT COUNT [USEC]\n");
	return 2;
}

/* Fill *ss from a numeric address and port; returns its length or 0. */
static socklen_t mkaddr(const char *host, const char *port, struct sockaddr_storage *ss)
{
	struct sockaddr_in *in4 = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)ss;
	int p = atoi(port);

	memset(ss, 0, sizeof(*ss));
	if (p <= 0 || p > 65535)
		return 0;
	if (inet_pton(AF_INET, host, &in4->sin_addr) == 1) {
		in4->sin_family = AF_INET;
		in4->sin_port = htons(p);
		return sizeof(*in4);
	}
	if (inet_pton(AF_INET6, host, &in6->sin6_addr) == 1) {
		in6->sin6_family = AF_INET6;
		in6->sin6_port = htons(p);
		return sizeof(*in6);
	}
	return 0;
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	struct sockaddr_storage ss;
	socklen_t len;
	char buf[65536];
	long n = 0;
	int fd;
	struct sigaction sa = { .sa_handler = on_signal }; /* no SA_RESTART */

	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	if (argc < 5)
		return usage();
	len = mkaddr(argv[2], argv[3], &ss);
	if (!len)
		return usage();
	fd = socket(ss.ss_family, SOCK_DGRAM, 0);
	if (fd < 0) {
		perror("udpgen: socket");
		return 1;
	}

	if (!strcmp(argv[1], "recv")) {
		double end = now() + atof(argv[4]);
		struct timeval tv = { .tv_sec = 0, .tv_usec = 100000 };
		int one = 1;

		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
		setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
		if (bind(fd, (struct sockaddr *)&ss, len) < 0) {
			perror("udpgen: bind");
			return 1;
		}
		while (!stop && now() < end) {
			ssize_t r = recv(fd, buf, sizeof(buf), 0);

			if (r >= 0)
				n++;
			else if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
				perror("udpgen: recv");
				return 1;
			}
		}
		fprintf(stderr, "udpgen: received %ld datagrams\n", n);
		return 0;
	}

	if (!strcmp(argv[1], "send")) {
		long count = atol(argv[4]);
		long usec = argc > 5 ? atol(argv[5]) : 1000;

		memset(buf, 'x', 64);
		for (n = 0; n < count && !stop; n++) {
			if (sendto(fd, buf, 64, 0, (struct sockaddr *)&ss, len) < 0 &&
			    errno != ECONNREFUSED && errno != EINTR) {
				perror("udpgen: sendto");
				return 1;
			}
			if (usec > 0)
				usleep(usec);
		}
		fprintf(stderr, "udpgen: sent %ld datagrams\n", n);
		return 0;
	}
	return usage();
}
