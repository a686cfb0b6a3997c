/*
 * test/test_executor.c — the run-in-executor core: options and defaults,
 * submit / submit_timeout / try_submit and backpressure, submits from
 * worker threads, worker hooks and thread names, both shutdown modes
 * (including submitters blocked on a full queue), and the lock-free submit
 * path (order, cancel from the inbox, wake-ups, racing shutdown), and what
 * a done-callback run by a shutdown or a cancel may do to its own pool.
 */
#include "support.h"

#include "futurl.h"

#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Fewer rounds under valgrind, whose serialised threads are ~50x slower. */
static long rounds(long n) {
    const char *vg = getenv("FUTURL_VALGRIND");
    return vg && *vg == '1' ? n / 50 + 1 : n;
}

/* --------------------------------------------------------------- jobs */

static futurl_status job_return_arg(futurl_job *job, void *arg, void **result) {
    (void)job;
    *result = arg;
    return FUTURL_OK;
}

/* Holds its worker until the gate opens (or the job is cancelled). */
typedef struct gate {
    atomic_int open;
    atomic_int entered;
} gate;

static futurl_status job_wait_gate(futurl_job *job, void *arg, void **result) {
    gate *g = arg;
    (void)result;
    atomic_fetch_add(&g->entered, 1);
    for (int i = 0; i < 20000 && !atomic_load(&g->open); i++) {
        if (futurl_job_cancelled(job))
            return FUTURL_ECANCELED;
        support_sleep_ms(1);
    }
    return FUTURL_OK;
}

/* Shut, nobody entered (gates used by callbacks are static: reset each run). */
static void gate_reset(gate *g) {
    atomic_store(&g->open, 0);
    atomic_store(&g->entered, 0);
}

static void wait_entered(gate *g, int n) {
    for (int i = 0; i < 10000 && atomic_load(&g->entered) < n; i++)
        support_sleep_ms(1);
    ck_assert_int_eq(atomic_load(&g->entered), n);
}

static atomic_int freed_count;
static void count_free(void *p) {
    (void)p;
    atomic_fetch_add(&freed_count, 1);
}

/* ------------------------------------------------------------- options */

START_TEST(options_defaults) {
    futurl_executor_options o;
    futurl_executor_options_init(&o);
    long cpus = sysconf(_SC_NPROCESSORS_ONLN);
    unsigned want = cpus + 4 < 32 ? (unsigned)cpus + 4 : 32;
    ck_assert_uint_eq(o.workers, want);
    ck_assert_uint_eq(o.queue_capacity, FUTURL_DEFAULT_QUEUE_CAPACITY);
    ck_assert_str_eq(o.thread_name, "futurl");

    futurl_executor *ex = NULL;
    ck_assert_int_eq(futurl_executor_create(NULL, &ex), FUTURL_OK);
    ck_assert_uint_eq(futurl_executor_workers(ex), want);
    futurl_executor_destroy(ex);
}
END_TEST

START_TEST(create_bad_arguments) {
    futurl_executor_options o;
    futurl_executor_options_init(&o);
    ck_assert_int_eq(futurl_executor_create(&o, NULL), FUTURL_EINVAL);
    o.workers = 100000;
    futurl_executor *ex = (futurl_executor *)&o; /* must be reset to NULL */
    ck_assert_int_eq(futurl_executor_create(&o, &ex), FUTURL_EINVAL);
    ck_assert_ptr_null(ex);

    futurl_future *f = (futurl_future *)&o;
    ck_assert_int_eq(futurl_executor_submit(NULL, job_return_arg, NULL, NULL, NULL, &f),
                     FUTURL_EINVAL);
    ck_assert_ptr_null(f);
    ck_assert_int_eq(futurl_executor_shutdown(NULL, FUTURL_DRAIN), FUTURL_EINVAL);
    futurl_executor_destroy(NULL);
}
END_TEST

START_TEST(status_strings) {
    ck_assert_str_eq(futurl_err_name(FUTURL_ETIMEDOUT), "FUTURL_ETIMEDOUT");
    ck_assert_str_eq(futurl_err_name(FUTURL_OK), "FUTURL_OK");
    ck_assert_str_eq(futurl_strerror(FUTURL_EQUEUEFULL), "queue is full");
    ck_assert_str_eq(futurl_strerror((futurl_status)12345), "unknown status");
    ck_assert_str_eq(futurl_err_name((futurl_status)-999), "FUTURL_UNKNOWN");
    ck_assert_int_lt(FUTURL_EINVAL, 0);
    ck_assert_str_eq(futurl_version(), FUTURL_VERSION_STRING);
}
END_TEST

/* -------------------------------------------------------------- submit */

START_TEST(submit_result_and_destructors) {
    futurl_executor *ex = support_executor(2, 0);
    atomic_store(&freed_count, 0);
    int value = 42;
    futurl_future *f;
    ck_assert_int_eq(
        futurl_executor_submit(ex, job_return_arg, &value, count_free, count_free, &f),
        FUTURL_OK);
    ck_assert_int_eq(futurl_future_wait(f), FUTURL_OK);
    ck_assert_int_eq(futurl_future_state(f), FUTURL_DONE);
    ck_assert_ptr_eq(futurl_future_result(f), &value);
    ck_assert_str_eq(futurl_future_errmsg(f), "");
    ck_assert_int_eq(atomic_load(&freed_count), 1); /* the argument, at completion */
    futurl_future_free(f);
    /* The result goes with the last reference: ours, or the worker's if it
     * has not let go yet (it does right after completing). */
    for (int i = 0; i < 5000 && atomic_load(&freed_count) < 2; i++)
        support_sleep_ms(1);
    ck_assert_int_eq(atomic_load(&freed_count), 2);
    futurl_executor_destroy(ex);
}
END_TEST

static futurl_status job_fail(futurl_job *job, void *arg, void **result) {
    (void)arg;
    (void)result;
    futurl_job_set_errmsg(job, "disk %s is full", "sda");
    return FUTURL_EJOB;
}

START_TEST(failing_job_reports_message) {
    futurl_executor *ex;
    ck_assert_int_eq(futurl_executor_create(NULL, &ex), FUTURL_OK);
    futurl_future *f;
    ck_assert_int_eq(futurl_executor_submit(ex, job_fail, NULL, NULL, NULL, &f), FUTURL_OK);
    ck_assert_int_eq(futurl_future_wait(f), FUTURL_EJOB);
    ck_assert_int_eq(futurl_future_state(f), FUTURL_FAILED);
    ck_assert_str_eq(futurl_future_errmsg(f), "disk sda is full");
    futurl_future_free(f);
    futurl_executor_destroy(ex);
}
END_TEST

