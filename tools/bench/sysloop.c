// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * sysloop: a tight send/receive syscall loop for rxlat's benchmark
 * (tools/bench/run.sh, section 5: the cost of rxlat to an unrelated process).
 *
 *   sysloop unix N         N x (write 1 byte, recv it) on an AF_UNIX datagram
 *                          socketpair: sock_recv_length fires, no UDP at all
 *   sysloop udp N PORT     N x (send 16 bytes to itself, recv them) on a UDP
 *                          socket bound to 127.0.0.1:PORT: the whole loopback
 *                          receive path, on a port rxlat's -P filter excludes
 *
 * Prints "ns_per_op X ops N" (one op = one send + one receive).
 * Exit: 0 ok, 1 failure, 2 usage.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static double now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static int usage(void)
{
	fprintf(stderr, "usage: sysloop unix N | sysloop udp N PORT\n");
	return 2;
}

int main(int argc, char **argv)
{
	char buf[64] = "sysloop-payload";
	int fds[2], tx, rx, len;
	long n, i;
	double t0, t1;

	if (argc < 3)
		return usage();
	n = strtol(argv[2], NULL, 10);
	if (n <= 0 || n > 1000000000L)
		return usage();
	if (!strcmp(argv[1], "unix") && argc == 3) {
		if (socketpair(AF_UNIX, SOCK_DGRAM, 0, fds)) {
			perror("sysloop: socketpair");
			return 1;
		}
		tx = fds[0];
		rx = fds[1];
		len = 1;
	} else if (!strcmp(argv[1], "udp") && argc == 4) {
		struct sockaddr_in a = { .sin_family = AF_INET };
		long port = strtol(argv[3], NULL, 10);

		if (port <= 0 || port > 65535)
			return usage();
		a.sin_port = htons((unsigned short)port);
		a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		tx = rx = socket(AF_INET, SOCK_DGRAM, 0);
		if (tx < 0 || bind(tx, (struct sockaddr *)&a, sizeof(a)) ||
		    connect(tx, (struct sockaddr *)&a, sizeof(a))) {
			perror("sysloop: udp socket");
			return 1;
		}
		len = 16;
	} else {
		return usage();
	}
	t0 = now_ns();
	for (i = 0; i < n; i++) {
		if (send(tx, buf, len, 0) != len) {
			perror("sysloop: send");
			return 1;
		}
		if (recv(rx, buf, sizeof(buf), 0) != len) {
			perror("sysloop: recv");
			return 1;
		}
	}
	t1 = now_ns();
	printf("ns_per_op %.1f ops %ld\n", (t1 - t0) / (double)n, n);
	return 0;
}
