// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Command-line parsing: argp with strict numbers and one-line errors. */
#include <argp.h>
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <limits.h>
#include <sys/stat.h>
#include "groups.h"
#include "opts.h"
#include "version.h"

static const char doc[] =
"Per-packet receive latency of UDP datagrams and TCP segments, split into\n"
"driver, stack and socket-wakeup stages, for already running processes.\n"
"\n"
"  driver  first sighting of the skb -> netif_receive_skb\n"
"  stack   netif_receive_skb -> socket enqueue\n"
"  socket  socket enqueue -> recvmsg/recvfrom/recvmmsg/read returns it\n"
"  total   first sighting -> the read returns it\n"
"\n"
"Prints a table per stage on exit (Ctrl-C, SIGTERM, -d) and every INTERVAL\n"
"seconds, COUNT times. Needs root (CAP_BPF, CAP_PERFMON, CAP_NET_ADMIN).\n"
"\n"
"EXAMPLES:\n"
"    rxlat                      # all UDP and TCP receivers until Ctrl-C\n"
"    rxlat -p 1234 1 10         # what pid 1234 reads, 10 one-second tables\n"
"    rxlat -c sockperf -H       # by process name, with log2 histograms\n"
"    rxlat -P 5000-5010 -6      # IPv6 packets to local ports 5000..5010\n"
"    rxlat -e -d 5              # every packet for five seconds\n"
"    rxlat -e --sample 100      # a record for 1 packet in 100\n"
"    rxlat -j -d 10 > s.json    # JSON summary, one object per line\n"
"    rxlat --hooks tracepoint   # force tracepoint/cgroup hooks\n"
"    rxlat --netns server -e    # packets in namespace /run/netns/server\n"
"    rxlat --by netns --verdict # per namespace, and what would help\n"
"    rxlat --prometheus :9465   # serve /metrics until stopped\n"
"    rxlat -d 60 --svg s.svg 5  # a picture, with 5-second intervals\n"
"    rxlat compare a.json b.json  # two saved -j sessions side by side\n"
"\n"
"EXIT STATUS: 0 normal end, 1 runtime failure, 2 usage error.";

static const char args_doc[] = "[INTERVAL [COUNT]]";

enum {
	OPT_HOOKS = 0x100,
	OPT_RINGBUF,
	OPT_SLOTS,
	OPT_SOCKETS,
	OPT_USAGE,
	OPT_NETNS,
	OPT_NO_SPLIT,
	OPT_VERDICT,
	OPT_BY,
	OPT_PROMETHEUS,
	OPT_SVG,
	OPT_PROTO,
	OPT_SAMPLE,
};

static const struct argp_option options[] = {
	{ "pid", 'p', "PID", 0, "Only packets read by this process (repeatable)", 0 },
	{ "comm", 'c', "COMM", 0, "Only packets read by processes with this name", 0 },
	{ "port", 'P', "PORT[-PORT]", 0, "Only sockets bound to this local port or range", 0 },
	{ "ipv4", '4', NULL, 0, "Only IPv4 packets", 0 },
	{ "ipv6", '6', NULL, 0, "Only IPv6 packets", 0 },
	{ "proto", OPT_PROTO, "PROTO", 0, "Only udp or only tcp (default: both)", 0 },
	{ "netns", OPT_NETNS, "NS", 0,
	  "Only packets in this network namespace: a name in /run/netns, a path, or an inode number", 0 },
	{ "histogram", 'H', NULL, 0, "Add a log2 histogram per stage", 0 },
	{ "by", OPT_BY, "KEY", 0, "Also summarize per netns, dev, pid, port, proto, gro or busy-poll", 0 },
	{ "verdict", OPT_VERDICT, NULL, 0,
	  "Say what kernel bypass, busy polling or pinning would save, citing the numbers", 0 },
	{ "events", 'e', NULL, 0, "Print one line per packet", 0 },
	{ "sample", OPT_SAMPLE, "N", 0,
	  "Per-packet records (-e, --by) for 1 in N packets; statistics keep them all", 0 },
	{ "json", 'j', NULL, 0, "JSON output, one object per line", 0 },
	{ "duration", 'd', "SECONDS", 0, "Stop after SECONDS", 0 },
	{ "verbose", 'v', NULL, 0, "Show libbpf and verifier messages", 0 },
	{ "hooks", OPT_HOOKS, "MODE", 0,
	  "auto (default: per stage fentry, then kprobe, then tracepoint), "
	  "fentry, kprobe or tracepoint", 0 },
	{ "ringbuf-size", OPT_RINGBUF, "BYTES", 0,
	  "Per-packet event buffer (power of two, K/M/G suffix; default 4M)", 0 },
	{ "slots", OPT_SLOTS, "N", 0,
	  "Packets tracked at once, from first sighting to read (power of two, default 65536)", 0 },
	{ "prometheus", OPT_PROMETHEUS, "ADDR:PORT", 0,
	  "Serve /metrics for Prometheus on ADDR:PORT (e.g. :9465) while running", 0 },
	{ "svg", OPT_SVG, "FILE", 0, "Write a picture of the session to FILE at exit", 0 },
	{ "no-split", OPT_NO_SPLIT, NULL, 0,
	  "Do not split the socket stage (saves a program run per context switch)", 0 },
	{ "sockets", OPT_SOCKETS, "N", 0,
	  "Sockets tracked when socket storage is unavailable (default 4096)", 0 },
	{ "help", 'h', NULL, 0, "Show this help", -1 },
	{ "usage", OPT_USAGE, NULL, 0, "Show a short usage message", -1 },
	{ "version", 'V', NULL, 0, "Show the version", -1 },
	{},
};

