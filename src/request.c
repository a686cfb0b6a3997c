/*
 * src/request.c — the request builder: method and URL checks, headers
 * (validated when set, merged with the client's defaults at submit), query
 * parameters and form fields (percent-encoded), bodies, per-request
 * overrides and sinks. JSON bodies live in json.c.
 */
#include "request.h"
#include "response.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "http.h"

/* --------------------------------------------------------------- helpers */

static char *dup_string(const char *s) {
    size_t n = strlen(s) + 1;
    char *p = malloc(n);
    if (p != NULL)
        memcpy(p, s, n);
    return p;
}

size_t futurl__url_scheme_len(const char *url) {
    /* RFC 3986: scheme = ALPHA *( ALPHA / DIGIT / "+" / "-" / "." ) */
    size_t i = 0;
    unsigned char c = (unsigned char)url[0];
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')))
        return 0;
    for (i = 1; url[i] != ':'; i++) {
        c = (unsigned char)url[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
              (c >= '0' && c <= '9') || c == '+' || c == '-' || c == '.'))
            return 0;
    }
    return i;
}

int futurl__scheme_allowed(const char *s, size_t len) {
    return futurl__ascii_ieq(s, len, "http", 4) || futurl__ascii_ieq(s, len, "https", 5);
}

static futurl_status from_curlu(CURLUcode uc) {
    return uc == CURLUE_OUT_OF_MEMORY ? FUTURL_ENOMEM : FUTURL_EURL;
}

/* Bytes libcurl 7.88 refuses in a host name (urlapi.c: junkscan, then
 * hostname_check after percent-decoding). */
static int bad_host_byte(unsigned char c) {
    return c <= 0x20 || c == 0x7f || strchr("/:#?!@{}[]\\$'\"^`*<>=;,+&()", c) != NULL;
}

