/*
 * test/test_completion_queue.c — the completion queue: one entry per
 * attached future, exactly once, whatever ends it (done, failed, cancel,
 * deadline, shutdown, finished before the attach); its fd readable iff it
 * holds entries; callbacks on the draining thread; the lifetime rules of
 * futurl.h (a future freed while attached, the queue freed while futures
 * run, a second attach, shutdown with entries queued); and no lost
 * wake-up with 8 workers posting against one polling consumer.
 */
#include "support.h"

#include "futurl.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static support_server httpbin;

static void start_httpbin(void) {
    ck_assert_msg(support_httpbin_start(&httpbin) == 0, "httpbin did not start");
}

static void stop_httpbin(void) {
    support_server_stop(&httpbin);
}

/* ---------------------------------------------------------------- helpers */

/* 1 if fd is readable now. */
static int readable(int fd) {
    struct pollfd p = {.fd = fd, .events = POLLIN};
    int n = poll(&p, 1, 0);
    if (n < 0) /* not ck_assert: Check writes a record per passed check */
        ck_abort_msg("poll: %s", strerror(errno));
    return n == 1 && (p.revents & POLLIN);
}

static futurl_completion_queue *queue_new(void) {
    futurl_completion_queue *q = NULL;
    futurl_status st = futurl_completion_queue_new(&q);
    ck_assert_msg(st == FUTURL_OK && q, "futurl_completion_queue_new: %s",
                  futurl_err_name(st));
    return q;
}

/* Returns its arg as the result. */
static futurl_status job_echo(futurl_job *job, void *arg, void **result) {
    (void)job;
    *result = arg;
    return FUTURL_OK;
}

/* Sleeps arg milliseconds (stops early when cancelled), then returns. */
static futurl_status job_sleep(futurl_job *job, void *arg, void **result) {
    long ms = (long)(intptr_t)arg;
    for (long i = 0; i < ms; i++) {
        if (futurl_job_cancelled(job))
            return FUTURL_ECANCELED;
        support_sleep_ms(1);
    }
    *result = arg;
    return FUTURL_OK;
}

/* Waits until *(atomic_int *)arg is set. */
static futurl_status job_gate(futurl_job *job, void *arg, void **result) {
    (void)job;
    (void)result;
    while (!atomic_load((atomic_int *)arg))
        support_sleep_ms(1);
    return FUTURL_OK;
}

static futurl_future *submit(futurl_executor *ex, futurl_job_fn fn, void *arg) {
    futurl_future *f = NULL;
    futurl_status st = futurl_executor_submit(ex, fn, arg, NULL, NULL, &f);
    if (st != FUTURL_OK)
        ck_abort_msg("submit: %s", futurl_err_name(st));
    return f;
}

static void attach(futurl_completion_queue *q, futurl_future *f, void *tag) {
    futurl_status st = futurl_completion_queue_attach(q, f, tag);
    if (st != FUTURL_OK)
        ck_abort_msg("attach: %s", futurl_err_name(st));
}

/* ------------------------------------------------------------------ tests */

/* Finished before the attach: the entry comes at once; the fd is readable
 * exactly while entries remain; FIFO within a burst; an empty pop zeroes
 * the entry. */
