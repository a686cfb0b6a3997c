/*
 * test/test_headers.c — the checks a request header passes before anything
 * is sent, from tables: RFC 9110 tokens (a header name or a method), field
 * values (no control byte but HTAB), the names the library owns, a client
 * default line ("Name: value", "Name;", "Name:"), and the public setters
 * that apply them (set_header, add_header, remove_header, set_body's
 * Content-Type). No server: test_transport.c proves on the wire that what
 * is refused here never leaves.
 */
#include "support.h"

#include "futurl.h"
#include "http.h"
#include "request.h"

#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------------ token */

typedef struct {
    const char *s;
    int want;
} text_case;

static const text_case token_cases[] = {
    {"Content-Type", 1},
    {"X-A", 1},
    {"x", 1},
    {"GET", 1},
    {"M-SEARCH", 1},
    {"0", 1},
    {"!#$%&'*+-.^_`|~", 1}, /* every tchar that is not a letter or digit */
    {"", 0},
    {" X", 0},
    {"X ", 0},
    {"X A", 0},
    {"X:A", 0},
    {"X\tA", 0},
    {"X\r\nA", 0},
    {"(", 0},
    {")", 0},
    {",", 0},
    {"/", 0},
    {";", 0},
    {"<", 0},
    {"=", 0},
    {"?", 0},
    {"@", 0},
    {"[", 0},
    {"\\", 0},
    {"]", 0},
    {"{", 0},
    {"}", 0},
    {"\"", 0},
    {"\x7f", 0},
    {"\x01", 0},
    {"caf\xc3\xa9", 0}, /* UTF-8 is not a token */
};

/* Case i of a table of one check: fn(c->s) must be c->want. */
static void check_text(const text_case *c, int i, int (*fn)(const char *),
                       const char *what) {
    int got = fn(c->s);
    ck_assert_msg(got == c->want, "case %d: %s \"%s\": %d, want %d", i, what, c->s, got,
                  c->want);
}

static int is_token(const char *s) {
    return futurl__is_token(s, strlen(s));
}

START_TEST(token_table) {
    check_text(&token_cases[_i], _i, is_token, "token");
}
END_TEST

/* A length shorter than the string: only the first len bytes count. */
START_TEST(token_by_length) {
    ck_assert_int_eq(futurl__is_token("Host: x", 4), 1);
    ck_assert_int_eq(futurl__is_token("Host: x", 5), 0);
    ck_assert_int_eq(futurl__is_token("Host", 0), 0);
}
END_TEST

/* ------------------------------------------------------------ field value */

static const text_case value_cases[] = {
    {"", 1},
    {"text/plain", 1},
    {"a b", 1},
    {"a\tb", 1},     /* HTAB is allowed */
    {" a ", 1},      /* spaces are trimmed by the reader, not refused */
    {"\x80\xff", 1}, /* obs-text */
    {"caf\xc3\xa9", 1},
    {"a\rb", 0},
    {"a\nb", 0},
    {"a\r\nX-Injected: 1", 0},
    {"\x01", 0},
    {"\x1f", 0},
    {"a\x7f", 0}, /* DEL */
    {"\x0b", 0},  /* VT */
    {"\x0c", 0},  /* FF */
};

START_TEST(value_table) {
    check_text(&value_cases[_i], _i, futurl__is_field_value, "field value");
}
END_TEST

/* --------------------------------------------------- names the library owns */

static const text_case reserved_cases[] = {
    {"Content-Length", 1},
    {"content-length", 1},
    {"CONTENT-LENGTH", 1},
    {"Transfer-Encoding", 1},
    {"Host", 1},
    {"hOST", 1},
    {"Connection", 1},
    {"Upgrade", 1},
    {"TE", 1},
    {"te", 1},
    {"Trailer", 1},
    {"Proxy-Connection", 1},
    {"Keep-Alive", 1},
    {"Expect", 1},
    {"Content-Type", 0},
    {"Content-Lengt", 0},
    {"Content-Length2", 0},
    {"X-Host", 0},
    {"Hosts", 0},
    {"T", 0},
    {"TEE", 0},
    {"Expect-CT", 0},
    {"Cookie", 0},
    {"Authorization", 0},
    {"Accept", 0},
    {"User-Agent", 0},
    {"Idempotency-Key", 0},
};

