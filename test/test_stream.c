/*
 * test/test_stream.c — pull-style streams (futurl_client_stream): the
 * headers future finishes before the body, the body is read on the
 * caller's thread with a bounded buffer (1 GiB with bounded RSS, a slow
 * reader against a fast server), close and cancel mid-body (prompt, the
 * worker free again), a cancel that wakes a reader blocked on another
 * thread, the limits (a reset mid-body, the size cap, the deadline while
 * the reader holds back), connection reuse after a body read to its end,
 * the readiness fd, and bad input. Every server is the project's fault
 * server on 127.0.0.1 (test/fault_server.py).
 */
#include "support.h"

#include "futurl.h"

#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static support_server fault;

static void start_servers(void) {
    ck_assert_msg(support_fault_start(&fault) == 0, "fault server did not start");
}

static void stop_servers(void) {
    support_server_stop(&fault);
}

/* ---------------------------------------------------------------- helpers */

/* A client of the fault server: workers, no retries unless attempts > 1,
 * and the given stream buffer (0: the default). */
static futurl_client *stream_client(unsigned workers, unsigned attempts, size_t buffer) {
    futurl_client_options o;
    support_client_options(&o, fault.url, workers, attempts);
    o.stream_buffer_bytes = buffer;
    return support_client_opts(&o, NULL);
}

/* Start a stream of GET path; the headers future must be accepted. */
static futurl_future *open_stream(futurl_client *c, const char *path) {
    futurl_future *f = NULL;
    futurl_status st = futurl_client_stream(c, support_request("GET", path), &f);
    ck_assert_msg(st == FUTURL_OK, "futurl_client_stream(%s): %s", path,
                  futurl_err_name(st));
    return f;
}

/* Wait for the headers future (it must end DONE) and return its stream. */
static futurl_stream *headers_ok(futurl_future *f) {
    futurl_status st = futurl_future_wait_for(f, (long)(10000 * support_slack()));
    ck_assert_msg(st == FUTURL_OK, "headers future: %s (%s), want FUTURL_OK",
                  futurl_err_name(st), futurl_future_errmsg(f));
    futurl_stream *s = futurl_future_stream(f);
    ck_assert_msg(s != NULL, "a DONE stream future has no stream");
    return s;
}

/* Read until the end or an error; returns the final status, bytes in *total. */
static futurl_status drain(futurl_stream *s, uint64_t *total) {
    char buf[65536];
    *total = 0;
    for (;;) {
        size_t got = 0;
        futurl_status st = futurl_stream_read(s, buf, sizeof buf, &got, 10000);
        if (st != FUTURL_OK || got == 0)
            return st;
        *total += got;
    }
}

/* A number from /proc/self/status in KiB (VmHWM, VmRSS). */
static long proc_kib(const char *key) {
    FILE *fp = fopen("/proc/self/status", "r");
    ck_assert_msg(fp != NULL, "cannot open /proc/self/status");
    char line[256];
    long v = -1;
    size_t n = strlen(key);
    while (fgets(line, sizeof line, fp) != NULL)
        if (strncmp(line, key, n) == 0 && line[n] == ':')
            v = strtol(line + n + 1, NULL, 10);
    fclose(fp);
    ck_assert_msg(v >= 0, "%s not in /proc/self/status", key);
    return v;
}

/* 1 if fd is readable now. */
static int fd_readable(int fd) {
    struct pollfd p = {.fd = fd, .events = POLLIN};
    return poll(&p, 1, 0) == 1 && (p.revents & POLLIN);
}

/* ------------------------------------------------------------------ tests */

