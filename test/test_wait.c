/*
 * test/test_wait.c — waiting on many futures: gather (counts, deadline,
 * cancel-on-error, cancel-on-timeout), wait-any (first completed, first
 * failed, deadline) and the as-completed iterator (completion order,
 * already-finished first, deadline, exhaustion); a wait's FUTURL_EPENDING
 * against a FUTURL_ETIMEDOUT outcome. Time bounds are loose.
 */
#include "support.h"

#include "futurl.h"

#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>

/* arg encodes milliseconds to sleep; negative: sleep |ms| then fail. */
static futurl_status job_timed(futurl_job *job, void *arg, void **result) {
    long ms = (long)(intptr_t)arg;
    long abs_ms = ms < 0 ? -ms : ms;
    for (long i = 0; i < abs_ms; i++) {
        if (futurl_job_cancelled(job))
            return FUTURL_ECANCELED;
        support_sleep_ms(1);
    }
    *result = arg;
    return ms < 0 ? FUTURL_EJOB : FUTURL_OK;
}

static void submit_all(futurl_executor *ex, const long *ms, size_t n,
                       futurl_future **fs) {
    for (size_t i = 0; i < n; i++)
        ck_assert_int_eq(futurl_executor_submit(ex, job_timed, (void *)(intptr_t)ms[i],
                                                NULL, NULL, &fs[i]),
                         FUTURL_OK);
}

static void free_all(futurl_future **fs, size_t n) {
    for (size_t i = 0; i < n; i++)
        futurl_future_free(fs[i]);
}

/* ------------------------------------------------------------------ gather */

START_TEST(gather_counts_failures_as_values) {
    futurl_executor *ex = support_executor(4, 0);
    long ms[] = {10, -20, 30, 5};
    futurl_future *fs[4];
    submit_all(ex, ms, 4, fs);
    futurl_gather_counts c;
    ck_assert_int_eq(futurl_gather(fs, 4, 10000, 0, &c), FUTURL_OK);
    ck_assert_uint_eq(c.ok, 3);
    ck_assert_uint_eq(c.failed, 1);
    ck_assert_uint_eq(c.cancelled, 0);
    ck_assert_uint_eq(c.pending, 0);
    ck_assert_int_eq(futurl_future_status(fs[1]), FUTURL_EJOB);
    free_all(fs, 4);
    futurl_executor_destroy(ex);
}
END_TEST

START_TEST(gather_deadline) {
    futurl_executor *ex = support_executor(2, 0);
    long ms[] = {10, 5000};
    futurl_future *fs[2];
    submit_all(ex, ms, 2, fs);
    futurl_gather_counts c;
    double t0 = support_now();
    ck_assert_int_eq(futurl_gather(fs, 2, 200, 0, &c), FUTURL_EPENDING);
    double dt = support_now() - t0;
    ck_assert_double_ge(dt, 0.19);
    ck_assert_double_lt(dt, 3.0 * support_slack());
    ck_assert_uint_eq(c.ok, 1);
    ck_assert_uint_eq(c.pending, 1);
    ck_assert_int_eq(futurl_future_done(fs[1]), 0); /* left running */
    futurl_future_cancel(fs[1]);
    free_all(fs, 2);
    futurl_executor_destroy(ex);
}
END_TEST

START_TEST(gather_cancel_on_timeout) {
    futurl_executor *ex = support_executor(2, 0);
    long ms[] = {10, 5000, 5000}; /* the third stays queued */
    futurl_future *fs[3];
    submit_all(ex, ms, 3, fs);
    futurl_gather_counts c;
    double t0 = support_now();
    ck_assert_int_eq(futurl_gather(fs, 3, 200, FUTURL_CANCEL_ON_TIMEOUT, &c),
                     FUTURL_ETIMEDOUT);
    ck_assert_double_lt(support_now() - t0, 3.0 * support_slack());
    ck_assert_uint_eq(c.ok, 1);
    ck_assert_uint_eq(c.cancelled, 2);
    ck_assert_uint_eq(c.pending, 0);
    free_all(fs, 3);
    futurl_executor_destroy(ex);
}
END_TEST

START_TEST(gather_cancel_on_error) {
    futurl_executor *ex = support_executor(3, 0);
    long ms[] = {5000, -50, 5000, 5000}; /* the fourth stays queued */
    futurl_future *fs[4];
    submit_all(ex, ms, 4, fs);
    futurl_gather_counts c;
    double t0 = support_now();
    ck_assert_int_eq(futurl_gather(fs, 4, -1, FUTURL_CANCEL_ON_ERROR, &c), FUTURL_OK);
    ck_assert_double_lt(support_now() - t0, 3.0 * support_slack());
    ck_assert_uint_eq(c.failed, 1);
    ck_assert_uint_eq(c.cancelled, 3);
    ck_assert_uint_eq(c.pending, 0);
    free_all(fs, 4);
    futurl_executor_destroy(ex);
}
END_TEST

