/*
 * run_in_executor — your own blocking jobs and HTTP in one gather.
 *
 * Run your own blocking C functions on the same pool as the HTTP requests,
 * and wait for both kinds together.
 *
 * Python (seed 002, "Implementation Note": the async client is a sync
 * client run in a thread pool):
 *
 *     loop = asyncio.get_running_loop()
 *     size = loop.run_in_executor(None, checksum_file, path)   # your function
 *     page = client.get(URL + "/uuid")                           # a request
 *     results = await asyncio.gather(size, page, return_exceptions=True)
 *
 * An HTTP request is just one kind of job: futurl_executor_submit() runs any
 * function `futurl_status fn(futurl_job *, void *arg, void **result)` on a
 * worker and gives you the same kind of future. Ownership, in the order
 * things happen:
 *   - arg is yours until submit succeeds; then free_arg (here `free`) is
 *     called once when the job is over — ran, failed or was cancelled;
 *   - the job may store a heap result in *result; free_result (`free`)
 *     releases it with the future, so read it before futurl_future_free();
 *   - a job fails by returning an error status, with a message of its own
 *     (futurl_job_set_errmsg) that the future reports.
 * Rules for jobs: poll futurl_job_cancelled() if you run long; and never
 * wait on another future of the same pool from inside a job — if every
 * worker did that, nothing would be left to run what they wait for. Long
 * CPU work is better on an executor of its own (futurl_executor_create),
 * sized to the cores, so it cannot starve the requests.
 *
 * Run:  build/plain/examples/run_in_executor [BASE_URL]
 */
#include <futurl.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

/* ------------------------------------------------------------ the jobs */

/* CPU-bound: count the primes below *(long *)arg. Result: a new long. */
static futurl_status count_primes(futurl_job *job, void *arg, void **result) {
    long limit = *(const long *)arg, n = 0;
    for (long i = 2; i < limit; i++) {
        if (i % 4096 == 0 && futurl_job_cancelled(job))
            return FUTURL_ECANCELED; /* asked to stop: the future ends CANCELLED */
        int prime = 1;
        for (long d = 2; d * d <= i && prime; d++)
            prime = i % d != 0;
        n += prime;
    }
    long *out = malloc(sizeof *out);
    if (out == NULL)
        return FUTURL_ENOMEM;
    *out = n;
    *result = out;
    return FUTURL_OK;
}

/* Blocking I/O: size and FNV-1a checksum of the file named by arg. */
typedef struct file_sum {
    long bytes;
    uint32_t fnv;
} file_sum;

static futurl_status checksum_file(futurl_job *job, void *arg, void **result) {
    const char *path = arg;
    FILE *fp = fopen(path, "rb");
    if (fp == NULL) {
        futurl_job_set_errmsg(job, "cannot open %s", path);
        return FUTURL_EIO;
    }
    file_sum *sum = malloc(sizeof *sum);
    if (sum == NULL) {
        fclose(fp);
        return FUTURL_ENOMEM;
    }
    *sum = (file_sum){0, 2166136261u};
    unsigned char buf[16384];
    size_t got;
    while ((got = fread(buf, 1, sizeof buf, fp)) > 0) {
        for (size_t i = 0; i < got; i++)
            sum->fnv = (sum->fnv ^ buf[i]) * 16777619u;
        sum->bytes += (long)got;
    }
    int failed = ferror(fp);
    fclose(fp);
    if (failed) {
        free(sum);
        futurl_job_set_errmsg(job, "read error on %s", path);
        return FUTURL_EIO;
    }
    *result = sum;
    return FUTURL_OK;
}

/* Submit checksum_file on a heap copy of path, which free_arg releases. */
static futurl_status submit_checksum(futurl_executor *ex, const char *path,
                                     futurl_future **out) {
    char *copy = malloc(strlen(path) + 1);
    if (copy == NULL)
        return FUTURL_ENOMEM;
    strcpy(copy, path);
    futurl_status st = futurl_executor_submit(ex, checksum_file, copy, free, free, out);
    if (st != FUTURL_OK)
        free(copy); /* a failed submit leaves arg with us */
    return st;
}

/* ------------------------------------------------------------ the program */

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
    /* Borrowed: the client's own pool, where its requests run too. */
    futurl_executor *ex = futurl_client_executor(client);

    enum { UUID, DELAY, PRIMES, SELF, MISSING, N };
    static const char *const what[N] = {"GET /uuid", "GET /delay/1", "primes < 300000",
                                        "checksum of this program",
                                        "checksum of a missing file"};
    static long limit = 300000; /* static: arg must outlive the job */
    futurl_future *fs[N] = {NULL};
    if ((st = futurl_get(client, "/uuid", &fs[UUID])) != FUTURL_OK ||
        (st = futurl_get(client, "/delay/1", &fs[DELAY])) != FUTURL_OK ||
        (st = futurl_executor_submit(ex, count_primes, &limit, NULL, free,
                                     &fs[PRIMES])) != FUTURL_OK ||
        (st = submit_checksum(ex, argv[0], &fs[SELF])) != FUTURL_OK ||
        (st = submit_checksum(ex, "/nonexistent/futurl.conf", &fs[MISSING])) != FUTURL_OK)
        fprintf(stderr, "submit: %s\n", futurl_strerror(st));

    /* One gather for both kinds, failures as values. */
    futurl_gather_counts counts = {0};
    if (st == FUTURL_OK)
        st = futurl_gather(fs, N, 10000, 0, &counts);
    if (st == FUTURL_OK) {
        for (int i = 0; i < N; i++) {
            printf("  %-27s ", what[i]);
            if (futurl_future_status(fs[i]) != FUTURL_OK) {
                printf("failed: %s: %s\n", futurl_err_name(futurl_future_status(fs[i])),
                       futurl_future_errmsg(fs[i]));
            } else if (i == UUID || i == DELAY) {
                printf("HTTP %ld\n",
                       futurl_response_status(futurl_future_response(fs[i])));
            } else if (i == PRIMES) {
                printf("%ld primes\n", *(const long *)futurl_future_result(fs[i]));
            } else {
                const file_sum *sum = futurl_future_result(fs[i]);
                printf("%ld bytes, FNV-1a %08x\n", sum->bytes, (unsigned)sum->fnv);
            }
        }
        printf("  -> %zu ok, %zu failed\n", counts.ok, counts.failed);
    }
    for (int i = 0; i < N; i++)
        futurl_future_free(fs[i]); /* results go with their futures */
    futurl_client_destroy(client);
    return st == FUTURL_OK && counts.ok == N - 1 ? EXIT_SUCCESS : EXIT_FAILURE;
}
