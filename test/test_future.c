/*
 * test/test_future.c — one future: states, wait and wait_for, polling,
 * cancellation (queued, running, racing completion), done-callbacks (order,
 * exactly once, after completion, from any thread), freeing at any time and
 * many waiters on one future.
 */
#include "support.h"

#include "futurl.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static long rounds(long n) {
    const char *vg = getenv("FUTURL_VALGRIND");
    return vg && *vg == '1' ? n / 50 + 1 : n;
}

static futurl_status job_nop(futurl_job *job, void *arg, void **result) {
    (void)job;
    *result = arg;
    return FUTURL_OK;
}

/* Sleeps arg milliseconds in 1 ms steps, stopping early when cancelled. */
static futurl_status job_sleep(futurl_job *job, void *arg, void **result) {
    (void)result;
    long ms = (long)(intptr_t)arg;
    for (long i = 0; i < ms; i++) {
        if (futurl_job_cancelled(job))
            return FUTURL_ECANCELED;
        support_sleep_ms(1);
    }
    return FUTURL_OK;
}

/* Ignores cancellation and finishes normally. */
static futurl_status job_stubborn(futurl_job *job, void *arg, void **result) {
    (void)job;
    support_sleep_ms((long)(intptr_t)arg);
    *result = (void *)7;
    return FUTURL_OK;
}

static void wait_state(futurl_future *f, futurl_state s) {
    for (int i = 0; i < 10000 && futurl_future_state(f) != s; i++)
        support_sleep_ms(1);
    ck_assert_int_eq(futurl_future_state(f), s);
}

/* ------------------------------------------------------------ states */

START_TEST(states_and_wait_for) {
    futurl_executor *ex = support_executor(1, 8);
    futurl_future *a, *b;
    ck_assert_int_eq(futurl_executor_submit(ex, job_sleep, (void *)(intptr_t)300, NULL, NULL, &a),
                     FUTURL_OK);
    ck_assert_int_eq(futurl_executor_submit(ex, job_nop, NULL, NULL, NULL, &b), FUTURL_OK);
    wait_state(a, FUTURL_RUNNING);
    ck_assert_int_eq(futurl_future_state(b), FUTURL_PENDING);
    ck_assert_int_eq(futurl_future_done(a), 0);
    ck_assert_int_eq(futurl_future_status(a), FUTURL_EPENDING);
    ck_assert_ptr_null(futurl_future_result(a));
    ck_assert_str_eq(futurl_future_errmsg(a), "");

    double t0 = support_now();
    ck_assert_int_eq(futurl_future_wait_for(a, 50), FUTURL_EPENDING);
    double dt = support_now() - t0;
    ck_assert_double_ge(dt, 0.045);
    ck_assert_int_eq(futurl_future_done(a), 0);

    ck_assert_int_eq(futurl_future_wait_for(a, 10000), FUTURL_OK);
    ck_assert_int_eq(futurl_future_wait(b), FUTURL_OK);
    ck_assert_int_eq(futurl_future_state(a), FUTURL_DONE);
    ck_assert_int_eq(futurl_future_done(a), 1);
    ck_assert_int_eq(futurl_future_wait_for(a, 0), FUTURL_OK); /* finished: no wait */
    futurl_future_free(a);
    futurl_future_free(b);
    futurl_executor_destroy(ex);
}
END_TEST

START_TEST(null_arguments) {
    ck_assert_int_eq(futurl_future_wait(NULL), FUTURL_EINVAL);
    ck_assert_int_eq(futurl_future_status(NULL), FUTURL_EINVAL);
    ck_assert_int_eq(futurl_future_cancel(NULL), 0);
    ck_assert_int_eq(futurl_future_done(NULL), 0);
    ck_assert_int_eq(futurl_future_on_done(NULL, NULL, NULL), FUTURL_EINVAL);
    futurl_future_free(NULL);
}
END_TEST

