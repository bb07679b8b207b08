/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * t3: a read returned. Which packets it returned (sock_state.bpf.h for
 * UDP, sequence numbers for TCP), their stages, and where the numbers go.
 */
#ifndef RXLAT_DELIVER_BPF_H
#define RXLAT_DELIVER_BPF_H

/*
 * The packet being delivered, handed to deliver_now() through per-CPU
 * memory: a global function is verified once, on its own, but (before
 * 5.13) takes no pointers. Reads run in process context; nothing else on
 * the CPU uses the pad.
 */
struct deliver_pad {
	struct skb_slot slot;
	__u64 now;		/* the read returned */
	__u64 skaddr;
	__u64 readable;		/* TCP: when its bytes became in-order */
	__u32 len;		/* bytes the read returned (UDP) */
	__u32 pad;
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, READ_DEPTH_MAX);
	__type(key, __u32);
	__type(value, struct deliver_pad);
} deliver_pads SEC(".maps");

/* @i: the handler's read_index(), passed along rather than looked up again
 * (deliver_now's stack is at the 5.10 combined limit) */
static __always_inline struct deliver_pad *pad_at(__u32 i)
{
	i &= READ_DEPTH_MAX - 1;
	return bpf_map_lookup_elem(&deliver_pads, &i);
}