START_TEST(test_fd_iff_nonempty) {
    futurl_executor *ex = support_executor(2, 0);
    futurl_completion_queue *q = queue_new();
    int fd = futurl_completion_queue_fd(q);
    ck_assert_msg(fd >= 0, "fd %d", fd);
    ck_assert_msg(fcntl(fd, F_GETFD) & FD_CLOEXEC, "the fd is not close-on-exec");
    ck_assert_msg(!readable(fd), "an empty queue's fd is readable");

    futurl_future *fs[3];
    for (int i = 0; i < 3; i++) {
        fs[i] = submit(ex, job_echo, (void *)(intptr_t)(i + 1));
        ck_assert_int_eq(futurl_future_wait(fs[i]), FUTURL_OK);
    }
    for (int i = 0; i < 3; i++) {
        attach(q, fs[i], (void *)(intptr_t)(100 + i));
        ck_assert_msg(readable(fd), "not readable after attaching finished future %d", i);
    }
    for (int i = 0; i < 3; i++) {
        futurl_completion e;
        futurl_status st = futurl_completion_queue_next(q, &e);
        ck_assert_msg(st == FUTURL_OK, "pop %d: %s", i, futurl_err_name(st));
        ck_assert_msg(e.future == fs[i] && e.tag == (void *)(intptr_t)(100 + i),
                      "pop %d: future %p tag %p, want %p tag %d", i, (void *)e.future,
                      e.tag, (void *)fs[i], 100 + i);
        ck_assert_msg(e.callback == NULL, "pop %d: a callback on a plain attach", i);
        ck_assert_msg(readable(fd) == (i < 2), "pop %d: readable %d with %d left", i,
                      readable(fd), 2 - i);
    }
    futurl_completion e;
    memset(&e, 0xab, sizeof e);
    futurl_status st = futurl_completion_queue_next(q, &e);
    ck_assert_msg(st == FUTURL_EPENDING, "empty pop: %s", futurl_err_name(st));
    ck_assert_msg(e.future == NULL && e.tag == NULL && e.callback == NULL,
                  "an empty pop left the entry set");
    ck_assert_msg(!readable(fd), "readable after the queue was drained");

    /* Unfinished at attach: _wait sleeps until it finishes. */
    futurl_future *slow = submit(ex, job_sleep, (void *)(intptr_t)50);
    attach(q, slow, &e);
    double t0 = support_now();
    st = futurl_completion_queue_wait(q, 10000, &e);
    ck_assert_msg(st == FUTURL_OK && e.future == slow, "wait: %s, future %p want %p",
                  futurl_err_name(st), (void *)e.future, (void *)slow);
    ck_assert_msg(futurl_future_done(slow), "an entry for an unfinished future");
    ck_assert_msg(support_now() - t0 < 5 * support_slack(), "wait took %.3f s",
                  support_now() - t0);
    ck_assert_msg(!readable(fd), "readable after the only entry was taken");
    st = futurl_completion_queue_wait(q, 30, &e);
    ck_assert_msg(st == FUTURL_EPENDING, "wait on empty: %s", futurl_err_name(st));

    /* Bad input. */
    ck_assert_int_eq(futurl_completion_queue_new(NULL), FUTURL_EINVAL);
    ck_assert_int_eq(futurl_completion_queue_next(NULL, &e), FUTURL_EINVAL);
    ck_assert_int_eq(futurl_completion_queue_next(q, NULL), FUTURL_EINVAL);
    ck_assert_int_eq(futurl_completion_queue_wait(NULL, 0, &e), FUTURL_EINVAL);
    ck_assert_int_eq(futurl_completion_queue_attach(NULL, slow, NULL), FUTURL_EINVAL);
    ck_assert_int_eq(futurl_completion_queue_attach(q, NULL, NULL), FUTURL_EINVAL);
    ck_assert_int_eq(futurl_completion_queue_on_done(q, slow, NULL, NULL), FUTURL_EINVAL);
    ck_assert_int_eq(futurl_completion_queue_fd(NULL), -1);
    futurl_completion_queue_free(NULL);

    futurl_completion_queue_free(q);
    for (int i = 0; i < 3; i++)
        futurl_future_free(fs[i]);
    futurl_future_free(slow);
    futurl_executor_destroy(ex);
}
END_TEST

/* A second attach, to the same queue or another, fails EINVAL; the first
 * one's entry still comes, once. */
