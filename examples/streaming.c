/*
 * streaming — a body in chunks as it arrives, with progress; stop early.
 *
 * Process a body piece by piece instead of buffering it whole; stop a
 * download early; or send it straight to a file.
 *
 * Python (seed 001, httpx `async for chunk in r.stream()`; seed 003,
 * `for chunk in response.iter_content(chunk_size=256)`; seed 004, "Webhooks
 * and Streaming"):
 *
 *     async with client.stream("GET", url) as r:
 *         async for chunk in r.aiter_bytes():
 *             digest.update(chunk)
 *
 * futurl turns the loop inside out: you give the request a chunk callback
 * and it is called with each piece of the body, as libcurl receives it —
 * on the worker thread running the transfer, not on yours. So:
 *   - the callback's state (a struct you own) is touched only by that one
 *     worker while the transfer runs, and read by you only after
 *     futurl_future_wait() returned: the wait is the synchronisation, no
 *     lock is needed;
 *   - the callback must be quick: it runs inside the transfer;
 *   - returning non-zero stops the download (like `break` out of the loop):
 *     the future ends FAILED with FUTURL_EABORTED.
 * The response body stays empty; status and headers are there as usual.
 *
 * Run:  build/plain/examples/streaming [BASE_URL]
 */
#define _POSIX_C_SOURCE 200809L /* clock_gettime */

#include <futurl.h>

#include <inttypes.h>
#include <stdint.h>
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

/* What the callbacks build up. Written by the worker during the transfer,
 * read by main after the wait. */
typedef struct sink {
    double t0;
    size_t chunks;
    uint64_t bytes;
    uint32_t fnv;        /* FNV-1a of the body: a checksum without a buffer */
    uint64_t stop_after; /* 0: never; else abort once this many bytes came */
    int verbose;         /* print every chunk */
    int progress_calls;
} sink;

static int on_chunk(const char *data, size_t len, void *userdata) {
    sink *s = userdata;
    for (size_t i = 0; i < len; i++)
        s->fnv = (s->fnv ^ (unsigned char)data[i]) * 16777619u;
    s->chunks++;
    s->bytes += len;
    if (s->verbose)
        printf("    %5.2f s  chunk %zu: %zu byte(s)\n", now() - s->t0, s->chunks, len);
    return s->stop_after != 0 && s->bytes >= s->stop_after; /* non-zero: stop */
}

static int on_progress(uint64_t received, uint64_t total, void *userdata) {
    sink *s = userdata;
    s->progress_calls++;
    (void)received;
    (void)total; /* 0 for a chunked body: the size is not known up front */
    return 0;
}

/* GET url streaming into s (and, if fp is set, to that file instead).
 * Returns the outcome; the future is freed. */
static futurl_status stream(futurl_client *c, const char *url, sink *s, FILE *fp) {
    futurl_request *r;
    futurl_status st = futurl_request_new("GET", url, &r);
    if (st != FUTURL_OK)
        return st;
    if (fp != NULL)
        st = futurl_request_set_output_file(r, fp);
    else if ((st = futurl_request_on_chunk(r, on_chunk, s)) == FUTURL_OK)
        st = futurl_request_on_progress(r, on_progress, s);
    if (st != FUTURL_OK) {
        futurl_request_free(r);
        return st;
    }
    futurl_future *f;
    s->t0 = now();
    s->fnv = 2166136261u;
    if ((st = futurl_client_submit(c, r, &f)) != FUTURL_OK)
        return st;
    st = futurl_future_wait(f); /* after this, *s is ours to read */
    const futurl_response *resp = futurl_future_response(f);
    size_t buffered;
    if (resp != NULL) {
        futurl_response_body(resp, &buffered);
        printf("  HTTP %ld in %.2f s, %zu bytes buffered: %s\n",
               futurl_response_status(resp), now() - s->t0, buffered,
               st == FUTURL_OK ? "ok" : futurl_future_errmsg(f));
    }
    futurl_future_free(f);
    return st;
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
    int ok = 1;

    /* 1. 100 KB (httpbin's largest), checksummed on the fly. The server
     * writes 8 KB pieces, but the callback sees whatever reads the network
     * delivered: the chunk count varies from run to run, the bytes not. */
    printf("1. /stream-bytes/102400 in chunks:\n");
    sink big = {0};
    st = stream(client, "/stream-bytes/102400?chunk_size=8192&seed=42", &big, NULL);
    printf("  %zu chunks, %" PRIu64 " bytes, FNV-1a %08" PRIx32 ", %d progress calls\n",
           big.chunks, big.bytes, big.fnv, big.progress_calls);
    ok &= st == FUTURL_OK && big.bytes == 102400;

    /* 2. A slow body: 5 bytes dripped over a second arrive one by one. */
    printf("2. /drip: the body arrives over time:\n");
    fflush(stdout);
    sink drip = {.verbose = 1};
    st = stream(client, "/drip?numbytes=5&duration=1", &drip, NULL);
    ok &= st == FUTURL_OK && drip.bytes == 5;

    /* 3. Stop early: 50 bytes over 5 s, but 10 are enough. */
    printf("3. stop after 10 of 50 bytes:\n");
    fflush(stdout);
    sink early = {.stop_after = 10};
    st = stream(client, "/drip?numbytes=50&duration=5", &early, NULL);
    printf("  stopped with %s after %" PRIu64 " bytes\n", futurl_err_name(st),
           early.bytes);
    ok &= st == FUTURL_EABORTED && early.bytes == 10;

    /* 4. Straight to a file (open until the future finishes: it is borrowed). */
    printf("4. to a file:\n");
    FILE *fp = tmpfile();
    if (fp == NULL) {
        perror("tmpfile");
        ok = 0;
    } else {
        sink file = {0};
        st = stream(client, "/stream-bytes/102400?seed=42", &file, fp);
        long size = ftell(fp);
        printf("  the file holds %ld bytes\n", size);
        ok &= st == FUTURL_OK && size == 102400;
        fclose(fp);
    }

    futurl_client_destroy(client);
    return ok ? EXIT_SUCCESS : EXIT_FAILURE;
}