/* Compute the stages of the packet in the pad and record them. */
__attribute__((noinline)) int deliver_now(int idx)
{
	struct deliver_pad *pd = pad_at(idx);
	struct task_struct *task;
	struct socket_split sp;
	struct skb_slot *e;
	__u64 st[RX_NSTAGES], now, readable;
	struct rx_event *ev;
	struct sock *sk;
	__u32 cpu = bpf_get_smp_processor_id(), tid, valid;
	bool has_t0, has_t1, tcp;

	if (!pd)
		return 0;
	e = &pd->slot;
	now = pd->now;
	sk = (void *)pd->skaddr;
	tcp = e->flags & SLOT_F_TCP;
	readable = pd->readable > e->t2 && pd->readable <= now ? pd->readable : e->t2;
	tid = (__u32)bpf_get_current_pid_tgid();
	/* task storage needs the task; thread-id-keyed state does not, and
	 * 5.10 has no bpf_get_current_task_btf() */
	task = thread_state_hash ? NULL : bpf_get_current_task_btf();

	/*
	 * Which stages this packet has, as one mask: branching on each stage
	 * value against "none" would let the verifier track every
	 * combination of known values through the code below.
	 */
	valid = 1u << RX_ST_SOCKET;
	has_t0 = e->t0 && e->t2 >= e->t0;
	has_t1 = e->t1 && e->t2 >= e->t1;
	__builtin_memset(st, 0, sizeof(st));
	st[RX_ST_SOCKET] = now >= e->t2 ? now - e->t2 : 0;
	if (has_t0) {
		st[RX_ST_TOTAL] = now - e->t0;
		valid |= 1u << RX_ST_TOTAL;
	}
	if (has_t1) {
		st[RX_ST_STACK] = e->t2 - e->t1;
		valid |= 1u << RX_ST_STACK;
	} else if (has_t0) {
		/* A missed t1 makes driver unknown but t0 still bounds the
		 * total; keep the stage sum equal to the total. */
		st[RX_ST_STACK] = e->t2 - e->t0;
		valid |= 1u << RX_ST_STACK;
	}
	if (has_t0 && has_t1 && e->t1 >= e->t0) {
		st[RX_ST_DRIVER] = e->t1 - e->t0;
		valid |= 1u << RX_ST_DRIVER;
		if (e->irq_ns != RX_NO_VALUE32 && e->irq_ns <= st[RX_ST_DRIVER]) {
			st[RX_ST_IRQ] = e->irq_ns;
			st[RX_ST_POLL] = st[RX_ST_DRIVER] - e->irq_ns;
			valid |= (1u << RX_ST_IRQ) | (1u << RX_ST_POLL);
		}
	}
	if (e->passes > 1) {
		st[RX_ST_FORWARD] = e->forward_ns;
		st[RX_ST_CROSSING] = e->crossing_ns;
		valid |= (1u << RX_ST_FORWARD) | (1u << RX_ST_CROSSING);
	}
	if (tcp) {
		/* bytes behind a gap wait for it, whoever reads */
		st[RX_ST_HOL] = readable - e->t2;
		valid |= 1u << RX_ST_HOL;
	}
	split_socket_stage(task, tid, readable, now, e->t0, &sp);
	if (split_socket) {
		st[RX_ST_QUEUED] = sp.queued;
		st[RX_ST_WAKEUP] = sp.wakeup;
		st[RX_ST_RETURN] = sp.ret;
		valid |= (1u << RX_ST_QUEUED) | (1u << RX_ST_WAKEUP) | (1u << RX_ST_RETURN);
		if (valid & (1u << RX_ST_TOTAL)) {
			st[RX_ST_BYPASS] = st[RX_ST_TOTAL] - sp.queued - st[RX_ST_HOL];
			valid |= 1u << RX_ST_BYPASS;
		}
		if (valid & (1u << RX_ST_IRQ)) {
			st[RX_ST_BUSYPOLL] = st[RX_ST_IRQ] + sp.wakeup;
			valid |= 1u << RX_ST_BUSYPOLL;
		}
	}

	count(RX_C_DELIVERED);
	if (!e->t0)
		count(RX_C_NO_FIRST);
	if (!e->t1)
		count(RX_C_NO_NETIF);
	if (e->passes > 1)
		count(RX_C_MULTIPASS);
	if (sp.woken)
		count(RX_C_WOKEN);
	if (sp.wake_cross_cpu)
		count(RX_C_WOKEN_CROSS_CPU);
	if (sp.busy_polled)
		count(RX_C_BUSY_POLLED);
	if (e->cpu != cpu)
		count(RX_C_CROSS_CPU);
	if (tcp)
		count(RX_C_TCP);
	if (tcp && readable > e->t2)
		count(RX_C_HOL);
	if (aggregate) {
		struct cpu_stats *cs = my_stats();

		if (cs)
			pend(cs, valid, st);
	}
	if (!emit_events)
		return 0;
	if (sample_every > 1) {
		/* every Nth packet this CPU delivered */
		struct cpu_stats *cs = my_stats();

		if (!cs || cs->c.c[RX_C_DELIVERED] % sample_every) {
			count(RX_C_SAMPLED_OUT);
			return 0;
		}
	}
	ev = bpf_ringbuf_reserve(&events, sizeof(*ev), 0);
	if (!ev) {
		count(RX_C_LOST_EVENTS);
		return 0;
	}
	ev->ts_ns = now;
	for (int i = 0; i < RX_NSTAGES; i++)
		ev->stage_ns[i] = (valid & (1u << i)) ? st[i] : RX_NO_VALUE;
	ev->pid = bpf_get_current_pid_tgid() >> 32;
	ev->tid = tid;
	ev->netns = BPF_CORE_READ(sk, __sk_common.skc_net.net, ns.inum);
	ev->ifindex = e->ifindex;
	ev->len = tcp ? e->ulen : pd->len;
	ev->pkt_len = tcp ? e->ulen : e->ulen >= 8 ? e->ulen - 8 : 0;
	ev->passes = e->passes;
	ev->netns_first = e->netns;
	ev->ifindex_last = e->ifindex_last;
	ev->sport = e->sport;
	ev->dport = BPF_CORE_READ(sk, __sk_common.skc_num);
	ev->cpu_enq = e->cpu;
	ev->cpu_read = cpu;
	ev->segs = e->segs;
	ev->flags = ((e->flags & SLOT_F_IPV6) ? RX_EV_IPV6 : 0) |
		    (sp.woken ? RX_EV_WOKEN : 0) | (sp.wake_cross_cpu ? RX_EV_WAKE_CROSS_CPU : 0) |
		    (tcp ? RX_EV_TCP : 0) | (sp.busy_polled ? RX_EV_BUSY_POLLED : 0) |
		    ((e->flags & SLOT_F_COPY) ? RX_EV_COPY : 0) |
		    ((e->flags & SLOT_F_OOO) ? RX_EV_OOO : 0);
	bpf_get_current_comm(ev->comm, sizeof(ev->comm));
	/* No wakeup: the loader polls. A wakeup per packet costs the traced
	 * ping-pong tens of microseconds. */
	bpf_ringbuf_submit(ev, BPF_RB_NO_WAKEUP);
	return 0;
}

/* Put one packet in the pad for deliver_now(). */
static __always_inline bool stage_delivery(const struct skb_slot *e, __u64 now, __u64 skaddr,
					   __u32 len, __u64 readable)
{
	struct deliver_pad *pd = pad_at(read_index());

	if (!pd)
		return false;
	pd->slot = *e;
	pd->now = now;
	pd->skaddr = skaddr;
	pd->len = len;
	pd->readable = readable;
	return true;
}

