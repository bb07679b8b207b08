// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * nsctl: named network namespaces, veth pairs, addresses and routes for the
 * test suite, without iproute2 (the busybox VM guests have none).
 *
 * Namespaces are kept the way `ip netns` keeps them, a net namespace
 * bind-mounted on /run/netns/NAME, so `ip netns` on the host sees ours and
 * the other way round. Wherever a namespace is named, "-" means the one
 * nsctl runs in, and a name holding a '/' is taken as a path
 * (/proc/PID/ns/net).
 *
 * Configuration goes through rtnetlink. A netlink socket stays in the
 * namespace it was created in, so nsctl enters a namespace only long enough
 * to open a socket there and then returns: one process can talk to both
 * ends of a veth pair.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/if_link.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/veth.h>
#include <net/if.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define NETNS_RUN_DIR "/run/netns"

static const char *cmd = "";	/* the subcommand, for error messages */
static const char *undo_add;	/* a namespace file `add` must not leave half made */

static void __attribute__((noreturn, format(printf, 1, 2))) die(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "nsctl: %s%s", cmd, *cmd ? ": " : "");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	if (undo_add) {
		umount2(undo_add, MNT_DETACH);
		unlink(undo_add);
	}
	exit(1);
}

/* --- namespaces ---------------------------------------------------------- */

static int valid_name(const char *name)
{
	return *name && !strchr(name, '/') && strcmp(name, ".") && strcmp(name, "..") &&
	       strlen(name) < NAME_MAX;
}

static void ns_path(char *buf, size_t len, const char *ns)
{
	if (strchr(ns, '/'))
		snprintf(buf, len, "%s", ns);
	else if (valid_name(ns))
		snprintf(buf, len, "%s/%s", NETNS_RUN_DIR, ns);
	else
		die("bad namespace name '%s'", ns);
}

/* An fd on namespace NS; "-" is the namespace nsctl started in. */
static int ns_open(const char *ns)
{
	static int self = -1;
	char path[PATH_MAX];
	int fd;

	if (!strcmp(ns, "-")) {
		if (self < 0 && (self = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC)) < 0)
			die("/proc/self/ns/net: %s", strerror(errno));
		return self;
	}
	ns_path(path, sizeof(path), ns);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		die("namespace %s: %s", ns, strerror(errno));
	return fd;
}

static void ns_enter(const char *ns)
{
	int fd;

	if (!strcmp(ns, "-"))
		return;
	fd = ns_open(ns);
	if (setns(fd, CLONE_NEWNET))
		die("setns %s: %s", ns, strerror(errno));
	close(fd);
}

static int run_dir_writable(void)
{
	if (mkdir(NETNS_RUN_DIR, 0755) && errno != EEXIST)
		return 0;
	return access(NETNS_RUN_DIR, W_OK) == 0;
}

/*
 * Make sure NETNS_RUN_DIR exists and is a shared mount point, as iproute2
 * does: a namespace bind-mounted below it then shows up in every mount
 * namespace, and unmounting it in one removes it everywhere.
 */
static void prepare_run_dir(void)
{
	int bound = 0;

	if (mkdir("/run", 0755) && errno != EEXIST)
		die("/run: %s", strerror(errno));
	if (!run_dir_writable()) {
		/* A read-only root in a minimal guest: give /run a tmpfs. */
		if (errno != EROFS)
			die(NETNS_RUN_DIR ": %s", strerror(errno));
		if (mount("tmpfs", "/run", "tmpfs", MS_NOSUID | MS_NODEV, "mode=0755"))
			die("mount tmpfs on /run: %s", strerror(errno));
		if (!run_dir_writable())
			die(NETNS_RUN_DIR ": %s", strerror(errno));
	}
	while (mount("", NETNS_RUN_DIR, "none", MS_SHARED | MS_REC, NULL)) {
		/* EINVAL: not a mount point yet; bind it onto itself, once. */
		if (errno != EINVAL || bound)
			die("make " NETNS_RUN_DIR " shared: %s", strerror(errno));
		if (mount(NETNS_RUN_DIR, NETNS_RUN_DIR, "none", MS_BIND | MS_REC, NULL))
			die("bind " NETNS_RUN_DIR ": %s", strerror(errno));
		bound = 1;
	}
}

/* --- rtnetlink ----------------------------------------------------------- */

struct req {
	struct nlmsghdr h;
	char buf[1024];	/* the payload grows here, right after the header */
};

