/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Names of the kernel's drop reasons (enum skb_drop_reason, from BTF). */
#ifndef RXLAT_REASONS_H
#define RXLAT_REASONS_H

/* Load the names from the running kernel's BTF; harmless to call twice. */
void reasons_load(void);
/* "SOCKET_RCVBUFF", "NO_SOCKET", ... or "REASON_<n>" if unnamed. */
const char *reason_name(unsigned int reason);

#endif
