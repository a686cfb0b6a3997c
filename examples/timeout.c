/*
 * timeout — three ways to stop waiting for a slow server.
 *
 * Python (seed 003, "Timeout Patterns"):
 *
 *     r = await session.get(url, timeout=1.0)                 # the request's own
 *     r = await asyncio.wait_for(session.get(url), timeout=1.0)  # the waiter's
 *     done, pending = await asyncio.wait(tasks, timeout=1.0)    # a batch's
 *
 * 1. The waiter's timeout: futurl_future_wait_for(f, 1000). Unlike
 *    asyncio.wait_for it does not cancel anything: it only stops waiting,
 *    returns FUTURL_EPENDING, and the request keeps running (you might
 *    wait again, or show a spinner). FUTURL_ETIMEDOUT from it is an
 *    outcome: the request ended by its own timeout. To give up, cancel
 *    it: a running transfer is aborted — within about a second while the
 *    server is silent, at once while data flows — and the future ends
 *    CANCELLED.
 * 2. The request's own limits. futurl_request_set_timeout() bounds one
 *    attempt: the worker gives up by itself and the future ends FAILED with
 *    FUTURL_ETIMEDOUT. Every request has one (30 s by default), so a worker
 *    is never lost to a server that never answers. But a timed-out attempt
 *    is retried (the client's retry policy), so what bounds the whole
 *    request — queue wait, backoff, every attempt — is a deadline:
 *    futurl_request_set_deadline() (or the client's deadline_ms).
 * 3. A deadline for a batch: futurl_gather(fs, n, 1000,
 *    FUTURL_CANCEL_ON_TIMEOUT): what has not finished by then is cancelled.
 *
 * Run:  build/plain/examples/timeout [BASE_URL]
 */
#define _POSIX_C_SOURCE 200809L /* clock_gettime */

#include <futurl.h>

#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#define DEFAULT_BASE "http://127.0.0.1:8765" /* where `make serve` listens */