START_TEST(try_submit_and_timeout_on_full_queue) {
    futurl_executor *ex = support_executor(1, 2);
    gate g = {0};
    futurl_future *busy, *q[2], *f = NULL;
    ck_assert_int_eq(futurl_executor_submit(ex, job_wait_gate, &g, NULL, NULL, &busy),
                     FUTURL_OK);
    wait_entered(&g, 1);
    for (int i = 0; i < 2; i++)
        ck_assert_int_eq(futurl_executor_try_submit(ex, job_return_arg, NULL, NULL, NULL, &q[i]),
                         FUTURL_OK);
    ck_assert_uint_eq(futurl_executor_queued(ex), 2);
    ck_assert_int_eq(futurl_executor_try_submit(ex, job_return_arg, NULL, NULL, NULL, &f),
                     FUTURL_EQUEUEFULL);
    ck_assert_ptr_null(f);

    double t0 = support_now();
    ck_assert_int_eq(
        futurl_executor_submit_timeout(ex, job_return_arg, NULL, NULL, NULL, 200, &f),
        FUTURL_EQUEUEFULL);
    double dt = support_now() - t0;
    ck_assert_double_ge(dt, 0.19);
    ck_assert_double_lt(dt, 2.0 * support_slack());

    atomic_store(&g.open, 1);
    ck_assert_int_eq(futurl_gather((futurl_future *[]){busy, q[0], q[1]}, 3, -1, 0, NULL),
                     FUTURL_OK);
    futurl_future_free(busy);
    futurl_future_free(q[0]);
    futurl_future_free(q[1]);
    futurl_executor_destroy(ex);
}
END_TEST

/* 100,000 submissions through a queue of 16 and 4 workers from 4
 * submitting threads: every future completes exactly once, and the queue
 * never holds more than its capacity. */
#define STRESS_THREADS 4
typedef struct stress {
    futurl_executor *ex;
    long per_thread;
    atomic_long ran, callbacks, bad_callbacks;
    atomic_size_t max_queued;
} stress;

static futurl_status job_count(futurl_job *job, void *arg, void **result) {
    (void)job;
    stress *s = arg;
    atomic_fetch_add(&s->ran, 1);
    size_t q = futurl_executor_queued(s->ex);
    size_t m = atomic_load(&s->max_queued);
    while (q > m && !atomic_compare_exchange_weak(&s->max_queued, &m, q))
        ;
    *result = (void *)(uintptr_t)1;
    return FUTURL_OK;
}

static void on_done_count(futurl_future *f, void *ud) {
    stress *s = ud;
    if (futurl_future_state(f) != FUTURL_DONE || futurl_future_result(f) != (void *)1)
        atomic_fetch_add(&s->bad_callbacks, 1);
    atomic_fetch_add(&s->callbacks, 1);
}

static void *stress_submitter(void *p) {
    stress *s = p;
    for (long i = 0; i < s->per_thread; i++) {
        futurl_future *f;
        if (futurl_executor_submit(s->ex, job_count, s, NULL, NULL, &f) != FUTURL_OK)
            return (void *)1;
        if (futurl_future_on_done(f, on_done_count, s) != FUTURL_OK)
            return (void *)1;
        futurl_future_free(f); /* detached: it must still complete */
    }
    return NULL;
}

START_TEST(stress_100k_exactly_once) {
    futurl_executor_options o;
    futurl_executor_options_init(&o);
    o.workers = 4;
    o.queue_capacity = 16;
    static stress s;
    memset(&s, 0, sizeof s);
    ck_assert_int_eq(futurl_executor_create(&o, &s.ex), FUTURL_OK);
    s.per_thread = rounds(100000) / STRESS_THREADS;
    pthread_t th[STRESS_THREADS];
    for (int i = 0; i < STRESS_THREADS; i++)
        ck_assert_int_eq(pthread_create(&th[i], NULL, stress_submitter, &s), 0);
    for (int i = 0; i < STRESS_THREADS; i++) {
        void *rv;
        pthread_join(th[i], &rv);
        ck_assert_ptr_null(rv);
    }
    ck_assert_int_eq(futurl_executor_shutdown(s.ex, FUTURL_DRAIN), FUTURL_OK);
    long want = s.per_thread * STRESS_THREADS;
    ck_assert_int_eq(atomic_load(&s.ran), want);
    ck_assert_int_eq(atomic_load(&s.callbacks), want);
    ck_assert_int_eq(atomic_load(&s.bad_callbacks), 0);
    ck_assert_uint_le(atomic_load(&s.max_queued), 16);
    futurl_executor_destroy(s.ex);
}
END_TEST

/* --------------------------------------------- the lock-free submit path */

/* Appends its number to the log: the order jobs ran in. */
typedef struct run_log {
    atomic_int next;
    int order[64];
} run_log;

typedef struct logged {
    run_log *log;
    int id;
} logged;

static futurl_status job_log(futurl_job *job, void *arg, void **result) {
    (void)job;
    (void)result;
    logged *l = arg;
    l->log->order[atomic_fetch_add(&l->log->next, 1)] = l->id;
    return FUTURL_OK;
}

/* Submissions go through a newest-first inbox before the run queue: one
 * worker must still run them oldest first, and a cancel must find a
 * future wherever it waits (inbox or queue), every other one here. */
START_TEST(runs_in_submission_order_and_cancels_anywhere) {
    enum { N = 40 };
    futurl_executor *ex = support_executor(1, 0);
    gate g = {0};
    static run_log log;
    static logged args[N];
    memset(&log, 0, sizeof log);
    futurl_future *busy, *fs[N];
    ck_assert_int_eq(futurl_executor_submit(ex, job_wait_gate, &g, NULL, NULL, &busy),
                     FUTURL_OK);
    wait_entered(&g, 1);
    for (int i = 0; i < N; i++) {
        args[i] = (logged){&log, i};
        ck_assert_int_eq(futurl_executor_submit(ex, job_log, &args[i], NULL, NULL, &fs[i]),
                         FUTURL_OK);
        if (i == N / 2) /* half already moved to the run queue, half not */
            ck_assert_int_eq(futurl_future_cancel(fs[0]), 1);
    }
    ck_assert_uint_eq(futurl_executor_queued(ex), N - 1);
    for (int i = 2; i < N; i += 2)
        ck_assert_int_eq(futurl_future_cancel(fs[i]), 1);
    ck_assert_uint_eq(futurl_executor_queued(ex), N / 2);
    atomic_store(&g.open, 1);
    ck_assert_int_eq(futurl_gather(fs, N, 10000, 0, NULL), FUTURL_OK);
    ck_assert_int_eq(atomic_load(&log.next), N / 2);
    for (int k = 0; k < N / 2; k++)
        ck_assert_msg(log.order[k] == 2 * k + 1, "run %d was job %d, expected %d", k,
                      log.order[k], 2 * k + 1);
    for (int i = 0; i < N; i++) {
        ck_assert_int_eq(futurl_future_state(fs[i]), i % 2 ? FUTURL_DONE : FUTURL_CANCELLED);
        futurl_future_free(fs[i]);
    }
    ck_assert_int_eq(futurl_future_wait_for(busy, 5000), FUTURL_OK);
    futurl_future_free(busy);
    futurl_executor_destroy(ex);
}
END_TEST

