/*
 * test/test_park.c — the executor's parking and deadlines, the machinery
 * under retries with backoff, rate limits and per-host slots (src/executor.h):
 * a job that defers itself leaves its worker free and runs again when due
 * or woken; parked futures cancel at once and end cancelled on shutdown; a
 * queued future ends FUTURL_ETIMEDOUT at its deadline even while every
 * worker is busy; callbacks that a drain or the timer thread runs cannot
 * wait for (or shut down) their own pool.
 */
#include "support.h"

#include "clock.h"
#include "executor.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>

/* Defers itself `times` times, `delay_ms` apart, then succeeds with the
 * number of runs as its result. */
typedef struct backoff {
    int times;
    long delay_ms;
    atomic_int runs;
    atomic_int saw_deadline_passed;
} backoff;

static futurl_status job_backoff(futurl_job *job, void *arg, void **result) {
    backoff *b = arg;
    int run = atomic_fetch_add(&b->runs, 1) + 1;
    uint64_t dl = futurl__job_deadline(job);
    if (dl && futurl__now_ns() >= dl) {
        atomic_store(&b->saw_deadline_passed, 1);
        return FUTURL_ETIMEDOUT;
    }
    if (run <= b->times) {
        futurl__job_defer(job, b->delay_ms ? futurl__after_ms(futurl__now_ns(), b->delay_ms) : 0);
        return FUTURL__DEFER;
    }
    *result = (void *)(intptr_t)run;
    return FUTURL_OK;
}

static futurl_status job_quick(futurl_job *job, void *arg, void **result) {
    (void)job;
    *result = arg;
    return FUTURL_OK;
}

static futurl_status job_block(futurl_job *job, void *arg, void **result) {
    (void)result;
    atomic_int *entered = arg;
    atomic_store(entered, 1);
    for (int i = 0; i < 10000 && !futurl_job_cancelled(job); i++)
        support_sleep_ms(1);
    return FUTURL_ECANCELED;
}

START_TEST(parked_job_frees_its_worker) {
    futurl_executor *ex = support_executor(1, 0);
    backoff b = {.times = 3, .delay_ms = 60};
    futurl_future *slow;
    ck_assert_int_eq(futurl_executor_submit(ex, job_backoff, &b, NULL, NULL, &slow), FUTURL_OK);
    for (int i = 0; i < 5000 && futurl__executor_parked(ex) == 0; i++)
        support_sleep_ms(1);
    ck_assert_uint_eq(futurl__executor_parked(ex), 1);
    ck_assert_int_eq(futurl_future_state(slow), FUTURL_PENDING);

    /* The single worker serves other jobs while the first one backs off. */
    enum { N = 50 };
    futurl_future *quick[N];
    for (int i = 0; i < N; i++)
        ck_assert_int_eq(futurl_executor_submit(ex, job_quick, (void *)(intptr_t)i, NULL, NULL,
                                                &quick[i]),
                         FUTURL_OK);
    ck_assert_int_eq(futurl_gather(quick, N, 10000, 0, NULL), FUTURL_OK);
    ck_assert_int_eq(futurl_future_done(slow), 0);

    double t0 = support_now();
    ck_assert_int_eq(futurl_future_wait_for(slow, 10000), FUTURL_OK);
    ck_assert_ptr_eq(futurl_future_result(slow), (void *)4);
    ck_assert_int_eq(atomic_load(&b.runs), 4);
    ck_assert_double_lt(support_now() - t0, 3.0 * support_slack());
    ck_assert_uint_eq(futurl__executor_parked(ex), 0);
    for (int i = 0; i < N; i++)
        futurl_future_free(quick[i]);
    futurl_future_free(slow);
    futurl_executor_destroy(ex);
}
END_TEST

static atomic_int cb_calls;
static void cb_count(futurl_future *f, void *ud) {
    (void)f;
    (void)ud;
    atomic_fetch_add(&cb_calls, 1);
}

