/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Minimal assertion macros for unit tests, in the spirit of test_progs. */
#ifndef RXLAT_CHECK_H
#define RXLAT_CHECK_H

#include <inttypes.h>
#include <stdio.h>

static int check_failures;
static int check_count;

#define CHECK(cond, fmt, ...)                                                  \
	({                                                                     \
		int __ok = !!(cond);                                           \
		check_count++;                                                 \
		if (!__ok) {                                                   \
			check_failures++;                                      \
			fprintf(stderr, "%s:%d: FAIL %s: " fmt "\n", __FILE__, \
				__LINE__, #cond, ##__VA_ARGS__);               \
		}                                                              \
		__ok;                                                          \
	})

#define ASSERT_EQ(a, b) CHECK((uint64_t)(a) == (uint64_t)(b), "%" PRIu64 " != %" PRIu64, \
			      (uint64_t)(a), (uint64_t)(b))
#define ASSERT_LE(a, b) CHECK((double)(a) <= (double)(b), "%g > %g", (double)(a), (double)(b))

static inline int check_report(const char *name)
{
	printf("%s: %d checks, %d failed\n", name, check_count, check_failures);
	return check_failures ? 1 : 0;
}

#endif
