/*
 * background — start a request, do other work, collect it later.
 *
 * Python (seed 003, "Using asyncio.create_task() for Background Requests"):
 *
 *     task = asyncio.create_task(background_fetch(session, URL + "/delay/2"))
 *     print("Doing other work...")
 *     await asyncio.sleep(1)
 *     print("Still doing other work...")
 *     result = await task
 *
 * A submitted request is already running on a worker: there is no event
 * loop to hand control to, so "other work" is just your code, on your
 * thread, running truly in parallel with the transfer. Check on the
 * request without blocking with futurl_future_done(), or block for a
 * bounded time with futurl_future_wait_for() — which also makes a good
 * "sleep that wakes early": it returns the moment the request finishes.
 *
 * Run:  build/plain/examples/background [BASE_URL]
 */
#define _POSIX_C_SOURCE 200809L /* clock_gettime */

#include <futurl.h>

#include <cjson/cJSON.h>
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

/* Some honest CPU work for the main thread: primes in [from, to). */
static long count_primes(long from, long to) {
    long n = 0;
    for (long i = from < 2 ? 2 : from; i < to; i++) {
        int prime = 1;
        for (long d = 2; d * d <= i && prime; d++)
            prime = i % d != 0;
        n += prime;
    }
    return n;
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

    /* create_task: from here on the request runs without us. */
    double t0 = now();
    futurl_future *task;
    if ((st = futurl_get(client, "/delay/2?task=background", &task)) != FUTURL_OK) {
        fprintf(stderr, "submit: %s\n", futurl_strerror(st));
        futurl_client_destroy(client);
        return EXIT_FAILURE;
    }
    printf("%4.2f s  request started in the background\n", now() - t0);

    /* Other work, in slices, checking on the request between them. The
     * loop is bounded: at most 20 slices, whatever the server does. */
    long primes = 0, next = 0;
    for (int slice = 0; slice < 20 && !futurl_future_done(task); slice++) {
        primes += count_primes(next, next + 20000);
        next += 20000;
        printf("%4.2f s  other work: %ld primes below %ld so far\n", now() - t0, primes,
               next);
        fflush(stdout);
        /* Pause up to 250 ms; returns early if the request finishes. */
        if (futurl_future_wait_for(task, 250) != FUTURL_EPENDING)
            break;
    }

    /* await task */
    int rc = EXIT_FAILURE;
    st = futurl_future_wait(task);
    if (st == FUTURL_OK) {
        const futurl_response *resp = futurl_future_response(task);
        const cJSON *args =
            cJSON_GetObjectItemCaseSensitive(futurl_response_json(resp), "args");
        const cJSON *name = cJSON_GetObjectItemCaseSensitive(args, "task");
        printf("%4.2f s  background request finished: HTTP %ld, task=%s\n", now() - t0,
               futurl_response_status(resp),
               cJSON_IsString(name) ? name->valuestring : "?");
        rc = EXIT_SUCCESS;
    } else {
        fprintf(stderr, "background request failed: %s\n", futurl_future_errmsg(task));
    }
    futurl_future_free(task);
    futurl_client_destroy(client);
    return rc;
}
