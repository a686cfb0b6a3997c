/*
 * test/test_hostkey.c — which host a request goes to. The host key
 * (src/hostkey.h) against a table and, differentially, against libcurl's
 * own normalised URL (test/hostkey_oracle.h) over thousands of spellings;
 * the URL check refusing exactly what libcurl refuses plus the URLs libcurl
 * only accepts by guessing (one or three slashes); and, live against the
 * fault server, that per-host limits, the 429 hold and the static cookies
 * follow the host libcurl connects to, and that static cookies never reach
 * another host through a redirect.
 */
#include "support.h"

#include "futurl.h"
#include "hostkey.h"
#include "hostkey_oracle.h"
#include "request.h"

#include <cjson/cJSON.h>
#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static support_server fault;

static void start_fault(void) {
    ck_assert_msg(support_fault_start(&fault) == 0, "fault server did not start");
}

static void stop_fault(void) {
    support_server_stop(&fault);
}

/* ------------------------------------------------------------- helpers */

/* The default options with this many workers. */
static futurl_client_options options(unsigned workers) {
    futurl_client_options o;
    futurl_client_options_init(&o);
    o.workers = workers;
    return o;
}

/* futurl__host_key(url) must give want (NULL: FUTURL_EURL), the oracle must
 * agree, and so must the cookie host. line: the caller's, for messages. */
static void check_key_at(const char *url, const char *want, int line) {
    char *key = NULL;
    futurl_status st = futurl__host_key(url, &key);
    if (want == NULL) {
        ck_assert_msg(st == FUTURL_EURL,
                      "line %d: key of \"%s\": %s \"%s\", want FUTURL_EURL", line, url,
                      futurl_err_name(st), key ? key : "");
    } else {
        ck_assert_msg(st == FUTURL_OK && strcmp(key, want) == 0,
                      "line %d: key of \"%s\": %s \"%s\", want \"%s\"", line, url,
                      futurl_err_name(st), key ? key : "", want);
    }
    char *oracle = oracle_host_key(url);
    ck_assert_msg((key == NULL && oracle == NULL) ||
                      (key != NULL && oracle != NULL && strcmp(key, oracle) == 0),
                  "line %d: key of \"%s\" is \"%s\", libcurl's URL says \"%s\"", line,
                  url, key ? key : "(refused)", oracle ? oracle : "(refused)");
    char *cookie_host = oracle_cookie_host(url);
    if (key != NULL) {
        size_t len;
        const char *host = futurl__host_key_host(key, &len);
        ck_assert_msg(cookie_host != NULL && strlen(cookie_host) == len &&
                          strncasecmp(host, cookie_host, len) == 0,
                      "line %d: cookie host of \"%s\" is \"%.*s\", libcurl's is \"%s\"",
                      line, url, (int)len, host, cookie_host ? cookie_host : "(none)");
    }
    free(cookie_host);
    free(oracle);
    free(key);
}
#define check_key(url, want) check_key_at((url), (want), __LINE__)

/* Whether libcurl's parser (the flags it parses CURLOPT_URL with) takes url. */
static int curl_accepts(const char *url) {
    CURLU *u = curl_url();
    ck_assert_ptr_nonnull(u);
    CURLUcode uc = curl_url_set(u, CURLUPART_URL, url,
                                CURLU_GUESS_SCHEME | CURLU_NON_SUPPORT_SCHEME);
    curl_url_cleanup(u);
    return uc == CURLUE_OK;
}

/* Slashes right after the scheme's ':'. */
static size_t slashes_after_scheme(const char *url) {
    const char *p = strchr(url, ':');
    size_t n = 0;
    while (p != NULL && p[1 + n] == '/')
        n++;
    return n;
}

/* ------------------------------------------------------------ the key */