START_TEST(cancel_parked_is_immediate) {
    futurl_executor *ex = support_executor(2, 0);
    backoff b = {.times = 1, .delay_ms = 60000};
    futurl_future *f;
    ck_assert_int_eq(futurl_executor_submit(ex, job_backoff, &b, NULL, NULL, &f), FUTURL_OK);
    for (int i = 0; i < 5000 && futurl__executor_parked(ex) == 0; i++)
        support_sleep_ms(1);
    atomic_store(&cb_calls, 0);
    ck_assert_int_eq(futurl_future_on_done(f, cb_count, NULL), FUTURL_OK);
    ck_assert_int_eq(futurl_future_cancel(f), 1);
    ck_assert_int_eq(futurl_future_state(f), FUTURL_CANCELLED);
    ck_assert_int_eq(atomic_load(&cb_calls), 1);
    ck_assert_uint_eq(futurl__executor_parked(ex), 0);
    ck_assert_int_eq(futurl_future_cancel(f), 0);
    futurl_future_free(f);
    futurl_executor_destroy(ex);
}
END_TEST

static void shutdown_with_parked(futurl_shutdown_mode how) {
    futurl_executor *ex = support_executor(2, 0);
    enum { N = 20 };
    backoff b[N];
    futurl_future *fs[N];
    for (int i = 0; i < N; i++) {
        b[i] = (backoff){.times = 1, .delay_ms = i % 2 ? 60000 : 0 /* wake only */};
        ck_assert_int_eq(futurl_executor_submit(ex, job_backoff, &b[i], NULL, NULL, &fs[i]),
                         FUTURL_OK);
    }
    for (int i = 0; i < 5000 && futurl__executor_parked(ex) < N; i++)
        support_sleep_ms(1);
    ck_assert_uint_eq(futurl__executor_parked(ex), N);
    double t0 = support_now();
    ck_assert_int_eq(futurl_executor_shutdown(ex, how), FUTURL_OK);
    ck_assert_double_lt(support_now() - t0, 2.0 * support_slack());
    for (int i = 0; i < N; i++) {
        ck_assert_int_eq(futurl_future_state(fs[i]), FUTURL_CANCELLED);
        futurl_future_free(fs[i]);
    }
    futurl_executor_destroy(ex);
}

START_TEST(shutdown_drain_cancels_parked) {
    shutdown_with_parked(FUTURL_DRAIN);
}
END_TEST

START_TEST(shutdown_cancel_pending_cancels_parked) {
    shutdown_with_parked(FUTURL_CANCEL_PENDING);
}
END_TEST

START_TEST(wake_runs_parked_job_again) {
    futurl_executor *ex = support_executor(2, 0);
    long n = getenv("FUTURL_VALGRIND") ? 50 : 2000;
    for (long round = 0; round < n; round++) {
        backoff b = {.times = 1, .delay_ms = 0}; /* parks until woken */
        futurl_future *f;
        ck_assert_int_eq(futurl_executor_submit(ex, job_backoff, &b, NULL, NULL, &f), FUTURL_OK);
        /* Wake at once: it may still be queued (no effect), running (it
         * re-runs as soon as it parks) or parked. Keep waking until done:
         * the point is that no wake-up is lost for good and it completes
         * exactly once. */
        for (int i = 0; i < 10000 && !futurl_future_done(f); i++) {
            futurl__executor_wake(ex, f);
            if (i > 10)
                support_sleep_ms(1);
        }
        ck_assert_int_eq(futurl_future_wait_for(f, 5000), FUTURL_OK);
        ck_assert_ptr_eq(futurl_future_result(f), (void *)2);
        futurl_future_free(f);
    }
    futurl_executor_destroy(ex);
}
END_TEST