START_TEST(test_attach_twice) {
    futurl_executor *ex = support_executor(1, 0);
    futurl_completion_queue *q1 = queue_new(), *q2 = queue_new();
    futurl_future *f = submit(ex, job_sleep, (void *)(intptr_t)20);
    attach(q1, f, NULL);
    futurl_status st = futurl_completion_queue_attach(q1, f, NULL);
    ck_assert_msg(st == FUTURL_EINVAL, "second attach, same queue: %s",
                  futurl_err_name(st));
    st = futurl_completion_queue_attach(q2, f, NULL);
    ck_assert_msg(st == FUTURL_EINVAL, "second attach, other queue: %s",
                  futurl_err_name(st));
    ck_assert_int_eq(futurl_future_wait(f), FUTURL_OK);
    st = futurl_completion_queue_attach(q2, f, NULL);
    ck_assert_msg(st == FUTURL_EINVAL, "attach after finishing: %s", futurl_err_name(st));
    futurl_completion e;
    ck_assert_int_eq(futurl_completion_queue_wait(q1, 10000, &e), FUTURL_OK);
    ck_assert_ptr_eq(e.future, f);
    ck_assert_int_eq(futurl_completion_queue_wait(q1, 50, &e), FUTURL_EPENDING);
    ck_assert_int_eq(futurl_completion_queue_next(q2, &e), FUTURL_EPENDING);
    ck_assert_msg(!readable(futurl_completion_queue_fd(q2)), "q2 readable");
    futurl_completion_queue_free(q1);
    futurl_completion_queue_free(q2);
    futurl_future_free(f);
    futurl_executor_destroy(ex);
}
END_TEST

/* on_done: the callback runs on the thread that pops, once, and may free
 * the future; _next or _wait from inside it fails EDEADLK. */
typedef struct cb_state {
    pthread_t thread;
    int calls;
    int on_popper;
    futurl_completion_queue *q;
    futurl_status nested_next, nested_wait;
    futurl_status status_seen;
} cb_state;

static void on_done_cb(futurl_future *f, void *userdata) {
    cb_state *s = userdata;
    s->calls++;
    s->on_popper = pthread_equal(pthread_self(), s->thread);
    s->status_seen = futurl_future_status(f);
    futurl_completion e;
    s->nested_next = futurl_completion_queue_next(s->q, &e);
    s->nested_wait = futurl_completion_queue_wait(s->q, 0, &e);
    futurl_future_free(f); /* the caller handed its reference over */
}

START_TEST(test_on_done_on_popping_thread) {
    futurl_executor *ex = support_executor(2, 0);
    futurl_completion_queue *q = queue_new();
    cb_state s = {.thread = pthread_self(), .q = q};
    futurl_future *f = submit(ex, job_sleep, (void *)(intptr_t)20);
    futurl_status st = futurl_completion_queue_on_done(q, f, on_done_cb, &s);
    ck_assert_msg(st == FUTURL_OK, "on_done: %s", futurl_err_name(st));
    support_sleep_ms(100);
    ck_assert_msg(s.calls == 0, "the callback ran %d times before a pop", s.calls);
    futurl_completion e;
    st = futurl_completion_queue_wait(q, 10000, &e);
    ck_assert_msg(st == FUTURL_OK, "wait: %s", futurl_err_name(st));
    ck_assert_msg(s.calls == 1 && s.on_popper, "calls %d, on the popping thread %d",
                  s.calls, s.on_popper);
    ck_assert_msg(e.callback == on_done_cb && e.tag == &s && e.future == f,
                  "entry callback %p tag %p future %p", (void *)(uintptr_t)e.callback,
                  e.tag, (void *)e.future);
    ck_assert_msg(s.nested_next == FUTURL_EDEADLK && s.nested_wait == FUTURL_EDEADLK,
                  "nested next %s, wait %s, want FUTURL_EDEADLK",
                  futurl_err_name(s.nested_next), futurl_err_name(s.nested_wait));
    /* Freed by the callback, still valid until the next call. */
    ck_assert_int_eq(futurl_future_status(e.future), FUTURL_OK);
    ck_assert_int_eq(s.status_seen, FUTURL_OK);
    ck_assert_int_eq(futurl_completion_queue_next(q, &e), FUTURL_EPENDING);
    ck_assert_int_eq(s.calls, 1);
    futurl_completion_queue_free(q);
    futurl_executor_destroy(ex);
}
END_TEST