/* -------------------------------------------------------- cancellation */

static atomic_int cb_runs;
static void cb_count(futurl_future *f, void *ud) {
    (void)f;
    (void)ud;
    atomic_fetch_add(&cb_runs, 1);
}

START_TEST(cancel_queued_and_running) {
    futurl_executor *ex = support_executor(1, 8);
    futurl_future *running, *queued;
    ck_assert_int_eq(
        futurl_executor_submit(ex, job_sleep, (void *)(intptr_t)10000, NULL, NULL, &running),
        FUTURL_OK);
    ck_assert_int_eq(futurl_executor_submit(ex, job_nop, NULL, NULL, NULL, &queued), FUTURL_OK);
    wait_state(running, FUTURL_RUNNING);
    atomic_store(&cb_runs, 0);
    ck_assert_int_eq(futurl_future_on_done(queued, cb_count, NULL), FUTURL_OK);

    /* Queued: cancelled at once, on this thread, slot given back. */
    ck_assert_int_eq(futurl_future_cancel(queued), 1);
    ck_assert_int_eq(futurl_future_state(queued), FUTURL_CANCELLED);
    ck_assert_int_eq(futurl_future_status(queued), FUTURL_ECANCELED);
    ck_assert_int_eq(atomic_load(&cb_runs), 1);
    ck_assert_uint_eq(futurl_executor_queued(ex), 0);
    ck_assert_int_eq(futurl_future_cancel(queued), 0); /* already finished */

    /* Running: the job sees its flag and ends cancelled. */
    double t0 = support_now();
    ck_assert_int_eq(futurl_future_cancel(running), 1);
    ck_assert_int_eq(futurl_future_wait(running), FUTURL_ECANCELED);
    ck_assert_double_lt(support_now() - t0, 2.0 * support_slack());
    ck_assert_int_eq(futurl_future_state(running), FUTURL_CANCELLED);
    ck_assert_int_eq(atomic_load(&cb_runs), 1);
    futurl_future_free(running);
    futurl_future_free(queued);
    futurl_executor_destroy(ex);
}
END_TEST

START_TEST(cancel_running_job_that_ignores_it) {
    futurl_executor *ex = support_executor(1, 8);
    futurl_future *f;
    ck_assert_int_eq(futurl_executor_submit(ex, job_stubborn, (void *)(intptr_t)100, NULL, NULL, &f),
                     FUTURL_OK);
    wait_state(f, FUTURL_RUNNING);
    ck_assert_int_eq(futurl_future_cancel(f), 1);
    ck_assert_int_eq(futurl_future_wait(f), FUTURL_OK); /* its own outcome stands */
    ck_assert_ptr_eq(futurl_future_result(f), (void *)7);
    futurl_future_free(f);
    futurl_executor_destroy(ex);
}
END_TEST

/* Cancel racing completion: whatever wins, the future ends in exactly one
 * final state, its callback runs once, and cancel's answer agrees. */
typedef struct race {
    atomic_int calls;
    atomic_int state_at_cb;
} race;

static void cb_race(futurl_future *f, void *ud) {
    race *r = ud;
    atomic_fetch_add(&r->calls, 1);
    atomic_store(&r->state_at_cb, futurl_future_state(f));
}