START_TEST(test_headers_before_body) {
    futurl_client *c = stream_client(2, 1, 0);
    /* Headers at once, then one byte every 400 ms. */
    double t0 = support_now();
    futurl_future *f = open_stream(c, "/trickle?bytes=3&interval_ms=400");
    futurl_stream *s = headers_ok(f);
    double waited = support_now() - t0;
    ck_assert_msg(waited < 0.35 * support_slack() + 0.2,
                  "headers future took %.3f s; the first body byte comes at 0.4 s",
                  waited);
    const futurl_response *r = futurl_future_response(f);
    ck_assert_msg(futurl_response_status(r) == 200, "status %ld, want 200",
                  futurl_response_status(r));
    const char *cl = futurl_response_header(r, "Content-Length");
    ck_assert_msg(cl != NULL && strcmp(cl, "3") == 0, "Content-Length %s, want 3",
                  cl ? cl : "(none)");
    /* No body yet: the non-blocking read says so, and the fd is quiet. */
    char buf[16];
    size_t got = 99;
    futurl_status st = futurl_stream_read(s, buf, sizeof buf, &got, 0);
    ck_assert_msg(st == FUTURL_EPENDING && got == 0, "read: %s got %zu, want EPENDING 0",
                  futurl_err_name(st), got);
    ck_assert_msg(!fd_readable(futurl_stream_fd(s)), "fd readable with nothing buffered");
    /* The fd wakes a poll when the byte comes. */
    struct pollfd p = {.fd = futurl_stream_fd(s), .events = POLLIN};
    int n = poll(&p, 1, (int)(5000 * support_slack()));
    ck_assert_msg(n == 1, "poll on the stream fd: %d, want 1", n);
    size_t total = 0;
    for (;;) {
        st = futurl_stream_read(s, buf + total, sizeof buf - total, &got, 5000);
        ck_assert_msg(st == FUTURL_OK, "read: %s (%s)", futurl_err_name(st),
                      futurl_stream_errmsg(s));
        if (got == 0)
            break;
        total += got;
    }
    ck_assert_msg(total == 3 && memcmp(buf, "xxx", 3) == 0,
                  "body %zu bytes '%.*s', want xxx", total, (int)total, buf);
    ck_assert_msg(fd_readable(futurl_stream_fd(s)), "fd not readable at the end");
    ck_assert_msg(futurl_stream_bytes(s) == 3, "stream bytes %llu, want 3",
                  (unsigned long long)futurl_stream_bytes(s));
    /* The end is reported again. */
    st = futurl_stream_read(s, buf, sizeof buf, &got, 0);
    ck_assert_msg(st == FUTURL_OK && got == 0, "read after the end: %s %zu",
                  futurl_err_name(st), got);
    futurl_stream_close(s);
    st = futurl_stream_read(s, buf, sizeof buf, &got, 0);
    ck_assert_msg(st == FUTURL_EINVAL, "read after close: %s, want EINVAL",
                  futurl_err_name(st));
    futurl_stream_close(s); /* a second close does nothing */
    futurl_future_free(f);
    futurl_client_destroy(c);
}
END_TEST

START_TEST(test_one_gib_bounded_rss) {
    uint64_t want = support_under_valgrind() ? 8ull << 20
                    : support_slack() > 1    ? 256ull << 20
                                             : 1ull << 30;
    futurl_client_options o;
    support_client_options(&o, fault.url, 1, 1);
    o.max_response_bytes = 0; /* no cap: the body is never held */
    futurl_client *c = support_client_opts(&o, NULL);
    long hwm0 = proc_kib("VmHWM");
    double t0 = support_now();
    futurl_future *f = open_stream(c, "/stream?chunk=1048576&interval_ms=0");
    futurl_stream *s = headers_ok(f);
    char *buf = malloc(1 << 16);
    ck_assert(buf != NULL);
    uint64_t total = 0;
    size_t max_buffered = 0;
    while (total < want) {
        size_t got = 0;
        futurl_status st = futurl_stream_read(s, buf, 1 << 16, &got, 10000);
        ck_assert_msg(st == FUTURL_OK && got > 0, "read at %llu: %s got %zu (%s)",
                      (unsigned long long)total, futurl_err_name(st), got,
                      futurl_stream_errmsg(s));
        for (size_t i = 0; i < got; i += 4096)
            ck_assert_msg(buf[i] == 's' || buf[i] == '\r' || buf[i] == '\n' ||
                              (buf[i] >= '0' && buf[i] <= '9') ||
                              (buf[i] >= 'a' && buf[i] <= 'f'),
                          "unexpected byte 0x%02x at %llu", (unsigned char)buf[i],
                          (unsigned long long)(total + i));
        total += got;
        size_t b = futurl_stream_buffered(s);
        if (b > max_buffered)
            max_buffered = b;
    }
    double secs = support_now() - t0;
    long hwm1 = proc_kib("VmHWM");
    fprintf(stderr,
            "stream: %llu MiB in %.2f s (%.0f MiB/s), VmHWM %ld -> %ld KiB, "
            "VmRSS %ld KiB, most buffered %zu\n",
            (unsigned long long)(total >> 20), secs, (double)(total >> 20) / secs, hwm0,
            hwm1, proc_kib("VmRSS"), max_buffered);
    ck_assert_msg(max_buffered <= FUTURL_DEFAULT_STREAM_BUFFER_BYTES,
                  "buffered %zu > the bound %u", max_buffered,
                  FUTURL_DEFAULT_STREAM_BUFFER_BYTES);
    ck_assert_msg(hwm1 - hwm0 < 64 * 1024, "peak RSS grew by %ld KiB over %llu MiB read",
                  hwm1 - hwm0, (unsigned long long)(total >> 20));
    futurl_stream_close(s);
    futurl_future_free(f);
    free(buf);
    futurl_client_destroy(c);
}
END_TEST