/* Workers that find nothing go to sleep while submitters push without the
 * lock: one job at a time from two threads, each waited for, must never
 * find every worker asleep with its job unseen (a lost wake-up shows here
 * as a wait that times out). */
typedef struct pingpong {
    futurl_executor *ex;
    long rounds;
    atomic_long lost;
} pingpong;

static void *pingpong_thread(void *p) {
    pingpong *pp = p;
    for (long i = 0; i < pp->rounds; i++) {
        futurl_future *f;
        if (futurl_executor_submit(pp->ex, job_return_arg, (void *)1, NULL, NULL, &f) !=
            FUTURL_OK)
            return (void *)1;
        if (futurl_future_wait_for(f, 10000) != FUTURL_OK)
            atomic_fetch_add(&pp->lost, 1);
        futurl_future_free(f);
    }
    return NULL;
}

START_TEST(single_jobs_always_wake_a_worker) {
    static pingpong pp;
    pp.ex = support_executor(_i == 0 ? 1 : 4, 0);
    pp.rounds = rounds(20000);
    atomic_store(&pp.lost, 0);
    pthread_t th[2];
    for (int i = 0; i < 2; i++)
        ck_assert_int_eq(pthread_create(&th[i], NULL, pingpong_thread, &pp), 0);
    for (int i = 0; i < 2; i++) {
        void *rv;
        pthread_join(th[i], &rv);
        ck_assert_ptr_null(rv);
    }
    ck_assert_int_eq(atomic_load(&pp.lost), 0);
    futurl_executor_destroy(pp.ex);
}
END_TEST

/* Shutdown closes the inbox while threads still push: a submission either
 * fails with FUTURL_ESHUTDOWN (and no future) or its future ends — run
 * (drain) or cancelled (cancel-pending) — never left pending. */
#define RACERS 3
typedef struct racer {
    futurl_executor *ex;
    futurl_future *fs[2000];
    int n;
    futurl_status last;
} racer;

static void *racer_thread(void *p) {
    racer *r = p;
    r->n = 0;
    for (int i = 0; i < 2000; i++) {
        futurl_future *f = (futurl_future *)r; /* must come back NULL on error */
        futurl_status st = futurl_executor_try_submit(r->ex, job_return_arg, (void *)1, NULL,
                                                      NULL, &f);
        if (st != FUTURL_OK) {
            r->last = f == NULL ? st : FUTURL_EINVAL;
            return NULL;
        }
        r->fs[r->n++] = f;
    }
    r->last = FUTURL_OK;
    return NULL;
}

START_TEST(submit_racing_shutdown_never_strands_a_future) {
    static racer rs[RACERS];
    for (long round = 0; round < rounds(200); round++) {
        futurl_executor *ex = support_executor(2, RACERS * 2000); /* never full */
        pthread_t th[RACERS];
        for (int i = 0; i < RACERS; i++) {
            rs[i].ex = ex;
            ck_assert_int_eq(pthread_create(&th[i], NULL, racer_thread, &rs[i]), 0);
        }
        support_sleep_ms(round % 3); /* shut down early, mid-way or late */
        futurl_shutdown_mode how = round % 2 ? FUTURL_DRAIN : FUTURL_CANCEL_PENDING;
        ck_assert_int_eq(futurl_executor_shutdown(ex, how), FUTURL_OK);
        for (int i = 0; i < RACERS; i++)
            pthread_join(th[i], NULL);
        for (int i = 0; i < RACERS; i++) {
            ck_assert_msg(rs[i].last == FUTURL_OK || rs[i].last == FUTURL_ESHUTDOWN,
                          "round %ld: submit ended with %s", round,
                          futurl_err_name(rs[i].last));
            for (int k = 0; k < rs[i].n; k++) {
                futurl_state st = futurl_future_state(rs[i].fs[k]);
                ck_assert_msg(st == FUTURL_DONE || (how == FUTURL_CANCEL_PENDING &&
                                                    st == FUTURL_CANCELLED),
                              "round %ld (%s): future %d of %d is in state %d after shutdown",
                              round, how == FUTURL_DRAIN ? "drain" : "cancel", k, rs[i].n,
                              (int)st);
                futurl_future_free(rs[i].fs[k]);
            }
        }
        futurl_executor_destroy(ex);
    }
}
END_TEST

/* ------------------------------------------------- submits from workers */

typedef struct inner {
    futurl_executor *ex;
    futurl_status st;
    atomic_int done;
} inner;

static void cb_submit_inside(futurl_future *f, void *ud) {
    (void)f;
    inner *in = ud;
    futurl_future *g = NULL;
    in->st = futurl_executor_submit(in->ex, job_return_arg, NULL, NULL, NULL, &g);
    futurl_future_free(g);
    atomic_store(&in->done, 1);
}

/* A done-callback runs on the worker that finished the job, before that
 * worker takes another: with the queue full, a blocking submit there could
 * wait forever, so it must fail at once. */
START_TEST(submit_from_callback_never_blocks) {
    futurl_executor *ex = support_executor(2, 1);
    gate g1 = {0}, g2 = {0};
    inner in = {ex, FUTURL_OK, 0};
    futurl_future *b1, *b2, *fill;
    ck_assert_int_eq(futurl_executor_submit(ex, job_wait_gate, &g1, NULL, NULL, &b1),
                     FUTURL_OK);
    wait_entered(&g1, 1);
    ck_assert_int_eq(futurl_executor_submit(ex, job_wait_gate, &g2, NULL, NULL, &b2),
                     FUTURL_OK);
    wait_entered(&g2, 1);
    ck_assert_int_eq(futurl_executor_submit(ex, job_return_arg, NULL, NULL, NULL, &fill),
                     FUTURL_OK);
    ck_assert_uint_eq(futurl_executor_queued(ex), 1);
    ck_assert_int_eq(futurl_future_on_done(b2, cb_submit_inside, &in), FUTURL_OK);
    atomic_store(&g2.open, 1);
    for (int i = 0; i < 10000 && !atomic_load(&in.done); i++)
        support_sleep_ms(1);
    ck_assert_int_eq(atomic_load(&in.done), 1);
    ck_assert_int_eq(in.st, FUTURL_EQUEUEFULL);
    atomic_store(&g1.open, 1);
    futurl_future *all[] = {b1, b2, fill};
    ck_assert_int_eq(futurl_gather(all, 3, 10000, 0, NULL), FUTURL_OK);
    for (int i = 0; i < 3; i++)
        futurl_future_free(all[i]);
    futurl_executor_destroy(ex);
}
END_TEST