const char *hook_mode_name(enum hook_mode m)
{
	switch (m) {
	case HOOKS_AUTO: return "auto";
	case HOOKS_FENTRY: return "fentry";
	case HOOKS_KPROBE: return "kprobe";
	case HOOKS_TRACEPOINT: return "tracepoint";
	}
	return "?";
}

int parse_u64(const char *s, uint64_t min, uint64_t max, uint64_t *out)
{
	uint64_t v = 0;

	if (!s || !*s)
		return -EINVAL;
	for (const char *p = s; *p; p++) {
		if (*p < '0' || *p > '9')
			return -EINVAL;
		if (v > (UINT64_MAX - (uint64_t)(*p - '0')) / 10)
			return -ERANGE;
		v = v * 10 + (uint64_t)(*p - '0');
	}
	if (v < min || v > max)
		return -ERANGE;
	*out = v;
	return 0;
}

int parse_size(const char *s, uint64_t min, uint64_t max, uint64_t *out)
{
	char buf[32];
	size_t n;
	unsigned shift = 0;
	uint64_t v;
	int err;

	if (!s || !*s || (n = strlen(s)) >= sizeof(buf))
		return -EINVAL;
	memcpy(buf, s, n + 1);
	switch (buf[n - 1]) {
	case 'k': case 'K': shift = 10; break;
	case 'm': case 'M': shift = 20; break;
	case 'g': case 'G': shift = 30; break;
	}
	if (shift)
		buf[n - 1] = '\0';
	err = parse_u64(buf, 0, UINT64_MAX >> shift, &v);
	if (err)
		return err;
	v <<= shift;
	if (v < min || v > max)
		return -ERANGE;
	*out = v;
	return 0;
}

static bool is_pow2(uint64_t v)
{
	return v && !(v & (v - 1));
}

static bool pid_exists(uint32_t pid)
{
	return kill((pid_t)pid, 0) == 0 || errno == EPERM;
}

static int parse_port_range(const char *s, uint16_t *lo, uint16_t *hi)
{
	char buf[16];
	const char *dash = strchr(s, '-');
	uint64_t a, b;

	if (!dash)
		return parse_u64(s, 1, 65535, &a) ? -EINVAL : (*lo = *hi = (uint16_t)a, 0);
	if ((size_t)(dash - s) >= sizeof(buf))
		return -EINVAL;
	memcpy(buf, s, (size_t)(dash - s));
	buf[dash - s] = '\0';
	if (parse_u64(buf, 1, 65535, &a) || parse_u64(dash + 1, 1, 65535, &b) || a > b)
		return -EINVAL;
	*lo = (uint16_t)a;
	*hi = (uint16_t)b;
	return 0;
}

