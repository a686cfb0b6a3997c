/*
 * test/test_url.c — the URL a request ends with, from tables: a relative
 * reference joined with the client's base_url (RFC 3986 section 5.4, its
 * normal and abnormal examples against its base "http://a/b/c/d;p?q"),
 * query parameters appended and percent-encoded, and the joins that are
 * refused. Through futurl__request_prepare(), the step submit runs; no
 * server. Host keys of joined URLs are in test_hostkey.c.
 */
#include "support.h"

#include "futurl.h"
#include "request.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define RFC_BASE "http://a/b/c/d;p?q"

typedef struct {
    const char *base; /* NULL: none */
    const char *url;
    const char *want; /* the URL libcurl gets */
} join_case;

/* RFC 3986 section 5.4.1 and 5.4.2, in its order. Two differ in form only:
 * libcurl writes an empty path as "/" ("//g" gives "http://g/"), which
 * RFC 3986 section 6.2.3 makes the same URL for http. Left out: "g:h"
 * (another scheme: FUTURL_ESCHEME at futurl_request_new), "" (FUTURL_EINVAL
 * there), and "#s", for which libcurl 7.88 gives "http://a/b/c/#s" where
 * the RFC says "http://a/b/c/d;p?q#s" (a request would ask for /b/c/). */
static const join_case rfc_cases[] = {
    /* 5.4.1 normal examples */
    {RFC_BASE, "g", "http://a/b/c/g"},
    {RFC_BASE, "./g", "http://a/b/c/g"},
    {RFC_BASE, "g/", "http://a/b/c/g/"},
    {RFC_BASE, "/g", "http://a/g"},
    {RFC_BASE, "//g", "http://g/"},
    {RFC_BASE, "?y", "http://a/b/c/d;p?y"},
    {RFC_BASE, "g?y", "http://a/b/c/g?y"},
    {RFC_BASE, "g#s", "http://a/b/c/g#s"},
    {RFC_BASE, "g?y#s", "http://a/b/c/g?y#s"},
    {RFC_BASE, ";x", "http://a/b/c/;x"},
    {RFC_BASE, "g;x", "http://a/b/c/g;x"},
    {RFC_BASE, "g;x?y#s", "http://a/b/c/g;x?y#s"},
    {RFC_BASE, ".", "http://a/b/c/"},
    {RFC_BASE, "./", "http://a/b/c/"},
    {RFC_BASE, "..", "http://a/b/"},
    {RFC_BASE, "../", "http://a/b/"},
    {RFC_BASE, "../g", "http://a/b/g"},
    {RFC_BASE, "../..", "http://a/"},
    {RFC_BASE, "../../", "http://a/"},
    {RFC_BASE, "../../g", "http://a/g"},
    /* 5.4.2 abnormal examples */
    {RFC_BASE, "../../../g", "http://a/g"},
    {RFC_BASE, "../../../../g", "http://a/g"},
    {RFC_BASE, "/./g", "http://a/g"},
    {RFC_BASE, "/../g", "http://a/g"},
    {RFC_BASE, "g.", "http://a/b/c/g."},
    {RFC_BASE, ".g", "http://a/b/c/.g"},
    {RFC_BASE, "g..", "http://a/b/c/g.."},
    {RFC_BASE, "..g", "http://a/b/c/..g"},
    {RFC_BASE, "./../g", "http://a/b/g"},
    {RFC_BASE, "./g/.", "http://a/b/c/g/"},
    {RFC_BASE, "g/./h", "http://a/b/c/g/h"},
    {RFC_BASE, "g/../h", "http://a/b/c/h"},
    {RFC_BASE, "g;x=1/./y", "http://a/b/c/g;x=1/y"},
    {RFC_BASE, "g;x=1/../y", "http://a/b/c/y"},
    {RFC_BASE, "g?y/./x", "http://a/b/c/g?y/./x"},
    {RFC_BASE, "g?y/../x", "http://a/b/c/g?y/../x"},
    {RFC_BASE, "g#s/./x", "http://a/b/c/g#s/./x"},
    {RFC_BASE, "g#s/../x", "http://a/b/c/g#s/../x"},
};

/* What a client's base_url does in practice: a trailing slash decides
 * whether its last segment stays (RFC 3986 5.2.3), an absolute URL ignores
 * it, and ports and https carry through. */