/* The deterministic version: one worker, queue of one. The job fills the
 * queue itself and then submits once more. */
typedef struct self_fill {
    futurl_executor *ex;
    futurl_status first, second;
} self_fill;

static futurl_status job_self_fill(futurl_job *job, void *arg, void **result) {
    (void)job;
    (void)result;
    self_fill *s = arg;
    futurl_future *a = NULL, *b = NULL;
    s->first = futurl_executor_submit(s->ex, job_return_arg, NULL, NULL, NULL, &a);
    s->second = futurl_executor_submit(s->ex, job_return_arg, NULL, NULL, NULL, &b);
    futurl_future_free(a);
    futurl_future_free(b);
    return FUTURL_OK;
}

START_TEST(submit_inside_job_full_queue_errors) {
    futurl_executor *ex = support_executor(1, 1);
    self_fill s = {ex, FUTURL_EINVAL, FUTURL_EINVAL};
    futurl_future *f;
    ck_assert_int_eq(futurl_executor_submit(ex, job_self_fill, &s, NULL, NULL, &f), FUTURL_OK);
    ck_assert_int_eq(futurl_future_wait_for(f, 10000), FUTURL_OK);
    ck_assert_int_eq(s.first, FUTURL_OK);
    ck_assert_int_eq(s.second, FUTURL_EQUEUEFULL);
    futurl_future_free(f);
    futurl_executor_destroy(ex);
}
END_TEST

/* ------------------------------------------------- hooks and thread names */

typedef struct hooks {
    atomic_int started, stopped;
    atomic_uint index_mask;
} hooks;

static void *hook_start(void *ud, unsigned index) {
    hooks *h = ud;
    atomic_fetch_add(&h->started, 1);
    atomic_fetch_or(&h->index_mask, 1u << index);
    unsigned *state = malloc(sizeof *state);
    *state = 1000 + index;
    return state;
}

static void hook_stop(void *ud, void *state) {
    hooks *h = ud;
    atomic_fetch_add(&h->stopped, 1);
    free(state);
}

static futurl_status job_report_worker(futurl_job *job, void *arg, void **result) {
    (void)arg;
    char *info = malloc(64);
    char name[16] = "";
    pthread_getname_np(pthread_self(), name, sizeof name);
    unsigned *state = futurl_job_worker_state(job);
    snprintf(info, 64, "%s %u %u", name, *state, futurl_job_worker_index(job));
    *result = info;
    return FUTURL_OK;
}

/* `want` jobs that each hold their worker until all of them run: only a
 * pool that starts `want` workers lets them finish. */
typedef struct rendezvous {
    gate *g;
    int want;
} rendezvous;

/* Arrive, and wait (at most 20 s) for the others. FUTURL_OK once all have
 * arrived; FUTURL_EJOB, with a message, if they never did. */
static futurl_status rendezvous_meet(futurl_job *job, rendezvous *rv) {
    atomic_fetch_add(&rv->g->entered, 1);
    for (int i = 0; i < 20000 && atomic_load(&rv->g->entered) < rv->want; i++)
        support_sleep_ms(1);
    if (atomic_load(&rv->g->entered) < rv->want) {
        futurl_job_set_errmsg(job, "only %d of %d jobs ran at once",
                              atomic_load(&rv->g->entered), rv->want);
        return FUTURL_EJOB;
    }
    return FUTURL_OK;
}

static futurl_status job_meet_report_worker(futurl_job *job, void *arg, void **result) {
    futurl_status st = rendezvous_meet(job, arg);
    return st != FUTURL_OK ? st : job_report_worker(job, NULL, result);
}

/* An executor of `workers` with the counting hooks above. */
static futurl_executor *hooked_executor(hooks *h, unsigned workers, const char *name) {
    futurl_executor_options o;
    futurl_executor_options_init(&o);
    o.workers = workers;
    if (name)
        o.thread_name = name;
    o.on_worker_start = hook_start;
    o.on_worker_stop = hook_stop;
    o.userdata = h;
    futurl_executor *ex;
    ck_assert_int_eq(futurl_executor_create(&o, &ex), FUTURL_OK);
    return ex;
}

START_TEST(worker_hooks_and_names) {
    hooks h = {0};
    futurl_executor *ex = hooked_executor(&h, 3, "fetcher");
    /* Three jobs that each hold their worker until all three run: every
     * worker has to start, and each reports itself. */
    enum { N = 3 };
    futurl_future *fs[N];
    gate g = {0};
    rendezvous rv = {.g = &g, .want = N};
    for (int i = 0; i < N; i++)
        ck_assert_int_eq(
            futurl_executor_submit(ex, job_meet_report_worker, &rv, NULL, free, &fs[i]),
            FUTURL_OK);
    ck_assert_int_eq(futurl_gather(fs, N, 20000, 0, NULL), FUTURL_OK);
    ck_assert_uint_eq(futurl_executor_threads(ex), N);
    unsigned seen = 0;
    for (int i = 0; i < N; i++) {
        ck_assert_int_eq(futurl_future_status(fs[i]), FUTURL_OK);
        char name[16];
        unsigned state, index;
        ck_assert_int_eq(sscanf(futurl_future_result(fs[i]), "%15s %u %u", name, &state,
                                &index),
                         3);
        char want[16];
        snprintf(want, sizeof want, "fetcher-%u", index);
        ck_assert_str_eq(name, want);
        ck_assert_uint_eq(state, 1000 + index);
        seen |= 1u << index;
        futurl_future_free(fs[i]);
    }
    ck_assert_uint_eq(seen, 7);
    futurl_executor_destroy(ex);
    ck_assert_int_eq(atomic_load(&h.started), 3);
    ck_assert_int_eq(atomic_load(&h.stopped), 3);
    ck_assert_uint_eq(atomic_load(&h.index_mask), 7);
}
END_TEST

/* Workers start on demand: one at create, one more for work that finds
 * every started worker busy, never more than `workers`. */