static void *put(struct req *r, const void *data, size_t len)
{
	void *p = (char *)&r->h + NLMSG_ALIGN(r->h.nlmsg_len);

	if (NLMSG_ALIGN(r->h.nlmsg_len) + RTA_ALIGN(len) > sizeof(*r))
		die("netlink request too large");
	memset(p, 0, RTA_ALIGN(len));
	if (data)
		memcpy(p, data, len);
	r->h.nlmsg_len = NLMSG_ALIGN(r->h.nlmsg_len) + RTA_ALIGN(len);
	return p;
}

static struct rtattr *put_attr(struct req *r, int type, const void *data, size_t len)
{
	struct rtattr *a = put(r, NULL, RTA_LENGTH(len));

	a->rta_type = type;
	a->rta_len = RTA_LENGTH(len);
	if (data)
		memcpy(RTA_DATA(a), data, len);
	return a;
}

static void put_str(struct req *r, int type, const char *s)
{
	put_attr(r, type, s, strlen(s) + 1);
}

/* Nests are closed by stretching their header over all that followed. */
static void nest_end(struct req *r, struct rtattr *nest)
{
	nest->rta_len = (char *)&r->h + r->h.nlmsg_len - (char *)nest;
}

static void req_init(struct req *r, int type, int flags)
{
	memset(r, 0, sizeof(*r));
	r->h.nlmsg_len = NLMSG_HDRLEN;
	r->h.nlmsg_type = type;
	r->h.nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK | flags;
}

/* A NETLINK_ROUTE socket living in namespace NS. */
static int nl_open(const char *ns)
{
	int one = 1, s;

	if (strcmp(ns, "-")) {
		int home = ns_open("-");	/* before leaving it */

		ns_enter(ns);
		s = nl_open("-");
		if (setns(home, CLONE_NEWNET))
			die("setns back: %s", strerror(errno));
		return s;
	}
	s = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
	if (s < 0)
		die("netlink socket: %s", strerror(errno));
	/* Ask for the kernel's own error text, and not our request echoed back. */
	setsockopt(s, SOL_NETLINK, NETLINK_EXT_ACK, &one, sizeof(one));
	setsockopt(s, SOL_NETLINK, NETLINK_CAP_ACK, &one, sizeof(one));
	return s;
}

/* The kernel's extended-ack message in an error reply, if it sent one. */
static const char *ext_ack_msg(const struct nlmsghdr *h)
{
	const struct nlmsgerr *e = NLMSG_DATA(h);
	size_t off = NLMSG_HDRLEN + sizeof(*e);
	const struct rtattr *a;
	int left;

	if (!(h->nlmsg_flags & NLM_F_ACK_TLVS))
		return NULL;
	if (!(h->nlmsg_flags & NLM_F_CAPPED))
		off += e->msg.nlmsg_len - NLMSG_HDRLEN;
	if (off >= h->nlmsg_len)
		return NULL;
	left = h->nlmsg_len - off;
	for (a = (const void *)((const char *)h + off); RTA_OK(a, left); a = RTA_NEXT(a, left))
		if (a->rta_type == NLMSGERR_ATTR_MSG && RTA_PAYLOAD(a) > 1)
			return RTA_DATA(a);
	return NULL;
}

/*
 * Send R and read until its ACK. The head of a reply that comes before the
 * ACK (RTM_GETLINK) is copied to REPLY. Returns 0, or a negative errno with
 * the kernel's text in *WHY.
 */
static int talk(int s, struct req *r, struct req *reply, const char **why)
{
	static unsigned seq;
	static char buf[32768] __attribute__((aligned(NLMSG_ALIGNTO)));
	struct sockaddr_nl kernel = {.nl_family = AF_NETLINK};

	r->h.nlmsg_seq = ++seq;
	if (sendto(s, r, r->h.nlmsg_len, 0, (struct sockaddr *)&kernel, sizeof(kernel)) < 0)
		die("netlink send: %s", strerror(errno));
	for (;;) {
		int n = recv(s, buf, sizeof(buf), 0);
		struct nlmsghdr *h;

		if (n < 0) {
			if (errno == EINTR)
				continue;
			die("netlink receive: %s", strerror(errno));
		}
		for (h = (void *)buf; NLMSG_OK(h, n); h = NLMSG_NEXT(h, n)) {
			if (h->nlmsg_seq != r->h.nlmsg_seq)
				continue;
			if (h->nlmsg_type == NLMSG_ERROR) {
				const struct nlmsgerr *e = NLMSG_DATA(h);
				const char *msg = ext_ack_msg(h);

				*why = e->error ? strerror(-e->error) : NULL;
				if (e->error && msg) {
					static char text[512];

					snprintf(text, sizeof(text), "%s (%s)", *why, msg);
					*why = text;
				}
				return e->error;
			}
			/* Only the head is of use: link replies outgrow a request. */
			if (reply)
				memcpy(reply, h, h->nlmsg_len < sizeof(*reply) ? h->nlmsg_len : sizeof(*reply));
		}
	}
}