static const join_case practice_cases[] = {
    {"http://h/api/", "items?id=1", "http://h/api/items?id=1"},
    {"http://h/api", "items?id=1", "http://h/items?id=1"}, /* "api" is replaced */
    {"http://h/api/", "/items", "http://h/items"},
    {"http://h", "get", "http://h/get"},
    {"http://h", "/get", "http://h/get"},
    {"http://127.0.0.1:8080", "/get?x=1", "http://127.0.0.1:8080/get?x=1"},
    {"https://h:8443/v1/", "../v2/x", "https://h:8443/v2/x"},
    {"http://h/api/", "//other:81/x", "http://other:81/x"}, /* network-path */
    {"http://h/api/", "http://other/x", "http://other/x"},
    {NULL, "http://other/x", "http://other/x"},
    {"http://h/", "a%20b", "http://h/a%20b"},
};

static void check_join(const join_case *c, int i) {
    futurl_request *r = support_request("GET", c->url);
    futurl_status st = futurl__request_prepare(r, c->base, NULL);
    ck_assert_msg(st == FUTURL_OK, "case %d: \"%s\" on \"%s\": %s, want \"%s\"", i,
                  c->url, c->base ? c->base : "(none)", futurl_err_name(st), c->want);
    const char *got = futurl__request_url(r);
    ck_assert_msg(strcmp(got, c->want) == 0,
                  "case %d: \"%s\" on \"%s\": \"%s\", want \"%s\"", i, c->url,
                  c->base ? c->base : "(none)", got, c->want);
    futurl_request_free(r);
}

START_TEST(rfc3986_examples) {
    check_join(&rfc_cases[_i], _i);
}
END_TEST

START_TEST(base_url_in_practice) {
    check_join(&practice_cases[_i], _i);
}
END_TEST

/* ------------------------------------------------------------- parameters */

/* 1 if a and b are the same URL text up to the case of the hex digits of
 * each %XX, which RFC 3986 section 6.2.2.1 makes equivalent: futurl encodes
 * in upper case, and libcurl 7.88 writes a query's in lower case. */
static int same_url(const char *a, const char *b) {
    int in_escape = 0;
    for (; *a && *b; a++, b++) {
        char x = *a, y = *b;
        if (in_escape > 0) {
            x = (char)(x >= 'a' && x <= 'f' ? x - 'a' + 'A' : x);
            y = (char)(y >= 'a' && y <= 'f' ? y - 'a' + 'A' : y);
            in_escape--;
        } else if (x == '%') {
            in_escape = 2;
        }
        if (x != y)
            return 0;
    }
    return *a == *b;
}

typedef struct {
    const char *url;
    const char *params[6]; /* name, value pairs, NULL-ended */
    const char *want;
} param_case;

static const param_case param_cases[] = {
    {"/x", {"a", "1", NULL}, "http://h/x?a=1"},
    {"/x", {"a", "1", "b", "2", NULL}, "http://h/x?a=1&b=2"},
    {"/x?k=v", {"a", "1", NULL}, "http://h/x?k=v&a=1"},       /* after the URL's own */
    {"/x", {"a", "1", "a", "2", NULL}, "http://h/x?a=1&a=2"}, /* repeats kept */
    {"/x", {"k", "", NULL}, "http://h/x?k="},
    {"/x", {"", "v", NULL}, "http://h/x?=v"},
    /* RFC 3986 unreserved bytes stay; everything else is %XX */
    {"/x", {"k", "AZaz09-._~", NULL}, "http://h/x?k=AZaz09-._~"},
    {"/x", {"k", "a b", NULL}, "http://h/x?k=a%20b"},
    {"/x", {"k", "&=+#?/", NULL}, "http://h/x?k=%26%3D%2B%23%3F%2F"},
    {"/x", {"a&b", "c=d", NULL}, "http://h/x?a%26b=c%3Dd"},
    {"/x", {"k", "%41", NULL}, "http://h/x?k=%2541"}, /* no double decoding */
    {"/x", {"k", "caf\xc3\xa9", NULL}, "http://h/x?k=caf%C3%A9"},
    {"/x", {"k", "\x01\x7f\xff", NULL}, "http://h/x?k=%01%7F%FF"},
    {"/x#frag", {"a", "1", NULL}, "http://h/x?a=1#frag"}, /* before the fragment */
    {"http://o/y", {"a", "1", NULL}, "http://o/y?a=1"},   /* absolute URL too */
};

START_TEST(params_table) {
    const param_case *c = &param_cases[_i];
    futurl_request *r = support_request("GET", c->url);
    for (int k = 0; c->params[k] != NULL; k += 2)
        ck_assert_int_eq(futurl_request_add_param(r, c->params[k], c->params[k + 1]),
                         FUTURL_OK);
    futurl_status st = futurl__request_prepare(r, "http://h/", NULL);
    ck_assert_msg(st == FUTURL_OK, "case %d (%s): %s", _i, c->url, futurl_err_name(st));
    const char *got = futurl__request_url(r);
    ck_assert_msg(same_url(got, c->want), "case %d: \"%s\", want \"%s\"", _i, got,
                  c->want);
    futurl_request_free(r);
}
END_TEST