START_TEST(workers_start_on_demand) {
    enum { W = 4, JOBS = 7 };
    hooks h = {0};
    futurl_executor *ex = hooked_executor(&h, W, NULL);
    ck_assert_uint_eq(futurl_executor_workers(ex), W);
    ck_assert_uint_eq(futurl_executor_threads(ex), 1);

    /* More jobs than workers, each holding its worker: W start, W run,
     * the rest wait in the queue for one of them. */
    gate g = {0};
    futurl_future *fs[JOBS];
    for (int i = 0; i < JOBS; i++)
        ck_assert_int_eq(futurl_executor_submit(ex, job_wait_gate, &g, NULL, NULL, &fs[i]),
                         FUTURL_OK);
    wait_entered(&g, W);
    support_sleep_ms(20); /* a fifth worker would show now */
    ck_assert_int_eq(atomic_load(&g.entered), W);
    ck_assert_uint_eq(futurl_executor_threads(ex), W);
    ck_assert_uint_eq(futurl_executor_queued(ex), JOBS - W);
    atomic_store(&g.open, 1);
    ck_assert_int_eq(futurl_gather(fs, JOBS, 20000, 0, NULL), FUTURL_OK);
    for (int i = 0; i < JOBS; i++) {
        ck_assert_int_eq(futurl_future_status(fs[i]), FUTURL_OK);
        futurl_future_free(fs[i]);
    }
    ck_assert_uint_eq(futurl_executor_threads(ex), W);
    futurl_executor_destroy(ex);
    ck_assert_int_eq(atomic_load(&h.started), W);
    ck_assert_int_eq(atomic_load(&h.stopped), W);
}
END_TEST

/* Every worker blocks every signal, whichever thread started it, and
 * starting one leaves the starting thread's own mask alone. */
static futurl_status job_mask_check(futurl_job *job, void *arg, void **result) {
    futurl_status st = rendezvous_meet(job, arg);
    if (st != FUTURL_OK)
        return st;
    sigset_t cur;
    pthread_sigmask(SIG_BLOCK, NULL, &cur);
    static const int sigs[] = {SIGINT,  SIGTERM, SIGHUP, SIGPIPE,
                               SIGUSR1, SIGALRM, SIGCHLD};
    for (size_t i = 0; i < sizeof sigs / sizeof sigs[0]; i++)
        if (!sigismember(&cur, sigs[i])) {
            futurl_job_set_errmsg(job, "signal %d not blocked on worker %u", sigs[i],
                                  futurl_job_worker_index(job));
            return FUTURL_EJOB;
        }
    *result = (void *)(uintptr_t)1;
    return FUTURL_OK;
}

START_TEST(workers_block_every_signal) {
    enum { W = 4 };
    futurl_executor *ex = support_executor(W, 0);
    sigset_t before, after;
    pthread_sigmask(SIG_BLOCK, NULL, &before);
    ck_assert(!sigismember(&before, SIGUSR1));
    gate g = {0};
    rendezvous rv = {.g = &g, .want = W};
    futurl_future *fs[W];
    for (int i = 0; i < W; i++)
        ck_assert_int_eq(futurl_executor_submit(ex, job_mask_check, &rv, NULL, NULL,
                                                &fs[i]),
                         FUTURL_OK);
    pthread_sigmask(SIG_BLOCK, NULL, &after);
    ck_assert(!sigismember(&after, SIGUSR1));
    ck_assert(!sigismember(&after, SIGINT));
    ck_assert_int_eq(futurl_gather(fs, W, 20000, 0, NULL), FUTURL_OK);
    ck_assert_uint_eq(futurl_executor_threads(ex), W);
    for (int i = 0; i < W; i++) {
        ck_assert_msg(futurl_future_status(fs[i]) == FUTURL_OK, "%s",
                      futurl_future_errmsg(fs[i]) ? futurl_future_errmsg(fs[i]) : "?");
        futurl_future_free(fs[i]);
    }
    futurl_executor_destroy(ex);
}
END_TEST

/* A pool that never needed its other workers shuts down with the one it
 * has, in both modes, and futurl_executor_threads() says so. */
START_TEST(unstarted_workers_shut_down_cleanly) {
    for (int mode = 0; mode < 2; mode++) {
        hooks h = {0};
        futurl_executor *ex = hooked_executor(&h, 16, NULL);
        futurl_future *f;
        ck_assert_int_eq(futurl_executor_submit(ex, job_return_arg, &h, NULL, NULL, &f),
                         FUTURL_OK);
        ck_assert_int_eq(futurl_future_wait(f), FUTURL_OK);
        futurl_future_free(f);
        /* The first worker takes the first job, even if it is still
         * starting when the job comes: no second one starts for it. */
        unsigned threads = futurl_executor_threads(ex);
        ck_assert_uint_eq(threads, 1);
        ck_assert_int_eq(futurl_executor_shutdown(ex, mode ? FUTURL_CANCEL_PENDING
                                                           : FUTURL_DRAIN),
                         FUTURL_OK);
        ck_assert_uint_eq(futurl_executor_threads(ex), threads);
        ck_assert_int_eq(futurl_executor_submit(ex, job_return_arg, NULL, NULL, NULL, &f),
                         FUTURL_ESHUTDOWN);
        futurl_executor_destroy(ex);
        ck_assert_int_eq(atomic_load(&h.started), (int)threads);
        ck_assert_int_eq(atomic_load(&h.stopped), (int)threads);
    }
    ck_assert_uint_eq(futurl_executor_threads(NULL), 0);
}
END_TEST

/* --------------------------------------------------------------- shutdown */

START_TEST(shutdown_drain_runs_everything) {
    futurl_executor *ex = support_executor(2, 0);
    enum { N = 200 };
    futurl_future *fs[N];
    for (int i = 0; i < N; i++)
        ck_assert_int_eq(futurl_executor_submit(ex, job_return_arg, (void *)(intptr_t)(i + 1),
                                                NULL, NULL, &fs[i]),
                         FUTURL_OK);
    ck_assert_int_eq(futurl_executor_shutdown(ex, FUTURL_DRAIN), FUTURL_OK);
    for (int i = 0; i < N; i++) {
        ck_assert_int_eq(futurl_future_state(fs[i]), FUTURL_DONE);
        ck_assert_ptr_eq(futurl_future_result(fs[i]), (void *)(intptr_t)(i + 1));
        futurl_future_free(fs[i]);
    }
    futurl_future *late = (futurl_future *)fs;
    ck_assert_int_eq(futurl_executor_submit(ex, job_return_arg, NULL, NULL, NULL, &late),
                     FUTURL_ESHUTDOWN);
    ck_assert_ptr_null(late);
    /* A second shutdown is harmless. */
    ck_assert_int_eq(futurl_executor_shutdown(ex, FUTURL_CANCEL_PENDING), FUTURL_OK);
    futurl_executor_destroy(ex);
}
END_TEST

