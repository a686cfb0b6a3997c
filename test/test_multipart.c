/*
 * test/test_multipart.c — multipart/form-data uploads: fields, files from a
 * path, in-memory parts and streamed parts reach httpbin's /post; file
 * names and part content types as sent (the fault server echoes the raw
 * body); a retry sends every part again (rewinding streamed parts); a
 * streamed part without a rewind callback refuses the retry with its
 * reason; an aborting read callback; a cancel mid-upload; the next request
 * on the same handle inherits no mime; bad input. Servers: httpbin and
 * the fault server on 127.0.0.1.
 */
#include "support.h"

#include "futurl.h"

#include <cjson/cJSON.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static support_server httpbin, fault;
static char tmpdir[64], file_path[128];
static const char FILE_TEXT[] = "file contents\nline two\n";

static void start_servers(void) {
    ck_assert_msg(support_httpbin_start(&httpbin) == 0, "httpbin did not start");
    ck_assert_msg(support_fault_start(&fault) == 0, "fault server did not start");
    snprintf(tmpdir, sizeof tmpdir, "/tmp/futurl-mp-XXXXXX");
    ck_assert_msg(mkdtemp(tmpdir) != NULL, "mkdtemp failed");
    snprintf(file_path, sizeof file_path, "%s/report.csv", tmpdir);
    FILE *fp = fopen(file_path, "wb");
    ck_assert_msg(fp != NULL, "cannot write %s", file_path);
    fputs(FILE_TEXT, fp);
    fclose(fp);
}

static void stop_servers(void) {
    support_server_stop(&httpbin);
    support_server_stop(&fault);
    unlink(file_path);
    rmdir(tmpdir);
}

/* ---------------------------------------------------------------- helpers */

/* A streamed part's source: text handed out in pieces of at most `piece`
 * bytes; rewinds counted. */
typedef struct source {
    const char *text;
    size_t pos, piece;
    atomic_int rewinds, reads;
    int abort_at; /* read number that aborts (0: never) */
} source;

static size_t source_read(char *buf, size_t size, void *ud) {
    source *s = ud;
    int n_read = atomic_fetch_add(&s->reads, 1) + 1;
    if (s->abort_at != 0 && n_read >= s->abort_at)
        return FUTURL_READ_ABORT;
    size_t left = strlen(s->text) - s->pos;
    size_t n = left < size ? left : size;
    if (s->piece != 0 && n > s->piece)
        n = s->piece;
    memcpy(buf, s->text + s->pos, n);
    s->pos += n;
    return n;
}

static int source_rewind(void *ud) {
    source *s = ud;
    s->pos = 0;
    atomic_fetch_add(&s->rewinds, 1);
    return 0;
}

