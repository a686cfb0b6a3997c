/*
 * test/test_alloc.c — the failing allocator (test/alloc_fail.h) and the
 * out-of-memory defects it found (make alloc-sweep runs the whole sweep):
 *   - the machinery: the Nth allocation fails with ENOMEM, only that one,
 *     for the library's calls (link-time wrapping), libcurl's
 *     (curl_global_init_mem) and cJSON's (cJSON_InitHooks);
 *   - a JSON parse that ran out of memory is not cached: the next call
 *     parses (it used to answer "invalid JSON" for good);
 *   - a worker whose libcurl handle could not be made (out of memory at
 *     thread start) makes it at its next request (every request on that
 *     worker used to fail);
 *   - a completion queue out of memory: _new and _attach fail
 *     FUTURL_ENOMEM cleanly, and a failed attach leaves the future free to
 *     be attached again;
 *   - a request back from waiting for a per-host slot that lands on such a
 *     worker gives its slot back (the host's slot was lost for good, later
 *     requests to the host parked forever, and freeing the client read
 *     freed memory).
 */
#include "alloc_fail.h"
#include "support.h"

#include "futurl.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>
#include <curl/curl.h>

static support_server fault;

static void start_fault(void) {
    ck_assert_msg(support_fault_start(&fault) == 0, "fault server did not start");
}

static void stop_fault(void) {
    support_server_stop(&fault);
}

static void url_of(char *buf, size_t size, const char *path) {
    snprintf(buf, size, "%s%s", fault.url, path);
}

/* ------------------------------------------------------------ machinery */

START_TEST(nth_allocation_fails_once) {
    /* Check's own calls (a static library) are counted too: every result
     * is kept, and asserted only once the counting is over. */
    alloc_fail_reset();
    void *a = malloc(8);
    unsigned long n1 = alloc_fail_count();
    alloc_fail_at(2);
    void *b = malloc(8); /* 1st from now */
    int injected_b = alloc_fail_injected();
    errno = 0;
    void *c = calloc(1, 8); /* 2nd: fails */
    int errno_c = errno, injected_c = alloc_fail_injected();
    char *d = strdup("x"); /* after it: fine again */
    unsigned long n4 = alloc_fail_count();
    alloc_fail_at(1);
    char *e = strdup("y");
    alloc_fail_at(1);
    void *f = realloc(a, 64);
    alloc_fail_reset();

    ck_assert_ptr_nonnull(a);
    ck_assert_uint_eq(n1, 1);
    ck_assert_ptr_nonnull(b);
    ck_assert_int_eq(injected_b, 0);
    ck_assert_ptr_null(c);
    ck_assert_int_eq(errno_c, ENOMEM);
    ck_assert_int_eq(injected_c, 1);
    ck_assert_ptr_nonnull(d);
    ck_assert_uint_eq(n4, 4);
    ck_assert_ptr_null(e);
    ck_assert_ptr_null(f);
    free(a); /* a failed realloc leaves the block */
    free(b);
    free(d);
}
END_TEST

START_TEST(libcurl_and_cjson_allocations_are_counted) {
    alloc_fail_reset();
    CURLU *u = curl_url();
    ck_assert_ptr_nonnull(u);
    ck_assert_msg(alloc_fail_count() >= 1, "curl_url: %lu allocations counted",
                  alloc_fail_count());
    curl_url_cleanup(u);
    alloc_fail_at(1);
    ck_assert_ptr_null(curl_url());

    alloc_fail_reset();
    cJSON *j = cJSON_Parse("{\"a\": [1, 2]}");
    ck_assert_ptr_nonnull(j);
    unsigned long n = alloc_fail_count();
    cJSON_Delete(j);
    ck_assert_msg(n >= 3, "cJSON_Parse: %lu allocations counted", n);
    alloc_fail_at(2);
    ck_assert_ptr_null(cJSON_Parse("{\"a\": [1, 2]}"));
    ck_assert_int_eq(alloc_fail_injected(), 1);
    alloc_fail_reset();
}
END_TEST

/* ------------------------------------------------------------ JSON cache */