/* A future freed while attached (before it finishes): its entry still
 * comes, and its future is valid (state, result) until the next call. */
START_TEST(test_free_future_while_attached) {
    futurl_executor *ex = support_executor(2, 0);
    futurl_completion_queue *q = queue_new();
    enum { N = 50 };
    for (int i = 0; i < N; i++) {
        futurl_future *f = submit(ex, job_sleep, (void *)(intptr_t)(1 + i % 5));
        attach(q, f, (void *)(intptr_t)(i + 1));
        futurl_future_free(f);
    }
    int seen[N + 1] = {0};
    for (int got = 0; got < N; got++) {
        futurl_completion e;
        futurl_status st = futurl_completion_queue_wait(q, 10000, &e);
        ck_assert_msg(st == FUTURL_OK, "entry %d of %d: %s", got, N, futurl_err_name(st));
        intptr_t tag = (intptr_t)e.tag;
        ck_assert_msg(tag >= 1 && tag <= N && !seen[tag], "tag %ld (seen %d)", (long)tag,
                      tag >= 1 && tag <= N ? seen[tag] : -1);
        seen[tag] = 1;
        ck_assert_int_eq(futurl_future_state(e.future), FUTURL_DONE);
        ck_assert_msg((intptr_t)futurl_future_result(e.future) == 1 + (tag - 1) % 5,
                      "result %ld, want %ld",
                      (long)(intptr_t)futurl_future_result(e.future),
                      (long)(1 + (tag - 1) % 5));
    }
    futurl_completion_queue_free(q); /* releases the last entry's future */
    futurl_executor_destroy(ex);
}
END_TEST

/* The queue freed while attached futures still run: they finish as usual
 * (waitable, their memory and the queue's freed once: ASan and valgrind
 * see it), entries posted but not popped are dropped, nothing else. */
static void count_cb(futurl_future *f, void *userdata) {
    (void)f;
    atomic_fetch_add((atomic_int *)userdata, 1);
}

START_TEST(test_free_queue_while_running) {
    enum { N = 400 };
    for (int round = 0; round < 5; round++) {
        futurl_executor *ex = support_executor(4, N);
        futurl_completion_queue *q = queue_new();
        futurl_future *fs[N];
        atomic_int calls = 0;
        for (int i = 0; i < N; i++) {
            fs[i] = submit(ex, job_sleep, (void *)(intptr_t)(i % 3));
            if (i % 2)
                attach(q, fs[i], NULL);
            else
                ck_assert_int_eq(
                    futurl_completion_queue_on_done(q, fs[i], count_cb, &calls),
                    FUTURL_OK);
        }
        futurl_completion e = {0};
        if (round % 2)
            (void)futurl_completion_queue_wait(q, 5, &e); /* holds one entry */
        support_sleep_ms(round);
        int popped_cb = e.callback != NULL;
        futurl_completion_queue_free(q);
        futurl_gather_counts counts;
        futurl_status st = futurl_gather(fs, N, -1, 0, &counts);
        ck_assert_msg(st == FUTURL_OK && counts.ok == N, "gather %s, ok %zu of %d",
                      futurl_err_name(st), counts.ok, N);
        ck_assert_msg(atomic_load(&calls) == popped_cb,
                      "round %d: %d queue callbacks ran, %d entries with one popped",
                      round, atomic_load(&calls), popped_cb);
        for (int i = 0; i < N; i++)
            futurl_future_free(fs[i]);
        futurl_executor_destroy(ex);
    }
}
END_TEST

/* Shutdown with entries queued and futures still queued: every future
 * posts once (the queued ones CANCELLED), also after the pool is
 * destroyed. */