/* Seconds on a clock that never jumps. */
static double now(void) {
    struct timespec ts;
    if (clock_gettime(CLOCK_MONOTONIC, &ts) != 0)
        return 0.0;
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Exit early, and say how to fix it, when no server answers at base. */
static int server_is_up(futurl_client *c, const char *base, const char *prog) {
    futurl_future *f = NULL;
    futurl_status st = futurl_get(c, "/get", &f);
    if (st == FUTURL_OK)
        st = futurl_future_wait(f);
    futurl_future_free(f);
    if (st == FUTURL_OK)
        return 1;
    fprintf(stderr,
            "No HTTP server answers at %s (%s).\n"
            "Start the local one in another terminal with `make serve`,\n"
            "or pass a base URL: %s http://127.0.0.1:PORT\n",
            base, futurl_strerror(st), prog);
    return 0;
}

/* 1. Stop waiting after 1 s, then cancel. */
static int wait_then_cancel(futurl_client *c) {
    futurl_future *f;
    futurl_status st = futurl_get(c, "/delay/5", &f);
    if (st != FUTURL_OK) {
        fprintf(stderr, "submit: %s\n", futurl_strerror(st));
        return -1;
    }
    double t0 = now();
    st = futurl_future_wait_for(f, 1000);
    printf("  wait_for(1 s) after %.2f s: %s, request still running: %s\n", now() - t0,
           futurl_err_name(st), futurl_future_done(f) ? "no" : "yes");

    int rc = -1;
    if (st == FUTURL_EPENDING) { /* not finished: the return value says so */
        double t1 = now();
        /* 1: it was still queued or running, so the cancel took effect. */
        int cancelled = futurl_future_cancel(f);
        st = futurl_future_wait(f); /* the worker notices and aborts */
        printf("  cancel() = %d: ended %s after %.2f s more\n", cancelled,
               futurl_err_name(st), now() - t1);
        rc = st == FUTURL_ECANCELED ? 0 : -1;
    }
    futurl_future_free(f);
    return rc;
}

/* GET /delay/5 with a per-attempt timeout, a retry policy and a deadline
 * (0: none); print how it ended. Returns the outcome. */
static futurl_status limited_get(futurl_client *c, long timeout_ms, unsigned attempts,
                                 long deadline_ms) {
    futurl_retry_policy retry;
    futurl_retry_policy_init(&retry);
    retry.max_attempts = attempts;
    futurl_request *r;
    futurl_status st = futurl_request_new("GET", "/delay/5", &r);
    if (st == FUTURL_OK &&
        ((st = futurl_request_set_timeout(r, timeout_ms)) != FUTURL_OK ||
         (st = futurl_request_set_retry(r, &retry)) != FUTURL_OK ||
         (st = futurl_request_set_deadline(r, deadline_ms)) != FUTURL_OK))
        futurl_request_free(r);
    futurl_future *f = NULL;
    if (st == FUTURL_OK)
        st = futurl_client_submit(c, r, &f);
    if (st != FUTURL_OK) {
        fprintf(stderr, "request: %s\n", futurl_strerror(st));
        return st;
    }
    double t0 = now();
    st = futurl_future_wait(f);
    const futurl_response *resp = futurl_future_response(f);
    printf("  after %.2f s and %u attempt(s): %s: %s\n", now() - t0,
           resp != NULL ? futurl_response_attempts(resp) : 0, futurl_err_name(st),
           futurl_future_errmsg(f));
    futurl_future_free(f);
    return st;
}

/* 2. The request's own limits. A timeout bounds one attempt; a timed-out
 * attempt is retried, so a deadline is what bounds the whole request. */
static int request_limits(futurl_client *c) {
    if (limited_get(c, 1000, 1, 0) != FUTURL_ETIMEDOUT) /* 1 s, no retries */
        return -1;
    /* Up to 3 attempts of 1 s each, but never more than 1.5 s in all. */
    return limited_get(c, 1000, 3, 1500) == FUTURL_ETIMEDOUT ? 0 : -1;
}

/* 3. One deadline for three requests. */
static int batch_deadline(futurl_client *c) {
    static const char *const urls[] = {"/delay/0.2", "/delay/5", "/delay/0.5"};
    enum { N = sizeof urls / sizeof urls[0] };
    futurl_future *fs[N];
    size_t n = 0;
    for (; n < N; n++) {
        futurl_status st = futurl_get(c, urls[n], &fs[n]);
        if (st != FUTURL_OK) {
            fprintf(stderr, "submit: %s\n", futurl_strerror(st));
            break;
        }
    }
    double t0 = now();
    futurl_gather_counts counts = {0};
    futurl_status st = futurl_gather(fs, n, 1000, FUTURL_CANCEL_ON_TIMEOUT, &counts);
    printf("  gather(1 s) after %.2f s: %s\n", now() - t0, futurl_err_name(st));
    for (size_t i = 0; i < n; i++) {
        futurl_state s = futurl_future_state(fs[i]);
        printf("    %-11s %s\n", urls[i],
               s == FUTURL_DONE        ? "done"
               : s == FUTURL_CANCELLED ? "cancelled"
                                       : "failed");
    }
    for (size_t i = 0; i < n; i++)
        futurl_future_free(fs[i]);
    return n == N && st == FUTURL_ETIMEDOUT && counts.ok == 2 && counts.cancelled == 1
               ? 0
               : -1;
}

int main(int argc, char **argv) {
    const char *base = argc > 1 ? argv[1] : DEFAULT_BASE;

    futurl_client_options opts;
    futurl_client_options_init(&opts);
    opts.base_url = base;
    futurl_client *client;
    futurl_status st = futurl_client_create(&opts, &client);
    if (st != FUTURL_OK) {
        fprintf(stderr, "cannot create the client: %s\n", futurl_strerror(st));
        return EXIT_FAILURE;
    }
    if (!server_is_up(client, base, argv[0])) {
        futurl_client_destroy(client);
        return EXIT_FAILURE;
    }

    printf("1. the waiter's timeout, then cancel (asyncio.wait_for):\n");
    fflush(stdout);
    int rc = wait_then_cancel(client);
    if (rc == 0) {
        printf(
            "2. the request's own timeout (get(url, timeout=1.0)), then a deadline:\n");
        fflush(stdout);
        rc = request_limits(client);
    }
    if (rc == 0) {
        printf("3. a deadline for a batch (asyncio.wait(tasks, timeout=1.0)):\n");
        fflush(stdout);
        rc = batch_deadline(client);
    }
    futurl_client_destroy(client);
    return rc == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