START_TEST(test_slow_reader_fast_server) {
    const size_t bound = 32 * 1024;
    futurl_client *c = stream_client(1, 1, bound);
    futurl_future *f = open_stream(c, "/stream?chunk=8192&interval_ms=0");
    futurl_stream *s = headers_ok(f);
    char buf[1000];
    uint64_t total = 0;
    size_t max_buffered = 0;
    int full_seen = 0;
    for (int i = 0; i < 300; i++) {
        if (i % 30 == 0)
            support_sleep_ms(20); /* fall behind: the transfer fills the buffer */
        size_t b = futurl_stream_buffered(s);
        if (b > max_buffered)
            max_buffered = b;
        if (b == bound)
            full_seen++;
        size_t got = 0;
        futurl_status st = futurl_stream_read(s, buf, sizeof buf, &got, 5000);
        ck_assert_msg(st == FUTURL_OK && got > 0, "read %d: %s (%s)", i,
                      futurl_err_name(st), futurl_stream_errmsg(s));
        total += got;
    }
    ck_assert_msg(max_buffered <= bound, "buffered %zu bytes, over the bound %zu",
                  max_buffered, bound);
    ck_assert_msg(full_seen > 0, "the buffer was never full (most %zu of %zu)",
                  max_buffered, bound);
    ck_assert_msg(total > 0, "nothing read");
    futurl_future_free(f); /* closes the stream: the transfer stops */
    futurl_client_destroy(c);
}
END_TEST

START_TEST(test_close_mid_body_frees_the_worker) {
    futurl_client *c = stream_client(1, 1, 0);
    support_fault_reset(&fault);
    for (int round = 0; round < 5; round++) {
        futurl_future *f = open_stream(c, "/stream?chunk=4096&interval_ms=1");
        futurl_stream *s = headers_ok(f);
        char buf[4096];
        size_t got = 0;
        futurl_status st = futurl_stream_read(s, buf, sizeof buf, &got, 5000);
        ck_assert_msg(st == FUTURL_OK && got > 0, "read: %s", futurl_err_name(st));
        double t0 = support_now();
        futurl_stream_close(s);
        /* The one worker must be free for the next request at once. */
        futurl_future *g = support_get_ok(c, "/ok");
        double took = support_now() - t0;
        ck_assert_msg(took < 0.5 * support_slack(),
                      "round %d: the next request took %.3f s after close", round, took);
        futurl_future_free(g);
        futurl_future_free(f);
    }
    futurl_client_destroy(c);
}
END_TEST

typedef struct blocked_reader {
    futurl_stream *s;
    futurl_status st;
    double woke_at;
} blocked_reader;

