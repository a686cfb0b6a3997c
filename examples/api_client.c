/*
 * api_client — a reusable API client: limit, retries, aggregation.
 *
 * A small API client over futurl with a base URL, a concurrency limit,
 * retries with backoff and results as owned JSON; and a data-aggregation
 * call that combines three requests into one report.
 *
 * Python (seed 004, "Building an Async API Client Class" and "Data
 * Aggregation"; seed 002, "API Aggregator"):
 *
 *     class AsyncAPIClient:
 *         def __init__(self, base_url, max_concurrent=10, max_retries=3): ...
 *         async def get(self, endpoint): ...       # semaphore + retry loop
 *         async def get_many(self, endpoints):
 *             return await asyncio.gather(*[self.get(e) for e in endpoints],
 *                                         return_exceptions=True)
 *
 * How the Python pieces map:
 *   - async with / __aexit__  -> api_open() / api_close()
 *   - the Semaphore           -> the pool: workers = max_concurrent
 *   - the retry loop          -> rounds: submit everything still to do,
 *                                gather, keep what succeeded, back off, and
 *                                resubmit only the retryable failures. Each
 *                                round runs concurrently; no worker ever
 *                                sleeps. (futurl's own retry policy is
 *                                planned; this is the pattern by hand.)
 *   - return_exceptions=True  -> an api_result per path: JSON or a status.
 *
 * Ownership: api_get_many() hands back JSON the caller owns (a copy, since
 * a response's parsed JSON dies with its future) — free it with
 * api_results_free(). api_whoami() returns a new cJSON object.
 *
 * Run:  build/plain/examples/api_client [BASE_URL]
 */
#define _POSIX_C_SOURCE 200809L /* nanosleep */

#include <futurl.h>

#include <cjson/cJSON.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#define DEFAULT_BASE "http://127.0.0.1:8765" /* where `make serve` listens */

/* ===================================================== the reusable part */

typedef struct api_client {
    futurl_client *http; /* its pool size is the concurrency limit */
    int max_attempts;    /* per path, the first included */
    long backoff_ms;     /* wait before round 2; doubles each round */
} api_client;

typedef struct api_result {
    cJSON *json;          /* new, the caller's; NULL unless status is FUTURL_OK */
    futurl_status status; /* FUTURL_OK, or how the last attempt failed */
    long http_status;     /* of the last attempt; 0 if no response arrived */
    int attempts;
} api_result;

static futurl_status api_open(api_client *api, const char *base_url,
                              unsigned max_concurrent, int max_attempts) {
    static const char *const headers[] = {"Accept: application/json", NULL};
    futurl_client_options opts;
    futurl_client_options_init(&opts);
    opts.base_url = base_url;
    opts.workers = max_concurrent;
    opts.headers = headers;
    opts.user_agent = "futurl-api-example/1.0";
    opts.timeout_ms = 5000;
    opts.raise_for_status = 1; /* 4xx and 5xx are failures for this API */
    api->max_attempts = max_attempts;
    api->backoff_ms = 100;
    return futurl_client_create(&opts, &api->http);
}

static void api_close(api_client *api) {
    futurl_client_destroy(api->http);
    api->http = NULL;
}

static void api_results_free(api_result *res, size_t n) {
    for (size_t i = 0; i < n; i++) {
        cJSON_Delete(res[i].json);
        res[i].json = NULL;
    }
}

/* Worth another attempt: no answer, or the server said "later". */
static int api_retryable(futurl_status st, long http_status) {
    if (st == FUTURL_EHTTP)
        return http_status == 429 || http_status >= 500;
    return st == FUTURL_ETIMEDOUT || st == FUTURL_ECONNECT || st == FUTURL_ENETWORK;
}

static void api_sleep_ms(long ms) {
    struct timespec left = {ms / 1000, (ms % 1000) * 1000000L};
    while (nanosleep(&left, &left) != 0 && errno == EINTR)
        ;
}

/* Record one finished attempt in res; 1 if it should be tried again. */
static int api_settle(api_result *res, futurl_future *f) {
    const futurl_response *resp = futurl_future_response(f);
    res->attempts++;
    res->status = futurl_future_status(f);
    res->http_status = resp != NULL ? futurl_response_status(resp) : 0;
    if (res->status == FUTURL_OK) {
        /* Copy: the response, and the JSON it parsed, go with the future. */
        const cJSON *json = futurl_response_json(resp);
        res->json = json != NULL ? cJSON_Duplicate(json, 1) : NULL;
        if (res->json == NULL)
            res->status = json == NULL ? FUTURL_EJSON : FUTURL_ENOMEM;
        return 0;
    }
    return api_retryable(res->status, res->http_status);
}

/* GET every path concurrently, with retries; one result per path. Returns
 * how many succeeded. */
