// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Checks of the environment rxlat runs in, each failing with one line that
 * says what is missing and how to fix it, before libbpf would fail with a
 * bare errno.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <linux/capability.h>
#include "environ.h"

#ifndef CAP_PERFMON
#define CAP_PERFMON 38
#endif
#ifndef CAP_BPF
#define CAP_BPF 39
#endif

static bool has_cap(const struct __user_cap_data_struct d[2], int cap)
{
	return d[cap / 32].effective & (1u << (cap % 32));
}

int env_check_privileges(char *err, size_t len)
{
	struct __user_cap_header_struct h = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct d[2] = {};
	char missing[128] = "";
	bool admin;

	if (syscall(SYS_capget, &h, d)) {
		snprintf(err, len, "cannot read this process's capabilities: %s", strerror(errno));
		return -errno;
	}
	admin = has_cap(d, CAP_SYS_ADMIN);
	/* CAP_BPF and CAP_PERFMON exist since 5.8; CAP_SYS_ADMIN covers both. */
	if (!admin && !has_cap(d, CAP_BPF))
		strcat(missing, " CAP_BPF");
	if (!admin && !has_cap(d, CAP_PERFMON))
		strcat(missing, " CAP_PERFMON");
	/* attaching to the cgroup-v2 root and reading sockets */
	if (!has_cap(d, CAP_NET_ADMIN))
		strcat(missing, " CAP_NET_ADMIN");
	if (missing[0]) {
		snprintf(err, len,
			 "insufficient privileges: missing%s (run as root, or grant CAP_BPF, "
			 "CAP_PERFMON and CAP_NET_ADMIN)", missing);
		return -EPERM;
	}
	return 0;
}

int env_check_memlock(char *err, size_t len)
{
	struct rlimit rl;

	/* Since 5.11 BPF memory is charged to the memory cgroup instead. */
	if (env_kernel_at_least(5, 11) || getrlimit(RLIMIT_MEMLOCK, &rl))
		return 0;
	if (rl.rlim_cur == RLIM_INFINITY || rl.rlim_cur >= (64ULL << 20))
		return 0;
	rl.rlim_cur = rl.rlim_max = RLIM_INFINITY;
	if (setrlimit(RLIMIT_MEMLOCK, &rl)) {
		snprintf(err, len, "locked-memory limit too low for BPF maps and it cannot be raised "
			 "(ulimit -l unlimited, or LimitMEMLOCK=infinity in a systemd unit)");
		return -ENOMEM;
	}
	return 0;
}

bool env_kernel_at_least(int major, int minor)
{
	int ma = 0, mi = 0;
	FILE *f = fopen("/proc/sys/kernel/osrelease", "r");

	if (!f)
		return true;
	if (fscanf(f, "%d.%d", &ma, &mi) != 2)
		ma = mi = 0;
	fclose(f);
	return ma > major || (ma == major && mi >= minor);
}