START_TEST(key_table) {
    /* Default ports: one host however it is written. */
    check_key("http://h", "http://h:80");
    check_key("http://h/", "http://h:80");
    check_key("http://h:80", "http://h:80");
    check_key("http://h:80/x", "http://h:80");
    check_key("http://h:", "http://h:80");
    check_key("http://h:00080/", "http://h:80");
    check_key("https://h", "https://h:443");
    check_key("https://h:443/x", "https://h:443");
    check_key("https://h:80", "https://h:80");
    check_key("http://h:8080", "http://h:8080");
    check_key("http://h:0", "http://h:0");
    /* Case: scheme and host are not case-sensitive. */
    check_key("HTTP://HoSt.Example.COM:0443/Path?Q#F", "http://host.example.com:443");
    check_key("hTTpS://EXAMPLE.com", "https://example.com:443");
    /* User info is not the host. */
    check_key("http://user:pw@h/", "http://h:80");
    check_key("http://user@h:81/", "http://h:81");
    check_key("http://@h/", "http://h:80");
    check_key("http://u:p;o=1@h/", "http://h:80");
    check_key("http://a@b@c/", NULL);
    /* IPv4 numbers, normalised as libcurl 7.88 does before it connects. */
    check_key("http://2:808", "http://0.0.0.2:808");
    check_key("http://2130706433/", "http://127.0.0.1:80");
    check_key("http://0x7f.1/", "http://127.0.0.1:80");
    check_key("http://0X7F.0.0.1/", "http://127.0.0.1:80");
    check_key("http://0177.0.0.1/", "http://127.0.0.1:80");
    check_key("http://127.1/", "http://127.0.0.1:80");
    check_key("http://127.0.1/", "http://127.0.0.1:80");
    check_key("http://4294967295/", "http://255.255.255.255:80");
    /* Not numbers to libcurl: names it resolves as they are. */
    check_key("http://4294967296/", "http://4294967296:80");
    check_key("http://256.1/", "http://256.1:80");
    check_key("http://1.2.3.4.5/", "http://1.2.3.4.5:80");
    check_key("http://1.2.3.4./", "http://1.2.3.4.:80");
    /* IPv6 literals: bracketed, shortened as libcurl shortens them, the
     * zone (either spelling of its '%') inside the brackets. */
    check_key("http://[::1]/", "http://[::1]:80");
    check_key("http://[::1]:8080/", "http://[::1]:8080");
    check_key("http://[::1]:/", "http://[::1]:80");
    check_key("http://[0:0:0:0:0:0:0:1]/", "http://[::1]:80");
    check_key("http://[FE80::1%25eth0]:8080/", "http://[fe80::1%25eth0]:8080");
    check_key("http://[fe80::1%eth0]/", "http://[fe80::1%25eth0]:80");
    check_key("http://[FE80::A%25Eth0]/", "http://[fe80::a%25Eth0]:80");
    check_key("http://[::ffff:127.0.0.1]/", "http://[::ffff:127.0.0.1]:80");
    check_key("http://[::1/", NULL);
    check_key("http://[::1]x/", NULL);
    check_key("http://[1:2]/", NULL);
    check_key("http://[fe80::1%25]/", "http://[fe80::1%2525]:80"); /* zone "25" */
    check_key("http://[fe80::1%]/", NULL);
    /* A zone may hold an '@' (user info ends at the first one). */
    check_key("http://@[fe80::1%25a@b]/", "http://[fe80::1%25a@b]:80");
    check_key("http://[fe80::1%25a@b]/", NULL);
    check_key("http://[fe80::1%250123456789abcdef]/", NULL); /* zone over 15 bytes */
    /* Percent-escapes in a name: decoded, then checked (futurl_request_new
     * refuses escaped unreserved bytes: written back decoded, "%35" is
     * "5", and that is a number to libcurl's next parse). */
    check_key("http://%35/", "http://5:80");
    check_key("http://5/", "http://0.0.0.5:80");
    check_key("http://ex%41mple.com/", "http://example.com:80");
    check_key("http://%68%6F%73%74/", "http://host:80");
    /* A '%' left in the name: libcurl writes the URL before it reads the
     * host back, and writing encodes it ("%25"): the host it resolves. */
    check_key("http://a%zz/", "http://a%25zz:80");
    check_key("http://a%2541/", "http://a%2541:80");
    check_key("http://%2F/", NULL);
    check_key("http://a%00b/", NULL);
    check_key("http://a%20b/", NULL);
    /* A trailing dot: another name to libcurl 7.88 (connection reuse and
     * cookies compare names as written). */
    check_key("http://example.com./", "http://example.com.:80");
    check_key("http://xn--bcher-kva.de/", "http://xn--bcher-kva.de:80");
    /* The host is in the authority, never in the query or fragment. */
    check_key("http://a/redir?to=http://b/", "http://a:80");
    check_key("http://a#http://b/", "http://a:80");
    check_key("http://a?http://b:81@c/", "http://a:80");
    /* What libcurl parses by guessing (futurl_request_new refuses these,
     * see below; the key still names libcurl's host, never "b"). */
    check_key("http:/a/redir?to=http://b", "http://a:80");
    check_key("http:///a/redir?to=http://b", "http://a:80");
    check_key("http:////a/x", NULL);
    check_key("http:///", NULL);
    check_key("http://:80/", NULL);
    check_key("http://h:65536/", NULL);
    check_key("http://h:8o/", NULL);
}
END_TEST