START_TEST(cancel_races_completion) {
    futurl_executor *ex = support_executor(2, 64);
    long n = rounds(10000);
    long cancelled = 0, done = 0;
    for (long i = 0; i < n; i++) {
        race r = {0, -1};
        futurl_future *f;
        ck_assert_int_eq(futurl_executor_submit(ex, job_nop, (void *)1, NULL, NULL, &f),
                         FUTURL_OK);
        ck_assert_int_eq(futurl_future_on_done(f, cb_race, &r), FUTURL_OK);
        int took = futurl_future_cancel(f);
        futurl_status st = futurl_future_wait(f);
        ck_assert_int_eq(atomic_load(&r.calls), 1);
        int s = futurl_future_state(f);
        ck_assert_int_eq(atomic_load(&r.state_at_cb), s);
        if (s == FUTURL_CANCELLED) {
            ck_assert_int_eq(st, FUTURL_ECANCELED);
            ck_assert_int_eq(took, 1);
            cancelled++;
        } else {
            ck_assert_int_eq(s, FUTURL_DONE);
            ck_assert_int_eq(st, FUTURL_OK);
            ck_assert_ptr_eq(futurl_future_result(f), (void *)1);
            done++;
        }
        futurl_future_free(f);
    }
    ck_assert_int_eq(cancelled + done, n);
    futurl_executor_destroy(ex);
}
END_TEST

/* The generic rule of issue 14: cancel's 1 means the job's flag was set
 * before its outcome was recorded, its 0 that the outcome came first (the
 * flag then never shows). The job decides: this one ends CANCELLED when it
 * sees the flag as it returns, DONE otherwise. Cancels come at varying
 * points of a short job, thousands of times. */
typedef struct flag_look {
    atomic_int saw; /* the job saw its flag as it returned */
} flag_look;

static futurl_status job_looks_last(futurl_job *job, void *arg, void **result) {
    (void)result;
    flag_look *l = arg;
    for (volatile int k = 0; k < 200; k++)
        ;
    int flagged = futurl_job_cancelled(job);
    atomic_store(&l->saw, flagged);
    return flagged ? FUTURL_ECANCELED : FUTURL_OK;
}

START_TEST(cancel_answer_agrees_for_jobs) {
    futurl_executor *ex = support_executor(2, 64);
    long n = rounds(10000), took1_done = 0, cancelled = 0, done = 0;
    for (long i = 0; i < n; i++) {
        flag_look l = {0};
        futurl_future *f;
        ck_assert_int_eq(futurl_executor_submit(ex, job_looks_last, &l, NULL, NULL, &f),
                         FUTURL_OK);
        for (volatile long k = 0; k < (i * 7919) % 3000; k++)
            ;
        int took = futurl_future_cancel(f);
        futurl_status st = futurl_future_wait(f);
        int s = futurl_future_state(f);
        if (took == 0) {
            /* The outcome came first: the flag was never set. */
            ck_assert_msg(s == FUTURL_DONE && st == FUTURL_OK && !atomic_load(&l.saw),
                          "round %ld: cancel returned 0, the job saw its flag %d and the "
                          "future ended %d",
                          i, atomic_load(&l.saw), s);
            done++;
        } else if (s == FUTURL_CANCELLED) {
            cancelled++;
        } else {
            /* Flagged after the job's last look, before its outcome was
             * recorded: allowed, the job decides. */
            ck_assert_int_eq(s, FUTURL_DONE);
            ck_assert_int_eq(atomic_load(&l.saw), 0);
            took1_done++;
        }
        futurl_future_free(f);
    }
    fprintf(stderr,
            "jobs: %ld cancelled, %ld done with cancel 0, %ld done with cancel 1\n",
            cancelled, done, took1_done);
    ck_assert_int_eq(cancelled + done + took1_done, n);
    futurl_executor_destroy(ex);
}
END_TEST

/* ---------------------------------------------------------- callbacks */

typedef struct order_log {
    pthread_mutex_t lock;
    int seq[8];
    int n;
    pthread_t thread[8];
} order_log;

static void cb_log(futurl_future *f, void *ud) {
    (void)f;
    order_log *l = ud;
    pthread_mutex_lock(&l->lock);
    l->thread[l->n] = pthread_self();
    l->seq[l->n] = l->n;
    l->n++;
    pthread_mutex_unlock(&l->lock);
}

static void cb_tag(futurl_future *f, void *ud);
typedef struct tag_log {
    order_log *log;
    int tag;
} tag_log;

