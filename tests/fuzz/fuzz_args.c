// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * libFuzzer target: rxlat's command-line parser. The input is split at NUL
 * bytes into argv. Any input must parse or be rejected with exactly one
 * line and status 2 - never crash, hang or trip a sanitizer.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "opts.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	/* --help and --version print to stdout */
	if (!freopen("/dev/null", "w", stdout))
		abort();
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *buf = malloc(size + 1), *argv[32], *err = NULL;
	size_t errlen = 0, lines = 0;
	struct rxlat_opts o;
	int argc = 0, ret;
	FILE *f;

	memcpy(buf, data, size);
	buf[size] = '\0';
	argv[argc++] = "rxlat";
	for (char *p = buf; p < buf + size && argc < 31; p += strlen(p) + 1)
		argv[argc++] = p;
	argv[argc] = NULL;

	f = open_memstream(&err, &errlen);
	ret = opts_parse(&o, argc, argv, f);
	fclose(f);
	for (size_t i = 0; i < errlen; i++)
		lines += err[i] == '\n';
	if (ret != EXIT_OK && ret != EXIT_USAGE)
		abort();
	if (ret == EXIT_USAGE && lines != 1)
		abort();	/* usage errors are exactly one line */
	if (ret == EXIT_OK && (lines || o.port_lo > o.port_hi || o.npids > RXLAT_MAX_PIDS))
		abort();
	free(err);
	free(buf);
	return 0;
}