/* A namespace by inode number, path (/proc/PID/ns/net) or ip-netns name. */
static int parse_netns(const char *s, uint32_t *ino)
{
	char path[PATH_MAX];
	struct stat st;
	uint64_t v;

	if (!*s)
		return -EINVAL;
	if (!parse_u64(s, 1, UINT32_MAX, &v)) {
		*ino = (uint32_t)v;
		return 0;
	}
	if (strchr(s, '/'))
		snprintf(path, sizeof(path), "%s", s);
	else
		snprintf(path, sizeof(path), "/run/netns/%s", s);
	if (stat(path, &st) || st.st_ino == 0 || st.st_ino > UINT32_MAX)
		return -ENOENT;
	*ino = (uint32_t)st.st_ino;
	return 0;
}

static error_t parse_arg(int key, char *arg, struct argp_state *state)
{
	struct rxlat_opts *o = state->input;
	uint64_t v;

	switch (key) {
	case 'p':
		if (parse_u64(arg, 1, 4194304, &v))
			argp_error(state, "invalid PID '%s': expected a number from 1 to 4194304", arg);
		else if (o->npids >= RXLAT_MAX_PIDS)
			argp_error(state, "at most %d -p options", RXLAT_MAX_PIDS);
		else if (!pid_exists((uint32_t)v))
			argp_error(state, "no process with PID %s", arg);
		else
			o->pids[o->npids++] = (uint32_t)v;
		break;
	case 'c':
		if (!*arg)
			argp_error(state, "empty COMM");
		else if (strlen(arg) >= RXLAT_COMM_LEN)
			argp_error(state, "COMM '%s' is longer than the kernel's 15 characters", arg);
		else {
			strcpy(o->comm, arg);
			o->have_comm = true;
		}
		break;
	case 'P':
		if (parse_port_range(arg, &o->port_lo, &o->port_hi))
			argp_error(state, "invalid PORT '%s': expected PORT or LOW-HIGH within 1-65535", arg);
		break;
	case '4':
	case '6':
		if (o->family && o->family != (key == '4' ? 4 : 6))
			argp_error(state, "-4 and -6 exclude each other");
		o->family = key == '4' ? 4 : 6;
		break;
	case 'H': o->hist = true; break;
	case 'e': o->events = true; break;
	case 'j': o->json = true; break;
	case 'v': o->verbose = true; break;
	case 'd':
		if (parse_u64(arg, 1, 365ULL * 24 * 3600, &v))
			argp_error(state, "invalid duration '%s': expected seconds from 1 to 31536000", arg);
		o->duration_s = v;
		break;
	case OPT_HOOKS:
		if (!strcmp(arg, "auto")) o->hooks = HOOKS_AUTO;
		else if (!strcmp(arg, "fentry")) o->hooks = HOOKS_FENTRY;
		else if (!strcmp(arg, "kprobe")) o->hooks = HOOKS_KPROBE;
		else if (!strcmp(arg, "tracepoint")) o->hooks = HOOKS_TRACEPOINT;
		else
			argp_error(state, "invalid hook mode '%s': expected auto, fentry, kprobe or tracepoint", arg);
		break;
	case OPT_RINGBUF:
		if (parse_size(arg, 4096, 1ULL << 30, &v) || !is_pow2(v))
			argp_error(state, "invalid ring buffer size '%s': expected a power of two from 4K to 1G", arg);
		o->ringbuf_size = v;
		break;
	case OPT_SLOTS:
		if (parse_u64(arg, 256, 1 << 22, &v) || !is_pow2(v))
			argp_error(state, "invalid slot count '%s': expected a power of two from 256 to 4194304", arg);
		o->slots = (uint32_t)v;
		break;
	case OPT_SOCKETS:
		if (parse_u64(arg, 1, 1 << 20, &v))
			argp_error(state, "invalid socket count '%s': expected 1 to 1048576", arg);
		o->sockets = (uint32_t)v;
		break;
	case OPT_NETNS:
		if (parse_netns(arg, &o->netns))
			argp_error(state, "invalid namespace '%s': expected a name in /run/netns, a path or an inode number", arg);
		break;
	case OPT_NO_SPLIT:
		o->no_split = true;
		break;
	case OPT_SAMPLE:
		if (parse_u64(arg, 1, 1000000, &v))
			argp_error(state, "invalid sample rate '%s': expected 1 to 1000000", arg);
		o->sample = (uint32_t)v;
		break;
	case OPT_PROTO:
		if (!strcmp(arg, "udp"))
			o->proto = 17;
		else if (!strcmp(arg, "tcp"))
			o->proto = 6;
		else
			argp_error(state, "invalid --proto '%s': expected udp or tcp", arg);
		break;
	case OPT_PROMETHEUS:
		if (!*arg || !strchr(arg, ':'))
			argp_error(state, "invalid --prometheus '%s': expected ADDR:PORT, e.g. :9465", arg);
		o->prometheus = arg;
		break;
	case OPT_SVG:
		if (!*arg)
			argp_error(state, "empty --svg file name");
		o->svg = arg;
		break;
	case OPT_VERDICT:
		o->verdict = true;
		break;
	case OPT_BY:
		if (!strcmp(arg, "netns")) o->by = BY_NETNS;
		else if (!strcmp(arg, "dev")) o->by = BY_DEV;
		else if (!strcmp(arg, "pid")) o->by = BY_PID;
		else if (!strcmp(arg, "port")) o->by = BY_PORT;
		else if (!strcmp(arg, "proto")) o->by = BY_PROTO;
		else if (!strcmp(arg, "gro")) o->by = BY_GRO;
		else if (!strcmp(arg, "busy-poll")) o->by = BY_BUSY_POLL;
		else
			argp_error(state, "invalid --by '%s': expected netns, dev, pid, port, proto, gro or busy-poll", arg);
		break;
	case 'h':
		argp_state_help(state, stdout, ARGP_HELP_STD_HELP);
		o->done = true;
		break;
	case OPT_USAGE:
		argp_state_help(state, stdout, ARGP_HELP_USAGE);
		o->done = true;
		break;
	case 'V':
		printf("rxlat %s (libbpf %s)\n", RXLAT_VERSION, RXLAT_LIBBPF_VERSION);
		o->done = true;
		break;
	case ARGP_KEY_ARG:
		if (state->arg_num == 0) {
			if (parse_u64(arg, 1, 86400, &v))
				argp_error(state, "invalid INTERVAL '%s': expected seconds from 1 to 86400", arg);
			o->interval_s = v;
		} else if (state->arg_num == 1) {
			if (parse_u64(arg, 1, UINT32_MAX, &v))
				argp_error(state, "invalid COUNT '%s': expected a number from 1 to 4294967295", arg);
			o->count = v;
		} else {
			argp_error(state, "unexpected argument '%s'", arg);
		}
		break;
	default:
		return ARGP_ERR_UNKNOWN;
	}
	return 0;
}