static void cb_tag(futurl_future *f, void *ud) {
    tag_log *t = ud;
    cb_log(f, t->log);
    t->log->seq[t->log->n - 1] = t->tag;
}

START_TEST(callbacks_in_order_exactly_once) {
    futurl_executor *ex = support_executor(1, 8);
    order_log log = {.lock = PTHREAD_MUTEX_INITIALIZER};
    futurl_future *f;
    ck_assert_int_eq(futurl_executor_submit(ex, job_sleep, (void *)(intptr_t)100, NULL, NULL, &f),
                     FUTURL_OK);
    tag_log tags[3] = {{&log, 10}, {&log, 20}, {&log, 30}};
    for (int i = 0; i < 3; i++)
        ck_assert_int_eq(futurl_future_on_done(f, cb_tag, &tags[i]), FUTURL_OK);
    ck_assert_int_eq(futurl_future_on_done(f, NULL, NULL), FUTURL_EINVAL);
    ck_assert_int_eq(futurl_future_wait(f), FUTURL_OK);
    for (int i = 0; i < 5000 && log.n < 3; i++)
        support_sleep_ms(1);
    ck_assert_int_eq(log.n, 3);
    ck_assert_int_eq(log.seq[0], 10);
    ck_assert_int_eq(log.seq[1], 20);
    ck_assert_int_eq(log.seq[2], 30);
    ck_assert_int_eq(pthread_equal(log.thread[0], pthread_self()), 0); /* ran on a worker */

    /* After completion: runs at once, on this thread. */
    tag_log late = {&log, 40};
    ck_assert_int_eq(futurl_future_on_done(f, cb_tag, &late), FUTURL_OK);
    ck_assert_int_eq(log.n, 4);
    ck_assert_int_eq(log.seq[3], 40);
    ck_assert_int_ne(pthread_equal(log.thread[3], pthread_self()), 0);
    futurl_future_free(f);
    futurl_executor_destroy(ex);
}
END_TEST

/* ------------------------------------------------------------ freeing */

static atomic_int frees;
static void count_free(void *p) {
    (void)p;
    atomic_fetch_add(&frees, 1);
}

START_TEST(free_before_completion) {
    futurl_executor *ex = support_executor(1, 8);
    atomic_store(&frees, 0);
    atomic_store(&cb_runs, 0);
    futurl_future *f;
    ck_assert_int_eq(futurl_executor_submit(ex, job_stubborn, (void *)(intptr_t)50, count_free,
                                            count_free, &f),
                     FUTURL_OK);
    ck_assert_int_eq(futurl_future_on_done(f, cb_count, NULL), FUTURL_OK);
    futurl_future_free(f); /* detached while pending or running */
    ck_assert_int_eq(futurl_executor_shutdown(ex, FUTURL_DRAIN), FUTURL_OK);
    ck_assert_int_eq(atomic_load(&cb_runs), 1);
    ck_assert_int_eq(atomic_load(&frees), 2); /* argument and result, once each */
    futurl_executor_destroy(ex);
}
END_TEST

static void cb_free_self(futurl_future *f, void *ud) {
    atomic_int *seen = ud;
    atomic_store(seen, futurl_future_state(f));
    futurl_future_free(f); /* the caller handed its reference over */
}

START_TEST(free_from_callback_thread) {
    futurl_executor *ex = support_executor(2, 64);
    long n = rounds(2000);
    atomic_int seen[64];
    for (long i = 0; i < n; i += 64) {
        for (int k = 0; k < 64; k++) {
            atomic_store(&seen[k], -1);
            futurl_future *f;
            ck_assert_int_eq(futurl_executor_submit(ex, job_nop, NULL, NULL, NULL, &f), FUTURL_OK);
            ck_assert_int_eq(futurl_future_on_done(f, cb_free_self, &seen[k]), FUTURL_OK);
        }
        for (int k = 0; k < 64; k++) {
            for (int t = 0; t < 10000 && atomic_load(&seen[k]) == -1; t++)
                support_sleep_ms(1);
            ck_assert_int_eq(atomic_load(&seen[k]), FUTURL_DONE);
        }
    }
    futurl_executor_destroy(ex);
}
END_TEST

