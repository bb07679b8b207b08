// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Option parsing: strict numbers, and every bad command line gives exit 2
 * with exactly one line of explanation. */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "check.h"
#include "opts.h"

static void check_numbers(void)
{
	uint64_t v = 0;

	ASSERT_EQ(parse_u64("0", 0, 10, &v), 0);
	ASSERT_EQ(v, 0);
	ASSERT_EQ(parse_u64("18446744073709551615", 0, UINT64_MAX, &v), 0);
	ASSERT_EQ(v, UINT64_MAX);
	ASSERT_EQ(parse_u64("18446744073709551616", 0, UINT64_MAX, &v), -ERANGE);
	ASSERT_EQ(parse_u64("99999999999999999999999", 0, UINT64_MAX, &v), -ERANGE);
	ASSERT_EQ(parse_u64("", 0, 10, &v), -EINVAL);
	ASSERT_EQ(parse_u64(NULL, 0, 10, &v), -EINVAL);
	ASSERT_EQ(parse_u64("-1", 0, 10, &v), -EINVAL);
	ASSERT_EQ(parse_u64("+1", 0, 10, &v), -EINVAL);
	ASSERT_EQ(parse_u64(" 1", 0, 10, &v), -EINVAL);
	ASSERT_EQ(parse_u64("1 ", 0, 10, &v), -EINVAL);
	ASSERT_EQ(parse_u64("0x10", 0, 100, &v), -EINVAL);
	ASSERT_EQ(parse_u64("abc", 0, 10, &v), -EINVAL);
	ASSERT_EQ(parse_u64("11", 0, 10, &v), -ERANGE);
	ASSERT_EQ(parse_u64("4", 5, 10, &v), -ERANGE);
	ASSERT_EQ(parse_size("4K", 0, UINT64_MAX, &v), 0);
	ASSERT_EQ(v, 4096);
	ASSERT_EQ(parse_size("2M", 0, UINT64_MAX, &v), 0);
	ASSERT_EQ(v, 2 << 20);
	ASSERT_EQ(parse_size("1G", 0, UINT64_MAX, &v), 0);
	ASSERT_EQ(v, 1 << 30);
	ASSERT_EQ(parse_size("K", 0, UINT64_MAX, &v), -EINVAL);
	ASSERT_EQ(parse_size("17179869184G", 0, UINT64_MAX, &v), -ERANGE);
	ASSERT_EQ(parse_size("1T", 0, UINT64_MAX, &v), -EINVAL);
}

/* Parse a command line; return the status and the number of error lines. */
static int run(int *lines, struct rxlat_opts *o, ...)
{
	char *argv[32], *buf = NULL;
	size_t len = 0;
	int argc = 0, ret;
	va_list ap;
	FILE *err = open_memstream(&buf, &len);

	argv[argc++] = "rxlat";
	va_start(ap, o);
	for (char *a; (a = va_arg(ap, char *)) && argc < 31;)
		argv[argc++] = a;
	va_end(ap);
	argv[argc] = NULL;
	ret = opts_parse(o, argc, argv, err);
	fclose(err);
	*lines = 0;
	for (size_t i = 0; i < len; i++)
		*lines += buf[i] == '\n';
	if (*lines && ret)
		fprintf(stderr, "  (expected error) %s", buf);
	free(buf);
	return ret;
}

#define BAD(...)                                                      \
	do {                                                          \
		int __lines;                                          \
		struct rxlat_opts __o;                                \
		ASSERT_EQ(run(&__lines, &__o, __VA_ARGS__, NULL), 2); \
		ASSERT_EQ(__lines, 1);                                \
	} while (0)

static void check_command_lines(void)
{
	struct rxlat_opts o;
	char self[16];
	int lines;

	snprintf(self, sizeof(self), "%d", getpid());
	ASSERT_EQ(run(&lines, &o, NULL), 0);
	ASSERT_EQ(o.interval_s, 0);
	ASSERT_EQ(run(&lines, &o, "-p", self, "-p", "1", "-P", "100-200", "-6", "-H", "-e", "-j",
		      "-d", "5", "--hooks", "tracepoint", "2", "3", NULL), 0);
	ASSERT_EQ(o.npids, 2);
	ASSERT_EQ(o.port_lo, 100);
	ASSERT_EQ(o.port_hi, 200);
	ASSERT_EQ(o.family, 6);
	ASSERT_EQ(o.duration_s, 5);
	ASSERT_EQ(o.interval_s, 2);
	ASSERT_EQ(o.count, 3);
	ASSERT_EQ(o.hooks, HOOKS_TRACEPOINT);
	ASSERT_EQ(run(&lines, &o, "-c", "sockperf", "--ringbuf-size", "8M", NULL), 0);
	ASSERT_EQ(o.ringbuf_size, 8 << 20);
	ASSERT_EQ(o.have_comm, 1);

	BAD("-p", "abc");
	BAD("-p", "-1");
	BAD("-p", "0");
	BAD("-p", "");
	BAD("-p", "99999999999999999999");
	BAD("-p", "4194303");		/* valid range, but no such process */
	BAD("-c", "");
	BAD("-c", "a-name-longer-than-15");
	BAD("-P", "0");
	BAD("-P", "65536");
	BAD("-P", "200-100");
	BAD("-P", "80-");
	BAD("-P", "-80");
	BAD("-P", "http");
	BAD("-4", "-6");
	BAD("-d", "0");
	BAD("-d", "-5");
	BAD("-d", "1.5");
	BAD("--hooks", "bogus");
	BAD("--hooks", "");
	BAD("--ringbuf-size", "1000");
	BAD("--ringbuf-size", "3M");
	BAD("--ringbuf-size", "2G");
	BAD("--slots", "100");
	BAD("--slots", "1000");
	BAD("--sockets", "0");
	BAD("--sample", "0");
	BAD("--sample", "-1");
	BAD("--sample", "abc");
	BAD("--sample", "1000001");
	BAD("--sample", "18446744073709551617");
	BAD("0");
	BAD("1", "0");
	BAD("1", "2", "3");
	BAD("x");
	BAD("--no-such-option");
	BAD("-Z");
	BAD("--pid");
}

int main(void)
{
	check_numbers();
	check_command_lines();
	return check_report("test_opts");
}
