/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Splitting the socket stage: was the packet waiting for the reader, or the
 * reader for the packet?
 *
 * For each thread that reads a traced socket rxlat remembers when it last
 * entered a receive call, when it was last woken *for data* (a wakeup issued
 * from a socket's data-ready callback: a reader blocked in recv*, epoll,
 * poll or select), and when it next ran. A packet read at t3 that was
 * enqueued at t2 then splits as
 *
 *   woken after t2:          queued = wake - t2, wakeup = run - wake, return = t3 - run
 *   entered recv after t2:   queued = enter - t2, wakeup = 0,         return = t3 - enter
 *   otherwise (already in a
 *   recv call, not asleep:
 *   busy polling, spinning): queued = 0,         wakeup = 0,          return = t3 - t2
 *
 * so that queued + wakeup + return = socket exactly. A wakeup serves the
 * receive call it interrupted or the first call after it (epoll, poll),
 * never a later one.
 */
#ifndef RXLAT_THREAD_STATE_BPF_H
#define RXLAT_THREAD_STATE_BPF_H

struct thread_state {
	__u64 t_enter;	/* last entry into a receive call */
	__u64 t_wake;	/* last wakeup for data */
	__u64 t_run;	/* first switch-in after that wakeup */
	__u32 wake_cpu;	/* CPU that issued the wakeup */
	__u32 run_cpu;	/* CPU it then ran on */
};

struct {
	__uint(type, BPF_MAP_TYPE_TASK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct thread_state);
} thread_states SEC(".maps");

/* Fallback keyed by thread id where task storage is not available to
 * tracing programs (before 5.12) or the caller has no task pointer. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct thread_state);
} thread_states_h SEC(".maps");

const volatile bool thread_state_hash = false;
/* Splitting costs a program run per context switch: --no-split skips it. */
const volatile bool split_socket = true;

/* Threads that read traced sockets, by thread id modulo the table: lets the
 * scheduler hooks dismiss every other thread with one inlined lookup. A
 * collision only costs a storage lookup that finds nothing. */
#define READERS 4096
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, READERS);
	__type(key, __u32);
	__type(value, __u32);
} readers SEC(".maps");

static __always_inline bool is_reader(__u32 tid)
{
	__u32 idx = tid & (READERS - 1);
	__u32 *r = bpf_map_lookup_elem(&readers, &idx);

	return r && *r == tid;
}

static __always_inline void mark_reader(__u32 tid)
{
	__u32 idx = tid & (READERS - 1);
	__u32 *r = bpf_map_lookup_elem(&readers, &idx);

	if (r && *r != tid)
		*r = tid;
}

/* A data-ready callback running on this CPU: wakeups issued inside it are
 * wakeups for data. */
struct data_ready {
	__u64 t;
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct data_ready);
} data_readies SEC(".maps");

/* sock_def_readable() runs its wakeups within microseconds. */
#define DATA_READY_WINDOW_NS 20000

/* @task: a trusted task pointer (NULL in kprobes); @tid its thread id. */
static __always_inline struct thread_state *thread_state_get(struct task_struct *task, __u32 tid,
							     bool create)
{
	struct thread_state *ts, fresh = {};

	if (!thread_state_hash && task)
		return bpf_task_storage_get(&thread_states, task, 0,
					    create ? BPF_LOCAL_STORAGE_GET_F_CREATE : 0);
	ts = bpf_map_lookup_elem(&thread_states_h, &tid);
	if (ts || !create)
		return ts;
	bpf_map_update_elem(&thread_states_h, &tid, &fresh, BPF_NOEXIST);
	return bpf_map_lookup_elem(&thread_states_h, &tid);
}

static __always_inline void on_data_ready(void)
{
	__u32 zero = 0;
	struct data_ready *d;

	if (!split_socket)
		return;
	d = bpf_map_lookup_elem(&data_readies, &zero);
	if (d)
		d->t = bpf_ktime_get_ns();
}

static __always_inline void on_waking(struct task_struct *p, __u32 tid)
{
	struct thread_state *ts;
	struct data_ready *d;
	__u32 zero = 0;
	__u64 now;

	if (!split_socket || !is_reader(tid))
		return;
	d = bpf_map_lookup_elem(&data_readies, &zero);
	if (!d || !d->t)
		return;
	now = bpf_ktime_get_ns();
	if (now - d->t > DATA_READY_WINDOW_NS)
		return;
	ts = thread_state_get(p, tid, false);
	if (!ts)
		return;
	ts->t_wake = now;
	ts->t_run = 0;
	ts->wake_cpu = bpf_get_smp_processor_id();
}

static __always_inline void on_switch_in(struct task_struct *next, __u32 tid)
{
	struct thread_state *ts;

	if (!split_socket || !is_reader(tid))
		return;
	ts = thread_state_get(next, tid, false);
	if (ts && ts->t_wake && !ts->t_run) {
		ts->t_run = bpf_ktime_get_ns();
		ts->run_cpu = bpf_get_smp_processor_id();
	}
}

static __always_inline void on_recv_enter(struct task_struct *task, __u32 tid)
{
	struct thread_state *ts;

	if (!split_socket || !is_reader(tid))
		return;
	ts = thread_state_get(task, tid, false);
	if (!ts)
		return;
	/* A wakeup from before the previous call's entry was that call's to
	 * use (or not a wakeup for data at all: a timer that fired near a
	 * data-ready callback). Left in place it would end the queued part of
	 * every packet read later at that old wakeup. */
	if (ts->t_wake && ts->t_wake < ts->t_enter)
		ts->t_wake = 0;
	ts->t_enter = bpf_ktime_get_ns();
}

struct socket_split {
	__u64 queued, wakeup, ret;
	bool woken, wake_cross_cpu;
	bool busy_polled;	/* the reader was in its receive call before the
				 * packet was first seen, and never slept */
};

/* Split t3 - t2 for the current thread (see the top of this file); @t0 is
 * the packet's first sighting (0 if unknown). */
static __always_inline void split_socket_stage(struct task_struct *task, __u32 tid, __u64 t2,
					       __u64 t3, __u64 t0, struct socket_split *sp)
{
	struct thread_state *ts = thread_state_get(task, tid, true);

	mark_reader(tid);
	sp->queued = 0;
	sp->wakeup = 0;
	sp->ret = t3 - t2;
	sp->woken = false;
	sp->wake_cross_cpu = false;
	sp->busy_polled = false;
	if (!ts)
		return;
	if (ts->t_wake > t2 && ts->t_wake <= t3) {
		__u64 run = ts->t_run >= ts->t_wake && ts->t_run <= t3 ? ts->t_run : ts->t_wake;

		sp->queued = ts->t_wake - t2;
		sp->wakeup = run - ts->t_wake;
		sp->ret = t3 - run;
		sp->woken = true;
		sp->wake_cross_cpu = ts->wake_cpu != bpf_get_smp_processor_id();
	} else if (ts->t_enter > t2 && ts->t_enter <= t3) {
		sp->queued = ts->t_enter - t2;
		sp->ret = t3 - ts->t_enter;
	} else if (ts->t_enter && t0 && ts->t_enter < t0) {
		sp->busy_polled = true;
	}
}

#endif /* RXLAT_THREAD_STATE_BPF_H */