START_TEST(shutdown_cancel_pending) {
    futurl_executor *ex = support_executor(1, 0);
    gate g = {0};
    atomic_store(&freed_count, 0);
    futurl_future *running, *queued[10];
    ck_assert_int_eq(futurl_executor_submit(ex, job_wait_gate, &g, NULL, NULL, &running),
                     FUTURL_OK);
    wait_entered(&g, 1);
    for (int i = 0; i < 10; i++)
        ck_assert_int_eq(futurl_executor_submit(ex, job_return_arg, NULL, count_free, NULL,
                                                &queued[i]),
                         FUTURL_OK);
    double t0 = support_now();
    ck_assert_int_eq(futurl_executor_shutdown(ex, FUTURL_CANCEL_PENDING), FUTURL_OK);
    ck_assert_double_lt(support_now() - t0, 5.0 * support_slack());
    /* The running job saw its flag and stopped; the queued never ran but
     * their arguments were still freed. */
    ck_assert_int_eq(futurl_future_state(running), FUTURL_CANCELLED);
    for (int i = 0; i < 10; i++) {
        ck_assert_int_eq(futurl_future_state(queued[i]), FUTURL_CANCELLED);
        ck_assert_int_eq(futurl_future_status(queued[i]), FUTURL_ECANCELED);
        futurl_future_free(queued[i]);
    }
    ck_assert_int_eq(atomic_load(&freed_count), 10);
    futurl_future_free(running);
    futurl_executor_destroy(ex);
}
END_TEST

typedef struct blocked_submitter {
    futurl_executor *ex;
    futurl_status st;
    futurl_future *f;
} blocked_submitter;

static void *submit_blocking(void *p) {
    blocked_submitter *b = p;
    b->st = futurl_executor_submit(b->ex, job_return_arg, NULL, NULL, NULL, &b->f);
    return NULL;
}

START_TEST(shutdown_wakes_blocked_submitters) {
    futurl_executor *ex = support_executor(1, 4);
    gate g = {0};
    futurl_future *running, *queued[4];
    ck_assert_int_eq(futurl_executor_submit(ex, job_wait_gate, &g, NULL, NULL, &running),
                     FUTURL_OK);
    wait_entered(&g, 1);
    for (int i = 0; i < 4; i++)
        ck_assert_int_eq(futurl_executor_submit(ex, job_return_arg, NULL, NULL, NULL, &queued[i]),
                         FUTURL_OK);
    enum { B = 6 };
    blocked_submitter bs[B];
    pthread_t th[B];
    for (int i = 0; i < B; i++) {
        bs[i] = (blocked_submitter){ex, FUTURL_OK, NULL};
        ck_assert_int_eq(pthread_create(&th[i], NULL, submit_blocking, &bs[i]), 0);
    }
    support_sleep_ms(100); /* let them block on the full queue */
    ck_assert_int_eq(futurl_executor_shutdown(ex, FUTURL_CANCEL_PENDING), FUTURL_OK);
    for (int i = 0; i < B; i++) {
        pthread_join(th[i], NULL);
        /* Either it got in before the shutdown (and its future finished)
         * or it was woken with an error. Nothing in between. */
        if (bs[i].st == FUTURL_OK) {
            ck_assert_int_eq(futurl_future_done(bs[i].f), 1);
            futurl_future_free(bs[i].f);
        } else {
            ck_assert_int_eq(bs[i].st, FUTURL_ESHUTDOWN);
            ck_assert_ptr_null(bs[i].f);
        }
    }
    for (int i = 0; i < 4; i++) {
        ck_assert_int_eq(futurl_future_done(queued[i]), 1);
        futurl_future_free(queued[i]);
    }
    futurl_future_free(running);
    futurl_executor_destroy(ex);
}
END_TEST

typedef struct self_shutdown {
    futurl_executor *ex;
    futurl_status st;
} self_shutdown;

static futurl_status job_shutdown_self(futurl_job *job, void *arg, void **result) {
    (void)job;
    (void)result;
    self_shutdown *s = arg;
    s->st = futurl_executor_shutdown(s->ex, FUTURL_DRAIN);
    return FUTURL_OK;
}

START_TEST(shutdown_from_worker_is_refused) {
    futurl_executor *ex;
    ck_assert_int_eq(futurl_executor_create(NULL, &ex), FUTURL_OK);
    self_shutdown s = {ex, FUTURL_OK};
    futurl_future *f;
    ck_assert_int_eq(futurl_executor_submit(ex, job_shutdown_self, &s, NULL, NULL, &f),
                     FUTURL_OK);
    ck_assert_int_eq(futurl_future_wait(f), FUTURL_OK);
    ck_assert_int_eq(s.st, FUTURL_EDEADLK);
    futurl_future_free(f);
    futurl_executor_destroy(ex);
}
END_TEST

/* Review finding 1.3: a job returning a positive value (not a status) must
 * end FAILED at once, not be taken for an internal "run me later". */
static futurl_status job_return_one(futurl_job *job, void *arg, void **result) {
    (void)job;
    (void)arg;
    (void)result;
    return (futurl_status)1;
}

START_TEST(positive_job_return_fails) {
    futurl_executor *ex;
    ck_assert_int_eq(futurl_executor_create(NULL, &ex), FUTURL_OK);
    futurl_future *f;
    ck_assert_int_eq(futurl_executor_submit(ex, job_return_one, NULL, NULL, NULL, &f),
                     FUTURL_OK);
    ck_assert_int_eq(futurl_future_wait_for(f, 5000), FUTURL_EJOB);
    ck_assert_int_eq(futurl_future_state(f), FUTURL_FAILED);
    ck_assert_str_eq(futurl_future_errmsg(f), "job returned 1, which is not a futurl_status");
    futurl_future_free(f);
    futurl_executor_destroy(ex);
}
END_TEST

/* Review finding 1.7: a blocked submit goes ahead soon after there is room,
 * even when the pool then stalls and the queue never drains to the half
 * mark at which workers signal (the submitter also looks every 5 ms). */
START_TEST(blocked_submit_wakes_at_first_room) {
    futurl_executor *ex = support_executor(1, 4);
    gate g1 = {0}, g2 = {0};
    futurl_future *first, *second, *q[3], *late;
    ck_assert_int_eq(futurl_executor_submit(ex, job_wait_gate, &g1, NULL, NULL, &first),
                     FUTURL_OK);
    wait_entered(&g1, 1);
    /* Queue: second (a long job) and three quick ones: full. */
    ck_assert_int_eq(futurl_executor_submit(ex, job_wait_gate, &g2, NULL, NULL, &second),
                     FUTURL_OK);
    for (int i = 0; i < 3; i++)
        ck_assert_int_eq(futurl_executor_submit(ex, job_return_arg, NULL, NULL, NULL, &q[i]),
                         FUTURL_OK);
    blocked_submitter b = {ex, FUTURL_EINVAL, NULL};
    pthread_t th;
    ck_assert_int_eq(pthread_create(&th, NULL, submit_blocking, &b), 0);
    support_sleep_ms(100);
    /* The worker takes `second` (room: 1) and then holds on to it. */
    double t0 = support_now();
    atomic_store(&g1.open, 1);
    pthread_join(th, NULL);
    double dt = support_now() - t0;
    ck_assert_int_eq(b.st, FUTURL_OK);
    ck_assert_double_lt(dt, 1.0 * support_slack()); /* the gate holds for 20 s */
    atomic_store(&g2.open, 1);
    late = b.f;
    futurl_future *all[] = {first, second, q[0], q[1], q[2], late};
    ck_assert_int_eq(futurl_gather(all, 6, 20000, 0, NULL), FUTURL_OK);
    for (int i = 0; i < 6; i++)
        futurl_future_free(all[i]);
    futurl_executor_destroy(ex);
}
END_TEST

