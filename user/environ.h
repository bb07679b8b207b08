/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
#ifndef RXLAT_ENVIRON_H
#define RXLAT_ENVIRON_H

#include <stdbool.h>
#include <stddef.h>

/* Each writes one line to @err and returns a negative errno on failure. */
int env_check_privileges(char *err, size_t len);
int env_check_memlock(char *err, size_t len);
bool env_kernel_at_least(int major, int minor);

#endif