static void *blocked_reader_main(void *arg) {
    blocked_reader *b = arg;
    char buf[256];
    size_t got;
    do
        b->st = futurl_stream_read(b->s, buf, sizeof buf, &got, -1);
    while (b->st == FUTURL_OK && got > 0);
    b->woke_at = support_now();
    return NULL;
}

START_TEST(test_cancel_wakes_blocked_reader) {
    futurl_client *c = stream_client(1, 1, 0);
    for (int round = 0; round < 10; round++) {
        /* One chunk, then silence: the reader blocks after it. */
        futurl_future *f = open_stream(c, "/stall_body");
        futurl_stream *s = headers_ok(f);
        blocked_reader b = {.s = s};
        pthread_t t;
        ck_assert(pthread_create(&t, NULL, blocked_reader_main, &b) == 0);
        support_sleep_ms(round % 3 == 0 ? 0 : 50);
        double t0 = support_now();
        int was_running = futurl_stream_cancel(s);
        pthread_join(t, NULL);
        ck_assert_msg(was_running == 1, "cancel returned %d, want 1", was_running);
        ck_assert_msg(b.st == FUTURL_ECANCELED,
                      "blocked read returned %s, want ECANCELED", futurl_err_name(b.st));
        ck_assert_msg(b.woke_at - t0 < 0.5 * support_slack(), "reader woke after %.3f s",
                      b.woke_at - t0);
        ck_assert_msg(futurl_stream_cancel(s) == 0, "second cancel returned 1");
        futurl_future_free(f);
        futurl_future_free(support_get_ok(c, "/ok")); /* the worker is free */
    }
    futurl_client_destroy(c);
}
END_TEST

START_TEST(test_cancel_before_headers) {
    futurl_client *c = stream_client(1, 1, 0);
    futurl_future *f = open_stream(c, "/stall");
    support_sleep_ms(50);
    ck_assert_msg(futurl_future_cancel(f) == 1,
                  "cancel before headers did not take effect");
    futurl_status st = futurl_future_wait_for(f, (long)(5000 * support_slack()));
    ck_assert_msg(st == FUTURL_ECANCELED, "headers future: %s, want ECANCELED",
                  futurl_err_name(st));
    ck_assert_msg(futurl_future_stream(f) == NULL, "a cancelled future has a stream");
    futurl_future_free(f);
    /* Refused before the request: the future fails, no stream. */
    f = open_stream(c, "http://127.0.0.1:1/");
    st = futurl_future_wait_for(f, (long)(5000 * support_slack()));
    ck_assert_msg(st == FUTURL_ECONNECT, "refused: %s, want ECONNECT",
                  futurl_err_name(st));
    ck_assert_msg(futurl_future_stream(f) == NULL, "a failed future has a stream");
    futurl_future_free(f);
    futurl_client_destroy(c);
}
END_TEST

START_TEST(test_reset_mid_body) {
    futurl_client *c = stream_client(1, 3, 0); /* retries allowed, but not here */
    support_fault_reset(&fault);
    futurl_future *f = open_stream(c, "/reset");
    futurl_stream *s = headers_ok(f);
    uint64_t total = 0;
    futurl_status st = drain(s, &total);
    ck_assert_msg(st == FUTURL_ENETWORK, "read after the reset: %s (%s), want ENETWORK",
                  futurl_err_name(st), futurl_stream_errmsg(s));
    ck_assert_msg(total == 7 && futurl_stream_bytes(s) == 7,
                  "partial body %llu / %llu bytes, want 7", (unsigned long long)total,
                  (unsigned long long)futurl_stream_bytes(s));
    ck_assert_msg(strstr(futurl_stream_errmsg(s), "7 body bytes") != NULL,
                  "message '%s' lacks the byte count", futurl_stream_errmsg(s));
    long attempts = support_fault_attempts(&fault, "/reset");
    ck_assert_msg(attempts == 1, "/reset asked %ld times, want 1 (no retry)", attempts);
    futurl_future_free(f);
    futurl_client_destroy(c);
}
END_TEST