/* ------------------------------------------- callbacks inside shutdown */

/* What a done-callback run by a shutdown of its own pool does to that pool. */
enum { NEST_SHUTDOWN_CANCEL, NEST_SHUTDOWN_DRAIN, NEST_DESTROY, NEST_KINDS };

typedef struct nested {
    futurl_executor *ex;
    int what;
    atomic_int ran;
    futurl_status st;
} nested;

static void cb_nested(futurl_future *f, void *userdata) {
    nested *n = userdata;
    (void)f;
    if (n->what == NEST_SHUTDOWN_CANCEL)
        n->st = futurl_executor_shutdown(n->ex, FUTURL_CANCEL_PENDING);
    else if (n->what == NEST_SHUTDOWN_DRAIN)
        n->st = futurl_executor_shutdown(n->ex, FUTURL_DRAIN);
    else
        futurl_executor_destroy(n->ex); /* must do nothing here */
    atomic_fetch_add(&n->ran, 1);
}

/*
 * Issue 14, defect 3: shutdown(CANCEL_PENDING) runs the callbacks of what it
 * cancels on the calling thread. A callback there that shuts the same pool
 * down again (either mode) gets FUTURL_EDEADLK, and one that destroys it
 * does nothing; the outer shutdown goes on. Before the fix the nested call
 * waited for the outer one to finish joining, which waited for the
 * callback: it hung for ever.
 */
START_TEST(nested_shutdown_in_shutdown_callback) {
    futurl_executor *ex = support_executor(1, 0);
    /* Static: under CK_FORK=no a failed run must not leave a callback
     * pointing into a dead stack frame. */
    static gate g;
    gate_reset(&g);
    futurl_future *running, *queued;
    ck_assert_int_eq(futurl_executor_submit(ex, job_wait_gate, &g, NULL, NULL, &running),
                     FUTURL_OK);
    wait_entered(&g, 1);
    ck_assert_int_eq(
        futurl_executor_submit(ex, job_return_arg, NULL, NULL, NULL, &queued), FUTURL_OK);
    static nested n;
    n.ex = ex;
    n.what = _i;
    n.st = FUTURL_OK;
    atomic_store(&n.ran, 0);
    ck_assert_int_eq(futurl_future_on_done(queued, cb_nested, &n), FUTURL_OK);

    ck_assert_int_eq(futurl_executor_shutdown(ex, FUTURL_CANCEL_PENDING), FUTURL_OK);
    ck_assert_int_eq(atomic_load(&n.ran), 1);
    if (_i != NEST_DESTROY)
        ck_assert_msg(n.st == FUTURL_EDEADLK, "nested shutdown: %s, want FUTURL_EDEADLK",
                      futurl_err_name(n.st));
    ck_assert_int_eq(futurl_future_state(queued), FUTURL_CANCELLED);
    ck_assert_int_eq(futurl_future_done(running), 1);
    /* Still there (a nested destroy freed nothing), and shut down. */
    futurl_future *late = NULL;
    ck_assert_int_eq(futurl_executor_submit(ex, job_return_arg, NULL, NULL, NULL, &late),
                     FUTURL_ESHUTDOWN);
    ck_assert_int_eq(futurl_executor_shutdown(ex, FUTURL_DRAIN), FUTURL_OK);
    futurl_future_free(running);
    futurl_future_free(queued);
    futurl_executor_destroy(ex);
}
END_TEST

/* A done-callback that waits (one of SUPPORT_WAIT_KINDS) for `target`. */
typedef struct waiting_cb {
    int kind;
    futurl_future *target;
    futurl_future *elsewhere; /* a future of another pool, finishing soon */
    gate *elsewhere_gate;
    atomic_int ran;
    int target_was_done;
    futurl_status st, st_elsewhere;
} waiting_cb;

static void cb_wait(futurl_future *f, void *userdata) {
    waiting_cb *w = userdata;
    (void)f;
    if (w->elsewhere != NULL) {
        atomic_store(&w->elsewhere_gate->open, 1);
        w->st_elsewhere = support_wait_one(w->elsewhere, w->kind);
    }
    w->target_was_done = futurl_future_done(w->target);
    w->st = support_wait_one(w->target, w->kind);
    atomic_fetch_add(&w->ran, 1);
}

/*
 * Issue 14, defect 3: in a callback that shutdown runs, waiting for another
 * future of the same pool that is still to be cancelled (by this very
 * thread, after the callback returns) returns FUTURL_EDEADLK at once, for
 * every kind of wait; waiting for one already cancelled returns, and so
 * does waiting for a future of another pool. Before the fix the first
 * callback waited for ever.
 */
START_TEST(waits_in_shutdown_callback_are_refused) {
    futurl_executor *ex = support_executor(1, 0);
    futurl_executor *other = support_executor(1, 0);
    static gate g, og;
    gate_reset(&g);
    gate_reset(&og);
    futurl_future *running, *a, *b, *elsewhere;
    ck_assert_int_eq(futurl_executor_submit(ex, job_wait_gate, &g, NULL, NULL, &running),
                     FUTURL_OK);
    wait_entered(&g, 1);
    ck_assert_int_eq(
        futurl_executor_submit(other, job_wait_gate, &og, NULL, NULL, &elsewhere),
        FUTURL_OK);
    ck_assert_int_eq(futurl_executor_submit(ex, job_return_arg, NULL, NULL, NULL, &a),
                     FUTURL_OK);
    ck_assert_int_eq(futurl_executor_submit(ex, job_return_arg, NULL, NULL, NULL, &b),
                     FUTURL_OK);
    static waiting_cb wa, wb;
    wa = (waiting_cb){
        .kind = _i, .target = b, .elsewhere = elsewhere, .elsewhere_gate = &og};
    wb = (waiting_cb){.kind = _i, .target = a};
    ck_assert_int_eq(futurl_future_on_done(a, cb_wait, &wa), FUTURL_OK);
    ck_assert_int_eq(futurl_future_on_done(b, cb_wait, &wb), FUTURL_OK);

    ck_assert_int_eq(futurl_executor_shutdown(ex, FUTURL_CANCEL_PENDING), FUTURL_OK);
    ck_assert_int_eq(atomic_load(&wa.ran), 1);
    ck_assert_int_eq(atomic_load(&wb.ran), 1);
    const char *how = support_wait_name(_i);
    ck_assert_msg(!wa.target_was_done || !wb.target_was_done,
                  "both targets were done before their callbacks ran");
    waiting_cb *both[] = {&wa, &wb};
    for (int k = 0; k < 2; k++) {
        waiting_cb *w = both[k];
        futurl_status want = !w->target_was_done ? FUTURL_EDEADLK
                             : _i == SUPPORT_WAIT_FUTURE || _i == SUPPORT_WAIT_FOR
                                 ? FUTURL_ECANCELED
                                 : FUTURL_OK;
        ck_assert_msg(w->st == want,
                      "%s in a shutdown callback for a future %s: %s, "
                      "want %s",
                      how, w->target_was_done ? "already cancelled" : "still queued",
                      futurl_err_name(w->st), futurl_err_name(want));
    }
    ck_assert_msg(wa.st_elsewhere == FUTURL_OK, "%s for another pool's future: %s", how,
                  futurl_err_name(wa.st_elsewhere));
    futurl_future_free(running);
    futurl_future_free(a);
    futurl_future_free(b);
    futurl_future_free(elsewhere);
    futurl_executor_destroy(ex);
    futurl_executor_destroy(other);
}
END_TEST