START_TEST(gather_bad_arguments) {
    futurl_future *fs[1] = {NULL};
    ck_assert_int_eq(futurl_gather(fs, 1, 0, 0, NULL), FUTURL_EINVAL);
    ck_assert_int_eq(futurl_gather(NULL, 3, 0, 0, NULL), FUTURL_EINVAL);
    ck_assert_int_eq(futurl_gather(NULL, 0, 0, 0, NULL), FUTURL_OK);
    ck_assert_int_eq(futurl_gather(fs, 0, 0, 99, NULL), FUTURL_EINVAL);
    size_t idx = 7;
    ck_assert_int_eq(futurl_wait_any(NULL, 0, 0, FUTURL_FIRST_COMPLETED, &idx),
                     FUTURL_EINVAL);
    ck_assert_uint_eq(idx, 0);
    futurl_as_completed *it = (futurl_as_completed *)fs;
    ck_assert_int_eq(futurl_as_completed_new(fs, 1, 0, &it), FUTURL_EINVAL);
    ck_assert_ptr_null(it);
}
END_TEST

/* ---------------------------------------------------------------- wait-any */

START_TEST(wait_any_first_completed) {
    futurl_executor *ex = support_executor(3, 0);
    long ms[] = {3000, 50, 3000};
    futurl_future *fs[3];
    submit_all(ex, ms, 3, fs);
    size_t idx = 99;
    ck_assert_int_eq(futurl_wait_any(fs, 3, 10000, FUTURL_FIRST_COMPLETED, &idx),
                     FUTURL_OK);
    ck_assert_uint_eq(idx, 1);
    ck_assert_int_eq(futurl_future_done(fs[0]), 0);
    futurl_future_cancel(fs[0]);
    futurl_future_cancel(fs[2]);
    free_all(fs, 3);
    futurl_executor_destroy(ex);
}
END_TEST

START_TEST(wait_any_first_failed) {
    futurl_executor *ex = support_executor(3, 0);
    long ms[] = {10, 3000, -100};
    futurl_future *fs[3];
    submit_all(ex, ms, 3, fs);
    size_t idx = 99;
    ck_assert_int_eq(futurl_wait_any(fs, 3, 10000, FUTURL_FIRST_FAILED, &idx), FUTURL_OK);
    ck_assert_uint_eq(idx, 2); /* fs[0] finished first, but did not fail */
    futurl_future_cancel(fs[1]);

    /* All finish without a failure: returns with index n. */
    long ok_ms[] = {10, 20};
    futurl_future *gs[2];
    submit_all(ex, ok_ms, 2, gs);
    ck_assert_int_eq(futurl_wait_any(gs, 2, 10000, FUTURL_FIRST_FAILED, &idx), FUTURL_OK);
    ck_assert_uint_eq(idx, 2);
    free_all(fs, 3);
    free_all(gs, 2);
    futurl_executor_destroy(ex);
}
END_TEST

START_TEST(wait_any_deadline) {
    futurl_executor *ex = support_executor(1, 0);
    long ms[] = {3000};
    futurl_future *fs[1];
    submit_all(ex, ms, 1, fs);
    size_t idx = 99;
    double t0 = support_now();
    ck_assert_int_eq(futurl_wait_any(fs, 1, 100, FUTURL_FIRST_COMPLETED, &idx),
                     FUTURL_EPENDING);
    double dt = support_now() - t0;
    ck_assert_double_ge(dt, 0.095);
    ck_assert_double_lt(dt, 2.0 * support_slack());
    ck_assert_uint_eq(idx, 1);
    futurl_future_cancel(fs[0]);
    free_all(fs, 1);
    futurl_executor_destroy(ex);
}
END_TEST

/* ------------------------------------------------- outcome versus pending */

static futurl_status job_times_out(futurl_job *job, void *arg, void **result) {
    (void)job, (void)arg, (void)result;
    return FUTURL_ETIMEDOUT; /* as a request whose deadline passed */
}

/* A future whose outcome is FUTURL_ETIMEDOUT is finished: no wait reports
 * it as pending, and the unfinished one is FUTURL_EPENDING from every wait,
 * so the return value alone tells the two apart (issue #18). */