START_TEST(test_retried_before_headers) {
    futurl_client_options o;
    support_client_options(&o, fault.url, 1, 3);
    o.retry.base_delay_ms = 1;
    o.retry.max_delay_ms = 5;
    futurl_client *c = support_client_opts(&o, NULL);
    support_fault_reset(&fault);
    /* No reply at all: nothing was handed over, so the policy retries. */
    futurl_future *f = open_stream(c, "/close");
    futurl_status st = futurl_future_wait_for(f, (long)(10000 * support_slack()));
    ck_assert_msg(st == FUTURL_ENETWORK, "headers future: %s (%s), want ENETWORK",
                  futurl_err_name(st), futurl_future_errmsg(f));
    long attempts = support_fault_attempts(&fault, "/close");
    ck_assert_msg(attempts == 3, "/close asked %ld times, want 3", attempts);
    ck_assert_msg(futurl_response_attempts(futurl_future_response(f)) == 3,
                  "response says %u attempts, want 3",
                  futurl_response_attempts(futurl_future_response(f)));
    ck_assert_msg(futurl_future_stream(f) == NULL, "a failed future has a stream");
    futurl_future_free(f);
    futurl_client_destroy(c);
}
END_TEST

START_TEST(test_size_cap) {
    futurl_client_options o;
    support_client_options(&o, fault.url, 1, 1);
    o.max_response_bytes = 100000;
    futurl_client *c = support_client_opts(&o, NULL);
    futurl_future *f = open_stream(c, "/stream?chunk=16384&interval_ms=0");
    futurl_stream *s = headers_ok(f);
    uint64_t total = 0;
    futurl_status st = drain(s, &total);
    ck_assert_msg(st == FUTURL_ETOOLARGE, "read past the cap: %s (%s), want ETOOLARGE",
                  futurl_err_name(st), futurl_stream_errmsg(s));
    ck_assert_msg(total <= 100000 && total > 0, "read %llu bytes under a 100000 cap",
                  (unsigned long long)total);
    futurl_future_free(f);
    futurl_client_destroy(c);
}
END_TEST

/* The cap counts decompressed bytes: 4 MiB of zeros arrive gzipped in
 * about 4 KiB, and the stream still ends at the cap. */
START_TEST(test_decompressed_size_cap) {
    futurl_client_options o;
    support_client_options(&o, fault.url, 1, 1);
    o.max_response_bytes = 100000;
    futurl_client *c = support_client_opts(&o, NULL);
    futurl_future *f = open_stream(c, "/gzip?zeros=4194304");
    futurl_stream *s = headers_ok(f);
    uint64_t total = 0;
    futurl_status st = drain(s, &total);
    ck_assert_msg(st == FUTURL_ETOOLARGE, "read past the cap: %s (%s), want ETOOLARGE",
                  futurl_err_name(st), futurl_stream_errmsg(s));
    ck_assert_msg(total <= 100000 && total > 0, "read %llu bytes under a 100000 cap",
                  (unsigned long long)total);
    futurl_future_free(f);

    /* Under the cap, the whole decompressed body arrives. */
    f = open_stream(c, "/gzip?zeros=50000");
    s = headers_ok(f);
    total = 0;
    st = drain(s, &total);
    ck_assert_msg(st == FUTURL_OK && total == 50000, "%s, %llu bytes, want OK and 50000",
                  futurl_err_name(st), (unsigned long long)total);
    futurl_future_free(f);
    futurl_client_destroy(c);
}
END_TEST

START_TEST(test_deadline_while_reader_holds_back) {
    futurl_client *c = stream_client(1, 1, 16384);
    futurl_request *r = support_request("GET", "/stream?chunk=4096&interval_ms=0");
    ck_assert(futurl_request_set_deadline(r, 400) == FUTURL_OK);
    futurl_future *f = NULL;
    ck_assert(futurl_client_stream(c, r, &f) == FUTURL_OK);
    futurl_stream *s = headers_ok(f);
    double t0 = support_now();
    /* Read nothing: the transfer waits on a full buffer past its deadline. */
    support_sleep_ms(700);
    uint64_t total = 0;
    futurl_status st = drain(s, &total);
    double took = support_now() - t0;
    ck_assert_msg(st == FUTURL_ETIMEDOUT, "read: %s (%s), want ETIMEDOUT",
                  futurl_err_name(st), futurl_stream_errmsg(s));
    ck_assert_msg(total <= 16384, "read %llu bytes, more than the 16384 buffered",
                  (unsigned long long)total);
    ck_assert_msg(took < 2.0 * support_slack(), "the deadline ended it after %.3f s",
                  took);
    futurl_future_free(f);
    futurl_client_destroy(c);
}
END_TEST

