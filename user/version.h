/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
#ifndef RXLAT_VERSION_H
#define RXLAT_VERSION_H

#include "gitrev.h"	/* generated: RXLAT_GIT_REV */
#include <bpf/libbpf.h>

#define RXLAT_VERSION "0.1.0 (" RXLAT_GIT_REV ")"
#define RXLAT_LIBBPF_VERSION libbpf_version_string()

#endif