/* A JSON parse that runs out of memory at its kth allocation (k = 1, 2, …
 * until none fails) answers NULL; asked again, it parses. */
START_TEST(json_out_of_memory_is_not_cached) {
    futurl_client_options o;
    futurl_client_options_init(&o);
    o.workers = 1;
    futurl_client *c;
    ck_assert_int_eq(futurl_client_create(&o, &c), FUTURL_OK);
    char url[160];
    url_of(url, sizeof url, "/ok");
    unsigned long k;
    for (k = 1; k < 100; k++) {
        futurl_future *f;
        ck_assert_int_eq(futurl_get(c, url, &f), FUTURL_OK);
        ck_assert_int_eq(futurl_future_wait(f), FUTURL_OK);
        const futurl_response *r = futurl_future_response(f);
        ck_assert_int_eq(futurl_future_status(f), FUTURL_OK);
        alloc_fail_reset();
        alloc_fail_at(k);
        const cJSON *j = futurl_response_json(r);
        int injected = alloc_fail_injected();
        alloc_fail_reset();
        if (!injected) {
            ck_assert_ptr_nonnull(j);
            futurl_future_free(f);
            break;
        }
        ck_assert_msg(j == NULL, "allocation %lu failed, yet a tree", k);
        j = futurl_response_json(r);
        ck_assert_msg(j != NULL, "allocation %lu failed, then: %s", k,
                      futurl_response_json_error(r) ? futurl_response_json_error(r) : "");
        ck_assert_ptr_null(futurl_response_json_error(r));
        ck_assert_msg(cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(j, "ok")),
                      "allocation %lu: no \"ok\": true", k);
        futurl_future_free(f);
    }
    ck_assert_msg(k > 2 && k < 100, "the parse made %lu allocations", k - 1);
    futurl_client_destroy(c);
}
END_TEST

/* --------------------------------------------------- a worker's handle */

/* Worker 0 cannot make its handle when it starts: its first request fails
 * with FUTURL_ENOMEM; once memory is back, its next request works. */
START_TEST(worker_makes_its_handle_at_the_next_request) {
    alloc_fail_easy_init_on_thread("-0");
    futurl_client_options o;
    futurl_client_options_init(&o);
    o.workers = 1;
    o.thread_name = "oom";
    futurl_client *c;
    ck_assert_int_eq(futurl_client_create(&o, &c), FUTURL_OK);
    char url[160];
    url_of(url, sizeof url, "/ok");
    futurl_future *f;
    ck_assert_int_eq(futurl_get(c, url, &f), FUTURL_OK);
    (void)futurl_future_wait(f);
    ck_assert_msg(futurl_future_status(f) == FUTURL_ENOMEM, "first request: %s (%s)",
                  futurl_err_name(futurl_future_status(f)),
                  futurl_future_errmsg(f) ? futurl_future_errmsg(f) : "");
    futurl_future_free(f);

    alloc_fail_easy_init_on_thread(NULL);
    for (int i = 0; i < 3; i++) {
        ck_assert_int_eq(futurl_get(c, url, &f), FUTURL_OK);
        (void)futurl_future_wait(f);
        ck_assert_msg(futurl_future_status(f) == FUTURL_OK, "request %d after: %s (%s)",
                      i, futurl_err_name(futurl_future_status(f)),
                      futurl_future_errmsg(f) ? futurl_future_errmsg(f) : "");
        ck_assert_int_eq(futurl_response_status(futurl_future_response(f)), 200);
        futurl_future_free(f);
    }
    futurl_client_destroy(c);
}
END_TEST

/* ------------------------------------------- per-host slot, no handle */

#define SLOT_ROUNDS  25
#define SLOT_WAITERS 4

/* max_per_host = 1 and three workers, the third of which can never make
 * its handle. Each round one request holds the host's slot for a while;
 * the others, admitted on a good worker, wait for it. A waiter granted the
 * slot and then taken by the third worker fails with FUTURL_ENOMEM and
 * must give the slot back: otherwise the next request to the host (and
 * every later one) waits forever, and destroy reads the freed waiter. */