/* Hand one packet to deliver_now(). */
static __always_inline void deliver(const struct skb_slot *e, __u64 now, __u64 skaddr, __u32 len,
				    __u64 readable)
{
	if (stage_delivery(e, now, skaddr, len, readable))
		deliver_now(read_index());
}

/* Is this socket one the port, family and namespace filters cover? */
static __always_inline bool in_scope(__u64 skaddr)
{
	struct sock *sk = (void *)skaddr;
	__u16 port = BPF_CORE_READ(sk, __sk_common.skc_num);
	__u16 family = BPF_CORE_READ(sk, __sk_common.skc_family);

	return port_wanted(port) && family_wanted(family == AF_INET6) && netns_wanted_sk(skaddr);
}

/* A UDP read returned @ret bytes. */
static __always_inline void on_recv_done_udp(void *sk, __u64 skaddr, int ret, int flags,
					     bool direct)
{
	struct sock_state *ss;
	struct read_match m;
	bool created;
	__u64 now;

	if (ret < 0 || (flags & (MSG_PEEK | MSG_ERRQUEUE)))
		return;
	ss = sock_state_get(sk, skaddr, false, &created);
	if (!ss) {
		/* a socket that never got a packet in scope: only reads of the
		 * sockets the filters cover are worth mentioning */
		if (in_scope(skaddr) && reader_wanted())
			count(RX_C_UNTRACKED_READ);
		return;
	}
	now = bpf_ktime_get_ns();
	sock_read(ss, skaddr, queue_head(skaddr, direct), now, &m);
	/* Unconditional: a branch on the count would make the verifier
	 * track each value separately. */
	count_n(RX_C_UNMEASURED, m.skipped);
	if (!m.hit) {
		if (reader_wanted())
			count(RX_C_UNTRACKED_READ);
		return;
	}
	if (!reader_wanted()) {
		count(RX_C_FILTERED);
		return;
	}
	deliver(&m.slot, now, skaddr, (__u32)ret, 0);
}

/*
 * fentry and kprobe families: skb_consume_udp() names the datagram a UDP
 * read just copied, so reads match exactly. That includes the first read
 * of a reader already blocked in recvmsg when rxlat attached, whose
 * fexit/kretprobe never fires (a trampoline only sees calls that begin
 * after it). @len is what the read returns; negative for MSG_PEEK.
 */
static __always_inline void udp_consume(struct sock *sk, struct sk_buff *skb, int len)
{
	__u64 skaddr = (__u64)sk, skbaddr = (__u64)skb;
	struct skb_slot copy;
	struct slot_ref s;
	__u64 now;

	if (len < 0)
		return;
	/* a zero-length datagram peeked: the queue still holds a reference */
	if (len == 0 && BPF_CORE_READ(skb, users.refs.counter) > 1)
		return;
	/* newest: an address is queued on one socket at most once at a time */
	s = slot_find_queued(skbaddr, skaddr, IN(SLOT_QUEUED), true, SLOT_WAYS, LAUNDER_READER);
	if (!s.set) {
		if (in_scope(skaddr) && reader_wanted())
			count(RX_C_UNTRACKED_READ);
		return;
	}
	now = bpf_ktime_get_ns();
	copy = *SLOT(s);
	slot_free(s);
	if (!reader_wanted()) {
		count(RX_C_FILTERED);
		return;
	}
	deliver(&copy, now, skaddr, (__u32)len, 0);
}

static __always_inline void on_udp_consume(struct sock *sk, struct sk_buff *skb, int len)
{
	if (!read_enter())
		return;
	udp_consume(sk, skb, len);
	read_exit();
}

/* Segments one TCP read can complete; more wait for the next read. */
#define TCP_WALK 64

/*
 * A TCP read's walk along the socket's segments, one global-function call
 * per segment: the verifier checks the step once instead of once per
 * iteration (a third of rxlat's start-up time otherwise). The walk's state
 * lives in per-CPU memory; reads run in process context.
 */
struct tcp_walk {
	__u64 skaddr;
	__u64 now;
	__u64 fill_t;		/* the socket's last gap fill */
	__u64 next;		/* out: the segment after the one stepped on */
	__u64 last_key;		/* the segment delivered last (0: none) */
	__u32 last_i;		/* its way */
	__u32 copied;		/* copied_seq after the read */
	bool wanted;
	bool stop;		/* out: the segment is not all read yet */
	__u8 pad[6];
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, READ_DEPTH_MAX);
	__type(key, __u32);
	__type(value, struct tcp_walk);
} tcp_walks SEC(".maps");