START_TEST(test_shutdown_with_entries) {
    enum { N = 60 };
    futurl_executor *ex = support_executor(1, N + 1);
    futurl_completion_queue *q = queue_new();
    atomic_int open_gate = 0;
    futurl_future *blocker = submit(ex, job_gate, &open_gate);
    attach(q, blocker, (void *)(intptr_t)N);
    futurl_future *fs[N];
    for (int i = 0; i < N; i++) {
        fs[i] = submit(ex, job_echo, NULL);
        attach(q, fs[i], (void *)(intptr_t)i);
    }
    futurl_future_cancel(fs[0]); /* one entry queued before the shutdown */
    ck_assert_msg(readable(futurl_completion_queue_fd(q)), "not readable after a cancel");
    atomic_store(&open_gate, 1);
    ck_assert_int_eq(futurl_executor_shutdown(ex, FUTURL_CANCEL_PENDING), FUTURL_OK);
    futurl_executor_destroy(ex);
    int seen[N + 1] = {0}, cancelled = 0;
    futurl_completion e;
    futurl_status st;
    int got = 0;
    while ((st = futurl_completion_queue_next(q, &e)) == FUTURL_OK) {
        intptr_t tag = (intptr_t)e.tag;
        ck_assert_msg(tag >= 0 && tag <= N && !seen[tag], "tag %ld twice or bad",
                      (long)tag);
        seen[tag] = 1;
        ck_assert_msg(futurl_future_done(e.future), "entry %ld unfinished", (long)tag);
        cancelled += futurl_future_state(e.future) == FUTURL_CANCELLED;
        got++;
    }
    ck_assert_msg(st == FUTURL_EPENDING && got == N + 1, "%d entries (%s), want %d", got,
                  futurl_err_name(st), N + 1);
    ck_assert_msg(cancelled >= 1, "no entry cancelled (%d)", cancelled);
    ck_assert_msg(!readable(futurl_completion_queue_fd(q)), "readable when drained");
    futurl_completion_queue_free(q);
    for (int i = 0; i < N; i++)
        futurl_future_free(fs[i]);
    futurl_future_free(blocker);
}
END_TEST

/* ---------------------------------------------------- the loop-thread test */

typedef struct loop_state {
    futurl_completion_queue *q;
    atomic_size_t expected; /* SIZE_MAX until all are attached */
    atomic_uchar *seen;     /* per tag */
    size_t n;
    size_t received, dups, bad, unfinished, spurious, drains, timeouts, late;
    int free_futures; /* the consumer owns the futures */
    long poll_ms;
} loop_state;

/* Drain on every wake-up; after each drain (the pop that found the queue
 * empty), a readable fd must mean an entry is there. */
static void *loop_main(void *arg) {
    loop_state *s = arg;
    int fd = futurl_completion_queue_fd(s->q);
    while (s->received < atomic_load(&s->expected)) {
        struct pollfd p = {.fd = fd, .events = POLLIN};
        int n = poll(&p, 1, (int)s->poll_ms);
        if (n == 0)
            s->timeouts++; /* then an entry waiting means a lost wake-up */
        futurl_completion e;
        futurl_status st;
        while ((st = futurl_completion_queue_next(s->q, &e)) == FUTURL_OK) {
            if (n == 0)
                s->late++;
            uintptr_t tag = (uintptr_t)e.tag;
            if (tag >= s->n) {
                s->bad++;
                continue;
            }
            if (atomic_fetch_add(&s->seen[tag], 1) != 0)
                s->dups++;
            if (!futurl_future_done(e.future))
                s->unfinished++;
            if (s->free_futures)
                futurl_future_free(e.future);
            s->received++;
        }
        s->drains++;
        if (readable(fd)) {
            /* Since the empty pop, a future may have posted: then an entry
             * is there. Readable with nothing to pop is a stale wake-up. */
            st = futurl_completion_queue_next(s->q, &e);
            if (st != FUTURL_OK) {
                s->spurious++;
            } else {
                uintptr_t tag = (uintptr_t)e.tag;
                if (tag < s->n && atomic_fetch_add(&s->seen[tag], 1) != 0)
                    s->dups++;
                if (s->free_futures)
                    futurl_future_free(e.future);
                s->received++;
            }
        }
    }
    return NULL;
}