static const struct argp argp = {
	.options = options,
	.parser = parse_arg,
	.args_doc = args_doc,
	.doc = doc,
};

int opts_parse(struct rxlat_opts *o, int argc, char **argv, FILE *err)
{
	char *captured = NULL;
	size_t captured_len = 0;
	FILE *mem;
	int ret;

	memset(o, 0, sizeof(*o));
	o->port_lo = 1;
	o->port_hi = 65535;
	o->ringbuf_size = 4 << 20;
	o->sample = 1;
	o->slots = 1 << 16;
	o->sockets = 4096;

	/* argp prints its message and a "Try --help" line to stderr: catch
	 * both, keep the message, so every usage error is one line. */
	mem = open_memstream(&captured, &captured_len);
	if (!mem)
		return EXIT_RUNTIME;
	FILE *saved = stderr;
	stderr = mem;
	ret = argp_parse(&argp, argc, argv, ARGP_NO_EXIT | ARGP_NO_HELP, NULL, o);
	stderr = saved;
	fclose(mem);
	if (ret || (captured && *captured)) {
		char *nl = captured ? strchr(captured, '\n') : NULL;

		if (nl)
			*nl = '\0';
		fprintf(err, "%s\n", captured && *captured ? captured : "rxlat: invalid arguments");
		free(captured);
		return EXIT_USAGE;
	}
	free(captured);
	return EXIT_OK;
}