START_TEST(queued_deadline_fires_while_workers_busy) {
    futurl_executor *ex = support_executor(1, 0);
    atomic_int entered = 0;
    futurl_future *blocker, *f;
    ck_assert_int_eq(futurl_executor_submit(ex, job_block, &entered, NULL, NULL, &blocker),
                     FUTURL_OK);
    for (int i = 0; i < 5000 && !atomic_load(&entered); i++)
        support_sleep_ms(1);
    double t0 = support_now();
    ck_assert_int_eq(futurl__executor_submit(ex, job_quick, NULL, NULL, NULL, -1,
                                             futurl__after_ms(futurl__now_ns(), 150), &f),
                     FUTURL_OK);
    ck_assert_int_eq(futurl_future_wait_for(f, 10000), FUTURL_ETIMEDOUT);
    double dt = support_now() - t0;
    ck_assert_double_ge(dt, 0.14);
    ck_assert_double_lt(dt, 2.0 * support_slack());
    ck_assert_int_eq(futurl_future_state(f), FUTURL_FAILED);
    ck_assert_str_eq(futurl_future_errmsg(f), "deadline passed before it could run");
    ck_assert_uint_eq(futurl_executor_queued(ex), 0);
    futurl_future_cancel(blocker);
    futurl_future_free(blocker);
    futurl_future_free(f);
    futurl_executor_destroy(ex);
}
END_TEST

START_TEST(deadline_cuts_a_backoff_short) {
    futurl_executor *ex = support_executor(1, 0);
    backoff b = {.times = 5, .delay_ms = 60000};
    futurl_future *f;
    double t0 = support_now();
    ck_assert_int_eq(
        futurl__executor_submit(ex, job_backoff, &b, NULL, NULL, -1, futurl__after_ms(futurl__now_ns(), 200), &f),
        FUTURL_OK);
    ck_assert_int_eq(futurl_future_wait_for(f, 10000), FUTURL_ETIMEDOUT);
    double dt = support_now() - t0;
    ck_assert_double_ge(dt, 0.19);
    ck_assert_double_lt(dt, 2.0 * support_slack());
    /* It ran once, then ended at the deadline on the timer, without running
     * again (no worker needed to notice). */
    ck_assert_int_eq(atomic_load(&b.runs), 1);
    ck_assert_int_eq(futurl_future_state(f), FUTURL_FAILED);
    ck_assert_str_eq(futurl_future_errmsg(f), "deadline passed before it could run");
    futurl_future_free(f);
    futurl_executor_destroy(ex);
}
END_TEST

/* Review finding 1.1: removing parked futures from the heap while walking
 * it by index skipped some, which a DRAIN shutdown then left PENDING
 * forever. Mix parked futures with queued ones that have deadlines (both
 * live in the heap) and check that shutdown finishes every one. */
typedef struct delayed_cancel {
    futurl_future *f;
    long ms;
} delayed_cancel;

static void *cancel_later(void *p) {
    delayed_cancel *d = p;
    support_sleep_ms(d->ms);
    futurl_future_cancel(d->f);
    return NULL;
}

