/*
 * as_completed — handle responses fastest first; race two requests.
 *
 * Handle each response as soon as it arrives, instead of in the order the
 * requests were made; then race two requests and keep only the winner.
 *
 * Python (seed 002, "Using asyncio.as_completed"; seed 000, zyte-api's
 * `iter`, which "yields results as they come, not necessarily in their
 * original order"):
 *
 *     for coro in asyncio.as_completed(tasks):
 *         result = await coro
 *         print("Completed:", result["url"])
 *
 *     done, pending = await asyncio.wait(tasks, return_when=FIRST_COMPLETED)
 *     for t in pending: t.cancel()
 *
 * futurl_as_completed_next() blocks until some future of the set has
 * finished and yields it with its index in your array, so you know which
 * request it was. The futures stay yours: the iterator only borrows them,
 * and you free them after it. futurl_wait_any() is the one-shot version:
 * the index of the first future to finish.
 *
 * Run:  build/plain/examples/as_completed [BASE_URL]
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

/* GET every url; on failure free what was submitted. */
static int submit_all(futurl_client *c, const char *const *urls, size_t n,
                      futurl_future **fs) {
    for (size_t i = 0; i < n; i++) {
        futurl_status st = futurl_get(c, urls[i], &fs[i]);
        if (st != FUTURL_OK) {
            fprintf(stderr, "submit %s: %s\n", urls[i], futurl_strerror(st));
            while (i > 0)
                futurl_future_free(fs[--i]);
            return -1;
        }
    }
    return 0;
}

/* Submitted slowest first; they come back fastest first. */
static int in_completion_order(futurl_client *c) {
    static const char *const urls[] = {"/delay/2", "/delay/1", "/get"};
    enum { N = sizeof urls / sizeof urls[0] };
    futurl_future *fs[N];
    if (submit_all(c, urls, N, fs) != 0)
        return -1;

    int rc = 0;
    double t0 = now();
    futurl_as_completed *it;
    futurl_status st = futurl_as_completed_new(fs, N, 10000, &it); /* 10 s deadline */
    if (st != FUTURL_OK) {
        fprintf(stderr, "as_completed: %s\n", futurl_strerror(st));
        rc = -1;
    } else {
        futurl_future *f;
        size_t i;
        /* At most N turns: each future is yielded exactly once. */
        while ((st = futurl_as_completed_next(it, &f, &i)) == FUTURL_OK) {
            if (futurl_future_status(f) == FUTURL_OK)
                printf("  %5.2f s  %-9s HTTP %ld\n", now() - t0, urls[i],
                       futurl_response_status(futurl_future_response(f)));
            else
                printf("  %5.2f s  %-9s %s\n", now() - t0, urls[i],
                       futurl_future_errmsg(f));
        }
        if (st != FUTURL_EEXHAUSTED) { /* FUTURL_EPENDING: the deadline passed first */
            fprintf(stderr, "as_completed: %s\n", futurl_strerror(st));
            rc = -1;
        }
        futurl_as_completed_free(it);
    }
    for (size_t i = 0; i < N; i++)
        futurl_future_free(fs[i]); /* a still-running one is detached and ends alone */
    return rc;
}

/* Ask two "replicas" the same question; keep the first answer and cancel
 * the other, so it stops holding a worker and a connection. */
static int first_wins(futurl_client *c) {
    static const char *const urls[] = {"/delay/2?replica=slow",
                                       "/delay/0.2?replica=fast"};
    enum { N = sizeof urls / sizeof urls[0] };
    futurl_future *fs[N];
    if (submit_all(c, urls, N, fs) != 0)
        return -1;

    double t0 = now();
    size_t first = N;
    futurl_status st = futurl_wait_any(fs, N, 5000, FUTURL_FIRST_COMPLETED, &first);
    int rc = -1;
    if (st != FUTURL_OK || first == N) {
        fprintf(stderr, "wait_any: %s\n", futurl_strerror(st));
    } else {
        printf("  %5.2f s  winner: %s (%s)\n", now() - t0, urls[first],
               futurl_future_status(fs[first]) == FUTURL_OK ? "ok" : "failed");
        for (size_t i = 0; i < N; i++)
            if (i != first && futurl_future_cancel(fs[i]))
                printf("  %5.2f s  cancelled the loser: %s\n", now() - t0, urls[i]);
        rc = 0;
    }
    for (size_t i = 0; i < N; i++)
        futurl_future_free(fs[i]);
    return rc;
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

    printf("as completed (submitted slowest first):\n");
    int rc = in_completion_order(client);
    if (rc == 0) {
        printf("first completed wins:\n");
        rc = first_wins(client);
    }
    /* Destroy drains: it also waits for the cancelled loser to wind down. */
    futurl_client_destroy(client);
    return rc == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