/* IDN: libcurl converts a non-ASCII name with libidn2 from the locale's
 * charset before it resolves; where it cannot (the C locale), the transfer
 * fails and the key is the name as written. The key follows libcurl in both. */
START_TEST(key_idn_follows_locale) {
    const char *saved = setlocale(LC_ALL, NULL);
    char *restore = strdup(saved ? saved : "C");
    ck_assert_ptr_nonnull(restore);
    if (setlocale(LC_ALL, "C.UTF-8") != NULL) {
        check_key("http://b\xc3\xbc"
                  "cher.de/",
                  "http://xn--bcher-kva.de:80");
        check_key("http://B%C3%BC"
                  "cher.de/",
                  "http://xn--bcher-kva.de:80");
        check_key("http://B\xc3\x9c"
                  "CHER.de:81/",
                  "http://xn--bcher-kva.de:81");
    }
    ck_assert_ptr_nonnull(setlocale(LC_ALL, "C"));
    check_key("http://b\xc3\xbc"
              "cher.de/",
              "http://b\xc3\xbc"
              "cher.de:80");
    check_key("http://B%C3%BC"
              "cher.DE/",
              "http://b\xc3\xbc"
              "cher.de:80");
    setlocale(LC_ALL, restore);
    free(restore);
}
END_TEST

/* The differential check over every combination of the parts that change
 * a key: the key must be what libcurl's own normalised URL says. */
START_TEST(key_agrees_with_libcurl) {
    static const char *const schemes[] = {"http", "https", "HTTP", "hTtPs"};
    static const char *const users[] = {"", "u@", "u:p@", "@", "U:P;o@", ":@"};
    static const char *const hosts[] = {
        "h",
        "H",
        "example.com",
        "Example.COM.",
        "a..b",
        "_x-y_",
        "1.2.3.4",
        "127.1",
        "0x7F.1",
        "2",
        "2130706433",
        "0177.1",
        "4294967296",
        "1.2.3.256",
        "[::1]",
        "[::]",
        "[0::1]",
        "[FE80::1%25en0]",
        "[fe80::1%en0]",
        "[::FFFF:1.2.3.4]",
        "ex%41mple",
        "%31%32%37.0.0.1",
        "a%zz",
        "a%4",
        "a%2",
        "%25",
        "%2F",
        "%3A",
        "xn--bcher-kva.de",
        "",
        "[",
        "[::1",
        "[:::]",
        "a[b]",
        "h\\x",
    };
    static const char *const ports[] = {"",        ":",      ":80",   ":443", ":0",
                                        ":065535", ":65536", ":8080", ":+1",  ":1a"};
    static const char *const tails[] = {
        "", "/", "/p?q#f", "?to=http://evil/", "#http://evil:1/", "/@evil"};
    size_t n = 0, refused = 0;
    char url[256];
    for (size_t s = 0; s < sizeof schemes / sizeof *schemes; s++)
        for (size_t u = 0; u < sizeof users / sizeof *users; u++)
            for (size_t h = 0; h < sizeof hosts / sizeof *hosts; h++)
                for (size_t p = 0; p < sizeof ports / sizeof *ports; p++)
                    for (size_t t = 0; t < sizeof tails / sizeof *tails; t++) {
                        snprintf(url, sizeof url, "%s://%s%s%s%s", schemes[s], users[u],
                                 hosts[h], ports[p], tails[t]);
                        char *key = NULL;
                        futurl_status st = futurl__host_key(url, &key);
                        char *oracle = oracle_host_key(url);
                        ck_assert_msg((st == FUTURL_EURL && oracle == NULL) ||
                                          (st == FUTURL_OK && oracle != NULL &&
                                           strcmp(key, oracle) == 0),
                                      "\"%s\": key %s \"%s\", libcurl's URL says \"%s\"",
                                      url, futurl_err_name(st), key ? key : "",
                                      oracle ? oracle : "(refused)");
                        refused += key == NULL;
                        free(key);
                        free(oracle);
                        n++;
                    }
    ck_assert_msg(n > 40000 && refused > 0 && refused < n, "%zu URLs, %zu refused", n,
                  refused);
}
END_TEST