static int is_reserved(const char *s) {
    return futurl__header_reserved(s, strlen(s));
}

START_TEST(reserved_table) {
    check_text(&reserved_cases[_i], _i, is_reserved, "reserved name");
}
END_TEST

/* --------------------------------------------------- a client default line */

typedef struct {
    const char *line;
    futurl_status want;
    size_t name_len; /* when FUTURL_OK */
} line_case;

static const line_case line_cases[] = {
    {"X-A: 1", FUTURL_OK, 3},
    {"X-A:1", FUTURL_OK, 3},
    {"X-A:\tv", FUTURL_OK, 3},
    {"Accept:", FUTURL_OK, 6},   /* suppress a header libcurl adds */
    {"X-Empty;", FUTURL_OK, 7},  /* send an empty value */
    {"X-A: a;b", FUTURL_OK, 3},  /* ';' inside a value is a value */
    {"X-A: b: c", FUTURL_OK, 3}, /* so is ':' */
    {"X-A", FUTURL_EHEADER, 0},  /* no separator */
    {"", FUTURL_EHEADER, 0},
    {": v", FUTURL_EHEADER, 0}, /* no name */
    {";", FUTURL_EHEADER, 0},
    {"X A: v", FUTURL_EHEADER, 0}, /* not a token */
    {"X-A : v", FUTURL_EHEADER, 0},
    {"X-A; v", FUTURL_EHEADER, 0}, /* "Name;" takes nothing after it */
    {"X-A;;", FUTURL_EHEADER, 0},
    {"X-A: a\r\nX-B: b", FUTURL_EHEADER, 0},
    {"X-A: a\nb", FUTURL_EHEADER, 0},
    {"Host: example.com", FUTURL_EHEADER, 0},
    {"host:", FUTURL_EHEADER, 0},
    {"Content-Length;", FUTURL_EHEADER, 0},
    {"Transfer-Encoding: chunked", FUTURL_EHEADER, 0},
    {"Expect: 100-continue", FUTURL_EHEADER, 0},
    {"Connection: close", FUTURL_EHEADER, 0},
};

START_TEST(line_table) {
    const line_case *c = &line_cases[_i];
    size_t len = 999;
    futurl_status got = futurl__header_line_check(c->line, &len);
    ck_assert_msg(got == c->want, "case %d: line \"%s\": %s, want %s", _i, c->line,
                  futurl_err_name(got), futurl_err_name(c->want));
    if (c->want == FUTURL_OK)
        ck_assert_msg(len == c->name_len, "line \"%s\": name length %zu, want %zu",
                      c->line, len, c->name_len);
}
END_TEST

/* ------------------------------------------------------ the public setters */

typedef struct {
    const char *name, *value;
    futurl_status want; /* set_header and add_header alike */
    futurl_status want_remove;
} setter_case;

static const setter_case setter_cases[] = {
    {"X-A", "1", FUTURL_OK, FUTURL_OK},
    {"X-A", "", FUTURL_OK, FUTURL_OK},
    {"Accept", "text/plain", FUTURL_OK, FUTURL_OK},
    {"Authorization", "Bearer t", FUTURL_OK, FUTURL_OK},
    {"X-A", "a\tb", FUTURL_OK, FUTURL_OK},
    {"X-A", "a\r\nX-B: b", FUTURL_EHEADER, FUTURL_OK}, /* remove takes no value */
    {"X-A", "a\nb", FUTURL_EHEADER, FUTURL_OK},
    {"X-A", "a\x7f", FUTURL_EHEADER, FUTURL_OK},
    {"X A", "1", FUTURL_EHEADER, FUTURL_EHEADER},
    {"X-A:", "1", FUTURL_EHEADER, FUTURL_EHEADER},
    {"", "1", FUTURL_EHEADER, FUTURL_EHEADER},
    {"Host", "example.com", FUTURL_EHEADER, FUTURL_EHEADER},
    {"content-length", "5", FUTURL_EHEADER, FUTURL_EHEADER},
    {"Transfer-Encoding", "chunked", FUTURL_EHEADER, FUTURL_EHEADER},
    {"Connection", "close", FUTURL_EHEADER, FUTURL_EHEADER},
    {"Upgrade", "h2c", FUTURL_EHEADER, FUTURL_EHEADER},
    {"TE", "trailers", FUTURL_EHEADER, FUTURL_EHEADER},
    {"Trailer", "X", FUTURL_EHEADER, FUTURL_EHEADER},
    {"Proxy-Connection", "keep-alive", FUTURL_EHEADER, FUTURL_EHEADER},
    {"Keep-Alive", "timeout=5", FUTURL_EHEADER, FUTURL_EHEADER},
    {"EXPECT", "100-continue", FUTURL_EHEADER, FUTURL_EHEADER},
    {NULL, "1", FUTURL_EINVAL, FUTURL_EINVAL},
    {"X-A", NULL, FUTURL_EINVAL, FUTURL_OK},
};