START_TEST(slot_is_given_back_by_a_worker_without_handle) {
    alloc_fail_easy_init_on_thread("-2");
    futurl_client_options o;
    futurl_client_options_init(&o);
    o.workers = 3;
    o.max_per_host = 1;
    o.thread_name = "slot";
    futurl_client *c;
    ck_assert_int_eq(futurl_client_create(&o, &c), FUTURL_OK);
    char slow[160], quick[160];
    url_of(slow, sizeof slow, "/slot?delay_ms=60");
    url_of(quick, sizeof quick, "/ok");
    long no_handle = 0, ok = 0;
    for (int round = 0; round < SLOT_ROUNDS; round++) {
        futurl_future *fs[1 + SLOT_WAITERS];
        ck_assert_int_eq(futurl_get(c, slow, &fs[0]), FUTURL_OK);
        for (int i = 1; i <= SLOT_WAITERS; i++)
            ck_assert_int_eq(futurl_get(c, quick, &fs[i]), FUTURL_OK);
        futurl_gather_counts counts;
        futurl_status st = futurl_gather(fs, 1 + SLOT_WAITERS, 15000, 0, &counts);
        ck_assert_msg(st == FUTURL_OK,
                      "round %d: gather %s, %zu of %d still waiting: a slot was lost",
                      round, futurl_err_name(st), counts.pending, 1 + SLOT_WAITERS);
        for (int i = 0; i <= SLOT_WAITERS; i++) {
            futurl_status fst = futurl_future_status(fs[i]);
            ck_assert_msg(fst == FUTURL_OK || fst == FUTURL_ENOMEM,
                          "round %d, #%d: %s (%s)", round, i, futurl_err_name(fst),
                          futurl_future_errmsg(fs[i]) ? futurl_future_errmsg(fs[i]) : "");
            no_handle += fst == FUTURL_ENOMEM;
            ok += fst == FUTURL_OK;
            futurl_future_free(fs[i]);
        }
    }
    ck_assert_msg(no_handle > 0 && ok > 0, "%ld failed for want of a handle, %ld ok",
                  no_handle, ok);
    futurl_client_stats s;
    ck_assert_int_eq(futurl_client_get_stats(c, &s), FUTURL_OK);
    ck_assert_msg(s.parked == 0 && s.in_flight == 0,
                  "after the rounds: %zu parked, %zu "
                  "in flight",
                  s.parked, s.in_flight);
    futurl_client_destroy(c);
    alloc_fail_easy_init_on_thread(NULL);
}
END_TEST

/* ------------------------------------------------------ completion queue */

static futurl_status job_noop(futurl_job *job, void *arg, void **result) {
    (void)job;
    (void)arg;
    (void)result;
    return FUTURL_OK;
}

START_TEST(completion_queue_out_of_memory) {
    futurl_completion_queue *q = (futurl_completion_queue *)&q;
    alloc_fail_reset();
    alloc_fail_at(1);
    futurl_status st_new = futurl_completion_queue_new(&q);
    int injected = alloc_fail_injected();
    alloc_fail_reset();
    ck_assert_msg(injected && st_new == FUTURL_ENOMEM && q == NULL,
                  "queue_new with no memory: %s, q %p (injected %d)",
                  futurl_err_name(st_new), (void *)q, injected);

    ck_assert_int_eq(futurl_completion_queue_new(&q), FUTURL_OK);
    futurl_executor *ex = support_executor(1, 0);
    futurl_future *f = NULL;
    ck_assert_int_eq(futurl_executor_submit(ex, job_noop, NULL, NULL, NULL, &f),
                     FUTURL_OK);
    alloc_fail_reset();
    alloc_fail_at(1);
    futurl_status st_attach = futurl_completion_queue_attach(q, f, NULL);
    injected = alloc_fail_injected();
    alloc_fail_reset();
    ck_assert_msg(injected && st_attach == FUTURL_ENOMEM,
                  "attach with no memory: %s (injected %d)", futurl_err_name(st_attach),
                  injected);
    /* Nothing was attached: the entry comes from the next attach, once. */
    ck_assert_int_eq(futurl_completion_queue_attach(q, f, &q), FUTURL_OK);
    futurl_completion e;
    ck_assert_int_eq(futurl_completion_queue_wait(q, 10000, &e), FUTURL_OK);
    ck_assert_msg(e.future == f && e.tag == &q, "entry %p/%p, want %p/%p",
                  (void *)e.future, e.tag, (void *)f, (void *)&q);
    ck_assert_int_eq(futurl_completion_queue_next(q, &e), FUTURL_EPENDING);
    futurl_completion_queue_free(q);
    futurl_future_free(f);
    futurl_executor_destroy(ex);
}
END_TEST

