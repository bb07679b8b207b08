/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* The running kernel's BTF, parsed once: each parse costs tens of
 * milliseconds and megabytes. */
#ifndef RXLAT_KBTF_H
#define RXLAT_KBTF_H

struct btf;

/* NULL if the kernel has no BTF. */
const struct btf *kernel_btf(void);
/* Free it once setup is done. */
void kernel_btf_release(void);

#endif
