/*
 * gather — wait for several requests; failures are values, not aborts.
 *
 * Python (seed 003, "Concurrent Requests with Error Handling"; seed 004):
 *
 *     results = await asyncio.gather(*tasks, return_exceptions=True)
 *     for url, result in zip(urls, results):
 *         if isinstance(result, Exception): print(url, "Error -", result)
 *         else:                             print(url, result.status_code)
 *
 * futurl_gather() is that call: it returns once every future has finished,
 * whatever their outcomes, and each future then holds its own: a status, a
 * message, and (for HTTP) the response. Note what counts as a failure: a
 * 404 is an answer from the server, so that future is DONE with status 404;
 * it becomes a failure only with raise_for_status (Python's
 * response.raise_for_status()). Timeouts and refused connections are
 * failures, each with its own code and message.
 *
 * The second half shows the opposite policy, "fail fast": with
 * FUTURL_CANCEL_ON_ERROR the first failure cancels the requests still
 * running (concurrent.futures.wait(return_when=FIRST_EXCEPTION) + cancel).
 * A transfer that is waiting for its server notices the cancellation
 * within about a second, and gather returns once all have ended.
 *
 * Run:  build/plain/examples/gather [BASE_URL]
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

/* One request of the batch and what it is meant to show. */
typedef struct job {
    const char *url;      /* relative to the base URL, or absolute */
    long timeout_ms;      /* 0: the client's (30 s) */
    int raise_for_status; /* 1: a status >= 400 fails the future */
    const char *note;
} job;

/* GET job->url with its per-request settings. */
static futurl_status submit_job(futurl_client *c, const job *j, futurl_future **out) {
    futurl_request *r;
    futurl_status st = futurl_request_new("GET", j->url, &r);
    if (st != FUTURL_OK)
        return st;
    if (j->timeout_ms > 0)
        st = futurl_request_set_timeout(r, j->timeout_ms);
    if (st == FUTURL_OK)
        st = futurl_request_set_raise_for_status(r, j->raise_for_status);
    if (st != FUTURL_OK) {
        futurl_request_free(r);
        return st;
    }
    return futurl_client_submit(c, r, out); /* takes r, also on failure */
}

/* Submit every job, gather with flags, print one line per job. */
static int run_batch(futurl_client *c, const job *jobs, size_t n, unsigned flags) {
    futurl_future *fs[8] = {NULL};
    size_t submitted = 0;
    for (; submitted < n && submitted < 8; submitted++) {
        futurl_status st = submit_job(c, &jobs[submitted], &fs[submitted]);
        if (st != FUTURL_OK) {
            fprintf(stderr, "submit %s: %s\n", jobs[submitted].url, futurl_strerror(st));
            break;
        }
    }

    double t0 = now();
    futurl_gather_counts counts = {0};
    futurl_status st = futurl_gather(fs, submitted, -1, flags, &counts);
    double took = now() - t0;

    for (size_t i = 0; i < submitted; i++) {
        const futurl_response *resp = futurl_future_response(fs[i]);
        long code = resp != NULL ? futurl_response_status(resp) : 0;
        switch (futurl_future_state(fs[i])) {
        case FUTURL_DONE:
            printf("  %-22s ok         HTTP %ld  %s\n", jobs[i].url, code, jobs[i].note);
            break;
        case FUTURL_FAILED:
            /* The response is there too when the server did answer. */
            printf("  %-22s failed     %s  %s\n", jobs[i].url,
                   futurl_err_name(futurl_future_status(fs[i])), jobs[i].note);
            printf("  %-22s            \"%s\"%s\n", "", futurl_future_errmsg(fs[i]),
                   code != 0 ? " (response kept)" : "");
            break;
        case FUTURL_CANCELLED:
            printf("  %-22s cancelled  %s\n", jobs[i].url, jobs[i].note);
            break;
        default: /* gather without a deadline returns only when all finished */
            break;
        }
    }
    printf("  -> %zu ok, %zu failed, %zu cancelled in %.2f s\n", counts.ok, counts.failed,
           counts.cancelled, took);

    for (size_t i = 0; i < submitted; i++)
        futurl_future_free(fs[i]);
    return st == FUTURL_OK && submitted == n ? 0 : -1;
}

int main(int argc, char **argv) {
    const char *base = argc > 1 ? argv[1] : DEFAULT_BASE;

    futurl_client_options opts;
    futurl_client_options_init(&opts);
    opts.base_url = base;
    /* No retries: here every failure should show at its first occurrence
     * (retry.c shows the client's retry policy at work). */
    opts.retry.max_attempts = 1;
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

    static const job keep_going[] = {
        {"/get", 0, 0, "a plain GET"},
        {"/status/404", 0, 0, "an answer, not an error"},
        {"/status/500", 0, 1, "raise_for_status is on"},
        {"/delay/3", 1000, 0, "its timeout is 1 s"},
        {"http://127.0.0.1:1/", 0, 0, "nothing listens on port 1"},
        {"/uuid", 0, 0, "unaffected by the others"},
    };
    printf("gather, failures as values (return_exceptions=True):\n");
    int rc = run_batch(client, keep_going, sizeof keep_going / sizeof keep_going[0], 0);

    static const job fail_fast[] = {
        {"/delay/3", 0, 0, "stopped by the failure"},
        {"/status/503", 0, 1, "fails at once"},
        {"/delay/3", 0, 0, "stopped by the failure"},
    };
    printf("gather, fail fast (FUTURL_CANCEL_ON_ERROR):\n");
    if (rc == 0)
        rc = run_batch(client, fail_fast, sizeof fail_fast / sizeof fail_fast[0],
                       FUTURL_CANCEL_ON_ERROR);

    futurl_client_destroy(client);
    return rc == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