/* --------------------------------------------------------- many waiters */

typedef struct waiter_arg {
    futurl_future *f;
    futurl_status st;
    void *result;
} waiter_arg;

static void *wait_thread(void *p) {
    waiter_arg *w = p;
    w->st = futurl_future_wait_for(w->f, 20000);
    w->result = futurl_future_result(w->f);
    return NULL;
}

START_TEST(many_waiters_one_future) {
    futurl_executor *ex = support_executor(1, 8);
    long n = rounds(50);
    for (long round = 0; round < n; round++) {
        futurl_future *f;
        ck_assert_int_eq(futurl_executor_submit(ex, job_stubborn, (void *)(intptr_t)5, NULL, NULL, &f),
                         FUTURL_OK);
        enum { W = 16 };
        waiter_arg args[W];
        pthread_t th[W];
        for (int i = 0; i < W; i++) {
            args[i] = (waiter_arg){f, FUTURL_EINVAL, NULL};
            ck_assert_int_eq(pthread_create(&th[i], NULL, wait_thread, &args[i]), 0);
        }
        for (int i = 0; i < W; i++) {
            pthread_join(th[i], NULL);
            ck_assert_int_eq(args[i].st, FUTURL_OK);
            ck_assert_ptr_eq(args[i].result, (void *)7);
        }
        futurl_future_free(f);
    }
    futurl_executor_destroy(ex);
}
END_TEST

/* Spins for arg iterations: done within a few microseconds, so whoever
 * watches the future races its completion. */
static futurl_status job_spin(futurl_job *job, void *arg, void **result) {
    (void)job;
    for (volatile long i = 0; i < (long)(intptr_t)arg; i++)
        ;
    *result = arg;
    return FUTURL_OK;
}

static void cb_add(futurl_future *f, void *ud) {
    (void)f;
    atomic_fetch_add((atomic_int *)ud, 1);
}

START_TEST(watchers_race_completion) {
    /* A future nobody watches completes without its lock; the first
     * callback, sleeper or wait link closes that path. Every way of
     * watching, started just before, during or after the completion, must
     * see it exactly once, and wait must still return after a callback
     * registered before completion has run. */
    futurl_executor *ex = support_executor(2, 64);
    long n = rounds(20000);
    atomic_int calls = 0;
    for (long i = 0; i < n; i++) {
        void *spin = (void *)(intptr_t)(i % 13 * 40);
        futurl_future *f;
        ck_assert_int_eq(futurl_executor_submit(ex, job_spin, spin, NULL, NULL, &f),
                         FUTURL_OK);
        futurl_gather_counts counts = {0};
        size_t index = 99;
        switch (i % 4) {
        case 0:
            ck_assert_int_eq(futurl_future_on_done(f, cb_add, &calls), FUTURL_OK);
            ck_assert_int_eq(futurl_future_wait(f), FUTURL_OK);
            ck_assert_msg(atomic_load(&calls) == i / 4 + 1, "round %ld: %d callbacks", i,
                          atomic_load(&calls));
            break;
        case 1:
            ck_assert_int_eq(futurl_future_wait_for(f, 10000), FUTURL_OK);
            break;
        case 2:
            ck_assert_int_eq(futurl_gather(&f, 1, 10000, 0, &counts), FUTURL_OK);
            ck_assert_uint_eq(counts.ok, 1);
            break;
        default:
            ck_assert_int_eq(futurl_wait_any(&f, 1, 10000, FUTURL_FIRST_COMPLETED, &index),
                             FUTURL_OK);
            ck_assert_uint_eq(index, 0);
            break;
        }
        ck_assert_int_eq(futurl_future_state(f), FUTURL_DONE);
        ck_assert_ptr_eq(futurl_future_result(f), spin);
        futurl_future_free(f);
    }
    futurl_executor_destroy(ex);
    ck_assert_int_eq(atomic_load(&calls), (n + 3) / 4);
}
END_TEST