static void check_loop(loop_state *s, size_t attached) {
    size_t missing = 0;
    for (size_t i = 0; i < s->n; i++)
        missing += atomic_load(&s->seen[i]) == 0;
    ck_assert_msg(s->received == attached && s->dups == 0 && s->bad == 0 &&
                      s->unfinished == 0 && s->spurious == 0,
                  "received %zu of %zu attached; duplicates %zu, bad %zu, unfinished "
                  "%zu, stale wake-ups %zu, missing %zu",
                  s->received, attached, s->dups, s->bad, s->unfinished, s->spurious,
                  missing);
    ck_assert_msg(missing == 0, "%zu tags never delivered", missing);
}

/* 100,000 futures (fewer under valgrind): generic jobs on two pools, one
 * shut down midway, random cancels; HTTP requests, some with a deadline
 * that passes, some cancelled while they run. All attached to one queue,
 * drained by a loop thread: each exactly once. */
START_TEST(test_loop_thread_100k) {
    size_t n_generic = support_under_valgrind() ? 4000 : 100000;
    size_t n_http = support_under_valgrind() ? 40 : 300;
    size_t n = n_generic + n_http;
    loop_state s = {.n = n, .poll_ms = 200}; /* also notices `expected` */
    s.q = queue_new();
    atomic_init(&s.expected, SIZE_MAX);
    s.seen = calloc(n, sizeof *s.seen);
    futurl_future **fs = calloc(n, sizeof *fs);
    ck_assert(s.seen && fs);
    pthread_t loop;
    ck_assert_int_eq(pthread_create(&loop, NULL, loop_main, &s), 0);

    futurl_executor *a = support_executor(4, 4096), *b = support_executor(2, 4096);
    futurl_client *c = support_client(httpbin.url, 4, 1);
    unsigned seed = 12345;
    size_t attached = 0, refused = 0, cancels = 0;
    int b_down = 0;
    for (size_t i = 0; i < n; i++) {
        futurl_future *f = NULL;
        futurl_status st;
        if (i < n_generic) {
            futurl_executor *ex = (i % 3 == 0) ? b : a;
            if (i == n_generic / 2) {
                ck_assert_int_eq(futurl_executor_shutdown(b, FUTURL_CANCEL_PENDING),
                                 FUTURL_OK);
                b_down = 1;
            }
            st = futurl_executor_submit(ex, job_echo, (void *)(uintptr_t)i, NULL, NULL,
                                        &f);
            if (st == FUTURL_ESHUTDOWN && ex == b && b_down) {
                refused++;
                continue;
            }
        } else {
            size_t k = i - n_generic;
            futurl_request *r = support_request("GET", k % 10 == 0 ? "/delay/3" : "/get");
            if (k % 10 == 0)
                ck_assert_int_eq(futurl_request_set_deadline(r, 50), FUTURL_OK);
            st = futurl_client_submit(c, r, &f);
        }
        if (st != FUTURL_OK)
            ck_abort_msg("submit %zu: %s", i, futurl_err_name(st));
        seed = seed * 1103515245u + 12345u;
        int cancel = (seed >> 16) % 10 == 0;
        if (cancel && (seed >> 8) % 2) { /* before the attach */
            futurl_future_cancel(f);
            cancels++;
            cancel = 0;
        }
        attach(s.q, f, (void *)(uintptr_t)i);
        fs[i] = f;
        attached++;
        if (cancel) {
            futurl_future_cancel(f); /* after: races with the worker */
            cancels++;
        }
    }
    /* The ones refused after shutdown never get an entry: mark them. */
    for (size_t i = 0; i < n; i++)
        if (!fs[i])
            atomic_store(&s.seen[i], 1);
    atomic_store(&s.expected, attached);
    ck_assert_int_eq(pthread_join(loop, NULL), 0);
    check_loop(&s, attached);
    futurl_completion e;
    ck_assert_int_eq(futurl_completion_queue_next(s.q, &e), FUTURL_EPENDING);
    ck_assert_msg(!readable(futurl_completion_queue_fd(s.q)),
                  "readable with every entry taken and nothing running");

    size_t timed_out = 0, cancelled = 0;
    for (size_t i = 0; i < n; i++) {
        if (!fs[i])
            continue;
        timed_out += futurl_future_status(fs[i]) == FUTURL_ETIMEDOUT;
        cancelled += futurl_future_state(fs[i]) == FUTURL_CANCELLED;
        futurl_future_free(fs[i]);
    }
    ck_assert_msg(timed_out >= n_http / 20, "%zu deadlines passed, want >= %zu",
                  timed_out, n_http / 20);
    ck_assert_msg(cancelled >= 1, "%zu cancelled of %zu cancels", cancelled, cancels);
    fprintf(stderr,
            "loop 100k: %zu attached, %zu refused after shutdown, %zu cancelled, %zu "
            "deadline, %zu drains, %zu poll timeouts\n",
            attached, refused, cancelled, timed_out, s.drains, s.timeouts);
    futurl_completion_queue_free(s.q);
    futurl_executor_destroy(a);
    futurl_executor_destroy(b);
    futurl_client_destroy(c);
    free(fs);
    free(s.seen);
}
END_TEST

