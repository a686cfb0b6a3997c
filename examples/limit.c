/*
 * limit — 20 requests, at most 5 in flight: the semaphore pattern.
 *
 * Python (seed 002, "With Semaphore (Rate Limiting)"; seeds 003 and 004):
 *
 *     semaphore = asyncio.Semaphore(5)
 *     async def fetch_with_limit(client, url):
 *         async with semaphore:              # only 5 coroutines get past here
 *             return await client.get(url)
 *     await asyncio.gather(*[fetch_with_limit(client, u) for u in urls])
 *
 * 1. The pool is the semaphore. A client with workers = 5 runs at most 5
 *    transfers at a time; the other 15 wait in the pool's queue, in order,
 *    and each starts when a worker frees up. Nothing else to write. (Like
 *    zyte-api's session n_conn, seed 000: one worker = one connection.)
 *
 * 2. A window over a shared pool, by hand. When the pool is bigger —
 *    because other work shares it — and one API must still see at most 5
 *    requests, keep at most 5 futures outstanding: submit 5, then submit
 *    the next one each time futurl_wait_any() reports one finished. Do not
 *    put a blocking semaphore inside jobs instead: a job waiting for a
 *    permit holds a worker thread hostage while it waits, which a
 *    coroutine does not.
 *
 * 3. The same window, kept by the client: max_per_host = 5 caps the
 *    requests in flight to each host (scheme, name and port) separately;
 *    the ones over the limit wait parked, holding no worker. (If an API
 *    counts requests per second rather than at once, that is rate_limit.)
 *
 * Each request takes 0.4 s on the server, so the completion times show the
 * limit: four waves of five, about 1.6 s in all (20 at once: 0.4 s; one at
 * a time: 8 s).
 *
 * Run:  build/plain/examples/limit [BASE_URL]
 */
#define _POSIX_C_SOURCE 200809L /* clock_gettime */

#include <futurl.h>

#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#define DEFAULT_BASE "http://127.0.0.1:8765" /* where `make serve` listens */
#define REQUESTS     20
#define LIMIT        5

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

static futurl_client *new_client(const char *base, unsigned workers,
                                 unsigned max_per_host) {
    futurl_client_options opts;
    futurl_client_options_init(&opts);
    opts.base_url = base;
    opts.workers = workers;
    opts.max_per_host = max_per_host; /* 0: no limit */
    futurl_client *c;
    futurl_status st = futurl_client_create(&opts, &c);
    if (st != FUTURL_OK) {
        fprintf(stderr, "cannot create the client: %s\n", futurl_strerror(st));
        return NULL;
    }
    return c;
}

/* GET request number i: 0.4 s on the server. */
static futurl_status get_item(futurl_client *c, int i, futurl_future **out) {
    char url[64];
    snprintf(url, sizeof url, "/delay/0.4?item=%d", i);
    return futurl_get(c, url, out);
}

/* Print when a request finished, a line per wave of LIMIT. */
static void report(futurl_future *f, int nth, double t0) {
    int ok = futurl_future_status(f) == FUTURL_OK;
    printf("%s%4.1f%s", nth % LIMIT == 0 ? "  done at" : "", now() - t0, ok ? "" : "!");
    if (nth % LIMIT == LIMIT - 1)
        printf(" s\n");
}

/* 1 and 3. All 20 submitted at once; the client does the limiting. */
static int submit_all(const char *base, unsigned workers, unsigned max_per_host) {
    futurl_client *c = new_client(base, workers, max_per_host);
    if (c == NULL)
        return -1;
    futurl_future *fs[REQUESTS];
    int n = 0, done = 0, failed = 0;
    double t0 = now();
    for (; n < REQUESTS; n++) {
        futurl_status st = get_item(c, n, &fs[n]);
        if (st != FUTURL_OK) {
            fprintf(stderr, "submit: %s\n", futurl_strerror(st));
            break;
        }
    }

    /* as_completed only to print the waves; a gather would do the limiting
     * just as well. */
    futurl_as_completed *it;
    if (futurl_as_completed_new(fs, (size_t)n, 30000, &it) == FUTURL_OK) {
        futurl_future *f;
        while (futurl_as_completed_next(it, &f, NULL) == FUTURL_OK) {
            report(f, done++, t0);
            failed += futurl_future_status(f) != FUTURL_OK;
        }
        futurl_as_completed_free(it);
    }
    printf("  %d requests in %.1f s on %u workers\n", done, now() - t0, workers);

    for (int i = 0; i < n; i++)
        futurl_future_free(fs[i]);
    futurl_client_destroy(c);
    return done == REQUESTS && failed == 0 ? 0 : -1;
}

/* 2. A pool of 20 workers, but at most LIMIT of our futures outstanding. */
static int window_of_five(const char *base) {
    futurl_client *c = new_client(base, REQUESTS, 0);
    if (c == NULL)
        return -1;
    futurl_future *window[LIMIT]; /* window[0..inflight) are outstanding */
    size_t inflight = 0;
    int next = 0, done = 0, failed = 0;
    double t0 = now();

    /* Each turn retires one request, so the loop runs REQUESTS times. */
    while (done < REQUESTS) {
        /* Top the window up to LIMIT ... */
        futurl_status st = FUTURL_OK;
        while (inflight < LIMIT && next < REQUESTS && st == FUTURL_OK)
            if ((st = get_item(c, next, &window[inflight])) == FUTURL_OK) {
                inflight++;
                next++;
            }
        /* ... then wait for any one of them to finish, and retire it. */
        size_t i;
        if (st == FUTURL_OK)
            st = futurl_wait_any(window, inflight, 30000, FUTURL_FIRST_COMPLETED, &i);
        if (st != FUTURL_OK) {
            fprintf(stderr, "window: %s\n", futurl_strerror(st));
            break;
        }
        report(window[i], done++, t0);
        failed += futurl_future_status(window[i]) != FUTURL_OK;
        futurl_future_free(window[i]);
        window[i] = window[--inflight]; /* keep the outstanding ones packed */
    }
    printf("  %d requests in %.1f s on %d workers, at most %d at once\n", done,
           now() - t0, REQUESTS, LIMIT);

    while (inflight > 0) /* only after an error */
        futurl_future_free(window[--inflight]);
    futurl_client_destroy(c);
    return done == REQUESTS && failed == 0 ? 0 : -1;
}

int main(int argc, char **argv) {
    const char *base = argc > 1 ? argv[1] : DEFAULT_BASE;

    futurl_client *probe = new_client(base, 1, 0);
    if (probe == NULL)
        return EXIT_FAILURE;
    int up = server_is_up(probe, base, argv[0]);
    futurl_client_destroy(probe);
    if (!up)
        return EXIT_FAILURE;

    printf("1. the pool is the semaphore: %d requests, %d workers\n", REQUESTS, LIMIT);
    fflush(stdout);
    int rc = submit_all(base, LIMIT, 0);
    if (rc == 0) {
        printf("2. a window of %d futures on a pool of %d workers\n", LIMIT, REQUESTS);
        fflush(stdout);
        rc = window_of_five(base);
    }
    if (rc == 0) {
        printf("3. max_per_host = %d on a pool of %d workers\n", LIMIT, REQUESTS);
        fflush(stdout);
        rc = submit_all(base, REQUESTS, LIMIT);
    }
    return rc == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
