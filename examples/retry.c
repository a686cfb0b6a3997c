/*
 * retry — a flaky endpoint, exponential backoff with jitter, attempts shown.
 *
 * Python (seed 004, "Retry with Exponential Backoff"):
 *
 *     for attempt in range(max_retries):
 *         try:
 *             r = await session.get(url); r.raise_for_status(); return r
 *         except (ClientError, TimeoutError):
 *             if attempt == max_retries - 1: raise
 *             await asyncio.sleep(2 ** attempt)
 *
 * Part 1 writes the pattern out by hand around plain futurl calls, with
 * the client's own retries turned off so that every attempt is ours to
 * see. Part 2 hands the same job to futurl's retry policy
 * (futurl_client_options.retry, or futurl_request_set_retry): the same
 * decisions, but a request waiting for its next attempt is parked on the
 * pool's timer and holds no thread at all. Use the policy in real code;
 * write the loop yourself when deciding needs your program's knowledge
 * (say, refreshing a token before trying again).
 *
 * Which failures to retry: those that may go away — no connection, a
 * timeout, a reset, and the statuses that mean "later" (429, 502, 503,
 * 504). Not a 404 or a 400: the same request will fail the same way.
 * How long to wait: exponential (100 ms, 200, 400, … capped) so a
 * struggling server gets air, and "full jitter" (a random delay between 0
 * and that bound) so a thousand clients that failed together do not come
 * back together. A Retry-After header, when the server sends one, wins.
 *
 * Who does what in part 1: each attempt runs on the pool; the loop, the
 * decision and the sleep run on the caller's thread. Never sleep in a
 * done-callback to retry: that would hold a worker idle for the whole wait.
 *
 * httpbin keeps no state between requests, so to get a server that fails
 * twice and then recovers we play the flaky server ourselves: attempts 1
 * and 2 go to /status/503, attempt 3 to /status/200.
 *
 * Run:  build/plain/examples/retry [BASE_URL]
 */
#define _POSIX_C_SOURCE 200809L /* nanosleep */

#include <futurl.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#define DEFAULT_BASE "http://127.0.0.1:8765" /* where `make serve` listens */

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

static void sleep_ms(long ms) {
    struct timespec left = {ms / 1000, (ms % 1000) * 1000000L};
    while (nanosleep(&left, &left) != 0 && errno == EINTR)
        ; /* a signal cut the sleep short: sleep the rest */
}

typedef struct retry_policy {
    int max_attempts; /* including the first */
    long base_ms;     /* the bound before the first retry; doubles each time */
    long cap_ms;      /* the bound never exceeds this */
} retry_policy;

/* Should this outcome be tried again? */
static int retryable(futurl_status st, long http_status) {
    switch (st) {
    case FUTURL_ETIMEDOUT:
    case FUTURL_ECONNECT:
    case FUTURL_ENETWORK:
        return 1;
    case FUTURL_EHTTP:
        return http_status == 429 || http_status == 502 || http_status == 503 ||
               http_status == 504;
    default:
        return 0;
    }
}

/* The exponential part: min(cap, base * 2^(attempt-1)). */
static long backoff_bound_ms(const retry_policy *p, int attempt) {
    long bound = p->base_ms;
    for (int i = 1; i < attempt && bound < p->cap_ms; i++)
        bound *= 2;
    return bound < p->cap_ms ? bound : p->cap_ms;
}

/* The jitter: "full jitter", uniform in [0, bound]. rand() is fine here:
 * only this thread calls it, and it needs to be spread, not secret. */
static long jitter_ms(long bound) {
    return (long)((double)rand() / ((double)RAND_MAX + 1.0) * (double)(bound + 1));
}

/* Retry-After in seconds (the HTTP-date form is left out here), or -1. */
static long retry_after_ms(const futurl_response *resp) {
    const char *v = resp != NULL ? futurl_response_header(resp, "Retry-After") : NULL;
    if (v == NULL)
        return -1;
    char *end;
    long s = strtol(v, &end, 10);
    return end != v && *end == '\0' && s >= 0 && s <= 60 ? s * 1000 : -1;
}

/* The flaky server: which URL attempt number `attempt` asks for. */
typedef const char *(*target_fn)(int attempt);
static const char *fails_twice(int attempt) {
    return attempt <= 2 ? "/status/503" : "/status/200";
}
static const char *always_503(int attempt) {
    (void)attempt;
    return "/status/503";
}
static const char *not_found(int attempt) {
    (void)attempt;
    return "/status/404";
}