/* No lost wake-up: 8 workers post against one consumer that sleeps in
 * poll with a timeout; a timeout with an entry waiting fails. Two million
 * entries plain, one under sanitizers, fewer under valgrind. */
START_TEST(test_no_lost_wakeup) {
    size_t n = 2000000;
    if (support_under_valgrind())
        n = 20000;
    else if (support_slack() > 1)
        n = 1000000;
    loop_state s = {.n = n, .poll_ms = 10000, .free_futures = 1};
    s.q = queue_new();
    atomic_init(&s.expected, n);
    s.seen = calloc(n, sizeof *s.seen);
    ck_assert(s.seen);
    pthread_t loop;
    ck_assert_int_eq(pthread_create(&loop, NULL, loop_main, &s), 0);
    futurl_executor *ex = support_executor(8, 8192);
    double t0 = support_now();
    for (size_t i = 0; i < n; i++) {
        futurl_future *f = submit(ex, job_echo, NULL);
        attach(s.q, f, (void *)(uintptr_t)i);
        /* The consumer frees it: ours is handed over with the entry. */
    }
    ck_assert_int_eq(pthread_join(loop, NULL), 0);
    check_loop(&s, n);
    ck_assert_msg(s.timeouts == 0 && s.late == 0,
                  "%zu poll timeouts of %ld ms, %zu entries found after one", s.timeouts,
                  s.poll_ms, s.late);
    fprintf(stderr, "no lost wake-up: %zu entries, %zu drains, %.1f s\n", n, s.drains,
            support_now() - t0);
    futurl_completion_queue_free(s.q);
    futurl_executor_destroy(ex);
    free(s.seen);
}
END_TEST

static Suite *completion_queue_suite(void) {
    Suite *s = suite_create("completion_queue");
    TCase *tc = tcase_create("rules");
    tcase_set_timeout(tc, 30);
    tcase_add_test(tc, test_fd_iff_nonempty);
    tcase_add_test(tc, test_attach_twice);
    tcase_add_test(tc, test_on_done_on_popping_thread);
    tcase_add_test(tc, test_free_future_while_attached);
    tcase_add_test(tc, test_free_queue_while_running);
    tcase_add_test(tc, test_shutdown_with_entries);
    suite_add_tcase(s, tc);

    tc = tcase_create("load");
    tcase_add_unchecked_fixture(tc, start_httpbin, stop_httpbin);
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_loop_thread_100k);
    tcase_add_test(tc, test_no_lost_wakeup);
    suite_add_tcase(s, tc);
    return s;
}

int main(void) {
    SRunner *sr = srunner_create(completion_queue_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