static int hex_value(unsigned char c) {
    if (c >= '0' && c <= '9')
        return c - '0';
    c = futurl__ascii_lower(c);
    return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* RFC 3986 unreserved: ALPHA DIGIT "-" "." "_" "~". */
static int unreserved(unsigned char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           c == '-' || c == '.' || c == '_' || c == '~';
}

/*
 * A host name p[0..end): libcurl decodes its %XX escapes, refusing one that
 * gives a control byte below 0x20, then refuses the bytes bad_host_byte
 * names. Refused here besides, though libcurl's parser takes them, the
 * escapes whose host would change when libcurl writes the URL decoded (it
 * does when it joins a URL or adds a query) and parses it again: DEL (it
 * then refuses the URL) and unreserved bytes ("http://%35/" is host "5",
 * but once written "http://5/" it is 0.0.0.5); an unreserved byte never
 * needs an escape (RFC 3986 section 2.3). Returns 1 if it passes.
 */
static int host_name_ok(const char *p, const char *end) {
    if (p == end)
        return 0;
    for (; p < end; p++) {
        unsigned char c = (unsigned char)*p;
        int hi, lo;
        if (c == '%' && end - p > 2 && (hi = hex_value((unsigned char)p[1])) >= 0 &&
            (lo = hex_value((unsigned char)p[2])) >= 0) {
            c = (unsigned char)(hi << 4 | lo);
            p += 2;
            if (bad_host_byte(c) || unreserved(c))
                return 0;
        } else if (bad_host_byte(c)) {
            return 0;
        }
    }
    return 1;
}

/* An IPv6 literal p[0..end), brackets included, as libcurl 7.88 takes it
 * (urlapi.c hostname_check): an address of hex digits, ':' and '.' that
 * inet_pton accepts, then perhaps '%' and a zone of 1 to 15 bytes ("%25"
 * spells the '%'). Returns 1 if it passes. */
static int ipv6_literal_ok(const char *p, const char *end) {
    if (end - p < 4 || end[-1] != ']')
        return 0;
    const char *addr = p + 1, *close = end - 1, *q = addr;
    while (q < close && (hex_value((unsigned char)*q) >= 0 || *q == ':' || *q == '.'))
        q++;
    if (q < close) {
        if (*q != '%')
            return 0;
        const char *zone = q + 1;
        if (close - zone > 2 && zone[0] == '2' && zone[1] == '5')
            zone += 2;
        if (zone == close || close - zone > 15)
            return 0;
    }
    char text[INET6_ADDRSTRLEN];
    unsigned char bin[sizeof(struct in6_addr)];
    if ((size_t)(q - addr) >= sizeof text)
        return 0;
    memcpy(text, addr, (size_t)(q - addr));
    text[q - addr] = '\0';
    return inet_pton(AF_INET6, text, bin) == 1;
}

/*
 * The check of an absolute URL whose scheme (url[0..scheme_len)) is
 * allowed, without a full parse: libcurl parses the URL again at perform,
 * and a request should not pay for two parses. A linear scan that refuses
 * exactly what libcurl 7.88's parser (urlapi.c parseurl) refuses for an
 * http(s) URL — a control byte or space anywhere (CR/LF could smuggle a
 * request line), no host, a bad host name, IPv6 literal or port — and the
 * URLs libcurl only accepts by guessing: one or three slashes after the
 * scheme ("http:/a/?to=http://b" names host a to libcurl, nothing or b to
 * a reader) — and a host name with %7F or an escaped unreserved byte (see
 * host_name_ok). So a URL accepted here parses under libcurl, at the same
 * host, also with a query added (test/fuzz/fuzz_url.c checks all three).
 * Over-long URLs are not checked here.
 */
static futurl_status url_quick_check(const char *url, size_t scheme_len) {
    for (const char *s = url; *s; s++)
        if ((unsigned char)*s <= 0x20 || *s == 0x7f)
            return FUTURL_EURL;
    const char *p = url + scheme_len + 1;
    if (p[0] != '/' || p[1] != '/' || p[2] == '/')
        return FUTURL_EURL;
    p += 2;
    size_t auth_len = strcspn(p, "/?#");
    const char *at = memchr(p, '@', auth_len);
    if (at != NULL) { /* user info ends at the first '@' */
        auth_len -= (size_t)(at + 1 - p);
        p = at + 1;
    }
    const char *end = p + auth_len, *q;
    if (p < end && *p == '[') {
        q = memchr(p, ']', auth_len);
        if (q == NULL || !ipv6_literal_ok(p, ++q))
            return FUTURL_EURL;
    } else {
        q = memchr(p, ':', auth_len);
        if (q == NULL)
            q = end;
        if (!host_name_ok(p, q))
            return FUTURL_EURL;
    }
    if (q < end) {
        if (*q++ != ':')
            return FUTURL_EURL;
        unsigned long port = 0;
        for (; q < end; q++) {
            if (*q < '0' || *q > '9' ||
                (port = port * 10 + (unsigned long)(*q - '0')) > 65535)
                return FUTURL_EURL;
        }
    }
    return FUTURL_OK;
}

futurl_status futurl__url_check(const char *url) {
    size_t n = futurl__url_scheme_len(url);
    if (n == 0)
        return FUTURL_EURL;
    if (!futurl__scheme_allowed(url, n))
        return FUTURL_ESCHEME;
    futurl_status st = url_quick_check(url, n);
    if (st != FUTURL_OK)
        return st;
    CURLU *u = curl_url();
    if (u == NULL)
        return FUTURL_ENOMEM;
    CURLUcode uc = curl_url_set(u, CURLUPART_URL, url, 0);
    curl_url_cleanup(u);
    return uc == CURLUE_OK ? FUTURL_OK : from_curlu(uc);
}

/*
 * Header names the library owns: they say where a message ends or what
 * becomes of the connection, and libcurl writes them from what it sends
 * (the body's length, the URL's host, keep-alive). A caller's value would
 * make the server read the bytes differently from how they were sent:
 * "Content-Length: 5" on a longer body turns the rest into a request of
 * its own, and every later answer on that connection is one out of step.
 * Removing one ("Name:") desynchronises the same way. Proxy-Connection and
 * Keep-Alive are connection-specific like Connection (HTTP/2 forbids all
 * three, RFC 9113 section 8.2.2); Expect is futurl's too: it always sends
 * "Expect:", no 100-continue, because with one libcurl 7.88 may leave the
 * announced body unsent on a connection it keeps (a final status before
 * 100) or retry a 417 on that same connection.
 */
static const struct {
    const char *name;
    size_t len;
} reserved_headers[] = {{"Content-Length", 14},
                        {"Transfer-Encoding", 17},
                        {"Host", 4},
                        {"Connection", 10},
                        {"Upgrade", 7},
                        {"TE", 2},
                        {"Trailer", 7},
                        {"Proxy-Connection", 16},
                        {"Keep-Alive", 10},
                        {"Expect", 6}};

int futurl__header_reserved(const char *name, size_t len) {
    for (size_t i = 0; i < sizeof reserved_headers / sizeof reserved_headers[0]; i++)
        if (futurl__ascii_ieq(name, len, reserved_headers[i].name,
                              reserved_headers[i].len))
            return 1;
    return 0;
}

futurl_status futurl__header_line_check(const char *line, size_t *name_len) {
    size_t n = strcspn(line, ":;");
    if (line[n] == '\0' || !futurl__is_token(line, n) ||
        !futurl__is_field_value(line + n + 1) || futurl__header_reserved(line, n))
        return FUTURL_EHEADER;
    if (line[n] == ';' && line[n + 1] != '\0') /* "Name;" means an empty value */
        return FUTURL_EHEADER;
    *name_len = n;
    return FUTURL_OK;
}

/* Append s percent-encoded by libcurl (curl_easy_escape): RFC 3986
 * unreserved bytes stay, the rest become %XX, so '&', '=', '+', '#' and
 * spaces in values cannot change the query. curl_easy_escape refuses input
 * past 8 MB (CURL_MAX_INPUT_LENGTH) and encodes byte by byte, so a long
 * value goes in pieces; NULL from it is then only out of memory. */
static int append_encoded(futurl__buf *b, const char *s) {
    enum { PIECE = 1 << 20 };
    for (size_t left = strlen(s); left > 0;) {
        int n = left > PIECE ? PIECE : (int)left;
        char *e = curl_easy_escape(NULL, s, n);
        if (e == NULL)
            return -1;
        int rc = futurl__buf_append(b, e, strlen(e));
        curl_free(e);
        if (rc != 0)
            return -1;
        s += n;
        left -= (size_t)n;
    }
    return 0;
}

/* Append "&name=value" (no '&' first), both encoded; b is unchanged on failure. */
static futurl_status append_pair(futurl__buf *b, const char *name, const char *value) {
    size_t old = b->len;
    if ((old != 0 && futurl__buf_append(b, "&", 1) != 0) ||
        append_encoded(b, name) != 0 || futurl__buf_append(b, "=", 1) != 0 ||
        append_encoded(b, value) != 0) {
        b->len = old;
        if (b->data != NULL)
            b->data[old] = '\0';
        return FUTURL_ENOMEM;
    }
    return FUTURL_OK;
}

/* ------------------------------------------------------------- lifecycle */

futurl_status futurl_request_new(const char *method, const char *url,
                                 futurl_request **out) {
    if (out == NULL)
        return FUTURL_EINVAL;
    *out = NULL;
    if (method == NULL || url == NULL || url[0] == '\0')
        return FUTURL_EINVAL;
    size_t method_len = strlen(method);
    if (method_len > FUTURL_MAX_METHOD_LENGTH || !futurl__is_token(method, method_len))
        return FUTURL_EMETHOD;
    if (strlen(url) > FUTURL_MAX_URL_LENGTH)
        return FUTURL_EURL;

    /* The scheme and the cheap check here, no full parse: libcurl parses
     * the URL at perform anyway (url_quick_check). */
    size_t scheme_len = futurl__url_scheme_len(url);
    int absolute = scheme_len != 0;
    if (absolute) {
        if (!futurl__scheme_allowed(url, scheme_len))
            return FUTURL_ESCHEME;
        futurl_status st = url_quick_check(url, scheme_len);
        if (st != FUTURL_OK)
            return st;
    }

    /* One allocation: the struct, then the method and the URL. */
    size_t method_size = strlen(method) + 1, url_size = strlen(url) + 1;
    futurl_request *r = calloc(1, sizeof *r + method_size + url_size);
    if (r == NULL)
        return FUTURL_ENOMEM;
    r->method = memcpy((char *)(r + 1), method, method_size);
    r->url = memcpy(r->method + method_size, url, url_size);
    r->url_is_absolute = absolute;
    /* Methods are case-sensitive (RFC 9110 9.1): "get" is not GET. */
    if (strcmp(method, "GET") == 0)
        r->method_kind = FUTURL__METHOD_GET;
    else if (strcmp(method, "HEAD") == 0)
        r->method_kind = FUTURL__METHOD_HEAD;
    else if (strcmp(method, "POST") == 0)
        r->method_kind = FUTURL__METHOD_POST;
    else
        r->method_kind = FUTURL__METHOD_CUSTOM;
    r->timeout_ms = -1;
    r->deadline_ms = -1;
    r->raise_for_status = -1;
    *out = r;
    return FUTURL_OK;
}

void futurl_request_free(futurl_request *r) {
    if (r == NULL)
        return;
    for (size_t i = 0; i < r->header_count; i++)
        free(r->headers[i].line);
    free(r->headers);
    curl_slist_free_all(r->merged);
    futurl__buf_free(&r->query);
    futurl__buf_free(&r->body);
    futurl__parts_free(r->parts);
    free(r->final_url);
    free(r->retry);
    if (r->run != NULL) {
        futurl__buf_free(&r->run->reasons);
        futurl__response_free(r->run->last);
        free(r->run);
    }
    free(r->host_key);
    free(r->id);
    free(r);
}

futurl__run *futurl__request_run(futurl_request *r) {
    if (r->run == NULL)
        r->run = calloc(1, sizeof *r->run);
    return r->run;
}

int futurl__request_has_idempotency_key(const futurl_request *r) {
    for (size_t i = 0; i < r->header_count; i++) {
        const futurl__header *h = &r->headers[i];
        if (h->op != FUTURL__HEADER_REMOVE &&
            futurl__ascii_ieq(h->line, h->name_len, "Idempotency-Key", 15))
            return 1;
    }
    return 0;
}

/* --------------------------------------------------------------- headers */

/* 1 if h is named name[0..len) (and is a REMOVE op, if only_removes). */
static int header_named(const futurl__header *h, const char *name, size_t len,
                        int only_removes) {
    return (!only_removes || h->op == FUTURL__HEADER_REMOVE) &&
           futurl__ascii_ieq(h->line, h->name_len, name, len);
}

/* Bytes a header line takes in the request head: the line and its CRLF. */
static size_t line_bytes(const char *line) {
    return strlen(line) + 2;
}

/* Bytes of the header ops drop_headers(r, name, len, only_removes) drops. */
static size_t named_bytes(const futurl_request *r, const char *name, size_t len,
                          int only_removes) {
    size_t n = 0;
    for (size_t i = 0; i < r->header_count; i++)
        if (header_named(&r->headers[i], name, len, only_removes))
            n += line_bytes(r->headers[i].line);
    return n;
}

/* Drop every header op named name[0..len) (only the REMOVE ones, if
 * only_removes). */
static void drop_headers(futurl_request *r, const char *name, size_t len,
                         int only_removes) {
    size_t keep = 0;
    for (size_t i = 0; i < r->header_count; i++) {
        futurl__header *h = &r->headers[i];
        if (header_named(h, name, len, only_removes)) {
            r->header_bytes -= line_bytes(h->line);
            free(h->line);
        } else {
            r->headers[keep++] = *h;
        }
    }
    r->header_count = keep;
}

futurl_status futurl__request_put_header(futurl_request *r, const char *name,
                                         const char *value, futurl__header_op op) {
    size_t nlen = strlen(name), vlen = value ? strlen(value) : 0;
    /* An add replaces only earlier removes of the name: a later add must
     * not be swallowed by an earlier remove. */
    int only_removes = op == FUTURL__HEADER_ADD;
    size_t line_len = nlen + (op == FUTURL__HEADER_REMOVE || vlen == 0 ? 1 : 2 + vlen);
    if (line_len + 2 > FUTURL_MAX_HEADER_BYTES ||
        r->header_bytes - named_bytes(r, name, nlen, only_removes) + line_len + 2 >
            FUTURL_MAX_HEADER_BYTES)
        return FUTURL_EHEADER;
    if (r->header_count == r->header_cap) {
        size_t cap = r->header_cap ? 2 * r->header_cap : 4;
        futurl__header *h = realloc(r->headers, cap * sizeof *h);
        if (h == NULL)
            return FUTURL_ENOMEM;
        r->headers = h;
        r->header_cap = cap;
    }
    char *line = malloc(line_len + 1);
    if (line == NULL)
        return FUTURL_ENOMEM;
    memcpy(line, name, nlen);
    if (op == FUTURL__HEADER_REMOVE)
        memcpy(line + nlen, ":", 2);
    else if (vlen == 0)
        memcpy(line + nlen, ";", 2); /* libcurl's spelling of an empty value */
    else {
        memcpy(line + nlen, ": ", 2);
        memcpy(line + nlen + 2, value, vlen + 1);
    }
    drop_headers(r, name, nlen, only_removes);
    r->headers[r->header_count++] = (futurl__header){line, nlen, op};
    r->header_bytes += line_len + 2;
    return FUTURL_OK;
}

static futurl_status check_header(const futurl_request *r, const char *name,
                                  const char *value) {
    if (r == NULL || name == NULL || value == NULL)
        return FUTURL_EINVAL;
    size_t len = strlen(name);
    if (!futurl__is_token(name, len) || !futurl__is_field_value(value) ||
        futurl__header_reserved(name, len))
        return FUTURL_EHEADER;
    return FUTURL_OK;
}

futurl_status futurl_request_set_header(futurl_request *r, const char *name,
                                        const char *value) {
    futurl_status st = check_header(r, name, value);
    return st != FUTURL_OK
               ? st
               : futurl__request_put_header(r, name, value, FUTURL__HEADER_SET);
}

futurl_status futurl_request_add_header(futurl_request *r, const char *name,
                                        const char *value) {
    futurl_status st = check_header(r, name, value);
    return st != FUTURL_OK
               ? st
               : futurl__request_put_header(r, name, value, FUTURL__HEADER_ADD);
}

futurl_status futurl_request_remove_header(futurl_request *r, const char *name) {
    futurl_status st = check_header(r, name, "");
    return st != FUTURL_OK
               ? st
               : futurl__request_put_header(r, name, NULL, FUTURL__HEADER_REMOVE);
}

/* ---------------------------------------------------------- query, body */

futurl_status futurl_request_add_param(futurl_request *r, const char *name,
                                       const char *value) {
    if (r == NULL || name == NULL || value == NULL)
        return FUTURL_EINVAL;
    return append_pair(&r->query, name, value);
}

futurl_status futurl_request_set_body(futurl_request *r, const void *data, size_t len,
                                      const char *content_type) {
    if (r == NULL || (data == NULL && len != 0) || r->body_kind == FUTURL__BODY_MULTIPART)
        return FUTURL_EINVAL;
    if (content_type != NULL) {
        futurl_status st = check_header(r, "Content-Type", content_type);
        if (st != FUTURL_OK)
            return st;
    }
    futurl__buf body = {0};
    if (futurl__buf_append(&body, data, len) != 0)
        return FUTURL_ENOMEM;
    if (content_type != NULL) {
        futurl_status st = futurl__request_put_header(r, "Content-Type", content_type,
                                                      FUTURL__HEADER_SET);
        if (st != FUTURL_OK) {
            futurl__buf_free(&body);
            return st;
        }
    }
    if (content_type == NULL && r->body_kind == FUTURL__BODY_FORM)
        drop_headers(r, "Content-Type", 12, 0); /* the form's, not these bytes' */
    futurl__buf_free(&r->body);
    r->body = body;
    r->body_kind = FUTURL__BODY_BYTES;
    return FUTURL_OK;
}

futurl_status futurl_request_add_form(futurl_request *r, const char *name,
                                      const char *value) {
    if (r == NULL || name == NULL || value == NULL ||
        r->body_kind == FUTURL__BODY_BYTES || r->body_kind == FUTURL__BODY_MULTIPART)
        return FUTURL_EINVAL;
    if (r->body_kind == FUTURL__BODY_NONE) {
        futurl_status st = futurl__request_put_header(
            r, "Content-Type", "application/x-www-form-urlencoded", FUTURL__HEADER_SET);
        if (st != FUTURL_OK)
            return st;
        r->body_kind = FUTURL__BODY_FORM;
    }
    return append_pair(&r->body, name, value);
}

/* ------------------------------------------------------------ overrides */

futurl_status futurl_request_set_timeout(futurl_request *r, long timeout_ms) {
    if (r == NULL || timeout_ms < 0)
        return FUTURL_EINVAL;
    r->timeout_ms = timeout_ms;
    return FUTURL_OK;
}

futurl_status futurl_request_set_raise_for_status(futurl_request *r, int on) {
    if (r == NULL || (on != 0 && on != 1))
        return FUTURL_EINVAL;
    r->raise_for_status = on;
    return FUTURL_OK;
}

futurl_status futurl_request_set_max_response_bytes(futurl_request *r, size_t max_bytes) {
    if (r == NULL)
        return FUTURL_EINVAL;
    r->has_max_bytes = 1;
    r->max_response_bytes = futurl__size_cap(max_bytes);
    return FUTURL_OK;
}

futurl_status futurl_request_set_retry(futurl_request *r, const futurl_retry_policy *p) {
    if (r == NULL || p == NULL || p->max_attempts == 0 || p->base_delay_ms < 0 ||
        p->max_delay_ms < 0 || p->budget_ms < 0)
        return FUTURL_EINVAL;
    if (r->retry == NULL && (r->retry = malloc(sizeof *r->retry)) == NULL)
        return FUTURL_ENOMEM;
    *r->retry = *p;
    return FUTURL_OK;
}

futurl_status futurl_request_set_deadline(futurl_request *r, long deadline_ms) {
    if (r == NULL || deadline_ms < 0)
        return FUTURL_EINVAL;
    r->deadline_ms = deadline_ms;
    return FUTURL_OK;
}

futurl_status futurl_request_on_chunk(futurl_request *r, futurl_chunk_fn fn,
                                      void *userdata) {
    if (r == NULL || fn == NULL)
        return FUTURL_EINVAL;
    r->chunk_fn = fn;
    r->chunk_userdata = userdata;
    r->out = NULL;
    return FUTURL_OK;
}

futurl_status futurl_request_set_output_file(futurl_request *r, FILE *fp) {
    if (r == NULL || fp == NULL)
        return FUTURL_EINVAL;
    r->out = fp;
    r->chunk_fn = NULL;
    r->chunk_userdata = NULL;
    return FUTURL_OK;
}

futurl_status futurl_request_on_progress(futurl_request *r, futurl_progress_fn fn,
                                         void *userdata) {
    if (r == NULL || fn == NULL)
        return FUTURL_EINVAL;
    r->progress_fn = fn;
    r->progress_userdata = userdata;
    return FUTURL_OK;
}

/* --------------------------------------------------------------- prepare */

static futurl_status build_url(futurl_request *r, const char *base_url) {
    if (r->url_is_absolute && r->query.len == 0)
        return FUTURL_OK; /* checked by futurl_request_new */
    if (!r->url_is_absolute && base_url == NULL)
        return FUTURL_EURL;
    /* "///h/x" is "http:///h/x" once joined, a host only by libcurl's
     * guess (see url_quick_check). */
    if (!r->url_is_absolute && strncmp(r->url, "///", 3) == 0)
        return FUTURL_EURL;

    CURLU *u = curl_url();
    if (u == NULL)
        return FUTURL_ENOMEM;
    futurl_status st = FUTURL_OK;
    char *joined = NULL, *scheme = NULL;
    CURLUcode uc = CURLUE_OK;
    /* Setting a relative URL on a handle that holds one resolves it
     * (RFC 3986 section 5), as a browser does. */
    if (!r->url_is_absolute)
        uc = curl_url_set(u, CURLUPART_URL, base_url, 0);
    if (uc == CURLUE_OK)
        uc = curl_url_set(u, CURLUPART_URL, r->url, 0);
    if (uc == CURLUE_OK && r->query.len != 0)
        uc = curl_url_set(u, CURLUPART_QUERY, r->query.data, CURLU_APPENDQUERY);
    if (uc == CURLUE_OK)
        uc = curl_url_get(u, CURLUPART_SCHEME, &scheme, 0);
    if (uc == CURLUE_OK)
        uc = curl_url_get(u, CURLUPART_URL, &joined, 0);
    if (uc != CURLUE_OK)
        st = from_curlu(uc);
    else if (!futurl__scheme_allowed(scheme, strlen(scheme)))
        st = FUTURL_ESCHEME;
    else if (strlen(joined) > FUTURL_MAX_URL_LENGTH)
        st = FUTURL_EURL;
    else /* libcurl writes the host decoded: "%2541" reads "%41" now, and
          * libcurl would decode it once more at perform. Check what it gets. */
        st = url_quick_check(joined, strlen(scheme));
    if (st == FUTURL_OK && (r->final_url = dup_string(joined)) == NULL)
        st = FUTURL_ENOMEM;
    curl_free(scheme);
    curl_free(joined);
    curl_url_cleanup(u);
    return st;
}

static int has_header(const futurl_request *r, const struct curl_slist *defaults,
                      const char *name) {
    size_t len = strlen(name);
    for (size_t i = 0; i < r->header_count; i++)
        if (futurl__ascii_ieq(r->headers[i].line, r->headers[i].name_len, name, len))
            return 1;
    for (const struct curl_slist *d = defaults; d != NULL; d = d->next)
        if (futurl__ascii_ieq(d->data, strcspn(d->data, ":;"), name, len))
            return 1;
    return 0;
}

/* The request's own list: defaults it does not name, then its lines. */
static futurl_status build_headers(futurl_request *r, const struct curl_slist *defaults) {
    /* A body without a type: keep libcurl from claiming it is a form. */
    int untyped_body = r->sends_body && r->body_kind != FUTURL__BODY_MULTIPART &&
                       !has_header(r, defaults, "Content-Type");
    if (r->header_count == 0 && !untyped_body)
        return FUTURL_OK; /* the client's shared list serves as it is */

    struct curl_slist *list = NULL, *tmp;
    for (const struct curl_slist *d = defaults; d != NULL; d = d->next) {
        size_t n = strcspn(d->data, ":;");
        int overridden = 0;
        for (size_t i = 0; i < r->header_count && !overridden; i++)
            overridden =
                futurl__ascii_ieq(r->headers[i].line, r->headers[i].name_len, d->data, n);
        if (!overridden) {
            if ((tmp = curl_slist_append(list, d->data)) == NULL)
                goto nomem;
            list = tmp;
        }
    }
    for (size_t i = 0; i < r->header_count; i++) {
        if ((tmp = curl_slist_append(list, r->headers[i].line)) == NULL)
            goto nomem;
        list = tmp;
    }
    if (untyped_body) {
        if ((tmp = curl_slist_append(list, "Content-Type:")) == NULL)
            goto nomem;
        list = tmp;
    }
    r->merged = list;
    return FUTURL_OK;
nomem:
    curl_slist_free_all(list);
    return FUTURL_ENOMEM;
}

futurl_status futurl__request_prepare(futurl_request *r, const char *base_url,
                                      const struct curl_slist *defaults) {
    if (r->prepared)
        return FUTURL_OK;
    /* POST, PUT and PATCH always carry a body, if empty (Content-Length: 0),
     * as browsers and Python's requests send them; HEAD never does. */
    if (r->body_kind != FUTURL__BODY_NONE)
        r->sends_body = r->method_kind != FUTURL__METHOD_HEAD;
    else
        r->sends_body = strcmp(r->method, "POST") == 0 || strcmp(r->method, "PUT") == 0 ||
                        strcmp(r->method, "PATCH") == 0;
    /* A body goes out with POSTFIELDS, which alone would make libcurl send
     * POST: a GET with a body names its method. */
    if (r->sends_body && r->method_kind == FUTURL__METHOD_GET)
        r->method_kind = FUTURL__METHOD_CUSTOM;
    futurl_status st = build_url(r, base_url);
    if (st == FUTURL_OK)
        st = build_headers(r, defaults);
    if (st != FUTURL_OK)
        return st;
    r->prepared = 1;
    return FUTURL_OK;
}