static __always_inline struct tcp_walk *tcp_walk_get(void)
{
	__u32 i = read_index();

	return bpf_map_lookup_elem(&tcp_walks, &i);
}

/* The slot of the segment delivered last, kept until the walk ends. */
static __always_inline struct slot_ref tcp_walk_last(const struct tcp_walk *w)
{
	struct slot_set *set;

	if (!w->last_key)
		return no_slot();
	set = set_of(w->last_key);
	if (!set)
		return no_slot();
	return (struct slot_ref){ set, w->last_i & (SLOT_WAYS - 1) };
}

/* One step from segment @cand; 0 when the walk cannot go on, 2 when the
 * segment is in the pad for deliver_now(). The caller delivers: calls
 * nested three deep (step, deliver, flush) overflow 5.10's combined stack. */
__attribute__((noinline)) int tcp_walk_step(__u64 cand)
{
	struct tcp_walk *w = tcp_walk_get();
	struct slot_ref s, last;
	struct skb_slot *seg;
	bool staged;
	__u32 excl;

	if (!w)
		return 0;
	w->next = 0;
	w->stop = false;
	/* the segment delivered last is still queued (see below); a
	 * retransmission can share its key */
	excl = w->last_key && w->last_key == cand ? w->last_i : SLOT_WAYS;
	s = slot_find_queued(cand, w->skaddr, IN_SOCKET, false, excl, LAUNDER_READER);
	if (!s.set)
		return 0;
	seg = SLOT(s);
	if (STATE(s) == SLOT_TOMB) {
		w->next = seg->next;
		slot_free(s);
		return 1;
	}
	if ((__s32)(seg->seq_end - w->copied) > 0) {
		w->stop = true;	/* not all of it read yet */
		return 1;
	}
	staged = w->wanted &&
		 stage_delivery(seg, w->now, w->skaddr, 0, (seg->flags & SLOT_F_OOO) ? w->fill_t : 0);
	if (!w->wanted)
		count(RX_C_FILTERED);
	w->next = seg->next;
	last = tcp_walk_last(w);
	if (last.set)
		slot_free(last);
	/* freed last: a racing push links to it */
	w->last_key = cand;
	w->last_i = s.i;
	return staged ? 2 : 1;
}

/* A TCP read returned: every queued segment whose last byte the socket
 * has now handed out was delivered by it. */
static __always_inline void on_recv_done_tcp(void *sk, __u64 skaddr, int ret, int flags)
{
	struct tcp_sock *tp = (void *)skaddr;
	struct sock_state *ss;
	struct tcp_walk *w;
	struct slot_ref last;
	__u64 cand;
	bool created;

	if (ret <= 0 || (flags & (MSG_PEEK | MSG_ERRQUEUE)))
		return;
	ss = sock_state_get(sk, skaddr, false, &created);
	w = tcp_walk_get();
	if (!ss || !w)
		return;
	w->copied = 0;
	bpf_core_read(&w->copied, sizeof(w->copied), &tp->copied_seq);
	w->skaddr = skaddr;
	w->now = bpf_ktime_get_ns();
	w->fill_t = ss->fill_t;
	w->wanted = reader_wanted();
	w->last_key = 0;
	cand = ss->next;
	for (int i = 0; i < TCP_WALK; i++) {
		if (cand <= NEXT_UNSYNC)
			break;
		int step = tcp_walk_step(cand);

		if (!step) {
			cand = 0;
			break;
		}
		if (w->stop)
			break;
		if (step == 2)
			deliver_now(read_index());
		cand = w->next;
	}
	ss->next = cand;
	last = tcp_walk_last(w);
	if (!cand && last.set) {
		full_fence(ss);
		cand = READ_ONCE(SLOT(last)->next);
		if (cand)
			ss->next = cand;
	}
	if (last.set)
		slot_free(last);
}

static __always_inline void on_recv_done(void *sk, __u64 skaddr, int ret, int flags, bool direct,
					 bool tcp)
{
	if (!read_enter())
		return;
	if (tcp)
		on_recv_done_tcp(sk, skaddr, ret, flags);
	else
		on_recv_done_udp(sk, skaddr, ret, flags, direct);
	read_exit();
}

#endif /* RXLAT_DELIVER_BPF_H */
