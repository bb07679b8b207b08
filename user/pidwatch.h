/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Notice when the processes given with -p have all exited. */
#ifndef RXLAT_PIDWATCH_H
#define RXLAT_PIDWATCH_H

#include <stdbool.h>
#include <stdint.h>
#include "opts.h"

struct pidwatch {
	int fd[RXLAT_MAX_PIDS];		/* pidfds; -1 where unavailable */
	uint32_t pid[RXLAT_MAX_PIDS];
	bool gone[RXLAT_MAX_PIDS];
	uint32_t n;
};

/* Start watching; returns the number of watched processes still alive. */
uint32_t pidwatch_start(struct pidwatch *w, const uint32_t *pids, uint32_t n);
/* Non-blocking: how many watched processes are still alive. */
uint32_t pidwatch_alive(struct pidwatch *w);
void pidwatch_stop(struct pidwatch *w);

#endif