START_TEST(setter_table) {
    const setter_case *c = &setter_cases[_i];
    const char *name = c->name ? c->name : "(NULL)";
    const char *value = c->value ? c->value : "(NULL)";
    futurl_request *r = support_request("GET", "http://127.0.0.1/");
    futurl_status got = futurl_request_set_header(r, c->name, c->value);
    ck_assert_msg(got == c->want, "set_header(\"%s\", \"%s\"): %s, want %s", name, value,
                  futurl_err_name(got), futurl_err_name(c->want));
    got = futurl_request_add_header(r, c->name, c->value);
    ck_assert_msg(got == c->want, "add_header(\"%s\", \"%s\"): %s, want %s", name, value,
                  futurl_err_name(got), futurl_err_name(c->want));
    got = futurl_request_remove_header(r, c->name);
    ck_assert_msg(got == c->want_remove, "remove_header(\"%s\"): %s, want %s", name,
                  futurl_err_name(got), futurl_err_name(c->want_remove));
    /* A Content-Type is checked as any value is. */
    if (c->value != NULL) {
        futurl_status want_body =
            futurl__is_field_value(c->value) ? FUTURL_OK : FUTURL_EHEADER;
        got = futurl_request_set_body(r, "x", 1, c->value);
        ck_assert_msg(got == want_body, "set_body(Content-Type \"%s\"): %s, want %s",
                      value, futurl_err_name(got), futurl_err_name(want_body));
    }
    futurl_request_free(r);
    /* NULL request */
    ck_assert_int_eq(futurl_request_set_header(NULL, "X-A", "1"), FUTURL_EINVAL);
}
END_TEST

/* Refused changes nothing: the request's lines are those set before. */
START_TEST(refused_changes_nothing) {
    futurl_request *r = support_request("GET", "http://127.0.0.1/");
    ck_assert_int_eq(futurl_request_set_header(r, "X-A", "1"), FUTURL_OK);
    size_t count = r->header_count, bytes = r->header_bytes;
    ck_assert_int_eq(futurl_request_set_header(r, "X-A", "2\r\nX-B: 3"), FUTURL_EHEADER);
    ck_assert_int_eq(futurl_request_add_header(r, "Host", "h"), FUTURL_EHEADER);
    ck_assert_int_eq(futurl_request_remove_header(r, "Content-Length"), FUTURL_EHEADER);
    ck_assert_uint_eq(r->header_count, count);
    ck_assert_uint_eq(r->header_bytes, bytes);
    ck_assert_str_eq(r->headers[0].line, "X-A: 1");
    futurl_request_free(r);
}
END_TEST

#define N_OF(a) ((int)(sizeof(a) / sizeof((a)[0])))

static Suite *headers_suite(void) {
    Suite *s = suite_create("headers");
    TCase *tc = tcase_create("checks");
    tcase_set_timeout(tc, 10);
    tcase_add_loop_test(tc, token_table, 0, N_OF(token_cases));
    tcase_add_test(tc, token_by_length);
    tcase_add_loop_test(tc, value_table, 0, N_OF(value_cases));
    tcase_add_loop_test(tc, reserved_table, 0, N_OF(reserved_cases));
    tcase_add_loop_test(tc, line_table, 0, N_OF(line_cases));
    suite_add_tcase(s, tc);

    tc = tcase_create("setters");
    tcase_set_timeout(tc, 10);
    tcase_add_loop_test(tc, setter_table, 0, N_OF(setter_cases));
    tcase_add_test(tc, refused_changes_nothing);
    suite_add_tcase(s, tc);
    return s;
}

int main(void) {
    SRunner *sr = srunner_create(headers_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