/* Cancels: waits for h, then shuts the pool down, from the callback. */
typedef struct cancel_cb {
    futurl_executor *ex;
    futurl_future *h;
    gate *g1, *g2;
    atomic_int ran;
    futurl_status st_wait, st_shutdown;
} cancel_cb;

static void cb_wait_then_shut_down(futurl_future *f, void *userdata) {
    cancel_cb *c = userdata;
    (void)f;
    atomic_store(&c->g2->open, 1); /* a worker for h */
    c->st_wait = futurl_future_wait_for(c->h, 10000);
    atomic_store(&c->g1->open, 1); /* nothing left to hold the join */
    c->st_shutdown = futurl_executor_shutdown(c->ex, FUTURL_DRAIN);
    atomic_fetch_add(&c->ran, 1);
}

/*
 * The callbacks of a future cancelled while queued run on the cancelling
 * thread, which holds no lock of the library then: waiting there for
 * another future of the pool, and shutting the pool down, both work.
 */
START_TEST(cancel_callback_may_wait_and_shut_down) {
    futurl_executor *ex = support_executor(2, 0);
    static gate g1, g2;
    gate_reset(&g1);
    gate_reset(&g2);
    futurl_future *r1, *r2, *f, *h;
    ck_assert_int_eq(futurl_executor_submit(ex, job_wait_gate, &g1, NULL, NULL, &r1),
                     FUTURL_OK);
    ck_assert_int_eq(futurl_executor_submit(ex, job_wait_gate, &g2, NULL, NULL, &r2),
                     FUTURL_OK);
    wait_entered(&g1, 1);
    wait_entered(&g2, 1);
    ck_assert_int_eq(futurl_executor_submit(ex, job_return_arg, NULL, NULL, NULL, &f),
                     FUTURL_OK);
    ck_assert_int_eq(
        futurl_executor_submit(ex, job_return_arg, (void *)&g1, NULL, NULL, &h),
        FUTURL_OK);
    static cancel_cb c;
    c = (cancel_cb){.ex = ex, .h = h, .g1 = &g1, .g2 = &g2};
    ck_assert_int_eq(futurl_future_on_done(f, cb_wait_then_shut_down, &c), FUTURL_OK);
    ck_assert_int_eq(futurl_future_cancel(f), 1);
    ck_assert_int_eq(atomic_load(&c.ran), 1);
    ck_assert_msg(c.st_wait == FUTURL_OK, "wait in a cancel callback: %s, want FUTURL_OK",
                  futurl_err_name(c.st_wait));
    ck_assert_msg(c.st_shutdown == FUTURL_OK, "shutdown in a cancel callback: %s",
                  futurl_err_name(c.st_shutdown));
    ck_assert_ptr_eq(futurl_future_result(h), (void *)&g1);
    ck_assert_int_eq(futurl_future_state(f), FUTURL_CANCELLED);
    futurl_future_free(r1);
    futurl_future_free(r2);
    futurl_future_free(f);
    futurl_future_free(h);
    futurl_executor_destroy(ex);
}
END_TEST

static Suite *executor_suite(void) {
    Suite *s = suite_create("executor");
    TCase *tc = tcase_create("basics");
    tcase_set_timeout(tc, 20);
    tcase_add_test(tc, options_defaults);
    tcase_add_test(tc, create_bad_arguments);
    tcase_add_test(tc, status_strings);
    tcase_add_test(tc, submit_result_and_destructors);
    tcase_add_test(tc, failing_job_reports_message);
    tcase_add_test(tc, try_submit_and_timeout_on_full_queue);
    tcase_add_test(tc, worker_hooks_and_names);
    tcase_add_test(tc, workers_start_on_demand);
    tcase_add_test(tc, unstarted_workers_shut_down_cleanly);
    tcase_add_test(tc, workers_block_every_signal);
    suite_add_tcase(s, tc);

    tc = tcase_create("workers");
    tcase_set_timeout(tc, 20);
    tcase_add_test(tc, submit_from_callback_never_blocks);
    tcase_add_test(tc, submit_inside_job_full_queue_errors);
    tcase_add_test(tc, shutdown_from_worker_is_refused);
    tcase_add_test(tc, positive_job_return_fails);
    tcase_add_test(tc, blocked_submit_wakes_at_first_room);
    suite_add_tcase(s, tc);

    tc = tcase_create("shutdown");
    tcase_set_timeout(tc, 20);
    tcase_add_test(tc, shutdown_drain_runs_everything);
    tcase_add_test(tc, shutdown_cancel_pending);
    tcase_add_test(tc, shutdown_wakes_blocked_submitters);
    suite_add_tcase(s, tc);

    /* A hang here is the defect: fail after 10 s instead. */
    tc = tcase_create("nested");
    tcase_set_timeout(tc, 10);
    tcase_add_loop_test(tc, nested_shutdown_in_shutdown_callback, 0, NEST_KINDS);
    tcase_add_loop_test(tc, waits_in_shutdown_callback_are_refused, 0,
                        SUPPORT_WAIT_KINDS);
    tcase_add_test(tc, cancel_callback_may_wait_and_shut_down);
    suite_add_tcase(s, tc);

    tc = tcase_create("inbox");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, runs_in_submission_order_and_cancels_anywhere);
    tcase_add_loop_test(tc, single_jobs_always_wake_a_worker, 0, 2);
    tcase_add_test(tc, submit_racing_shutdown_never_strands_a_future);
    suite_add_tcase(s, tc);

    tc = tcase_create("stress");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, stress_100k_exactly_once);
    suite_add_tcase(s, tc);
    return s;
}

int main(void) {
    SRunner *sr = srunner_create(executor_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
