/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * --verdict: what the measured stages say about kernel bypass, busy
 * polling, pinning and containers. Every finding cites the numbers it
 * rests on, so a reader can check it against the stage table.
 */
#ifndef RXLAT_VERDICT_H
#define RXLAT_VERDICT_H

#include <stdio.h>
#include "rxlat_abi.h"
#include "tracer.h"

void verdict_text(FILE *out, const struct rx_hist hists[RX_NSTAGES], const struct tracer_counts *tc);
/* A JSON value (object) for the summary's "verdict" member. */
void verdict_json(FILE *out, const struct rx_hist hists[RX_NSTAGES], const struct tracer_counts *tc);

#endif
