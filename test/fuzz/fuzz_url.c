/*
 * test/fuzz/fuzz_url.c — URLs: the check futurl_request_new makes without
 * a full parse (src/request.c url_quick_check), futurl__url_check, the
 * join with a base URL and the query at submit (futurl__request_prepare),
 * and the host key (src/hostkey.c), differentially against libcurl's own
 * parser (test/hostkey_oracle.h). Input: a mode byte, then a URL (mode
 * even) or "base\nrelative" (mode odd).
 * Properties: futurl takes an absolute http(s) URL iff libcurl's parser
 * takes it, two slashes follow the scheme and its host name has no escaped
 * DEL or unreserved byte — it never takes one libcurl refuses, and refuses
 * only the forms libcurl guesses at and hosts libcurl would read otherwise
 * once it writes them; a URL it takes
 * has the host key libcurl's own URL gives, and the cookie host libcurl's
 * connection uses; adding a query never changes the host; whatever
 * prepare makes of a base and a reference, libcurl takes, at the host the
 * key names, and a reference without an authority stays on the base's
 * host.
 */
#include "fuzz.h"

#include <curl/curl.h>

#include "hostkey.h"
#include "hostkey_oracle.h"
#include "request.h"

/* libcurl's parser refuses longer strings (CURL_MAX_INPUT_LENGTH). */
#define CURL_MAX_URL 8000000

static int curl_takes(const char *url) {
    char *norm = NULL;
    CURLU *u = oracle_parse(url, &norm);
    curl_free(norm);
    curl_url_cleanup(u);
    return u != NULL;
}

static int allowed_scheme(const char *url, size_t n) {
    return (n == 4 && strncasecmp(url, "http", 4) == 0) ||
           (n == 5 && strncasecmp(url, "https", 5) == 0);
}

static size_t slashes(const char *url, size_t scheme_len) {
    size_t n = 0;
    while (url[scheme_len + 1 + n] == '/')
        n++;
    return n;
}

/* The key of url, which futurl takes: libcurl's, with libcurl's host. */
static char *check_key(const char *url) {
    char *key = NULL;
    futurl_status st = futurl__host_key(url, &key);
    char *oracle = oracle_host_key(url);
    FUZZ_CHECK(oracle != NULL, "futurl took \"%s\", libcurl refuses it", url);
    FUZZ_CHECK(st == FUTURL_OK && strcmp(key, oracle) == 0,
               "\"%s\": key %s \"%s\", libcurl's URL says \"%s\"", url,
               futurl_err_name(st), key ? key : "", oracle);
    size_t len;
    const char *host = futurl__host_key_host(key, &len);
    char *cookie_host = oracle_cookie_host(url);
    FUZZ_CHECK(cookie_host != NULL && strlen(cookie_host) == len &&
                   strncasecmp(cookie_host, host, len) == 0,
               "\"%s\": cookie host \"%.*s\", libcurl's \"%s\"", url, (int)len, host,
               cookie_host ? cookie_host : "");
    free(cookie_host);
    free(oracle);
    return key;
}

static void absolute(const char *url) {
    size_t n = futurl__url_scheme_len(url);
    futurl_request *r = NULL;
    futurl_status st = futurl_request_new("GET", url, &r);
    if (url[0] == '\0') {
        FUZZ_CHECK(st == FUTURL_EINVAL, "\"\": %s", futurl_err_name(st));
        return;
    }
    if (n == 0) { /* relative: checked at submit */
        FUZZ_CHECK(st == FUTURL_OK, "relative \"%s\": %s", url, futurl_err_name(st));
        FUZZ_CHECK(futurl__url_check(url) == FUTURL_EURL, "\"%s\" as a base", url);
        futurl_request_free(r);
        return;
    }
    if (!allowed_scheme(url, n)) {
        FUZZ_CHECK(st == FUTURL_ESCHEME, "\"%s\": %s", url, futurl_err_name(st));
        return;
    }
    int want = curl_takes(url) && slashes(url, n) == 2 && strlen(url) <= CURL_MAX_URL &&
               !oracle_refused_escape(url);
    FUZZ_CHECK((st == FUTURL_OK) == want, "futurl_request_new(\"%s\"): %s; libcurl %s it",
               url, futurl_err_name(st), curl_takes(url) ? "takes" : "refuses");
    FUZZ_CHECK(st == FUTURL_OK || st == FUTURL_EURL, "\"%s\": %s", url,
               futurl_err_name(st));
    FUZZ_CHECK((futurl__url_check(url) == FUTURL_OK) == want, "futurl__url_check(\"%s\")",
               url);
    if (st != FUTURL_OK)
        return;

    char *key = check_key(url);
    /* A query changes the URL, never its host. */
    FUZZ_CHECK(futurl_request_add_param(r, "q", url) == FUTURL_OK, "add_param");
    st = futurl__request_prepare(r, NULL, NULL);
    FUZZ_CHECK(st == FUTURL_OK, "\"%s\" + query: %s", url, futurl_err_name(st));
    const char *final = futurl__request_url(r);
    char *key2 = check_key(final);
    FUZZ_CHECK(strcmp(key, key2) == 0, "\"%s\" is %s, with a query \"%s\" is %s", url,
               key, final, key2);
    free(key2);
    free(key);
    futurl_request_free(r);
}

static void joined(const char *base, const char *ref) {
    if (futurl__url_check(base) != FUTURL_OK)
        return;
    futurl_request *r = NULL;
    if (futurl_request_new("GET", ref, &r) != FUTURL_OK)
        return;
    futurl_status st = futurl__request_prepare(r, base, NULL);
    FUZZ_CHECK(st == FUTURL_OK || st == FUTURL_EURL || st == FUTURL_ESCHEME,
               "\"%s\" + \"%s\": %s", base, ref, futurl_err_name(st));
    if (st == FUTURL_OK) {
        const char *final = futurl__request_url(r);
        size_t n = futurl__url_scheme_len(final);
        FUZZ_CHECK(allowed_scheme(final, n) && slashes(final, n) == 2,
                   "\"%s\" + \"%s\" gave \"%s\"", base, ref, final);
        char *key = check_key(final);
        /* No scheme and no "//": the base's host. */
        if (futurl__url_scheme_len(ref) == 0 && strncmp(ref, "//", 2) != 0) {
            char *base_key = check_key(base);
            FUZZ_CHECK(strcmp(key, base_key) == 0, "\"%s\" (%s) + \"%s\" went to %s",
                       base, base_key, ref, key);
            free(base_key);
        }
        free(key);
    }
    futurl_request_free(r);
}

FUZZ_INIT_LIBCURL

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size == 0)
        return 0;
    char *input = fuzz_cstr(data + 1, size - 1);
    if (data[0] & 1) {
        char *rest = input;
        const char *base = fuzz_cut(&rest, '\n');
        joined(base, rest ? rest : "");
    } else {
        absolute(input);
    }
    free(input);
    return 0;
}