/* A JSON path accessor whose parse runs out of memory says FUTURL_ENOMEM
 * (not FUTURL_EJSON), and the next call parses again. */
START_TEST(json_path_out_of_memory) {
    futurl_client *c;
    ck_assert_int_eq(futurl_client_create(NULL, &c), FUTURL_OK);
    char url[160];
    url_of(url, sizeof url, "/ok");
    unsigned long k;
    for (k = 1; k < 100; k++) {
        futurl_future *f;
        ck_assert_int_eq(futurl_get(c, url, &f), FUTURL_OK);
        ck_assert_int_eq(futurl_future_wait(f), FUTURL_OK);
        const futurl_response *r = futurl_future_response(f);
        int ok = 0;
        alloc_fail_reset();
        alloc_fail_at(k);
        futurl_status st = futurl_response_json_bool(r, "ok", &ok);
        int injected = alloc_fail_injected();
        alloc_fail_reset();
        ck_assert_msg(st == (injected ? FUTURL_ENOMEM : FUTURL_OK),
                      "allocation %lu (injected %d): %s", k, injected,
                      futurl_err_name(st));
        st = futurl_response_json_bool(r, "ok", &ok);
        ck_assert_msg(st == FUTURL_OK && ok == 1, "allocation %lu, then: %s, ok %d", k,
                      futurl_err_name(st), ok);
        futurl_future_free(f);
        if (!injected)
            break;
    }
    ck_assert_msg(k > 2 && k < 100, "the parse made %lu allocations", k - 1);
    futurl_client_destroy(c);
}
END_TEST

/* futurl_gather_get with the nth allocation failing, on a client that
 * refuses every submission (shut down): each URL still ends with exactly
 * one finished future (FUTURL_ESHUTDOWN, or FUTURL_ENOMEM if the request
 * could not be built), or the call fails FUTURL_ENOMEM with every fs[i]
 * NULL and nothing left behind (LSan and valgrind see the rest). */
START_TEST(gather_get_out_of_memory) {
    futurl_client *c;
    ck_assert_int_eq(futurl_client_create(NULL, &c), FUTURL_OK);
    ck_assert_int_eq(futurl_client_shutdown(c, FUTURL_DRAIN), FUTURL_OK);
    const char *urls[] = {"http://127.0.0.1:1/a", "ftp://x/", NULL,
                          "http://127.0.0.1:1/b"};
    enum { N = sizeof urls / sizeof urls[0] };
    unsigned long k;
    int enomem = 0;
    for (k = 1; k < 1000; k++) {
        futurl_future *fs[N];
        alloc_fail_reset();
        alloc_fail_at(k);
        futurl_status st = futurl_gather_get(c, urls, N, NULL, fs, NULL);
        int injected = alloc_fail_injected();
        alloc_fail_reset();
        if (st == FUTURL_ENOMEM) {
            enomem++;
            for (int i = 0; i < N; i++)
                ck_assert_msg(fs[i] == NULL, "allocation %lu: ENOMEM with fs[%d] set", k,
                              i);
            continue;
        }
        ck_assert_msg(st == FUTURL_OK, "allocation %lu: %s", k, futurl_err_name(st));
        for (int i = 0; i < N; i++) {
            futurl_status want = i == 1   ? FUTURL_ESCHEME
                                 : i == 2 ? FUTURL_EINVAL
                                          : FUTURL_ESHUTDOWN;
            futurl_status got = futurl_future_status(fs[i]);
            ck_assert_msg(got == want || (injected && got == FUTURL_ENOMEM),
                          "allocation %lu, url %d: %s, want %s", k, i,
                          futurl_err_name(got), futurl_err_name(want));
            futurl_future_free(fs[i]);
        }
        if (!injected)
            break;
    }
    /* Whether a whole call can fail depends on whether a future's cell
     * comes from a fresh slab; the outcomes above hold either way. */
    ck_assert_msg(k > 1 && k < 1000, "%lu allocations (%d calls failed FUTURL_ENOMEM)",
                  k - 1, enomem);
    futurl_client_destroy(c);
}
END_TEST

