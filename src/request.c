/*
 * src/request.c — the request builder: method and URL checks, headers
 * (validated when set, merged with the client's defaults at submit), query
 * parameters and form fields (percent-encoded), bodies, per-request
 * overrides and sinks. JSON bodies live in json.c.
 */
#include "request.h"
#include "response.h"

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

/* Bytes libcurl 7.88 refuses in a host name (urlapi.c hostname_check; it
 * also refuses some percent-escapes, left to its parse). */
static int bad_host_byte(unsigned char c) {
    return c <= 0x20 || c == 0x7f || strchr("/:#?!@{}[]\\$'\"^`*<>=;,+&()", c) != NULL;
}

/*
 * The cheap check of an absolute URL whose scheme (url[0..scheme_len)) is
 * allowed: a linear scan for what libcurl's parser refuses most often, so
 * that a request is not parsed twice (libcurl parses it again at perform).
 * No control byte or space anywhere (CR/LF could smuggle a request line);
 * one to three slashes, then an authority with a non-empty host (a
 * bracketed IPv6 literal or a name of allowed bytes) and at most a decimal
 * port up to 65535. It refuses only URLs libcurl refuses too; what only
 * libcurl's full parse finds (a bad IPv6 literal, say) makes the transfer
 * fail with CURLE_URL_MALFORMAT before anything is sent: FUTURL_EURL as
 * the future's outcome.
 */
static futurl_status url_quick_check(const char *url, size_t scheme_len) {
    for (const char *s = url; *s; s++)
        if ((unsigned char)*s <= 0x20 || *s == 0x7f)
            return FUTURL_EURL;
    const char *p = url + scheme_len + 1;
    size_t slashes = 0;
    while (p[slashes] == '/')
        slashes++;
    if (slashes == 0 || slashes > 3)
        return FUTURL_EURL;
    p += slashes;
    size_t auth_len = strcspn(p, "/?#");
    const char *at = memchr(p, '@', auth_len);
    if (at != NULL) { /* user info ends at the first '@' */
        auth_len -= (size_t)(at + 1 - p);
        p = at + 1;
    }
    const char *end = p + auth_len, *q = p;
    if (q < end && *q == '[') {
        int colon = 0;
        for (q++; q < end && *q != ']' && *q != '%'; q++) {
            unsigned char c = (unsigned char)*q;
            if (!(c == ':' || c == '.' || (c >= '0' && c <= '9') ||
                  (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')))
                return FUTURL_EURL;
            colon |= c == ':';
        }
        while (q < end && *q != ']') /* a zone id */
            q++;
        if (q == end || !colon)
            return FUTURL_EURL;
        q++;
    } else {
        while (q < end && *q != ':') {
            if (bad_host_byte((unsigned char)*q))
                return FUTURL_EURL;
            q++;
        }
        if (q == p)
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

futurl_status futurl__header_line_check(const char *line, size_t *name_len) {
    size_t n = strcspn(line, ":;");
    if (line[n] == '\0' || !futurl__is_token(line, n) ||
        !futurl__is_field_value(line + n + 1))
        return FUTURL_EHEADER;
    if (line[n] == ';' && line[n + 1] != '\0') /* "Name;" means an empty value */
        return FUTURL_EHEADER;
    *name_len = n;
    return FUTURL_OK;
}

/* Append s percent-encoded: RFC 3986 unreserved bytes stay, the rest become
 * %XX (so '&', '=', '+', '#' and spaces in values cannot change the query). */
static int append_encoded(futurl__buf *b, const char *s) {
    static const char hex[] = "0123456789ABCDEF";
    size_t n = strlen(s);
    if (futurl__buf_reserve(b, 3 * n) != 0)
        return -1;
    char *p = b->data + b->len;
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
            c == '-' || c == '.' || c == '_' || c == '~') {
            *p++ = (char)c;
        } else {
            *p++ = '%';
            *p++ = hex[c >> 4];
            *p++ = hex[c & 15];
        }
    }
    *p = '\0';
    b->len = (size_t)(p - b->data);
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
    if (!futurl__is_token(method, strlen(method)))
        return FUTURL_EMETHOD;

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
    free(r->final_url);
    free(r->retry);
    if (r->run != NULL) {
        futurl__buf_free(&r->run->reasons);
        futurl__response_free(r->run->last);
        free(r->run->host_key);
        free(r->run);
    }
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

/* Drop every header op named name[0..len). */
static void drop_headers(futurl_request *r, const char *name, size_t len) {
    size_t keep = 0;
    for (size_t i = 0; i < r->header_count; i++) {
        futurl__header *h = &r->headers[i];
        if (futurl__ascii_ieq(h->line, h->name_len, name, len))
            free(h->line);
        else
            r->headers[keep++] = *h;
    }
    r->header_count = keep;
}

futurl_status futurl__request_put_header(futurl_request *r, const char *name,
                                         const char *value, futurl__header_op op) {
    size_t nlen = strlen(name), vlen = value ? strlen(value) : 0;
    if (r->header_count == r->header_cap) {
        size_t cap = r->header_cap ? 2 * r->header_cap : 4;
        futurl__header *h = realloc(r->headers, cap * sizeof *h);
        if (h == NULL)
            return FUTURL_ENOMEM;
        r->headers = h;
        r->header_cap = cap;
    }
    char *line = malloc(nlen + vlen + 3);
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

    if (op == FUTURL__HEADER_ADD) {
        /* A later add must not be swallowed by an earlier remove. */
        size_t keep = 0;
        for (size_t i = 0; i < r->header_count; i++) {
            futurl__header *h = &r->headers[i];
            if (h->op == FUTURL__HEADER_REMOVE &&
                futurl__ascii_ieq(h->line, h->name_len, name, nlen))
                free(h->line);
            else
                r->headers[keep++] = *h;
        }
        r->header_count = keep;
    } else {
        drop_headers(r, name, nlen);
    }
    r->headers[r->header_count++] = (futurl__header){line, nlen, op};
    return FUTURL_OK;
}

static futurl_status check_header(const futurl_request *r, const char *name,
                                  const char *value) {
    if (r == NULL || name == NULL || value == NULL)
        return FUTURL_EINVAL;
    if (!futurl__is_token(name, strlen(name)) || !futurl__is_field_value(value))
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
    if (r == NULL || (data == NULL && len != 0))
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
        drop_headers(r, "Content-Type", 12); /* the form's, not these bytes' */
    futurl__buf_free(&r->body);
    r->body = body;
    r->body_kind = FUTURL__BODY_BYTES;
    return FUTURL_OK;
}

futurl_status futurl_request_add_form(futurl_request *r, const char *name,
                                      const char *value) {
    if (r == NULL || name == NULL || value == NULL || r->body_kind == FUTURL__BODY_BYTES)
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
    r->max_response_bytes = max_bytes;
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
    else if ((r->final_url = dup_string(joined)) == NULL)
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
    int untyped_body = r->sends_body && !has_header(r, defaults, "Content-Type");
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
    /* A body goes out with POSTFIELDS, which alone would make libcurl send
     * POST: a GET with a body names its method. */
    if (r->sends_body && r->method_kind == FUTURL__METHOD_GET)
        r->method_kind = FUTURL__METHOD_CUSTOM;
    else
        r->sends_body = strcmp(r->method, "POST") == 0 || strcmp(r->method, "PUT") == 0 ||
                        strcmp(r->method, "PATCH") == 0;
    futurl_status st = build_url(r, base_url);
    if (st == FUTURL_OK)
        st = build_headers(r, defaults);
    if (st != FUTURL_OK)
        return st;
    r->prepared = 1;
    return FUTURL_OK;
}