#define ADD_OK(call)                                                                     \
    do {                                                                                 \
        futurl_status st_ = (call);                                                      \
        ck_assert_msg(st_ == FUTURL_OK, "%s: %s", #call, futurl_err_name(st_));          \
    } while (0)

/* The body the fault server echoed, which must contain want. */
static void assert_contains(const char *body, const char *want) {
    ck_assert_msg(body != NULL && strstr(body, want) != NULL,
                  "body does not contain \"%s\"; body:\n%s", want,
                  body ? body : "(null)");
}

/* ------------------------------------------------------------------ tests */

START_TEST(test_httpbin_fields_files_streams) {
    futurl_client *c = support_client(httpbin.url, 1, 1);
    futurl_request *r = support_request("POST", "/post");
    source s = {.text = "streamed bytes", .piece = 3};
    ADD_OK(futurl_request_add_part(r, "greeting", "hello world"));
    ADD_OK(futurl_request_add_part(r, "empty", ""));
    ADD_OK(futurl_request_add_part_data(r, "blob", "in memory", 9, "blob.txt",
                                        "text/plain"));
    ADD_OK(futurl_request_add_part_file(r, "upload", file_path, NULL, NULL));
    ADD_OK(futurl_request_add_part_stream(r, "piped", source_read,
                                          (int64_t)strlen(s.text), NULL, &s, "piped.bin",
                                          "application/octet-stream"));
    futurl_future *f = support_run(c, r);
    support_assert_status(f, FUTURL_OK);
    const cJSON *j = support_json(f);
    support_assert_str_or_null(support_json_str(j, "form", "greeting"), "hello world");
    support_assert_str_or_null(support_json_str(j, "form", "empty"), "");
    support_assert_str_or_null(support_json_str(j, "files", "blob"), "in memory");
    support_assert_str_or_null(support_json_str(j, "files", "upload"), FILE_TEXT);
    support_assert_str_or_null(support_json_str(j, "files", "piped"), "streamed bytes");
    const char *ct = support_json_str(j, "headers", "Content-Type");
    ck_assert_msg(ct != NULL && strncmp(ct, "multipart/form-data; boundary=", 30) == 0,
                  "Content-Type \"%s\", want multipart/form-data; boundary=...",
                  ct ? ct : "(absent)");
    ck_assert_int_eq(futurl_response_attempts(futurl_future_response(f)), 1);
    futurl_future_free(f);
    futurl_client_destroy(c);
}
END_TEST

START_TEST(test_names_and_types_as_sent) {
    futurl_client *c = support_client(fault.url, 1, 1);
    futurl_request *r = support_request("PUT", "/flaky_echo?fail=0");
    source s = {.text = "unknown length, sent chunked"};
    ADD_OK(futurl_request_add_part(r, "field", "v"));
    ADD_OK(futurl_request_add_part_data(r, "csv", "a,b\n1,2\n", 8, "table.csv",
                                        "text/csv; charset=utf-8"));
    ADD_OK(futurl_request_add_part_file(r, "f1", file_path, NULL, NULL));
    ADD_OK(futurl_request_add_part_file(r, "f2", file_path, "renamed.txt", "text/x-log"));
    ADD_OK(futurl_request_add_part_stream(r, "s", source_read, -1, NULL, &s, NULL, NULL));
    futurl_future *f = support_run(c, r);
    support_assert_status(f, FUTURL_OK);
    const cJSON *j = support_json(f);
    const char *body = support_json_str(j, "body", NULL);
    assert_contains(body, "Content-Disposition: form-data; name=\"field\"\r\n\r\nv\r\n");
    assert_contains(body, "name=\"csv\"; filename=\"table.csv\"\r\n"
                          "Content-Type: text/csv; charset=utf-8\r\n\r\na,b\n1,2\n\r\n");
    assert_contains(body, "name=\"f1\"; filename=\"report.csv\"\r\n");
    assert_contains(body, "name=\"f2\"; filename=\"renamed.txt\"\r\n"
                          "Content-Type: text/x-log\r\n\r\nfile contents\n");
    assert_contains(body, "name=\"s\"\r\n\r\nunknown length, sent chunked\r\n");
    const char *ct = support_json_str(j, "content_type", NULL);
    ck_assert_msg(ct != NULL && strncmp(ct, "multipart/form-data; boundary=", 30) == 0,
                  "Content-Type \"%s\"", ct ? ct : "(absent)");
    futurl_future_free(f);
    futurl_client_destroy(c);
}
END_TEST

/* Build the parts of the retry tests on r; s streams with a rewind. */
static void retry_parts(futurl_request *r, source *s, futurl_rewind_fn rewind) {
    ADD_OK(futurl_request_add_part(r, "field", "value"));
    ADD_OK(futurl_request_add_part_data(r, "mem", "MEMORY", 6, "m.bin", NULL));
    ADD_OK(futurl_request_add_part_file(r, "file", file_path, NULL, "text/csv"));
    ADD_OK(futurl_request_add_part_stream(
        r, "stream", source_read, (int64_t)strlen(s->text), rewind, s, NULL, NULL));
}

/* PUT: retried by the default policy (POST is not, without an
 * Idempotency-Key). */
START_TEST(test_retry_resends_every_part) {
    futurl_client_options o;
    support_client_options(&o, fault.url, 1, 3);
    o.retry.base_delay_ms = 1;
    futurl_client *c = support_client_opts(&o, NULL);

    /* The same parts without a retry: the length every attempt must send. */
    source once = {.text = "STREAMED-DATA"};
    futurl_request *r = support_request("PUT", "/flaky_echo?fail=0");
    retry_parts(r, &once, source_rewind);
    futurl_future *f = support_run(c, r);
    support_assert_status(f, FUTURL_OK);
    long want_len = support_json_int(support_json(f), "body_length");
    futurl_future_free(f);

    support_fault_reset(&fault);
    source s = {.text = "STREAMED-DATA"};
    r = support_request("PUT", "/flaky_echo?fail=2");
    retry_parts(r, &s, source_rewind);
    f = support_run(c, r);
    support_assert_status(f, FUTURL_OK);
    ck_assert_int_eq(futurl_response_attempts(futurl_future_response(f)), 3);
    ck_assert_int_eq(support_fault_attempts(&fault, "/flaky_echo"), 3);
    ck_assert_int_eq(atomic_load(&s.rewinds), 2);
    const cJSON *j = support_json(f);
    ck_assert_int_eq(support_json_int(j, "attempt"), 3);
    ck_assert_int_eq(support_json_int(j, "body_length"), want_len);
    const char *body = support_json_str(j, "body", NULL);
    assert_contains(body, "name=\"field\"\r\n\r\nvalue\r\n");
    assert_contains(body, "name=\"mem\"; filename=\"m.bin\"\r\n\r\nMEMORY\r\n");
    assert_contains(body, "Content-Type: text/csv\r\n\r\nfile contents\nline two\n\r\n");
    assert_contains(body, "name=\"stream\"\r\n\r\nSTREAMED-DATA\r\n");
    futurl_future_free(f);
    futurl_client_destroy(c);
}
END_TEST

START_TEST(test_unrewindable_stream_refuses_retry) {
    futurl_client_options o;
    support_client_options(&o, fault.url, 1, 3);
    o.retry.base_delay_ms = 1;
    o.raise_for_status = 1;
    futurl_client *c = support_client_opts(&o, NULL);
    support_fault_reset(&fault);
    source s = {.text = "ONCE-ONLY"};
    futurl_request *r = support_request("PUT", "/flaky_echo?fail=1");
    retry_parts(r, &s, NULL);
    futurl_future *f = support_run(c, r);
    support_assert_status(f, FUTURL_EHTTP);
    const char *msg = futurl_future_errmsg(f);
    ck_assert_msg(msg != NULL && strstr(msg, "HTTP 503") != NULL &&
                      strstr(msg, "not retried: streamed part \"stream\"") != NULL,
                  "message \"%s\"", msg ? msg : "(null)");
    ck_assert_int_eq(support_fault_attempts(&fault, "/flaky_echo"), 1);
    ck_assert_int_eq(atomic_load(&s.rewinds), 0);
    futurl_future_free(f);

    futurl_client_destroy(c);
}
END_TEST

START_TEST(test_read_abort) {
    futurl_client *c = support_client(fault.url, 1, 3);
    source s = {.text = "0123456789", .piece = 2, .abort_at = 3};
    futurl_request *r = support_request("POST", "/flaky_echo?fail=0");
    ADD_OK(futurl_request_add_part_stream(r, "s", source_read, 10, NULL, &s, NULL, NULL));
    futurl_future *f = support_run(c, r);
    support_assert_status(f, FUTURL_EABORTED);
    const char *msg = futurl_future_errmsg(f);
    ck_assert_msg(msg != NULL && strstr(msg, "read callback of streamed part \"s\""),
                  "message \"%s\"", msg ? msg : "(null)");
    futurl_future_free(f);
    /* The worker's handle is fine afterwards. */
    f = support_get_ok(c, "/ok");
    futurl_future_free(f);
    futurl_client_destroy(c);
}
END_TEST

/* A slow endless source: one byte per call, 20 ms apart. */
static size_t slow_read(char *buf, size_t size, void *ud) {
    (void)size;
    atomic_fetch_add((atomic_int *)ud, 1);
    support_sleep_ms(20);
    buf[0] = 'x';
    return 1;
}

START_TEST(test_cancel_mid_upload) {
    futurl_client *c = support_client(fault.url, 1, 1);
    atomic_int reads = 0;
    futurl_request *r = support_request("POST", "/flaky_echo?fail=0");
    ADD_OK(futurl_request_add_part(r, "a", "b"));
    ADD_OK(futurl_request_add_part_stream(r, "s", slow_read, 1 << 20, NULL, &reads, NULL,
                                          NULL));
    futurl_future *f = NULL;
    ADD_OK(futurl_client_submit(c, r, &f));
    for (int i = 0; i < 500 && atomic_load(&reads) < 3; i++)
        support_sleep_ms(10);
    ck_assert_msg(atomic_load(&reads) >= 3, "the upload never started (%d reads)",
                  atomic_load(&reads));
    futurl_future_cancel(f);
    futurl_status st = futurl_future_wait_for(f, (long)(10000 * support_slack()));
    ck_assert_msg(st != FUTURL_ETIMEDOUT, "the cancelled upload did not end");
    support_assert_status(f, FUTURL_ECANCELED);
    futurl_future_free(f);
    f = support_get_ok(c, "/ok");
    futurl_future_free(f);
    futurl_client_destroy(c);
}
END_TEST

START_TEST(test_next_request_inherits_nothing) {
    futurl_client *c = support_client(fault.url, 1, 1);
    for (int round = 0; round < 3; round++) {
        futurl_request *r = support_request("POST", "/flaky_echo?fail=0");
        ADD_OK(futurl_request_add_part(r, "k", "v"));
        futurl_future *f = support_run(c, r);
        support_assert_status(f, FUTURL_OK);
        futurl_future_free(f);

        f = support_get_ok(c, "/echo");
        const cJSON *j = support_json(f);
        support_assert_str_or_null(support_json_str(j, "method", NULL), "GET");
        ck_assert_int_eq(support_json_int(j, "body_length"), 0);
        support_assert_str_or_null(support_json_str(j, "headers", "Content-Type"), NULL);
        futurl_future_free(f);

        /* A plain body after a multipart one goes out as bytes. */
        r = support_request("PUT", "/echo");
        ADD_OK(futurl_request_set_body(r, "raw", 3, "text/plain"));
        f = support_run(c, r);
        support_assert_status(f, FUTURL_OK);
        j = support_json(f);
        support_assert_str_or_null(support_json_str(j, "method", NULL), "PUT");
        support_assert_str_or_null(support_json_str(j, "body", NULL), "raw");
        support_assert_str_or_null(support_json_str(j, "headers", "Content-Type"),
                                   "text/plain");
        futurl_future_free(f);
    }
    futurl_client_destroy(c);
}
END_TEST

START_TEST(test_missing_file_at_run) {
    /* Readable at add, gone when the worker runs it: FUTURL_EIO. */
    char path[160];
    snprintf(path, sizeof path, "%s/gone.txt", tmpdir);
    FILE *fp = fopen(path, "w");
    ck_assert_msg(fp != NULL, "cannot write %s", path);
    fclose(fp);
    futurl_client *c = support_client(fault.url, 1, 1);
    futurl_request *r = support_request("POST", "/flaky_echo?fail=0");
    ADD_OK(futurl_request_add_part_file(r, "f", path, NULL, NULL));
    unlink(path);
    futurl_future *f = support_run(c, r);
    support_assert_status(f, FUTURL_EIO);
    futurl_future_free(f);
    futurl_client_destroy(c);
}
END_TEST

START_TEST(test_bad_input) {
    futurl_request *r = support_request("POST", "/x");
    source s = {.text = ""};
    ck_assert_int_eq(futurl_request_add_part(NULL, "a", "b"), FUTURL_EINVAL);
    ck_assert_int_eq(futurl_request_add_part(r, NULL, "b"), FUTURL_EINVAL);
    ck_assert_int_eq(futurl_request_add_part(r, "a", NULL), FUTURL_EINVAL);
    ck_assert_int_eq(futurl_request_add_part(r, "a\r\nX: y", "b"), FUTURL_EINVAL);
    ck_assert_int_eq(futurl_request_add_part_data(r, "a", NULL, 1, NULL, NULL),
                     FUTURL_EINVAL);
    ck_assert_int_eq(futurl_request_add_part_data(r, "a", "x", 1, "f\n", NULL),
                     FUTURL_EINVAL);
    ck_assert_int_eq(futurl_request_add_part_data(r, "a", "x", 1, NULL, "text/\r\nX: 1"),
                     FUTURL_EHEADER);
    ck_assert_int_eq(futurl_request_add_part_data(r, "a", "x", 1, NULL, ""),
                     FUTURL_EHEADER);
    ck_assert_int_eq(futurl_request_add_part_file(r, "a", NULL, NULL, NULL),
                     FUTURL_EINVAL);
    ck_assert_int_eq(futurl_request_add_part_file(r, "a", "", NULL, NULL), FUTURL_EINVAL);
    ck_assert_int_eq(
        futurl_request_add_part_file(r, "a", "/nonexistent/futurl", NULL, NULL),
        FUTURL_EIO);
    ck_assert_int_eq(
        futurl_request_add_part_stream(r, "a", NULL, 0, NULL, NULL, NULL, NULL),
        FUTURL_EINVAL);
    ck_assert_int_eq(
        futurl_request_add_part_stream(r, "a", source_read, -2, NULL, &s, NULL, NULL),
        FUTURL_EINVAL);
    /* Parts and the other bodies exclude each other, both ways. */
    ADD_OK(futurl_request_add_part(r, "a", "b"));
    ck_assert_int_eq(futurl_request_set_body(r, "x", 1, NULL), FUTURL_EINVAL);
    ck_assert_int_eq(futurl_request_add_form(r, "x", "y"), FUTURL_EINVAL);
    futurl_request_free(r); /* frees the parts unsent */

    r = support_request("POST", "/x");
    ADD_OK(futurl_request_set_body(r, "x", 1, NULL));
    ck_assert_int_eq(futurl_request_add_part(r, "a", "b"), FUTURL_EINVAL);
    futurl_request_free(r);
    r = support_request("POST", "/x");
    ADD_OK(futurl_request_add_form(r, "x", "y"));
    ck_assert_int_eq(futurl_request_add_part_data(r, "a", "b", 1, NULL, NULL),
                     FUTURL_EINVAL);
    futurl_request_free(r);
}
END_TEST

START_TEST(test_many_parts_many_requests) {
    /* Several workers, many multipart requests at once: each gets its own
     * mime on its own handle. */
    enum { N = 40 };
    futurl_client *c = support_client(fault.url, 4, 1);
    futurl_future *fs[N];
    for (int i = 0; i < N; i++) {
        futurl_request *r = support_request("POST", "/flaky_echo?fail=0");
        char v[32];
        snprintf(v, sizeof v, "value-%d", i);
        for (int k = 0; k < 5; k++)
            ADD_OK(futurl_request_add_part(r, "k", v));
        ADD_OK(futurl_request_add_part_file(r, "f", file_path, NULL, NULL));
        ADD_OK(futurl_client_submit(c, r, &fs[i]));
    }
    for (int i = 0; i < N; i++) {
        ck_assert_int_eq(futurl_future_wait_for(fs[i], (long)(20000 * support_slack())),
                         FUTURL_OK);
        support_assert_status(fs[i], FUTURL_OK);
        char want[64];
        snprintf(want, sizeof want, "name=\"k\"\r\n\r\nvalue-%d\r\n", i);
        assert_contains(support_json_str(support_json(fs[i]), "body", NULL), want);
        futurl_future_free(fs[i]);
    }
    futurl_client_destroy(c);
}
END_TEST

static Suite *multipart_suite(void) {
    Suite *s = suite_create("multipart");
    TCase *tc = tcase_create("loopback");
    tcase_add_unchecked_fixture(tc, start_servers, stop_servers);
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_httpbin_fields_files_streams);
    tcase_add_test(tc, test_names_and_types_as_sent);
    tcase_add_test(tc, test_retry_resends_every_part);
    tcase_add_test(tc, test_unrewindable_stream_refuses_retry);
    tcase_add_test(tc, test_read_abort);
    tcase_add_test(tc, test_cancel_mid_upload);
    tcase_add_test(tc, test_next_request_inherits_nothing);
    tcase_add_test(tc, test_missing_file_at_run);
    tcase_add_test(tc, test_bad_input);
    tcase_add_test(tc, test_many_parts_many_requests);
    suite_add_tcase(s, tc);
    return s;
}

int main(void) {
    SRunner *sr = srunner_create(multipart_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