START_TEST(drain_shutdown_finishes_every_parked_future) {
    for (int round = 0; round < 10; round++) {
        futurl_executor *ex = support_executor(1, 0);
        enum { P = 12, Q = 12 };
        backoff b[P];
        futurl_future *parked[P], *queued[Q];
        for (int i = 0; i < P; i++) {
            b[i] = (backoff){.times = 1, .delay_ms = 100000 + 37 * ((i * 7 + round) % P)};
            ck_assert_int_eq(futurl_executor_submit(ex, job_backoff, &b[i], NULL, NULL,
                                                    &parked[i]),
                             FUTURL_OK);
        }
        for (int i = 0; i < 5000 && futurl__executor_parked(ex) < P; i++)
            support_sleep_ms(1);
        ck_assert_uint_eq(futurl__executor_parked(ex), P);
        /* Hold the only worker, so that the next ones stay queued, in the
         * heap with their deadlines, next to the parked ones. */
        atomic_int entered = 0;
        futurl_future *hold;
        ck_assert_int_eq(futurl_executor_submit(ex, job_block, &entered, NULL, NULL, &hold),
                         FUTURL_OK);
        for (int i = 0; i < 5000 && !atomic_load(&entered); i++)
            support_sleep_ms(1);
        for (int i = 0; i < Q; i++)
            ck_assert_int_eq(
                futurl__executor_submit(ex, job_quick, NULL, NULL, NULL, -1,
                                        futurl__after_ms(futurl__now_ns(), 50000 + 41 * ((i * 5 + round) % Q)),
                                        &queued[i]),
                FUTURL_OK);
        delayed_cancel d = {hold, 200};
        pthread_t th;
        ck_assert_int_eq(pthread_create(&th, NULL, cancel_later, &d), 0);
        ck_assert_int_eq(futurl_executor_shutdown(ex, FUTURL_DRAIN), FUTURL_OK);
        pthread_join(th, NULL);
        for (int i = 0; i < P; i++) {
            ck_assert_msg(futurl_future_state(parked[i]) == FUTURL_CANCELLED,
                          "round %d: parked %d left in state %d", round, i,
                          futurl_future_state(parked[i]));
            futurl_future_free(parked[i]);
        }
        for (int i = 0; i < Q; i++) {
            ck_assert_int_eq(futurl_future_state(queued[i]), FUTURL_DONE);
            futurl_future_free(queued[i]);
        }
        futurl_future_free(hold);
        futurl_executor_destroy(ex);
    }
}
END_TEST

/* Review finding 1.6: done-callbacks of futures whose deadline passes run
 * on the timer thread, which must count as "inside the library": a submit
 * there never blocks. */
typedef struct timer_cb {
    futurl_executor *ex;
    atomic_int done;
    futurl_status first, second;
    double took;
} timer_cb;

/* The expiry freed one queue slot: the first submit takes it, the second
 * finds the queue full and must fail at once instead of waiting. */
static void cb_submit_on_timer(futurl_future *f, void *ud) {
    (void)f;
    timer_cb *t = ud;
    futurl_future *a = NULL, *b = NULL;
    double t0 = support_now();
    t->first = futurl_executor_submit(t->ex, job_quick, NULL, NULL, NULL, &a);
    t->second = futurl_executor_submit(t->ex, job_quick, NULL, NULL, NULL, &b);
    t->took = support_now() - t0;
    futurl_future_free(a);
    futurl_future_free(b);
    atomic_store(&t->done, 1);
}

START_TEST(submit_from_timer_callback_never_blocks) {
    futurl_executor *ex = support_executor(1, 2);
    atomic_int entered = 0;
    futurl_future *blocker, *expiring, *fill;
    ck_assert_int_eq(futurl_executor_submit(ex, job_block, &entered, NULL, NULL, &blocker),
                     FUTURL_OK);
    for (int i = 0; i < 5000 && !atomic_load(&entered); i++)
        support_sleep_ms(1);
    ck_assert_int_eq(futurl__executor_submit(ex, job_quick, NULL, NULL, NULL, -1,
                                             futurl__after_ms(futurl__now_ns(), 100), &expiring),
                     FUTURL_OK);
    ck_assert_int_eq(futurl_executor_submit(ex, job_quick, NULL, NULL, NULL, &fill), FUTURL_OK);
    timer_cb t = {ex, 0, FUTURL_EINVAL, FUTURL_EINVAL, 0};
    ck_assert_int_eq(futurl_future_on_done(expiring, cb_submit_on_timer, &t), FUTURL_OK);
    ck_assert_int_eq(futurl_future_wait_for(expiring, 5000), FUTURL_ETIMEDOUT);
    ck_assert_int_eq(atomic_load(&t.done), 1); /* wait returns after its callbacks */
    ck_assert_int_eq(t.first, FUTURL_OK);
    ck_assert_int_eq(t.second, FUTURL_EQUEUEFULL);
    ck_assert_double_lt(t.took, 0.5);
    futurl_executor_shutdown(ex, FUTURL_CANCEL_PENDING);
    futurl_future_free(blocker);
    futurl_future_free(expiring);
    futurl_future_free(fill);
    futurl_executor_destroy(ex);
}
END_TEST