/* --------------------------------------------------------- the URL check */

/* The forms libcurl accepts only by guessing are refused where the URL is
 * taken: "http:/a/x?to=http://b" is host a to libcurl, but no host (or b)
 * to a reader. */
START_TEST(guessed_urls_refused) {
    static const struct {
        const char *url;
        futurl_status want;
    } cases[] = {
        {"http://127.0.0.1/x", FUTURL_OK},
        {"http:/127.0.0.1/redir?to=http://localhost/", FUTURL_EURL},
        {"http:///127.0.0.1/x", FUTURL_EURL},
        {"http:////127.0.0.1/x", FUTURL_EURL},
        {"http:127.0.0.1/x", FUTURL_EURL},
        {"https:/h", FUTURL_EURL},
        {"HTTPS:///h", FUTURL_EURL},
        /* Hosts libcurl reads otherwise once it writes them decoded (to add
         * a query, to join): refused too. */
        {"http://%35/", FUTURL_EURL},
        {"http://ex%41mple.com/", FUTURL_EURL},
        {"http://a%7Fb/", FUTURL_EURL},
        {"http://a%7Cb/", FUTURL_OK},
        {"http://b%C3%BC"
         "cher.de/",
         FUTURL_OK},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        futurl_request *r = NULL;
        futurl_status st = futurl_request_new("GET", cases[i].url, &r);
        ck_assert_msg(st == cases[i].want, "futurl_request_new(GET, \"%s\"): %s, want %s",
                      cases[i].url, futurl_err_name(st), futurl_err_name(cases[i].want));
        futurl_request_free(r);
    }
    /* As a base URL too. */
    futurl_client_options o = options(1);
    o.base_url = "http:/127.0.0.1/";
    futurl_client *c = NULL;
    futurl_status st = futurl_client_create(&o, &c);
    ck_assert_msg(st == FUTURL_EURL, "base_url \"%s\": %s, want FUTURL_EURL", o.base_url,
                  futurl_err_name(st));
    futurl_client_destroy(c);
}
END_TEST

/* Joining with a base URL: "///h/x" joins into "http:///h/x" (a guess
 * again). Whatever prepare accepts, libcurl accepts, at the host the key
 * names (a '%' in a host goes through libcurl's join and its parse at
 * perform alike). */
