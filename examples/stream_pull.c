/*
 * stream_pull — read a body on your own thread as it arrives, stop early,
 * close.
 *
 * Python (seed 001, httpx):
 *
 *     async with client.stream("GET", url) as r:
 *         print(r.status_code)
 *         async for chunk in r.aiter_bytes():
 *             ...
 *             if enough: break
 *     # aclose(): the connection is released
 *
 * futurl_client_stream() submits the request; its future finishes as soon
 * as the headers are in (status and headers readable, no body yet). The
 * body is then pulled from a futurl_stream with futurl_stream_read(), on
 * the thread that wants it — not pushed to a callback on a worker, as
 * examples/streaming.c does. The stream holds at most stream_buffer_bytes:
 * when you read slower than the server sends, the transfer waits (and
 * stops reading from the socket) instead of piling the body up in memory.
 * futurl_stream_close() stops early: the transfer is aborted at once and
 * its worker takes the next request. A body read to its end keeps the
 * connection for the next request. futurl_stream_fd() gives a descriptor
 * to poll() on, for event loops (part 3).
 *
 * Run:  build/plain/examples/stream_pull [BASE_URL]
 */
#define _POSIX_C_SOURCE 200809L /* clock_gettime */

#include <futurl.h>

#include <inttypes.h>
#include <poll.h>
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

/* Start a stream of GET path and wait for its headers. Returns the future
 * (the caller frees it) or NULL, having said why. */
static futurl_future *open_stream(futurl_client *c, const char *path) {
    futurl_request *r;
    futurl_future *f;
    futurl_status st = futurl_request_new("GET", path, &r);
    if (st == FUTURL_OK)
        st = futurl_client_stream(c, r, &f); /* steals r */
    if (st != FUTURL_OK) {
        fprintf(stderr, "cannot stream %s: %s\n", path, futurl_strerror(st));
        return NULL;
    }
    st = futurl_future_wait(f); /* the headers, not the body */
    if (st != FUTURL_OK) {
        fprintf(stderr, "%s: %s\n", path, futurl_future_errmsg(f));
        futurl_future_free(f);
        return NULL;
    }
    const futurl_response *resp = futurl_future_response(f);
    printf("  headers: HTTP %ld, Content-Type %s\n", futurl_response_status(resp),
           futurl_response_header(resp, "Content-Type"));
    return f;
}

int main(int argc, char **argv) {
    const char *base = argc > 1 ? argv[1] : DEFAULT_BASE;

    futurl_client_options opts;
    futurl_client_options_init(&opts);
    opts.base_url = base;
    opts.workers = 1;                     /* one worker: close must free it */
    opts.stream_buffer_bytes = 16 * 1024; /* small, to show the bound */
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
    char buf[4096];
    size_t got;

    /* 1. Read 100 KB in 4 KB chunks, but stop after 40 KB: `break`, then
     * aclose(). The stream never holds more than 16 KB meanwhile. */
    printf("1. stop early:\n");
    futurl_future *f = open_stream(client, "/stream-bytes/102400?chunk_size=8192&seed=7");
    if (f == NULL) {
        ok = 0;
    } else {
        futurl_stream *s = futurl_future_stream(f);
        uint64_t total = 0;
        size_t most = 0;
        while (total < 40960 &&
               (st = futurl_stream_read(s, buf, sizeof buf, &got, 5000)) == FUTURL_OK &&
               got > 0) {
            total += got;
            if (futurl_stream_buffered(s) > most)
                most = futurl_stream_buffered(s);
        }
        printf("  read %" PRIu64 " of 102400 bytes, never more than 16 KB buffered: %s\n",
               total, most <= 16384 ? "yes" : "no");
        futurl_stream_close(s); /* aclose(): the transfer stops now */
        ok &= total >= 40960 && most <= 16384;
        futurl_future_free(f);
    }

    /* 2. The same worker is free at once; this body is read to its end
     * (the connection stays open for the next request). */
    printf("2. read to the end:\n");
    f = open_stream(client, "/stream-bytes/102400?chunk_size=8192&seed=42");
    if (f == NULL) {
        ok = 0;
    } else {
        futurl_stream *s = futurl_future_stream(f);
        uint32_t fnv = 2166136261u;
        while ((st = futurl_stream_read(s, buf, sizeof buf, &got, 5000)) == FUTURL_OK &&
               got > 0)
            for (size_t i = 0; i < got; i++)
                fnv = (fnv ^ (unsigned char)buf[i]) * 16777619u;
        printf("  %s after %" PRIu64 " bytes, FNV-1a %08" PRIx32 "\n",
               futurl_err_name(st), futurl_stream_bytes(s), fnv);
        ok &= st == FUTURL_OK && futurl_stream_bytes(s) == 102400;
        futurl_stream_close(s);
        futurl_future_free(f);
    }

    /* 3. A slow body, read when the stream's fd says so: the way an event
     * loop (poll, libuv, GLib) would, with a non-blocking read. */
    printf("3. poll() the stream's fd:\n");
    fflush(stdout);
    f = open_stream(client, "/drip?numbytes=4&duration=1");
    if (f == NULL) {
        ok = 0;
    } else {
        futurl_stream *s = futurl_future_stream(f);
        double t0 = now();
        int wakeups = 0;
        for (;;) {
            struct pollfd p = {.fd = futurl_stream_fd(s), .events = POLLIN};
            if (poll(&p, 1, 5000) != 1)
                break;
            wakeups++;
            while ((st = futurl_stream_read(s, buf, sizeof buf, &got, 0)) == FUTURL_OK &&
                   got > 0)
                printf("    %4.2f s  %zu byte(s)\n", now() - t0, got);
            if (st != FUTURL_EPENDING) /* the end (or an error) */
                break;
        }
        printf("  %s after %" PRIu64 " bytes\n", futurl_err_name(st),
               futurl_stream_bytes(s));
        ok &= st == FUTURL_OK && futurl_stream_bytes(s) == 4 && wakeups >= 2;
        futurl_future_free(f); /* closes the stream too */
    }

    futurl_client_destroy(client);
    return ok ? EXIT_SUCCESS : EXIT_FAILURE;
}
