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
 *   - the retry loop          -> the client's retry policy: 429, 5xx "later"
 *                                statuses and transport failures are tried
 *                                again with exponential backoff and jitter,
 *                                and a request waiting for its next attempt
 *                                holds no worker (retry.c writes the same
 *                                loop out by hand)
 *   - return_exceptions=True  -> an api_result per path: JSON or a status.
 *
 * Ownership: api_get_many() hands back JSON the caller owns (a copy, since
 * a response's parsed JSON dies with its future) — free it with
 * api_results_free(). api_whoami() returns a new cJSON object.
 *
 * Run:  build/plain/examples/api_client [BASE_URL]
 */
#include <futurl.h>

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>

#define DEFAULT_BASE "http://127.0.0.1:8765" /* where `make serve` listens */

/* ===================================================== the reusable part */

typedef struct api_client {
    futurl_client *http; /* its pool size is the concurrency limit */
} api_client;

typedef struct api_result {
    cJSON *json;          /* new, the caller's; NULL unless status is FUTURL_OK */
    futurl_status status; /* FUTURL_OK, or how the last attempt failed */
    long http_status;     /* of the last attempt; 0 if no response arrived */
    unsigned attempts;
} api_result;

static futurl_status api_open(api_client *api, const char *base_url,
                              unsigned max_concurrent, unsigned max_attempts) {
    static const char *const headers[] = {"Accept: application/json", NULL};
    futurl_client_options opts;
    futurl_client_options_init(&opts);
    opts.base_url = base_url;
    opts.workers = max_concurrent;
    opts.headers = headers;
    opts.user_agent = "futurl-api-example/1.0";
    opts.timeout_ms = 5000;    /* one attempt */
    opts.deadline_ms = 20000;  /* one request, retries included */
    opts.raise_for_status = 1; /* 4xx and 5xx are failures for this API */
    opts.retry.max_attempts = max_attempts;
    opts.retry.base_delay_ms = 100;
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

/* The outcome of one finished request, with its JSON copied out: the
 * response, and the JSON it parsed, go with the future. */
static api_result api_settle(futurl_future *f) {
    const futurl_response *resp = futurl_future_response(f);
    api_result res = {.status = futurl_future_status(f)};
    if (resp != NULL) {
        res.http_status = futurl_response_status(resp);
        res.attempts = futurl_response_attempts(resp);
    }
    if (res.status == FUTURL_OK) {
        const cJSON *json = futurl_response_json(resp);
        res.json = json != NULL ? cJSON_Duplicate(json, 1) : NULL;
        if (res.json == NULL)
            res.status = json == NULL ? FUTURL_EJSON : FUTURL_ENOMEM;
    }
    return res;
}

/* GET every path concurrently; one result per path, in order. Returns how
 * many succeeded. */
static size_t api_get_many(api_client *api, const char *const *paths, size_t n,
                           api_result *out) {
    futurl_future **fs = calloc(n, sizeof *fs);
    for (size_t i = 0; i < n; i++) {
        futurl_status st =
            fs != NULL ? futurl_get(api->http, paths[i], &fs[i]) : FUTURL_ENOMEM;
        out[i] = (api_result){.status = st}; /* final unless the request runs */
    }
    if (fs == NULL)
        return 0;
    /* Waiting in order costs no more than a gather: every request is
     * already running, so the total is that of the slowest. (It also skips
     * the paths whose submit failed, which gather would not accept.) */
    size_t ok = 0;
    for (size_t i = 0; i < n; i++) {
        if (fs[i] == NULL)
            continue;
        futurl_future_wait(fs[i]);
        out[i] = api_settle(fs[i]);
        ok += out[i].status == FUTURL_OK;
        futurl_future_free(fs[i]);
    }
    free(fs);
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
            printf("  %-12s ok      after %u attempt(s), %d JSON fields\n", paths[i],
                   r[i].attempts, cJSON_GetArraySize(r[i].json));
        else
            printf("  %-12s failed  after %u attempt(s): %s (HTTP %ld)\n", paths[i],
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