/* talk() for requests whose failure ends nsctl. */
static void must(int s, struct req *r, const char *what)
{
	const char *why;

	if (talk(s, r, NULL, &why))
		die("%s: %s", what, why);
}

static int link_index(int s, const char *ifname)
{
	struct req r, reply;
	struct ifinfomsg ifi = {.ifi_family = AF_UNSPEC};
	const char *why;

	if (strlen(ifname) >= IFNAMSIZ)
		die("interface name too long: %s", ifname);
	req_init(&r, RTM_GETLINK, 0);
	put(&r, &ifi, sizeof(ifi));
	put_str(&r, IFLA_IFNAME, ifname);
	memset(&reply, 0, sizeof(reply));
	if (talk(s, &r, &reply, &why))
		die("%s: %s", ifname, why);
	if (reply.h.nlmsg_type != RTM_NEWLINK)
		die("%s: no link in the kernel's reply", ifname);
	return ((struct ifinfomsg *)NLMSG_DATA(&reply.h))->ifi_index;
}

static void link_set_up(int s, const char *ifname, int up)
{
	struct req r;
	struct ifinfomsg ifi = {
		.ifi_family = AF_UNSPEC,
		.ifi_index = link_index(s, ifname),
		.ifi_change = IFF_UP,
		.ifi_flags = up ? IFF_UP : 0,
	};

	req_init(&r, RTM_NEWLINK, 0);
	put(&r, &ifi, sizeof(ifi));
	must(s, &r, ifname);
}

/* ADDR[/PREFIX] into family, bytes and prefix length (default: host). */
static int parse_prefix(const char *arg, void *addr, int *plen)
{
	char buf[INET6_ADDRSTRLEN + 8], *slash, *end;
	int family, max;

	if (strlen(arg) >= sizeof(buf))
		die("bad address %s", arg);
	strcpy(buf, arg);
	slash = strchr(buf, '/');
	if (slash)
		*slash = 0;
	if (inet_pton(AF_INET, buf, addr) == 1)
		family = AF_INET, max = 32;
	else if (inet_pton(AF_INET6, buf, addr) == 1)
		family = AF_INET6, max = 128;
	else
		die("bad address %s", arg);
	*plen = max;
	if (slash) {
		long v = strtol(slash + 1, &end, 10);

		if (!slash[1] || *end || v < 0 || v > max)
			die("bad prefix length in %s", arg);
		*plen = v;
	}
	return family;
}

/* --- subcommands --------------------------------------------------------- */

static int cmd_add(const char *name)
{
	char path[PATH_MAX];
	int fd, s;

	if (!valid_name(name))
		die("bad namespace name '%s'", name);
	prepare_run_dir();
	ns_path(path, sizeof(path), name);
	fd = open(path, O_RDONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0);
	if (fd < 0)
		die("%s: %s", path, errno == EEXIST ? "namespace already exists" : strerror(errno));
	close(fd);
	undo_add = path;
	if (unshare(CLONE_NEWNET))
		die("unshare: %s", strerror(errno));
	if (mount("/proc/self/ns/net", path, "none", MS_BIND, NULL))
		die("bind %s: %s", path, strerror(errno));
	/* We are inside the new namespace now: a socket here configures it. */
	s = nl_open("-");
	link_set_up(s, "lo", 1);
	undo_add = NULL;
	return 0;
}

static int cmd_del(int force, const char *name)
{
	char path[PATH_MAX];

	if (!valid_name(name))
		die("bad namespace name '%s'", name);
	ns_path(path, sizeof(path), name);
	/* Lazy: processes still inside keep the namespace alive. */
	umount2(path, MNT_DETACH);
	if (unlink(path) && !(force && errno == ENOENT))
		die("%s: %s", path, strerror(errno));
	return 0;
}

static int cmd_list(void)
{
	DIR *d = opendir(NETNS_RUN_DIR);
	struct dirent *e;

	if (!d) {
		if (errno == ENOENT)
			return 0;
		die(NETNS_RUN_DIR ": %s", strerror(errno));
	}
	while ((e = readdir(d)))
		if (e->d_name[0] != '.')
			puts(e->d_name);
	closedir(d);
	return 0;
}

/* The nsfs inode number is the kernel's net->ns.inum. */
static int cmd_inode(const char *ns)
{
	struct stat st;

	if (fstat(ns_open(ns), &st))
		die("%s: %s", ns, strerror(errno));
	printf("%llu\n", (unsigned long long)st.st_ino);
	return 0;
}