START_TEST(timed_out_outcome_is_not_pending) {
    futurl_executor *ex = support_executor(2, 0);
    futurl_future *fs[2]; /* [0] ends FUTURL_ETIMEDOUT, [1] runs 5 s */
    ck_assert_int_eq(futurl_executor_submit(ex, job_times_out, NULL, NULL, NULL, &fs[0]),
                     FUTURL_OK);
    long ms[] = {5000};
    submit_all(ex, ms, 1, &fs[1]);

    ck_assert_int_eq(futurl_future_wait_for(fs[0], 10000), FUTURL_ETIMEDOUT);
    ck_assert_int_eq(futurl_future_done(fs[0]), 1);
    ck_assert_int_eq(futurl_future_state(fs[0]), FUTURL_FAILED);
    ck_assert_int_eq(futurl_future_wait_for(fs[0], 0), FUTURL_ETIMEDOUT);
    ck_assert_int_eq(futurl_future_wait_for(fs[1], 0), FUTURL_EPENDING);
    ck_assert_int_eq(futurl_future_wait_for(fs[1], 20), FUTURL_EPENDING);
    ck_assert_int_eq(futurl_future_status(fs[1]), FUTURL_EPENDING);

    /* The waits on many: the finished one counts as finished. */
    futurl_gather_counts c;
    ck_assert_int_eq(futurl_gather(fs, 1, 0, 0, &c), FUTURL_OK);
    ck_assert_uint_eq(c.failed, 1);
    ck_assert_int_eq(futurl_gather(fs, 2, 20, 0, &c), FUTURL_EPENDING);
    ck_assert_uint_eq(c.failed, 1);
    ck_assert_uint_eq(c.pending, 1);
    size_t idx = 99;
    ck_assert_int_eq(futurl_wait_any(fs, 2, 0, FUTURL_FIRST_COMPLETED, &idx), FUTURL_OK);
    ck_assert_uint_eq(idx, 0);
    ck_assert_int_eq(futurl_wait_any(fs + 1, 1, 20, FUTURL_FIRST_COMPLETED, &idx),
                     FUTURL_EPENDING);
    ck_assert_uint_eq(idx, 1);
    futurl_as_completed *it;
    ck_assert_int_eq(futurl_as_completed_new(fs, 2, 20, &it), FUTURL_OK);
    futurl_future *f;
    ck_assert_int_eq(futurl_as_completed_next(it, &f, &idx), FUTURL_OK);
    ck_assert_ptr_eq(f, fs[0]);
    ck_assert_int_eq(futurl_as_completed_next(it, &f, &idx), FUTURL_EPENDING);
    ck_assert_ptr_null(f);
    futurl_as_completed_free(it);

    /* The deadline that ends the rest: FUTURL_ETIMEDOUT, nothing pending. */
    ck_assert_int_eq(futurl_gather(fs, 2, 20, FUTURL_CANCEL_ON_TIMEOUT, &c),
                     FUTURL_ETIMEDOUT);
    ck_assert_uint_eq(c.failed, 1);
    ck_assert_uint_eq(c.cancelled, 1);
    ck_assert_uint_eq(c.pending, 0);
    free_all(fs, 2);
    futurl_executor_destroy(ex);
}
END_TEST

/* ------------------------------------------------------------ as-completed */

START_TEST(as_completed_in_completion_order) {
    futurl_executor *ex = support_executor(4, 0);
    long ms[] = {600, 100, 350, 0};
    futurl_future *fs[4];
    submit_all(ex, ms, 4, fs);
    ck_assert_int_eq(futurl_future_wait(fs[3]), FUTURL_OK); /* done before the iterator */
    futurl_as_completed *it;
    ck_assert_int_eq(futurl_as_completed_new(fs, 4, 10000, &it), FUTURL_OK);
    size_t want[] = {3, 1, 2, 0};
    for (int i = 0; i < 4; i++) {
        futurl_future *f;
        size_t idx;
        ck_assert_int_eq(futurl_as_completed_next(it, &f, &idx), FUTURL_OK);
        ck_assert_uint_eq(idx, want[i]);
        ck_assert_ptr_eq(f, fs[want[i]]);
        ck_assert_int_eq(futurl_future_done(f), 1);
    }
    futurl_future *f = (futurl_future *)it;
    ck_assert_int_eq(futurl_as_completed_next(it, &f, NULL), FUTURL_EEXHAUSTED);
    ck_assert_ptr_null(f);
    futurl_as_completed_free(it);
    free_all(fs, 4);
    futurl_executor_destroy(ex);
}
END_TEST