/* futurl_get_all with the nth allocation failing: the call either fails
 * (FUTURL_ENOMEM, or what making its client returns) with every fs[i]
 * NULL, or every URL ends with exactly one finished future, and the
 * call's client is gone either way (LSan and valgrind see the rest). */
START_TEST(get_all_out_of_memory) {
    const char *urls[] = {"http://127.0.0.1:1/a", "ftp://x/", NULL};
    enum { N = sizeof urls / sizeof urls[0] };
    static const futurl_status want[N] = {FUTURL_ECONNECT, FUTURL_ESCHEME, FUTURL_EINVAL};
    const futurl_request_options once = {.max_attempts = 1}; /* no retry waits */
    unsigned long k;
    int failed_calls = 0;
    for (k = 1; k < 5000; k++) {
        futurl_future *fs[N];
        alloc_fail_reset();
        alloc_fail_at(k);
        futurl_status st = futurl_get_all(urls, N, &once, fs, NULL);
        int injected = alloc_fail_injected();
        alloc_fail_reset();
        if (st != FUTURL_OK) {
            ck_assert_msg(injected && (st == FUTURL_ENOMEM || st == FUTURL_ECURL),
                          "allocation %lu: %s", k, futurl_err_name(st));
            failed_calls++;
            for (int i = 0; i < N; i++)
                ck_assert_msg(fs[i] == NULL, "allocation %lu: %s with fs[%d] set", k,
                              futurl_err_name(st), i);
            continue;
        }
        for (int i = 0; i < N; i++) {
            ck_assert_msg(futurl_future_done(fs[i]), "allocation %lu: url %d unfinished",
                          k, i);
            futurl_status got = futurl_future_status(fs[i]);
            ck_assert_msg(got == want[i] || (injected && got != FUTURL_OK),
                          "allocation %lu, url %d: %s, want %s", k, i,
                          futurl_err_name(got), futurl_err_name(want[i]));
            futurl_future_free(fs[i]);
        }
        if (!injected)
            break;
    }
    ck_assert_msg(k > 1 && k < 5000 && failed_calls > 0,
                  "%lu allocations, %d calls failed", k - 1, failed_calls);
}
END_TEST

static Suite *alloc_suite(void) {
    Suite *s = suite_create("alloc");
    TCase *tc = tcase_create("machinery");
    tcase_set_timeout(tc, 10);
    tcase_add_test(tc, nth_allocation_fails_once);
    tcase_add_test(tc, libcurl_and_cjson_allocations_are_counted);
    suite_add_tcase(s, tc);

    tc = tcase_create("defects");
    tcase_set_timeout(tc, 60);
    tcase_add_unchecked_fixture(tc, start_fault, stop_fault);
    tcase_add_test(tc, json_out_of_memory_is_not_cached);
    tcase_add_test(tc, completion_queue_out_of_memory);
    tcase_add_test(tc, json_path_out_of_memory);
    tcase_add_test(tc, gather_get_out_of_memory);
    tcase_add_test(tc, get_all_out_of_memory);
    tcase_add_test(tc, worker_makes_its_handle_at_the_next_request);
    tcase_add_test(tc, slot_is_given_back_by_a_worker_without_handle);
    suite_add_tcase(s, tc);
    return s;
}

int main(void) {
    /* Before anything else initialises libcurl (alloc_fail.h). */
    if (alloc_fail_install_curl() != 0) {
        fprintf(stderr, "test_alloc: curl_global_init_mem failed\n");
        return EXIT_FAILURE;
    }
    alloc_fail_install_cjson();
    SRunner *sr = srunner_create(alloc_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    cJSON_InitHooks(NULL);
    curl_global_cleanup();
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