static int cmd_veth(const char *ns1, const char *if1, const char *ns2, const char *if2)
{
	int s1 = nl_open(ns1), s2 = nl_open(ns2), peer_ns = ns_open(ns2);
	struct ifinfomsg ifi = {.ifi_family = AF_UNSPEC};
	struct rtattr *info, *data, *peer;
	struct req r;
	char what[128];

	if (strlen(if1) >= IFNAMSIZ || strlen(if2) >= IFNAMSIZ)
		die("interface name too long");
	/* Made in NS1; the peer is created straight into NS2 by fd. */
	req_init(&r, RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL);
	put(&r, &ifi, sizeof(ifi));
	put_str(&r, IFLA_IFNAME, if1);
	info = put_attr(&r, IFLA_LINKINFO, NULL, 0);
	put_str(&r, IFLA_INFO_KIND, "veth");
	data = put_attr(&r, IFLA_INFO_DATA, NULL, 0);
	peer = put_attr(&r, VETH_INFO_PEER, NULL, 0);
	put(&r, &ifi, sizeof(ifi));
	put_str(&r, IFLA_IFNAME, if2);
	put_attr(&r, IFLA_NET_NS_FD, &peer_ns, sizeof(peer_ns));
	nest_end(&r, peer);
	nest_end(&r, data);
	nest_end(&r, info);
	snprintf(what, sizeof(what), "%s/%s <-> %s/%s", ns1, if1, ns2, if2);
	must(s1, &r, what);
	link_set_up(s1, if1, 1);
	link_set_up(s2, if2, 1);
	return 0;
}

static int cmd_link(const char *ns, const char *ifname, int up)
{
	link_set_up(nl_open(ns), ifname, up);
	return 0;
}

static int cmd_ifindex(const char *ns, const char *ifname)
{
	printf("%d\n", link_index(nl_open(ns), ifname));
	return 0;
}

static int cmd_addr(const char *ns, const char *ifname, const char *arg)
{
	unsigned char addr[16];
	int s = nl_open(ns), plen, family = parse_prefix(arg, addr, &plen);
	int alen = family == AF_INET ? 4 : 16;
	struct ifaddrmsg ifa = {
		.ifa_family = family,
		.ifa_prefixlen = plen,
		.ifa_index = link_index(s, ifname),
		/* No duplicate address detection: the address works at once. */
		.ifa_flags = family == AF_INET6 ? IFA_F_NODAD : 0,
	};
	struct req r;
	char what[128];

	req_init(&r, RTM_NEWADDR, NLM_F_CREATE | NLM_F_EXCL);
	put(&r, &ifa, sizeof(ifa));
	put_attr(&r, IFA_LOCAL, addr, alen);
	put_attr(&r, IFA_ADDRESS, addr, alen);
	snprintf(what, sizeof(what), "%s on %s", arg, ifname);
	must(s, &r, what);
	return 0;
}

static int cmd_route(const char *ns, const char *dest, const char *gw)
{
	unsigned char dst[16], via[16];
	int s = nl_open(ns), plen = 0, family, gfamily;
	struct rtmsg rtm = {
		.rtm_table = RT_TABLE_MAIN,
		.rtm_protocol = RTPROT_BOOT,
		.rtm_scope = RT_SCOPE_UNIVERSE,
		.rtm_type = RTN_UNICAST,
	};
	struct req r;
	char what[128];

	if (strchr(gw, '/'))
		die("bad gateway %s", gw);
	gfamily = parse_prefix(gw, via, &plen);
	if (!strcmp(dest, "default"))
		family = gfamily, plen = 0;
	else
		family = parse_prefix(dest, dst, &plen);
	if (family != gfamily)
		die("%s and %s are not of one address family", dest, gw);
	rtm.rtm_family = family;
	rtm.rtm_dst_len = plen;
	req_init(&r, RTM_NEWROUTE, NLM_F_CREATE | NLM_F_EXCL);
	put(&r, &rtm, sizeof(rtm));
	if (plen)
		put_attr(&r, RTA_DST, dst, family == AF_INET ? 4 : 16);
	put_attr(&r, RTA_GATEWAY, via, family == AF_INET ? 4 : 16);
	snprintf(what, sizeof(what), "%s via %s", dest, gw);
	must(s, &r, what);
	return 0;
}