/* ------------------------------------------------------------ memory */

/* Futures made in bulk come from slabs (src/cells.c): they must outlive
 * the thread that made them, be freed from any thread in any order, and
 * come back clean when a slab is reused. */
#define BULK 3000

struct bulk {
    futurl_executor *ex;
    futurl_future *fs[BULK];
    long base;
};

static void *bulk_submit(void *p) {
    struct bulk *b = p;
    for (long i = 0; i < BULK; i++) {
        void *arg = (void *)(intptr_t)(b->base + i);
        futurl_status st =
            futurl_executor_submit(b->ex, job_nop, arg, NULL, NULL, &b->fs[i]);
        ck_assert_int_eq(st, FUTURL_OK);
    }
    return NULL;
}

/* Frees the futures with an odd index, last first. */
static void *bulk_free_odd(void *p) {
    struct bulk *b = p;
    for (long i = BULK - 1; i >= 0; i--)
        if (i % 2 == 1)
            futurl_future_free(b->fs[i]);
    return NULL;
}

START_TEST(bulk_futures_outlive_their_thread) {
    futurl_executor *ex = support_executor(2, 4096);
    static struct bulk b[2];
    long n = rounds(20);
    for (long r = 0; r < n; r++) {
        long k = r % 2;
        b[k].ex = ex;
        b[k].base = r * BULK;
        pthread_t t;
        ck_assert_int_eq(pthread_create(&t, NULL, bulk_submit, &b[k]), 0);
        ck_assert_int_eq(pthread_join(t, NULL), 0); /* the maker is gone */
        futurl_gather_counts counts;
        ck_assert_int_eq(futurl_gather(b[k].fs, BULK, 20000, 0, &counts), FUTURL_OK);
        ck_assert_uint_eq(counts.ok, BULK);
        for (long i = 0; i < BULK; i++) {
            ck_assert_int_eq(futurl_future_state(b[k].fs[i]), FUTURL_DONE);
            ck_assert_ptr_eq(futurl_future_result(b[k].fs[i]),
                             (void *)(intptr_t)(b[k].base + i));
        }
        /* Half freed by another thread while this one makes the next
         * batch from the slabs the first half gives back. */
        ck_assert_int_eq(pthread_create(&t, NULL, bulk_free_odd, &b[k]), 0);
        for (long i = 0; i < BULK; i += 2)
            futurl_future_free(b[k].fs[i]);
        ck_assert_int_eq(pthread_join(t, NULL), 0);
    }
    futurl_executor_destroy(ex);
}
END_TEST

static Suite *future_suite(void) {
    Suite *s = suite_create("future");
    TCase *tc = tcase_create("state");
    tcase_set_timeout(tc, 20);
    tcase_add_test(tc, states_and_wait_for);
    tcase_add_test(tc, null_arguments);
    tcase_add_test(tc, cancel_queued_and_running);
    tcase_add_test(tc, cancel_running_job_that_ignores_it);
    tcase_add_test(tc, callbacks_in_order_exactly_once);
    tcase_add_test(tc, free_before_completion);
    suite_add_tcase(s, tc);

    tc = tcase_create("races");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, cancel_races_completion);
    tcase_add_test(tc, cancel_answer_agrees_for_jobs);
    tcase_add_test(tc, watchers_race_completion);
    tcase_add_test(tc, free_from_callback_thread);
    tcase_add_test(tc, many_waiters_one_future);
    suite_add_tcase(s, tc);

    tc = tcase_create("memory");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, bulk_futures_outlive_their_thread);
    suite_add_tcase(s, tc);
    return s;
}

int main(void) {
    SRunner *sr = srunner_create(future_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