/* Shuts its pool down (DRAIN), then waits (one of SUPPORT_WAIT_KINDS) for
 * another future of it: from a callback that a drain of that pool, or its
 * timer thread, runs. */
typedef struct guarded_cb {
    futurl_executor *ex;
    futurl_future *target;
    int kind;
    atomic_int ran;
    int target_was_done;
    futurl_status st_shutdown, st_wait;
} guarded_cb;

static void cb_shutdown_and_wait(futurl_future *f, void *ud) {
    guarded_cb *g = ud;
    (void)f;
    g->st_shutdown = futurl_executor_shutdown(g->ex, FUTURL_DRAIN);
    g->target_was_done = futurl_future_done(g->target);
    g->st_wait = support_wait_one(g->target, g->kind);
    atomic_fetch_add(&g->ran, 1);
}

/*
 * Issue 14, defect 3, in DRAIN mode: shutdown ends parked futures cancelled
 * on the calling thread, in both modes. Their callbacks get FUTURL_EDEADLK
 * from a nested shutdown and from waiting for a parked future this thread
 * has yet to cancel. Before the fix both hung.
 */
START_TEST(drain_callback_of_parked_future_is_guarded) {
    futurl_executor *ex = support_executor(2, 0);
    static backoff b1, b2;
    b1 = (backoff){.times = 1, .delay_ms = 60000};
    b2 = (backoff){.times = 1, .delay_ms = 60000};
    futurl_future *p1, *p2;
    ck_assert_int_eq(futurl_executor_submit(ex, job_backoff, &b1, NULL, NULL, &p1),
                     FUTURL_OK);
    ck_assert_int_eq(futurl_executor_submit(ex, job_backoff, &b2, NULL, NULL, &p2),
                     FUTURL_OK);
    for (int i = 0; i < 5000 && futurl__executor_parked(ex) < 2; i++)
        support_sleep_ms(1);
    ck_assert_uint_eq(futurl__executor_parked(ex), 2);
    static guarded_cb g1, g2;
    g1 = (guarded_cb){.ex = ex, .target = p2, .kind = _i};
    g2 = (guarded_cb){.ex = ex, .target = p1, .kind = _i};
    ck_assert_int_eq(futurl_future_on_done(p1, cb_shutdown_and_wait, &g1), FUTURL_OK);
    ck_assert_int_eq(futurl_future_on_done(p2, cb_shutdown_and_wait, &g2), FUTURL_OK);
    ck_assert_int_eq(futurl_executor_shutdown(ex, FUTURL_DRAIN), FUTURL_OK);
    guarded_cb *both[] = {&g1, &g2};
    int refused = 0;
    for (int k = 0; k < 2; k++) {
        guarded_cb *g = both[k];
        ck_assert_int_eq(atomic_load(&g->ran), 1);
        ck_assert_msg(g->st_shutdown == FUTURL_EDEADLK,
                      "shutdown in a drain's callback: %s, want FUTURL_EDEADLK",
                      futurl_err_name(g->st_shutdown));
        if (!g->target_was_done) {
            ck_assert_msg(g->st_wait == FUTURL_EDEADLK,
                          "%s for a parked future in a drain's callback: %s, want "
                          "FUTURL_EDEADLK",
                          support_wait_name(_i), futurl_err_name(g->st_wait));
            refused++;
        }
    }
    ck_assert_int_eq(refused, 1); /* the first one cancelled waited for the other */
    ck_assert_int_eq(futurl_future_state(p1), FUTURL_CANCELLED);
    ck_assert_int_eq(futurl_future_state(p2), FUTURL_CANCELLED);
    futurl_future_free(p1);
    futurl_future_free(p2);
    futurl_executor_destroy(ex);
}
END_TEST