START_TEST(as_completed_deadline) {
    futurl_executor *ex = support_executor(2, 0);
    long ms[] = {20, 5000};
    futurl_future *fs[2];
    submit_all(ex, ms, 2, fs);
    futurl_as_completed *it;
    ck_assert_int_eq(futurl_as_completed_new(fs, 2, 300, &it), FUTURL_OK);
    futurl_future *f;
    size_t idx;
    ck_assert_int_eq(futurl_as_completed_next(it, &f, &idx), FUTURL_OK);
    ck_assert_uint_eq(idx, 0);
    double t0 = support_now();
    ck_assert_int_eq(futurl_as_completed_next(it, &f, &idx), FUTURL_EPENDING);
    ck_assert_double_lt(support_now() - t0, 2.0 * support_slack());
    ck_assert_ptr_null(f);
    ck_assert_int_eq(futurl_as_completed_next(it, &f, &idx), FUTURL_EPENDING); /* stays */
    ck_assert_ptr_null(f);
    /* Past the deadline a future that finishes is still yielded, at once. */
    ck_assert_int_eq(futurl_future_cancel(fs[1]), 1);
    ck_assert_int_eq(futurl_future_wait(fs[1]), FUTURL_ECANCELED);
    ck_assert_int_eq(futurl_as_completed_next(it, &f, &idx), FUTURL_OK);
    ck_assert_uint_eq(idx, 1);
    ck_assert_ptr_eq(f, fs[1]);
    ck_assert_int_eq(futurl_as_completed_next(it, &f, &idx), FUTURL_EEXHAUSTED);
    futurl_as_completed_free(it);
    free_all(fs, 2);
    futurl_executor_destroy(ex);
}
END_TEST

/* Many iterators and gathers over the same futures at once, while they
 * complete: every iterator sees every future exactly once. */
START_TEST(concurrent_waiters_stress) {
    futurl_executor *ex = support_executor(4, 0);
    enum { N = 64 };
    for (int round = 0; round < 20; round++) {
        futurl_future *fs[N];
        long ms[N];
        for (int i = 0; i < N; i++)
            ms[i] = i % 3;
        submit_all(ex, ms, N, fs);
        futurl_as_completed *a, *b;
        ck_assert_int_eq(futurl_as_completed_new(fs, N, 20000, &a), FUTURL_OK);
        ck_assert_int_eq(futurl_as_completed_new(fs, N, 20000, &b), FUTURL_OK);
        unsigned char seen_a[N] = {0}, seen_b[N] = {0};
        for (int i = 0; i < N; i++) {
            futurl_future *f;
            size_t ia, ib;
            ck_assert_int_eq(futurl_as_completed_next(a, &f, &ia), FUTURL_OK);
            ck_assert_int_eq(futurl_as_completed_next(b, &f, &ib), FUTURL_OK);
            ck_assert_uint_eq(seen_a[ia]++, 0);
            ck_assert_uint_eq(seen_b[ib]++, 0);
        }
        futurl_gather_counts c;
        ck_assert_int_eq(futurl_gather(fs, N, 20000, 0, &c), FUTURL_OK);
        ck_assert_uint_eq(c.ok, N);
        futurl_as_completed_free(a);
        futurl_as_completed_free(b);
        free_all(fs, N);
    }
    futurl_executor_destroy(ex);
}
END_TEST

static Suite *wait_suite(void) {
    Suite *s = suite_create("wait");
    TCase *tc = tcase_create("gather");
    tcase_set_timeout(tc, 20);
    tcase_add_test(tc, gather_counts_failures_as_values);
    tcase_add_test(tc, gather_deadline);
    tcase_add_test(tc, gather_cancel_on_timeout);
    tcase_add_test(tc, gather_cancel_on_error);
    tcase_add_test(tc, gather_bad_arguments);
    suite_add_tcase(s, tc);

    tc = tcase_create("any");
    tcase_set_timeout(tc, 20);
    tcase_add_test(tc, wait_any_first_completed);
    tcase_add_test(tc, wait_any_first_failed);
    tcase_add_test(tc, wait_any_deadline);
    tcase_add_test(tc, timed_out_outcome_is_not_pending);
    suite_add_tcase(s, tc);

    tc = tcase_create("as_completed");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, as_completed_in_completion_order);
    tcase_add_test(tc, as_completed_deadline);
    tcase_add_test(tc, concurrent_waiters_stress);
    suite_add_tcase(s, tc);
    return s;
}

int main(void) {
    SRunner *sr = srunner_create(wait_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