/* ---------------------------------------------------------------- refused */

typedef struct {
    const char *base;
    const char *url;
    futurl_status want;
} refused_case;

static const refused_case refused_cases[] = {
    {NULL, "/get", FUTURL_EURL}, /* relative without a base */
    {NULL, "get", FUTURL_EURL},
    {"http://h/", "///h/x", FUTURL_EURL},     /* a host only by libcurl's guess */
    {"http://h/", "//", FUTURL_EURL},         /* no host */
    {"http://h/", "//h:99999/", FUTURL_EURL}, /* bad port */
    {"http://h/", "ftp://h/x", FUTURL_ESCHEME},
};

START_TEST(refused_table) {
    const refused_case *c = &refused_cases[_i];
    futurl_request *r = NULL;
    futurl_status st = futurl_request_new("GET", c->url, &r);
    if (st == FUTURL_OK)
        st = futurl__request_prepare(r, c->base, NULL);
    ck_assert_msg(st == c->want, "case %d: \"%s\" on \"%s\": %s, want %s", _i, c->url,
                  c->base ? c->base : "(none)", futurl_err_name(st),
                  futurl_err_name(c->want));
    futurl_request_free(r);
}
END_TEST

/* A join longer than FUTURL_MAX_URL_LENGTH is refused at submit, though
 * each part alone is within it. */
START_TEST(joined_too_long) {
    size_t half = FUTURL_MAX_URL_LENGTH / 2 + 16;
    char *base = malloc(half + 16), *rel = malloc(half + 1);
    ck_assert_ptr_nonnull(base);
    ck_assert_ptr_nonnull(rel);
    strcpy(base, "http://h/");
    memset(base + 9, 'b', half - 9);
    strcpy(base + half, "/");
    memset(rel, 'r', half);
    rel[half] = '\0';
    futurl_request *r = support_request("GET", rel);
    futurl_status st = futurl__request_prepare(r, base, NULL);
    ck_assert_msg(st == FUTURL_EURL, "a %zu-byte join: %s, want FUTURL_EURL",
                  strlen(base) + half, futurl_err_name(st));
    futurl_request_free(r);
    free(base);
    free(rel);
}
END_TEST

/* A form value longer than the pieces libcurl encodes at a time (1 MiB)
 * comes out byte for byte as a reference encoder makes it, across the
 * piece boundaries. */
START_TEST(long_form_value) {
    size_t n = (5u << 19) + 7; /* 2.5 MiB and a few: three pieces */
    char *value = malloc(n + 1);
    ck_assert_ptr_nonnull(value);
    for (size_t i = 0; i < n; i++)
        value[i] = (char)(i % 255 + 1); /* every byte but NUL, unreserved or not */
    value[n] = '\0';
    futurl_request *r = support_request("POST", "/x");
    ck_assert_int_eq(futurl_request_add_form(r, "k", value), FUTURL_OK);
    ck_assert_int_eq(futurl__request_prepare(r, "http://h/", NULL), FUTURL_OK);
    char *want = malloc(3 * n + 3), *p = want;
    ck_assert_ptr_nonnull(want);
    p += sprintf(p, "k=");
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)value[i];
        if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
            c == '-' || c == '.' || c == '_' || c == '~')
            *p++ = (char)c;
        else
            p += sprintf(p, "%%%02X", c);
    }
    size_t want_len = (size_t)(p - want);
    ck_assert_msg(r->body.len == want_len, "body %zu bytes, want %zu", r->body.len,
                  want_len);
    size_t at = 0;
    while (at < want_len && r->body.data[at] == want[at])
        at++;
    ck_assert_msg(at == want_len, "body differs at byte %zu of %zu", at, want_len);
    futurl_request_free(r);
    free(want);
    free(value);
}
END_TEST

#define N_OF(a) ((int)(sizeof(a) / sizeof((a)[0])))

static Suite *url_suite(void) {
    Suite *s = suite_create("url");
    TCase *tc = tcase_create("join");
    tcase_set_timeout(tc, 10);
    tcase_add_loop_test(tc, rfc3986_examples, 0, N_OF(rfc_cases));
    tcase_add_loop_test(tc, base_url_in_practice, 0, N_OF(practice_cases));
    tcase_add_loop_test(tc, refused_table, 0, N_OF(refused_cases));
    tcase_add_test(tc, joined_too_long);
    suite_add_tcase(s, tc);

    tc = tcase_create("params");
    tcase_set_timeout(tc, 10);
    tcase_add_test(tc, long_form_value);
    tcase_add_loop_test(tc, params_table, 0, N_OF(param_cases));
    suite_add_tcase(s, tc);
    return s;
}

int main(void) {
    SRunner *sr = srunner_create(url_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
