// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/btf.h>
#include "kbtf.h"
#include "reasons.h"
#include "rxlat_abi.h"

static char *names[RX_NREASONS];
static bool loaded;

void reasons_load(void)
{
	const char *prefix = "SKB_DROP_REASON_";
	const struct btf_enum *e;
	const struct btf_type *t;
	const struct btf *btf;
	int id;

	if (loaded)
		return;
	loaded = true;
	/* rxlat's own stand-ins, for kernels without reason codes (< 5.17) */
	names[RX_REASON_UNKNOWN] = strdup("UNKNOWN");
	names[RX_REASON_RCVBUF] = strdup("SOCKET_RCVBUFF");
	names[RX_REASON_MEM] = strdup("PROTO_MEM");
	names[RX_REASON_UDP_NOSOCK] = strdup("NO_SOCKET");
	btf = kernel_btf();
	if (!btf)
		return;
	id = btf__find_by_name_kind(btf, "skb_drop_reason", BTF_KIND_ENUM);
	t = id >= 0 ? btf__type_by_id(btf, id) : NULL;
	if (t) {
		e = btf_enum(t);
		for (int i = 0; i < btf_vlen(t); i++, e++) {
			const char *n = btf__name_by_offset(btf, e->name_off);

			if (e->val < 0 || e->val >= RX_NREASONS - 3 || !n)
				continue;
			if (!strncmp(n, prefix, strlen(prefix)))
				n += strlen(prefix);
			else if (!strncmp(n, "SKB_", 4))
				n += 4;	/* SKB_NOT_DROPPED_YET, SKB_CONSUMED */
			free(names[e->val]);
			names[e->val] = strdup(n);
		}
	}
}

const char *reason_name(unsigned int reason)
{
	static char buf[32];

	if (reason < RX_NREASONS && names[reason])
		return names[reason];
	snprintf(buf, sizeof(buf), "REASON_%u", reason);
	return buf;
}