START_TEST(joined_urls_checked) {
    static const struct {
        const char *base, *rel, *param;
        futurl_status want;
        const char *key;
    } cases[] = {
        {"http://a:81/d/", "x", NULL, FUTURL_OK, "http://a:81"},
        {"http://a:81/d/", "//B:82/x", NULL, FUTURL_OK, "http://b:82"},
        {"http://a:81/d/", "///b/x", NULL, FUTURL_EURL, NULL},
        {"http://a:81/d/", "////b/x", NULL, FUTURL_EURL, NULL},
        {"https://a/d/", "//2130706433/x", NULL, FUTURL_OK, "https://127.0.0.1:443"},
        {"http://a/", "?to=http://b/", NULL, FUTURL_OK, "http://a:80"},
        {"http://a/", "https://b/x", "p", FUTURL_OK, "https://b:443"},
        {"http://a%2541/", "x", NULL, FUTURL_OK, "http://a%2541:80"},
        {"http://%25%7C/", "x", NULL, FUTURL_OK, "http://%25|:80"},
        {NULL, "http://%25%7C/", "p", FUTURL_OK, "http://%25|:80"},
        {NULL, "http://%25%7C/", NULL, FUTURL_OK, "http://%25|:80"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        futurl_request *r = NULL;
        ck_assert_int_eq(futurl_request_new("GET", cases[i].rel, &r), FUTURL_OK);
        if (cases[i].param != NULL)
            ck_assert_int_eq(futurl_request_add_param(r, cases[i].param, "1"), FUTURL_OK);
        if (cases[i].base != NULL)
            ck_assert_int_eq(futurl__url_check(cases[i].base), FUTURL_OK);
        futurl_status st = futurl__request_prepare(r, cases[i].base, NULL);
        ck_assert_msg(st == cases[i].want, "%s + %s: prepare %s, want %s", cases[i].base,
                      cases[i].rel, futurl_err_name(st), futurl_err_name(cases[i].want));
        if (st == FUTURL_OK) {
            const char *url = futurl__request_url(r);
            ck_assert_msg(curl_accepts(url), "%s + %s gave \"%s\", which libcurl refuses",
                          cases[i].base, cases[i].rel, url);
            check_key(url, cases[i].key);
        }
        futurl_request_free(r);
    }
}
END_TEST

/* futurl_request_new takes a URL iff libcurl's parser does, it has two
 * slashes after the scheme and its host name holds no escaped DEL or
 * unreserved byte (libcurl takes those, but reads the host otherwise once
 * it writes the URL to add a query): nothing it takes fails later at
 * perform for its shape (it used to pass "[1:2]", "%2F" and a 16-byte
 * zone). */
START_TEST(quick_check_agrees_with_libcurl) {
    static const char *const urls[] = {
        "http://h/",
        "http://[1:2]/",
        "http://[::1]/",
        "http://[::g]/",
        "http://[:::]/",
        "http://[::1%]/",
        "http://[::1%25]/",
        "http://[::1%252]/",
        "http://[::1%2]/",
        "http://[fe80::1%25eth0]/",
        "http://[fe80::1%eth0]/",
        "http://[fe80::1%25a/b]/",
        "http://[fe80::1%25abcdefghijklmno]/",
        "http://[fe80::1%25abcdefghijklmnop]/",
        "http://[fe80::1%abcdefghijklmnop]/",
        "http://[::1]:80/",
        "http://[::1]x/",
        "http://[::1]:x/",
        "http://[::1]]/",
        "http://[]/",
        "http://[::]/",
        "http://[1::2::3]/",
        "http://[::ffff:1.2.3.4]/",
        "http://[::ffff:1.2.3.400]/",
        "http://[::1.2.3.4]/",
        "http://%2F/",
        "http://%2f/",
        "http://%00/",
        "http://%1f/",
        "http://%7f/",
        "http://%7F%7f/",
        "http://%20/",
        "http://%25/",
        "http://a%zz/",
        "http://a%4/",
        "http://a%4g/",
        "http://%41%3a/",
        "http://%3A80/",
        "http://%5B::1%5D/",
        "http://h:65535/",
        "http://h:65536/",
        "http://h:0000000000000080/",
        "http://h:/",
        "http://h:+80/",
        "http://h:-1/",
        "http://h:80:81/",
        "http://u@/",
        "http://u@h@i/",
        "http://u:p@h:1/",
        "http://@/",
        "http://:1/",
        "http://a b/",
        "http://a/b c",
        "http://a/#f g",
        "http://a/?q\tr",
        "http://a/\x7f",
        "http://\xc3\xa9.fr/",
        "http://h\\/",
        "http://h|x/",
        "http://h~x/",
        "http://h%7Cx/",
        "http://h%5Cx/",
        "http:/h/",
        "http:///h/",
        "http:h/",
        "http:////h/",
        "https://h/",
        "http://h?x",
        "http://h#x",
        "http://h?",
        "http://h#",
        "http://h/%zz",
        "http://1.2.3.4.5/",
    };
    for (size_t i = 0; i < sizeof urls / sizeof *urls; i++) {
        futurl_request *r = NULL;
        futurl_status st = futurl_request_new("GET", urls[i], &r);
        futurl_request_free(r);
        int escape = oracle_refused_escape(urls[i]);
        int want = curl_accepts(urls[i]) && slashes_after_scheme(urls[i]) == 2 && !escape;
        ck_assert_msg((st == FUTURL_OK) == want,
                      "futurl_request_new(\"%s\"): %s, but libcurl %s it (%zu slashes%s)",
                      urls[i], futurl_err_name(st),
                      curl_accepts(urls[i]) ? "takes" : "refuses",
                      slashes_after_scheme(urls[i]), escape ? ", a refused escape" : "");
        if (st != FUTURL_OK)
            ck_assert_msg(st == FUTURL_EURL, "\"%s\": %s, want FUTURL_EURL", urls[i],
                          futurl_err_name(st));
    }
}
END_TEST

/* ------------------------------------------------------------ live */

static futurl_client *client_with(futurl_client_options *o) {
    futurl_client *c = NULL;
    futurl_status st = futurl_client_create(o, &c);
    ck_assert_msg(st == FUTURL_OK, "create: %s", futurl_err_name(st));
    return c;
}

/* The fault server under another spelling of 127.0.0.1: "http://<host>:PORT<path>". */
static void fault_url(char *buf, size_t size, const char *host, const char *path) {
    int n = snprintf(buf, size, "http://%s:%d%s", host, fault.port, path);
    ck_assert_msg(n > 0 && (size_t)n < size, "URL too long");
}

static futurl_future *submit_get(futurl_client *c, const char *url) {
    futurl_request *r = NULL;
    futurl_status st = futurl_request_new("GET", url, &r);
    ck_assert_msg(st == FUTURL_OK, "futurl_request_new(GET, %s): %s", url,
                  futurl_err_name(st));
    futurl_future *f = NULL;
    st = futurl_client_submit(c, r, &f);
    ck_assert_msg(st == FUTURL_OK, "submit %s: %s", url, futurl_err_name(st));
    return f;
}

static void assert_ok(futurl_future *f, const char *what) {
    futurl_future_wait(f);
    futurl_status st = futurl_future_status(f);
    ck_assert_msg(st == FUTURL_OK, "%s: %s (%s)", what, futurl_err_name(st),
                  futurl_future_errmsg(f));
}

/* The Cookie header the fault server's /echo saw (NULL: none). Borrowed
 * from f's response. */
static const char *echoed_cookie(futurl_future *f) {
    const futurl_response *r = futurl_future_response(f);
    ck_assert_ptr_nonnull(r);
    const cJSON *j = futurl_response_json(r);
    ck_assert_msg(j != NULL, "not JSON: %s", futurl_response_body(r, NULL));
    const cJSON *h = cJSON_GetObjectItemCaseSensitive(j, "headers");
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(h, "Cookie");
    return cJSON_IsString(v) ? v->valuestring : NULL;
}

/* Spellings of the fault server's own host, 127.0.0.1:PORT, that libcurl
 * connects to alike. */
static void same_host_urls(char urls[][128], size_t n, const char *path) {
    char port0[16];
    snprintf(port0, sizeof port0, "0%d", fault.port);
    const char *hosts[] = {"127.0.0.1", "2130706433", "0x7f.1",
                           "127.1",     "0177.0.0.1", "u:pw@127.0.0.1"};
    ck_assert_uint_eq(n, sizeof hosts / sizeof *hosts + 2);
    for (size_t i = 0; i < n - 2; i++)
        fault_url(urls[i], 128, hosts[i], path);
    snprintf(urls[n - 2], 128, "http://127.0.0.1:%s%s", port0, path);
    snprintf(urls[n - 1], 128, "HTTP://127.0.0.1:%d%s", fault.port, path);
}

/* max_per_host = 1 holds for the host libcurl connects to, however the URL
 * spells it: one request at a time reaches the server. */
START_TEST(per_host_limit_follows_libcurl_host) {
    enum { N = 8 };
    char urls[N][128];
    same_host_urls(urls, N, "/slot?delay_ms=150");
    futurl_client_options o = options(4);
    o.max_per_host = 1;
    futurl_client *c = client_with(&o);
    support_fault_reset(&fault);
    futurl_future *fs[N];
    for (int i = 0; i < N; i++)
        fs[i] = submit_get(c, urls[i]);
    for (int i = 0; i < N; i++) {
        assert_ok(fs[i], urls[i]);
        futurl_future_free(fs[i]);
    }
    long peak = support_fault_peak(&fault, "/slot");
    ck_assert_msg(peak == 1, "%ld requests at once on one host, want max_per_host 1",
                  peak);
    ck_assert_int_eq(support_fault_attempts(&fault, "/slot"), N);
    futurl_client_destroy(c);
}
END_TEST

/* A 429 with Retry-After holds the host libcurl connects to, however the
 * next request spells it. */
START_TEST(hold_follows_libcurl_host) {
    char first[128], next[128];
    fault_url(first, sizeof first, "127.0.0.1", "/429?retry_after=1");
    fault_url(next, sizeof next, "2130706433", "/ok");
    futurl_client_options o = options(2);
    o.retry.max_attempts = 1;
    futurl_client *c = client_with(&o);
    futurl_future *f = submit_get(c, first);
    futurl_future_wait(f);
    ck_assert_int_eq(futurl_response_status(futurl_future_response(f)), 429);
    double t0 = support_now();
    futurl_future *g = submit_get(c, next);
    assert_ok(g, next);
    double waited = support_now() - t0;
    ck_assert_msg(waited >= 0.8, "%s ran %.3f s after a 429 with Retry-After: 1 from %s",
                  next, waited, first);
    futurl_future_free(f);
    futurl_future_free(g);
    futurl_client_destroy(c);
}
END_TEST

/* Static cookies go to the host libcurl connects to (they used to be bound
 * to the spelling: "2130706433" is 127.0.0.1 to libcurl, and got none). */
START_TEST(static_cookies_follow_libcurl_host) {
    enum { N = 8 };
    char urls[N][128];
    same_host_urls(urls, N, "/echo");
    futurl_client_options o = options(1);
    o.cookies = "k=v";
    futurl_client *c = client_with(&o);
    for (int i = 0; i < N; i++) {
        futurl_future *f = submit_get(c, urls[i]);
        assert_ok(f, urls[i]);
        const char *cookie = echoed_cookie(f);
        ck_assert_msg(cookie != NULL && strcmp(cookie, "k=v") == 0,
                      "GET %s sent Cookie \"%s\", want \"k=v\"", urls[i],
                      cookie ? cookie : "(none)");
        futurl_future_free(f);
    }
    futurl_client_destroy(c);
}
END_TEST

/* Static cookies never reach another host through a redirect: not with
 * "http://" in the query, not when the URL is written as libcurl guesses
 * (refused now; the old code bound the cookies to the query's host and
 * sent them there), not to a Location written that way. localhost is the
 * same server under another name. */
START_TEST(static_cookies_stay_home_on_redirect) {
    int port = fault.port;
    futurl_client_options o = options(1);
    o.cookies = "secret=1";
    o.cookie_jar = 0;
    futurl_client *c = client_with(&o);
    char url[256];

    /* The contrast: the same host after a redirect still gets them. */
    snprintf(url, sizeof url, "http://127.0.0.1:%d/redirect?to=/echo", port);
    futurl_future *f = submit_get(c, url);
    assert_ok(f, url);
    ck_assert_int_eq(futurl_response_redirects(futurl_future_response(f)), 1);
    ck_assert_msg(echoed_cookie(f) != NULL, "%s: no cookie at home", url);
    futurl_future_free(f);

    const char *to_other[] = {
        "http://127.0.0.1:%d/redirect?to=http://localhost:%d/echo",
        "http://127.0.0.1:%d/redirect?to=http%%3A%%2F%%2Flocalhost%%3A%d%%2Fecho",
        "http://127.0.0.1:%d/redirect?to=http:/localhost:%d/echo",
        "http://127.0.0.1:%d/redirect?to=http:///localhost:%d/echo",
        "http://127.0.0.1:%d/redirect?to=//localhost:%d/echo",
        "http://2130706433:%d/redirect?to=http://localhost:%d/echo",
    };
    for (size_t i = 0; i < sizeof to_other / sizeof *to_other; i++) {
        snprintf(url, sizeof url, to_other[i], port, port);
        f = submit_get(c, url);
        assert_ok(f, url);
        ck_assert_msg(futurl_response_redirects(futurl_future_response(f)) == 1,
                      "%s: %ld redirects, want 1", url,
                      futurl_response_redirects(futurl_future_response(f)));
        const char *leaked = echoed_cookie(f);
        ck_assert_msg(leaked == NULL,
                      "%s: the redirect carried Cookie \"%s\" to localhost", url, leaked);
        futurl_future_free(f);
    }

    /* Written as libcurl guesses: refused. Were it taken, libcurl would go
     * to 127.0.0.1 and the redirect to localhost must not carry them. */
    const char *guessed[] = {
        "http:/127.0.0.1:%d/redirect?to=http://localhost:%d/echo",
        "http:///127.0.0.1:%d/redirect?to=http://localhost:%d/echo",
    };
    for (size_t i = 0; i < sizeof guessed / sizeof *guessed; i++) {
        snprintf(url, sizeof url, guessed[i], port, port);
        futurl_request *r = NULL;
        futurl_status st = futurl_request_new("GET", url, &r);
        if (st == FUTURL_OK) {
            ck_assert_int_eq(futurl_client_submit(c, r, &f), FUTURL_OK);
            futurl_future_wait(f);
            const futurl_response *resp = futurl_future_response(f);
            const char *leaked =
                resp && futurl_response_json(resp) ? echoed_cookie(f) : NULL;
            ck_assert_msg(
                leaked == NULL,
                "%s was taken and its redirect carried Cookie \"%s\" to localhost", url,
                leaked);
            futurl_future_free(f);
        }
        ck_assert_msg(st == FUTURL_EURL,
                      "futurl_request_new(\"%s\"): %s, want FUTURL_EURL", url,
                      futurl_err_name(st));
    }
    futurl_client_destroy(c);
}
END_TEST

static Suite *suite(void) {
    Suite *s = suite_create("hostkey");
    TCase *tc = tcase_create("key");
    tcase_set_timeout(tc, 30);
    tcase_add_test(tc, key_table);
    tcase_add_test(tc, key_idn_follows_locale);
    tcase_add_test(tc, key_agrees_with_libcurl);
    suite_add_tcase(s, tc);

    tc = tcase_create("check");
    tcase_set_timeout(tc, 10);
    tcase_add_test(tc, guessed_urls_refused);
    tcase_add_test(tc, joined_urls_checked);
    tcase_add_test(tc, quick_check_agrees_with_libcurl);
    suite_add_tcase(s, tc);

    tc = tcase_create("live");
    tcase_add_unchecked_fixture(tc, start_fault, stop_fault);
    tcase_set_timeout(tc, 30);
    tcase_add_test(tc, per_host_limit_follows_libcurl_host);
    tcase_add_test(tc, hold_follows_libcurl_host);
    tcase_add_test(tc, static_cookies_follow_libcurl_host);
    tcase_add_test(tc, static_cookies_stay_home_on_redirect);
    suite_add_tcase(s, tc);
    return s;
}

int main(void) {
    if (futurl_global_init() != FUTURL_OK)
        return 1;
    SRunner *sr = srunner_create(suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    futurl_global_cleanup();
    return failed == 0 ? 0 : 1;
}
