// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <stdbool.h>
#include <stddef.h>
#include <bpf/btf.h>
#include "kbtf.h"

static struct btf *cached;
static bool tried;

const struct btf *kernel_btf(void)
{
	if (!tried) {
		tried = true;
		cached = btf__load_vmlinux_btf();
	}
	return cached;
}

void kernel_btf_release(void)
{
	btf__free(cached);
	cached = NULL;
	tried = false;
}
