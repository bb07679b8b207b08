/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* --by: the main stages per network namespace, device, process or port,
 * aggregated from per-packet records. */
#ifndef RXLAT_GROUPS_H
#define RXLAT_GROUPS_H

#include <stdbool.h>
#include <stdio.h>
#include "rxlat_abi.h"

enum group_by { BY_NONE, BY_NETNS, BY_DEV, BY_PID, BY_PORT, BY_PROTO, BY_GRO, BY_BUSY_POLL };

struct groups;

const char *groups_by_name(enum group_by by);
struct groups *groups_new(enum group_by by);
void groups_add(struct groups *g, const struct rx_event *e);
void groups_free(struct groups *g);
void groups_text(FILE *out, const struct groups *g);
/* A JSON value (object) for the summary's "groups" member. */
void groups_json(FILE *out, const struct groups *g);

#endif
