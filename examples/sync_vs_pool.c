/*
 * sync_vs_pool — N slow requests one after another, then on the pool.
 *
 * Why a pool: the same requests timed both ways, and the speedup.
 *
 * Python (seed 002, "Comparison: Sync vs Async"; seed 004, "Why Async API
 * Calls Matter"):
 *
 *     for i in range(5): client.get(URL + "/delay/1")            # ~5 s
 *     await asyncio.gather(*[aclient.get(URL + "/delay/1") for i in range(5)])
 *                                                                 # ~1 s
 *
 * The requests spend their time waiting on the server, not on the CPU, so
 * N workers can wait for N responses at the same time: the wall time of
 * the batch is that of its slowest request, not the sum. Both runs below
 * use the same client; the first simply waits for each request before it
 * submits the next one, so only one worker is ever busy.
 *
 * Run:  build/plain/examples/sync_vs_pool [BASE_URL [N [DELAY_SECONDS]]]
 *       (defaults: the `make serve` server, N = 5, DELAY = 1)
 */
#define _POSIX_C_SOURCE 200809L /* clock_gettime */

#include <futurl.h>

#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#define DEFAULT_BASE "http://127.0.0.1:8765" /* where `make serve` listens */
#define MAX_N        32 /* `make serve` runs httpbin with 32 threads */

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

/* The requests one after another, as a blocking client does them. */
static int run_sequential(futurl_client *c, const char *path, int n) {
    for (int i = 0; i < n; i++) {
        futurl_future *f;
        futurl_status st = futurl_get(c, path, &f);
        if (st != FUTURL_OK) {
            fprintf(stderr, "submit: %s\n", futurl_strerror(st));
            return -1;
        }
        st = futurl_future_wait(f); /* the next request waits for this one */
        if (st != FUTURL_OK)
            fprintf(stderr, "GET %s: %s\n", path, futurl_future_errmsg(f));
        futurl_future_free(f);
        if (st != FUTURL_OK)
            return -1;
    }
    return 0;
}

/* The same requests all submitted first, then waited for together. */
static int run_on_pool(futurl_client *c, const char *path, int n) {
    futurl_future *fs[MAX_N];
    int submitted = 0, rc = 0;
    for (; submitted < n; submitted++) {
        futurl_status st = futurl_get(c, path, &fs[submitted]);
        if (st != FUTURL_OK) {
            fprintf(stderr, "submit: %s\n", futurl_strerror(st));
            rc = -1;
            break;
        }
    }
    futurl_gather_counts counts = {0};
    futurl_status st = futurl_gather(fs, (size_t)submitted, -1, 0, &counts);
    if (st != FUTURL_OK || counts.ok != (size_t)submitted) {
        fprintf(stderr, "gather: %s, %zu of %d requests failed\n", futurl_strerror(st),
                counts.failed + counts.cancelled, submitted);
        rc = -1;
    }
    for (int i = 0; i < submitted; i++)
        futurl_future_free(fs[i]);
    return rc;
}

int main(int argc, char **argv) {
    const char *base = argc > 1 ? argv[1] : DEFAULT_BASE;
    char *end = NULL;
    long n = argc > 2 ? strtol(argv[2], &end, 10) : 5;
    const char *delay = argc > 3 ? argv[3] : "1";
    if (n < 1 || n > MAX_N || (end != NULL && *end != '\0')) {
        fprintf(stderr, "usage: %s [BASE_URL [N (1..%d) [DELAY_SECONDS]]]\n", argv[0],
                MAX_N);
        return EXIT_FAILURE;
    }
    char path[64];
    snprintf(path, sizeof path, "/delay/%s", delay);

    /* One worker per request, so the whole batch can be in flight at once. */
    futurl_client_options opts;
    futurl_client_options_init(&opts);
    opts.base_url = base;
    opts.workers = (unsigned)n;
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

    printf("%ld requests to %s%s\n", n, base, path);
    fflush(stdout); /* show the header while the slow part runs */
    double t0 = now();
    int rc = run_sequential(client, path, (int)n);
    double sequential = now() - t0;
    if (rc == 0) {
        printf("  one after another: %6.2f s\n", sequential);
        fflush(stdout);
        t0 = now();
        rc = run_on_pool(client, path, (int)n);
    }
    double pooled = now() - t0;
    if (rc == 0) {
        printf("  all on the pool:   %6.2f s  (%u workers)\n", pooled,
               futurl_executor_workers(futurl_client_executor(client)));
        printf("  speedup:           %6.2fx\n", sequential / pooled);
    }
    futurl_client_destroy(client);
    return rc == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