static size_t api_get_many(api_client *api, const char *const *paths, size_t n,
                           api_result *out) {
    /* Per round: fs[k] is the request for paths[which[k]]; again[i] says
     * paths[i] failed in a way worth another attempt. */
    futurl_future **fs = calloc(n, sizeof *fs);
    size_t *which = calloc(n, sizeof *which);
    int *again = calloc(n, sizeof *again);
    int no_memory = fs == NULL || which == NULL || again == NULL;
    for (size_t i = 0; i < n; i++)
        out[i] = (api_result){.status = no_memory ? FUTURL_ENOMEM : FUTURL_EPENDING};

    for (int round = 1; !no_memory && round <= api->max_attempts; round++) {
        size_t k = 0;
        for (size_t i = 0; i < n; i++) {
            if (out[i].status != FUTURL_EPENDING && !again[i])
                continue;
            futurl_status st = futurl_get(api->http, paths[i], &fs[k]);
            if (st != FUTURL_OK) {
                out[i].status = st; /* e.g. a malformed path: final */
                again[i] = 0;
                continue;
            }
            which[k++] = i;
        }
        if (k == 0)
            break;
        /* Outcomes are read per future below. Without a deadline gather
         * fails only if it cannot allocate: then wait one by one. */
        if (futurl_gather(fs, k, -1, 0, NULL) != FUTURL_OK)
            for (size_t j = 0; j < k; j++)
                futurl_future_wait(fs[j]);

        int retry_any = 0;
        for (size_t j = 0; j < k; j++) {
            size_t i = which[j];
            again[i] = api_settle(&out[i], fs[j]) && round < api->max_attempts;
            retry_any |= again[i];
            futurl_future_free(fs[j]);
        }
        if (!retry_any)
            break;
        /* Exponential backoff with full jitter before the next round. */
        long bound = api->backoff_ms << (round - 1);
        api_sleep_ms((long)((double)rand() / ((double)RAND_MAX + 1.0) * (double)bound));
    }

    size_t ok = 0;
    for (size_t i = 0; i < n; i++)
        ok += out[i].status == FUTURL_OK;
    free(fs);
    free(which);
    free(again);
    return ok;
}

/* json[a] or json[a][b]; NULL if absent (cJSON lookups accept NULL). */
static const cJSON *json_at(const cJSON *json, const char *a, const char *b) {
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(json, a);
    return b != NULL ? cJSON_GetObjectItemCaseSensitive(v, b) : v;
}

/* Data aggregation: three services, one report — who is asking, from
 * where, under which request id. New cJSON, or NULL with the reason on
 * stderr. */
static cJSON *api_whoami(api_client *api) {
    static const char *const paths[] = {"/ip", "/user-agent", "/uuid"};
    enum { N = sizeof paths / sizeof paths[0] };
    api_result r[N];
    cJSON *report = NULL;
    if (api_get_many(api, paths, N, r) != N) {
        for (size_t i = 0; i < N; i++)
            if (r[i].status != FUTURL_OK)
                fprintf(stderr, "whoami: %s: %s\n", paths[i],
                        futurl_strerror(r[i].status));
        goto out;
    }
    const cJSON *origin = json_at(r[0].json, "origin", NULL);
    const cJSON *agent = json_at(r[1].json, "user-agent", NULL);
    const cJSON *uuid = json_at(r[2].json, "uuid", NULL);
    if (!cJSON_IsString(origin) || !cJSON_IsString(agent) || !cJSON_IsString(uuid)) {
        fprintf(stderr, "whoami: unexpected JSON\n");
        goto out;
    }
    report = cJSON_CreateObject();
    if (cJSON_AddStringToObject(report, "client_ip", origin->valuestring) == NULL ||
        cJSON_AddStringToObject(report, "user_agent", agent->valuestring) == NULL ||
        cJSON_AddStringToObject(report, "request_id", uuid->valuestring) == NULL) {
        cJSON_Delete(report); /* NULL-safe */
        report = NULL;
    }
out:
    api_results_free(r, N);
    return report;
}

/* ========================================================== the program */

int main(int argc, char **argv) {
    const char *base = argc > 1 ? argv[1] : DEFAULT_BASE;
    srand((unsigned)time(NULL)); /* jitter only */

    api_client api;
    futurl_status st = api_open(&api, base, 4, 3);
    if (st != FUTURL_OK) {
        fprintf(stderr, "cannot create the client: %s\n", futurl_strerror(st));
        return EXIT_FAILURE;
    }

    static const char *const paths[] = {"/get", "/uuid", "/status/503", "/status/404",
                                        "/ip"};
    enum { N = sizeof paths / sizeof paths[0] };
    api_result r[N];
    size_t ok = api_get_many(&api, paths, N, r);
    if (r[0].status == FUTURL_ECONNECT) {
        fprintf(stderr,
                "No HTTP server answers at %s.\n"
                "Start the local one in another terminal with `make serve`,\n"
                "or pass a base URL: %s http://127.0.0.1:PORT\n",
                base, argv[0]);
        api_results_free(r, N);
        api_close(&api);
        return EXIT_FAILURE;
    }
    printf("get_many, at most 4 at once, up to 3 attempts each:\n");
    for (size_t i = 0; i < N; i++) {
        if (r[i].status == FUTURL_OK)
            printf("  %-12s ok      after %d attempt(s), %d JSON fields\n", paths[i],
                   r[i].attempts, cJSON_GetArraySize(r[i].json));
        else
            printf("  %-12s failed  after %d attempt(s): %s (HTTP %ld)\n", paths[i],
                   r[i].attempts, futurl_err_name(r[i].status), r[i].http_status);
    }
    printf("  %zu of %d ok\n", ok, N);
    api_results_free(r, N);

    printf("whoami, aggregated from /ip, /user-agent and /uuid:\n");
    cJSON *report = api_whoami(&api);
    char *text = report != NULL ? cJSON_Print(report) : NULL;
    if (text != NULL)
        printf("%s\n", text);
    cJSON_free(text);
    cJSON_Delete(report);

    api_close(&api);
    return ok == 3 && text != NULL ? EXIT_SUCCESS : EXIT_FAILURE;
}