START_TEST(test_connection_reused_after_full_read) {
    futurl_client *c = stream_client(1, 1, 0);
    support_fault_reset(&fault);
    for (int i = 0; i < 3; i++) {
        futurl_future *f = open_stream(c, "/ok");
        futurl_stream *s = headers_ok(f);
        uint64_t total = 0;
        futurl_status st = drain(s, &total);
        ck_assert_msg(st == FUTURL_OK && total > 0, "body %d: %s, %llu bytes", i,
                      futurl_err_name(st), (unsigned long long)total);
        long fresh = futurl_response_new_connections(futurl_future_response(f));
        ck_assert_msg(fresh == (i == 0 ? 1 : 0), "request %d opened %ld connections", i,
                      fresh);
        futurl_stream_close(s);
        futurl_future_free(f);
    }
    long conns = support_fault_connections(&fault);
    ck_assert_msg(conns == 1, "the server saw %ld connections, want 1", conns);
    futurl_client_destroy(c);
}
END_TEST

static int ignore_chunk(const char *data, size_t len, void *userdata) {
    (void)data;
    (void)len;
    (void)userdata;
    return 0;
}

START_TEST(test_bad_input) {
    futurl_client *c = stream_client(1, 1, 0);
    futurl_future *f = (futurl_future *)1;
    futurl_request *r = support_request("GET", "/ok");
    ck_assert(futurl_request_on_chunk(r, ignore_chunk, NULL) == FUTURL_OK);
    futurl_status st = futurl_client_stream(c, r, &f);
    ck_assert_msg(st == FUTURL_EINVAL && f == NULL, "stream with a chunk callback: %s",
                  futurl_err_name(st));
    ck_assert(futurl_client_stream(NULL, support_request("GET", "/ok"), &f) ==
              FUTURL_EINVAL);
    ck_assert(futurl_client_stream(c, NULL, &f) == FUTURL_EINVAL);
    ck_assert(futurl_client_stream(c, support_request("GET", "/ok"), NULL) ==
              FUTURL_EINVAL);
    size_t got = 7;
    char buf[4];
    ck_assert(futurl_stream_read(NULL, buf, 4, &got, 0) == FUTURL_EINVAL && got == 0);
    ck_assert(futurl_stream_fd(NULL) == -1);
    ck_assert(futurl_stream_cancel(NULL) == 0);
    futurl_stream_close(NULL);
    ck_assert(futurl_future_stream(NULL) == NULL);
    /* An ordinary future has no stream. */
    f = support_get_ok(c, "/ok");
    ck_assert(futurl_future_stream(f) == NULL);
    futurl_future_free(f);
    /* A stream future freed unread, while its transfer runs. */
    f = open_stream(c, "/stream?chunk=1024&interval_ms=0");
    futurl_stream *s = headers_ok(f);
    ck_assert(futurl_stream_read(s, buf, 0, &got, 0) == FUTURL_EINVAL);
    futurl_future_free(f);
    futurl_future_free(support_get_ok(c, "/ok"));
    futurl_client_destroy(c);
}
END_TEST