/* In a child, so that nsctl itself never changes namespace for good. */
static int cmd_sysctl(const char *ns, const char *key, const char *value)
{
	char path[PATH_MAX];
	int st;
	pid_t pid;

	/* sysctl(8) convention: a key with '/' keeps its dots (eth0.100). */
	snprintf(path, sizeof(path), "/proc/sys/%s", key);
	if (!strchr(key, '/'))
		for (char *p = path + strlen("/proc/sys/"); *p; p++)
			if (*p == '.')
				*p = '/';
	fflush(NULL);
	pid = fork();
	if (pid < 0)
		die("fork: %s", strerror(errno));
	if (pid == 0) {
		int fd;
		size_t len = strlen(value);

		ns_enter(ns);
		fd = open(path, O_WRONLY | O_CLOEXEC);
		if (fd < 0)
			die("%s: %s", path, strerror(errno));
		if (write(fd, value, len) != (ssize_t)len)
			die("%s: %s", path, strerror(errno));
		if (close(fd))
			die("%s: %s", path, strerror(errno));
		_exit(0);
	}
	if (waitpid(pid, &st, 0) < 0)
		die("waitpid: %s", strerror(errno));
	return WIFEXITED(st) ? WEXITSTATUS(st) : 1;
}

static int cmd_exec(const char *ns, char **argv)
{
	ns_enter(ns);
	execvp(argv[0], argv);
	die("%s: %s", argv[0], strerror(errno));
}

static const struct command {
	const char *name, *args;
	int nargs;	/* exactly; at least, for exec */
} commands[] = {
	{"add", "NAME", 1},
	{"del", "[-f] NAME", 1},
	{"list", "", 0},
	{"inode", "NS", 1},
	{"veth", "NS1 IF1 NS2 IF2", 4},
	{"up", "NS IF", 2},
	{"down", "NS IF", 2},
	{"ifindex", "NS IF", 2},
	{"addr", "NS IF ADDR[/PREFIX]", 3},
	{"route", "NS DEST[/PREFIX]|default GATEWAY", 3},
	{"sysctl", "NS KEY VALUE", 3},
	{"exec", "NS CMD [ARG...]", 2},
};
#define NCOMMANDS (sizeof(commands) / sizeof(commands[0]))

static int help(void)
{
	for (size_t i = 0; i < NCOMMANDS; i++)
		printf("%s nsctl %s%s%s\n", i ? "      " : "usage:", commands[i].name,
		       *commands[i].args ? " " : "", commands[i].args);
	puts("NS: a name under " NETNS_RUN_DIR ", a path such as /proc/PID/ns/net, or -\n"
	     "for the namespace nsctl runs in.");
	return 0;
}

int main(int argc, char **argv)
{
	const struct command *c = NULL;
	int n = argc - 2, force = 0;

	if (argc < 2) {
		fputs("nsctl: usage: nsctl COMMAND [ARG...]; nsctl help lists them\n", stderr);
		return 2;
	}
	if (!strcmp(argv[1], "help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "--help"))
		return help();
	for (size_t i = 0; i < NCOMMANDS; i++)
		if (!strcmp(argv[1], commands[i].name))
			c = &commands[i];
	if (!c) {
		fprintf(stderr, "nsctl: unknown command '%s'; nsctl help lists them\n", argv[1]);
		return 2;
	}
	cmd = c->name;
	argv += 2;
	if (!strcmp(cmd, "del") && n > 0 && !strcmp(argv[0], "-f"))
		force = 1, argv++, n--;
	if (!strcmp(cmd, "exec") ? n < c->nargs : n != c->nargs) {
		fprintf(stderr, "nsctl: usage: nsctl %s %s\n", c->name, c->args);
		return 2;
	}
	if (!strcmp(cmd, "add"))
		return cmd_add(argv[0]);
	if (!strcmp(cmd, "del"))
		return cmd_del(force, argv[0]);
	if (!strcmp(cmd, "list"))
		return cmd_list();
	if (!strcmp(cmd, "inode"))
		return cmd_inode(argv[0]);
	if (!strcmp(cmd, "veth"))
		return cmd_veth(argv[0], argv[1], argv[2], argv[3]);
	if (!strcmp(cmd, "up") || !strcmp(cmd, "down"))
		return cmd_link(argv[0], argv[1], cmd[0] == 'u');
	if (!strcmp(cmd, "ifindex"))
		return cmd_ifindex(argv[0], argv[1]);
	if (!strcmp(cmd, "addr"))
		return cmd_addr(argv[0], argv[1], argv[2]);
	if (!strcmp(cmd, "route"))
		return cmd_route(argv[0], argv[1], argv[2]);
	if (!strcmp(cmd, "sysctl"))
		return cmd_sysctl(argv[0], argv[1], argv[2]);
	return cmd_exec(argv[0], argv + 1);
}
