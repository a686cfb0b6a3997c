/*
 * test/fuzz/fuzz_request_headers.c — what a caller may put in a request
 * line or header: the method and header checks (src/http.h
 * futurl__is_token, futurl__is_field_value; src/request.c
 * futurl__header_line_check and the setters), query parameters and form
 * fields. Input: "method\nname\nvalue\nline" (missing parts are empty).
 * Properties: a token is exactly a non-empty run of RFC 9110 tchars; a
 * field value exactly has no control byte but HTAB; a setter accepts only
 * what both allow (and may refuse more: framing headers), refuses with
 * FUTURL_EHEADER and leaves nothing behind; every line handed to libcurl
 * after prepare holds no CR, LF or other control byte and starts with a
 * token; encoded parameters hold only unreserved bytes and %XX.
 */
#include "fuzz.h"

#include <curl/curl.h>

#include "http.h"
#include "request.h"

static int tchar(unsigned char c) {
    static const char extra[] = "!#$%&'*+-.^_`|~";
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
           (c != 0 && memchr(extra, c, sizeof extra - 1) != NULL);
}

static int token(const char *s, size_t n) {
    if (n == 0)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (!tchar((unsigned char)s[i]))
            return 0;
    return 1;
}

static int field_value(const char *s) {
    for (; *s; s++)
        if (((unsigned char)*s < 0x20 && *s != '\t') || *s == 0x7f)
            return 0;
    return 1;
}

/* A line libcurl gets: "Name: value", "Name;" or "Name:". */
static void check_line(const char *line) {
    size_t n = strcspn(line, ":;");
    FUZZ_CHECK(token(line, n), "line \"%s\": the name is not a token", line);
    FUZZ_CHECK(line[n] != '\0', "line \"%s\" has no ':' or ';'", line);
    FUZZ_CHECK(field_value(line), "line \"%s\" holds a control byte", line);
    if (line[n] == ';')
        FUZZ_CHECK(line[n + 1] == '\0', "line \"%s\": text after ';'", line);
}

/* Only unreserved bytes, %XX, '=' and '&'. */
static void check_encoded(const char *s) {
    if (s == NULL)
        return;
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '%') {
            FUZZ_CHECK(s[1] && s[2] && strchr("0123456789ABCDEF", s[1]) &&
                           strchr("0123456789ABCDEF", s[2]),
                       "bad escape in \"%s\"", s);
            s += 2;
        } else {
            FUZZ_CHECK((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') ||
                           (c >= 'A' && c <= 'Z') || strchr("-._~=&", c),
                       "byte 0x%02x not encoded", c);
        }
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    char *input = fuzz_cstr(data, size), *rest = input;
    const char *method = fuzz_cut(&rest, '\n');
    const char *name = rest ? fuzz_cut(&rest, '\n') : "";
    const char *value = rest ? fuzz_cut(&rest, '\n') : "";
    const char *line = rest ? rest : "";

    FUZZ_CHECK(futurl__is_token(method, strlen(method)) == token(method, strlen(method)),
               "method \"%s\"", method);
    FUZZ_CHECK(futurl__is_token(name, strlen(name)) == token(name, strlen(name)),
               "name \"%s\"", name);
    FUZZ_CHECK(futurl__is_field_value(value) == field_value(value), "value \"%s\"",
               value);

    futurl_request *r = NULL;
    futurl_status st = futurl_request_new(method, "http://127.0.0.1/", &r);
    if (method[0] != '\0' && !token(method, strlen(method))) {
        FUZZ_CHECK(st == FUTURL_EMETHOD && r == NULL, "method \"%s\": %s", method,
                   futurl_err_name(st));
        st = futurl_request_new("GET", "http://127.0.0.1/", &r);
    }
    if (st != FUTURL_OK) /* "" is FUTURL_EINVAL */
        st = futurl_request_new("GET", "http://127.0.0.1/", &r);
    FUZZ_CHECK(st == FUTURL_OK, "GET: %s", futurl_err_name(st));

    int may = token(name, strlen(name)) && field_value(value);
    size_t before = r->header_count;
    st = futurl_request_set_header(r, name, value);
    FUZZ_CHECK(st == FUTURL_OK || st == FUTURL_EHEADER, "set %s: %s", name,
               futurl_err_name(st));
    FUZZ_CHECK(st != FUTURL_OK || may, "set_header took \"%s\": \"%s\"", name, value);
    if (st != FUTURL_OK)
        FUZZ_CHECK(r->header_count == before, "a refused header was kept");
    st = futurl_request_add_header(r, name, value);
    FUZZ_CHECK(st != FUTURL_OK || may, "add_header took \"%s\": \"%s\"", name, value);
    st = futurl_request_remove_header(r, name);
    FUZZ_CHECK(st != FUTURL_OK || token(name, strlen(name)), "remove_header took \"%s\"",
               name);
    st = futurl_request_set_header(r, "X-Fuzz", value);
    FUZZ_CHECK((st == FUTURL_OK) == field_value(value), "X-Fuzz: \"%s\": %s", value,
               futurl_err_name(st));
    FUZZ_CHECK(futurl_request_add_param(r, name, value) == FUTURL_OK, "param");
    FUZZ_CHECK(futurl_request_add_form(r, value, name) == FUTURL_OK, "form");
    check_encoded(r->query.data);
    check_encoded(r->body.data);

    /* A client default line. */
    size_t name_len = 0;
    st = futurl__header_line_check(line, &name_len);
    if (st == FUTURL_OK) {
        check_line(line);
        FUZZ_CHECK(name_len == strcspn(line, ":;"), "name length of \"%s\"", line);
    } else {
        FUZZ_CHECK(st == FUTURL_EHEADER, "\"%s\": %s", line, futurl_err_name(st));
    }

    /* What libcurl gets: every line well formed. */
    struct curl_slist *defaults = NULL;
    if (st == FUTURL_OK && (defaults = curl_slist_append(NULL, line)) == NULL)
        abort();
    st = futurl__request_prepare(r, NULL, defaults);
    FUZZ_CHECK(st == FUTURL_OK, "prepare: %s", futurl_err_name(st));
    for (const struct curl_slist *l = r->merged ? r->merged : defaults; l; l = l->next)
        check_line(l->data);
    const char *url = futurl__request_url(r);
    FUZZ_CHECK(field_value(url) && strchr(url, ' ') == NULL, "URL \"%s\"", url);

    curl_slist_free_all(defaults);
    futurl_request_free(r);
    free(input);
    return 0;
}