/* GET with retries; returns the last attempt's outcome. */
static futurl_status get_with_retry(futurl_client *c, target_fn target,
                                    const retry_policy *p) {
    futurl_status st = FUTURL_EINVAL;
    for (int attempt = 1; attempt <= p->max_attempts; attempt++) {
        futurl_future *f;
        const char *url = target(attempt);
        if ((st = futurl_get(c, url, &f)) != FUTURL_OK) {
            fprintf(stderr, "submit: %s\n", futurl_strerror(st));
            return st;
        }
        st = futurl_future_wait(f);
        const futurl_response *resp = futurl_future_response(f);
        long code = resp != NULL ? futurl_response_status(resp) : 0;
        long wait = retry_after_ms(resp);
        futurl_future_free(f);

        printf("  attempt %d: GET %-12s -> ", attempt, url);
        if (st == FUTURL_OK) {
            printf("HTTP %ld, done\n", code);
            return st;
        }
        if (code != 0)
            printf("HTTP %ld", code);
        else
            printf("%s", futurl_err_name(st));
        if (!retryable(st, code)) {
            printf(", not worth retrying\n");
            return st;
        }
        if (attempt == p->max_attempts) {
            printf(", giving up after %d attempts\n", attempt);
            return st;
        }
        if (wait >= 0) {
            printf(", Retry-After says %ld ms\n", wait);
        } else {
            long bound = backoff_bound_ms(p, attempt);
            wait = jitter_ms(bound);
            printf(", retrying in %ld ms (random, at most %ld)\n", wait, bound);
        }
        fflush(stdout);
        sleep_ms(wait);
    }
    return st;
}

/* Part 2: the client retries by itself; the response tells what happened. */
static futurl_status get_with_policy(futurl_client *c, const char *url) {
    futurl_future *f;
    futurl_status st = futurl_get(c, url, &f);
    if (st != FUTURL_OK) {
        fprintf(stderr, "submit: %s\n", futurl_strerror(st));
        return st;
    }
    st = futurl_future_wait(f);
    const futurl_response *resp = futurl_future_response(f);
    unsigned attempts = resp != NULL ? futurl_response_attempts(resp) : 0;
    const char *why;
    for (unsigned i = 0; (why = resp ? futurl_response_retry_reason(resp, i) : NULL); i++)
        printf("  %s\n", why);
    printf("  GET %s: %s after %u attempt(s)\n", url,
           st == FUTURL_OK ? "ok" : futurl_future_errmsg(f), attempts);
    futurl_future_free(f);
    return st;
}

static futurl_client *new_client(const char *base, unsigned max_attempts) {
    futurl_client_options opts;
    futurl_client_options_init(&opts);
    opts.base_url = base;
    opts.raise_for_status = 1; /* a 503 is a failure here, so we can retry it */
    opts.retry.max_attempts = max_attempts; /* 1: the client never retries */
    opts.retry.base_delay_ms = 100;
    futurl_client *c;
    futurl_status st = futurl_client_create(&opts, &c);
    if (st != FUTURL_OK) {
        fprintf(stderr, "cannot create the client: %s\n", futurl_strerror(st));
        return NULL;
    }
    return c;
}

int main(int argc, char **argv) {
    const char *base = argc > 1 ? argv[1] : DEFAULT_BASE;
    srand((unsigned)time(NULL)); /* jitter only: any seed will do */

    futurl_client *by_hand = new_client(base, 1);
    if (by_hand == NULL)
        return EXIT_FAILURE;
    if (!server_is_up(by_hand, base, argv[0])) {
        futurl_client_destroy(by_hand);
        return EXIT_FAILURE;
    }

    const retry_policy policy = {.max_attempts = 4, .base_ms = 100, .cap_ms = 2000};
    int ok = 1;
    printf("1. by hand: a server that fails twice, then recovers:\n");
    ok &= get_with_retry(by_hand, fails_twice, &policy) == FUTURL_OK;
    printf("1. by hand: a server that stays down:\n");
    ok &= get_with_retry(by_hand, always_503, &policy) == FUTURL_EHTTP;
    printf("1. by hand: a request that is wrong:\n");
    ok &= get_with_retry(by_hand, not_found, &policy) == FUTURL_EHTTP;
    futurl_client_destroy(by_hand);

    futurl_client *with_policy = new_client(base, 4);
    if (with_policy == NULL)
        return EXIT_FAILURE;
    printf("2. futurl's retry policy: a server that stays down:\n");
    ok &= get_with_policy(with_policy, "/status/503") == FUTURL_EHTTP;
    printf("2. futurl's retry policy: a request that is wrong:\n");
    ok &= get_with_policy(with_policy, "/status/404") == FUTURL_EHTTP;
    futurl_client_destroy(with_policy);
    return ok ? EXIT_SUCCESS : EXIT_FAILURE;
}
