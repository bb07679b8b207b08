// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <unistd.h>
#include <sys/syscall.h>
#include "pidwatch.h"

#ifndef SYS_pidfd_open
#define SYS_pidfd_open 434
#endif

/* A pidfd (5.3+) survives pid reuse; kill(pid, 0) is the fallback. */
uint32_t pidwatch_start(struct pidwatch *w, const uint32_t *pids, uint32_t n)
{
	w->n = n;
	for (uint32_t i = 0; i < n; i++) {
		w->pid[i] = pids[i];
		w->fd[i] = (int)syscall(SYS_pidfd_open, (pid_t)pids[i], 0);
		w->gone[i] = w->fd[i] < 0 && errno == ESRCH;
	}
	return pidwatch_alive(w);
}

uint32_t pidwatch_alive(struct pidwatch *w)
{
	uint32_t alive = 0;

	for (uint32_t i = 0; i < w->n; i++) {
		if (w->gone[i])
			continue;
		if (w->fd[i] >= 0) {
			struct pollfd p = { .fd = w->fd[i], .events = POLLIN };

			w->gone[i] = poll(&p, 1, 0) > 0;
		} else {
			w->gone[i] = kill((pid_t)w->pid[i], 0) && errno == ESRCH;
		}
		alive += !w->gone[i];
	}
	return alive;
}

void pidwatch_stop(struct pidwatch *w)
{
	for (uint32_t i = 0; i < w->n; i++)
		if (w->fd[i] >= 0)
			close(w->fd[i]);
	w->n = 0;
}
