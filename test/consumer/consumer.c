/*
 * test/consumer/consumer.c — a program of a futurl user, built outside the
 * repository against an installed futurl by .ci/packaging.sh: with
 * pkg-config (shared and futurl-static), with the CMake package (both
 * targets), against the Debian packages, as C and once as C++ (so it keeps
 * to the common subset of the two).
 *
 * consumer URL: gathers 8 GETs of URL (a JSON document {"name": "futurl",
 * "items": [1, 2, 3]} on a loopback server the script starts) together
 * with a job of its own on the client's pool, reads fields with
 * futurl_response_json() and cJSON's accessors, and prints one line. Exit
 * status 0 only if every response and the job came back right.
 */
#include <cjson/cJSON.h>
#include <futurl.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define N_GETS 8

/* The job of our own: sums 1..n on a worker. */
static futurl_status sum_job(futurl_job *job, void *arg, void **result) {
    (void)job;
    long n = *(const long *)arg;
    long *sum = (long *)malloc(sizeof *sum);
    if (!sum)
        return FUTURL_ENOMEM;
    *sum = n * (n + 1) / 2;
    *result = sum;
    return FUTURL_OK;
}

/* 1 if r holds the expected document. */
static int check_response(const futurl_response *r) {
    if (!r || futurl_response_status(r) != 200) {
        fprintf(stderr, "consumer: status %ld\n", r ? futurl_response_status(r) : 0L);
        return 0;
    }
    const cJSON *doc = futurl_response_json(r);
    if (!doc) {
        fprintf(stderr, "consumer: %s\n", futurl_response_json_error(r));
        return 0;
    }
    const cJSON *name = cJSON_GetObjectItemCaseSensitive(doc, "name");
    const cJSON *items = cJSON_GetObjectItemCaseSensitive(doc, "items");
    if (!cJSON_IsString(name) || strcmp(name->valuestring, "futurl") != 0 ||
        !cJSON_IsArray(items) || cJSON_GetArraySize(items) != 3) {
        fprintf(stderr, "consumer: unexpected body: %s\n", futurl_response_body(r, NULL));
        return 0;
    }
    return 1;
}

int main(int argc, char **argv) {
    if (argc != 2) {
        fprintf(stderr, "usage: consumer URL\n");
        return 2;
    }
    if (strcmp(futurl_version(), FUTURL_VERSION_STRING) != 0) {
        fprintf(stderr, "consumer: header %s, library %s\n", FUTURL_VERSION_STRING,
                futurl_version());
        return 1;
    }
    futurl_client_options opts;
    futurl_client_options_init(&opts);
    opts.workers = 4;
    futurl_client *c = NULL;
    futurl_status s = futurl_client_create(&opts, &c);
    if (s != FUTURL_OK) {
        fprintf(stderr, "consumer: client: %s\n", futurl_strerror(s));
        return 1;
    }
    futurl_future *fs[N_GETS + 1];
    size_t n = 0;
    for (int i = 0; i < N_GETS; i++) {
        s = futurl_get(c, argv[1], &fs[n]);
        if (s != FUTURL_OK) {
            fprintf(stderr, "consumer: get: %s\n", futurl_strerror(s));
            break;
        }
        n++;
    }
    static long upto = 100;
    if (s == FUTURL_OK) {
        s = futurl_executor_submit(futurl_client_executor(c), sum_job, &upto, NULL, free,
                                   &fs[n]);
        if (s == FUTURL_OK)
            n++;
        else
            fprintf(stderr, "consumer: submit: %s\n", futurl_strerror(s));
    }
    futurl_gather_counts counts;
    futurl_status g = futurl_gather(fs, n, 30000, FUTURL_CANCEL_ON_TIMEOUT, &counts);
    int ok = s == FUTURL_OK && g == FUTURL_OK && counts.ok == N_GETS + 1;
    for (size_t i = 0; ok && i < N_GETS; i++)
        ok = check_response(futurl_future_response(fs[i]));
    long sum = ok ? *(const long *)futurl_future_result(fs[N_GETS]) : 0;
    ok = ok && sum == 5050;
    printf("consumer: futurl %s, gather %s: %zu ok, %zu failed; name=futurl items=3; "
           "job sum=%ld: %s\n",
           futurl_version(), futurl_err_name(g), counts.ok, counts.failed, sum,
           ok ? "PASS" : "FAIL");
    for (size_t i = 0; i < n; i++) {
        if (!ok && futurl_future_status(fs[i]) != FUTURL_OK)
            fprintf(stderr, "consumer: future %zu: %s\n", i, futurl_future_errmsg(fs[i]));
        futurl_future_free(fs[i]);
    }
    futurl_client_destroy(c);
    return ok ? 0 : 1;
}