/*
 * Issue 14, defect 3, on the timer thread: a deadline's callbacks run there,
 * and only that thread returns a backed-off future to the queue. A wait
 * there for such a future returns FUTURL_EDEADLK (every kind of wait), as
 * does a shutdown of the pool. Before the fix the wait hung for ever: the
 * parked future was due only through the thread that waited.
 */
START_TEST(timer_callback_is_guarded) {
    futurl_executor *ex = support_executor(1, 0);
    static backoff b;
    b = (backoff){.times = 1, .delay_ms = 300};
    futurl_future *parked, *blocker, *expiring;
    ck_assert_int_eq(futurl_executor_submit(ex, job_backoff, &b, NULL, NULL, &parked),
                     FUTURL_OK);
    for (int i = 0; i < 5000 && futurl__executor_parked(ex) == 0; i++)
        support_sleep_ms(1);
    ck_assert_uint_eq(futurl__executor_parked(ex), 1);
    static atomic_int entered;
    atomic_store(&entered, 0);
    ck_assert_int_eq(
        futurl_executor_submit(ex, job_block, &entered, NULL, NULL, &blocker), FUTURL_OK);
    for (int i = 0; i < 5000 && !atomic_load(&entered); i++)
        support_sleep_ms(1);
    ck_assert_int_eq(futurl__executor_submit(ex, job_quick, NULL, NULL, NULL, -1,
                                             futurl__after_ms(futurl__now_ns(), 50),
                                             &expiring),
                     FUTURL_OK);
    static guarded_cb g;
    g = (guarded_cb){.ex = ex, .target = parked, .kind = _i};
    ck_assert_int_eq(futurl_future_on_done(expiring, cb_shutdown_and_wait, &g),
                     FUTURL_OK);
    ck_assert_int_eq(futurl_future_wait_for(expiring, 5000), FUTURL_ETIMEDOUT);
    ck_assert_int_eq(atomic_load(&g.ran), 1);
    ck_assert_int_eq(g.target_was_done, 0);
    ck_assert_msg(g.st_shutdown == FUTURL_EDEADLK, "shutdown on the timer thread: %s",
                  futurl_err_name(g.st_shutdown));
    ck_assert_msg(g.st_wait == FUTURL_EDEADLK,
                  "%s on the timer thread for a parked future: %s, want FUTURL_EDEADLK",
                  support_wait_name(_i), futurl_err_name(g.st_wait));
    ck_assert_int_eq(futurl_future_cancel(blocker), 1);
    ck_assert_int_eq(futurl_future_wait_for(parked, 5000), FUTURL_OK); /* ran again */
    ck_assert_ptr_eq(futurl_future_result(parked), (void *)2);
    futurl_future_free(parked);
    futurl_future_free(blocker);
    futurl_future_free(expiring);
    futurl_executor_destroy(ex);
}
END_TEST

int main(void) {
    Suite *s = suite_create("park");
    TCase *tc = tcase_create("park");
    tcase_set_timeout(tc, 30);
    tcase_add_test(tc, parked_job_frees_its_worker);
    tcase_add_test(tc, cancel_parked_is_immediate);
    tcase_add_test(tc, shutdown_drain_cancels_parked);
    tcase_add_test(tc, shutdown_cancel_pending_cancels_parked);
    tcase_add_test(tc, wake_runs_parked_job_again);
    tcase_add_test(tc, queued_deadline_fires_while_workers_busy);
    tcase_add_test(tc, deadline_cuts_a_backoff_short);
    tcase_add_test(tc, drain_shutdown_finishes_every_parked_future);
    tcase_add_test(tc, submit_from_timer_callback_never_blocks);
    suite_add_tcase(s, tc);
    /* A hang here is the defect: fail after 10 s instead. */
    tc = tcase_create("guarded");
    tcase_set_timeout(tc, 10);
    tcase_add_loop_test(tc, drain_callback_of_parked_future_is_guarded, 0,
                        SUPPORT_WAIT_KINDS);
    tcase_add_loop_test(tc, timer_callback_is_guarded, 0, SUPPORT_WAIT_KINDS);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