START_TEST(test_shutdown_with_unread_stream) {
    futurl_client *c = stream_client(2, 1, 16384);
    futurl_future *f = open_stream(c, "/stream?chunk=4096&interval_ms=0");
    futurl_stream *s = headers_ok(f);
    support_sleep_ms(50); /* the buffer fills; the transfer waits for us */
    ck_assert_msg(futurl_stream_buffered(s) == 16384, "buffered %zu, want 16384",
                  futurl_stream_buffered(s));
    double t0 = support_now();
    futurl_status st = futurl_client_shutdown(c, FUTURL_CANCEL_PENDING);
    double took = support_now() - t0;
    ck_assert_msg(st == FUTURL_OK, "shutdown: %s", futurl_err_name(st));
    ck_assert_msg(took < 1.0 * support_slack(), "shutdown took %.3f s", took);
    /* What was buffered is still there, then the cancel. */
    uint64_t total = 0;
    st = drain(s, &total);
    ck_assert_msg(st == FUTURL_ECANCELED && total == 16384,
                  "after shutdown: %s with %llu bytes, want ECANCELED with 16384",
                  futurl_err_name(st), (unsigned long long)total);
    futurl_future_free(f);
    futurl_client_destroy(c);
}
END_TEST

static void count_done(futurl_future *f, void *userdata) {
    (void)f;
    atomic_fetch_add((atomic_int *)userdata, 1);
}

/* Every way of ending a stream, raced against its transfer: each headers
 * future finishes exactly once, and nothing leaks (asan) or races (tsan). */
START_TEST(test_every_ending_races) {
    futurl_client *c = stream_client(4, 1, 8192);
    enum { N = 200 };
    unsigned seed = 12345;
    for (int i = 0; i < N; i++) {
        seed = seed * 1103515245u + 12345u;
        unsigned how = (seed >> 16) % 6;
        const char *path = how % 2 ? "/stream?chunk=2048&interval_ms=0" : "/ok";
        futurl_future *f = open_stream(c, path);
        atomic_int done = 0;
        ck_assert(futurl_future_on_done(f, count_done, &done) == FUTURL_OK);
        futurl_stream *s = NULL;
        char buf[1500];
        size_t got;
        switch (how) {
        case 0: /* cancel at once (before or after the headers) */
        case 1:
            (void)futurl_future_cancel(f);
            break;
        case 2: /* read a little, close */
        case 3:
            if (futurl_future_wait(f) == FUTURL_OK &&
                (s = futurl_future_stream(f)) != NULL) {
                (void)futurl_stream_read(s, buf, sizeof buf, &got, 1000);
                futurl_stream_close(s);
            }
            break;
        case 4: /* cancel the stream from here while nothing reads */
        case 5:
            if (futurl_future_wait(f) == FUTURL_OK &&
                (s = futurl_future_stream(f)) != NULL)
                (void)futurl_stream_cancel(s);
            break;
        }
        futurl_status st = futurl_future_wait_for(f, (long)(10000 * support_slack()));
        ck_assert_msg(st != FUTURL_EPENDING, "round %d (%u): the future never finished",
                      i, how);
        ck_assert_msg(atomic_load(&done) == 1, "round %d: %d done-callbacks", i,
                      atomic_load(&done));
        futurl_future_free(f);
    }
    futurl_future_free(support_get_ok(c, "/ok"));
    futurl_client_destroy(c);
}
END_TEST

static Suite *stream_suite(void) {
    Suite *s = suite_create("stream");
    TCase *tc = tcase_create("loopback");
    tcase_add_unchecked_fixture(tc, start_servers, stop_servers);
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_headers_before_body);
    tcase_add_test(tc, test_one_gib_bounded_rss);
    tcase_add_test(tc, test_slow_reader_fast_server);
    tcase_add_test(tc, test_close_mid_body_frees_the_worker);
    tcase_add_test(tc, test_cancel_wakes_blocked_reader);
    tcase_add_test(tc, test_cancel_before_headers);
    tcase_add_test(tc, test_reset_mid_body);
    tcase_add_test(tc, test_retried_before_headers);
    tcase_add_test(tc, test_size_cap);
    tcase_add_test(tc, test_decompressed_size_cap);
    tcase_add_test(tc, test_deadline_while_reader_holds_back);
    tcase_add_test(tc, test_connection_reused_after_full_read);
    tcase_add_test(tc, test_bad_input);
    tcase_add_test(tc, test_shutdown_with_unread_stream);
    tcase_add_test(tc, test_every_ending_races);
    suite_add_tcase(s, tc);
    return s;
}

int main(void) {
    SRunner *sr = srunner_create(stream_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
