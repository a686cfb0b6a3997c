/*
 * src/shortcuts.c — the short forms for common code: per-call settings in
 * a plain struct (futurl_request_options) applied through the request
 * setters, the one-liner that takes them (futurl_client_request), and a
 * GET of a URL list gathered (futurl_gather_get), where a URL that cannot
 * be submitted still gets a future, one that has already failed. Only
 * public calls of the request and client, plus futurl__future_new() and
 * futurl__complete() for those failed futures: nothing here bypasses a
 * check.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "client_data.h"
#include "future.h"

void futurl_request_options_init(futurl_request_options *opts) {
    if (opts != NULL)
        memset(opts, 0, sizeof *opts);
}

/* ------------------------------------------------------ applying options */

static int is_ows(char c) {
    return c == ' ' || c == '\t';
}

/* One "Name: value", "Name;" or "Name:" line, checked as the client's
 * default headers are, then set (empty: removed) on r. */
static futurl_status apply_header(futurl_request *r, const char *line) {
    size_t n;
    if (futurl__header_line_check(line, &n) != FUTURL_OK)
        return FUTURL_EHEADER;
    char *name = strndup(line, n);
    if (name == NULL)
        return FUTURL_ENOMEM;
    futurl_status st;
    if (line[n] == ';') {
        st = futurl_request_set_header(r, name, "");
    } else {
        const char *v = line + n + 1, *end = v + strlen(v);
        while (is_ows(*v))
            v++;
        while (end > v && is_ows(end[-1]))
            end--;
        char *value = end > v ? strndup(v, (size_t)(end - v)) : NULL;
        if (end > v && value == NULL)
            st = FUTURL_ENOMEM;
        else if (value == NULL)
            st = futurl_request_remove_header(r, name); /* "Name:" sends none */
        else
            st = futurl_request_set_header(r, name, value);
        free(value);
    }
    free(name);
    return st;
}

/* A timeout or deadline field: 0 the client's (nothing to set), negative none. */
static futurl_status apply_ms(futurl_request *r, long ms,
                              futurl_status (*set)(futurl_request *, long)) {
    return ms == 0 ? FUTURL_OK : set(r, ms < 0 ? 0 : ms);
}

/* Every field of o on r, through the setter that checks it. */
static futurl_status apply(const futurl_client *c, futurl_request *r,
                           const futurl_request_options *o) {
    int has_body = o->body != NULL || o->body_len > 0 || o->content_type != NULL;
    if (o->raise_for_status < -1 || o->raise_for_status > 1 ||
        (o->json != NULL && has_body))
        return FUTURL_EINVAL;
    size_t nparams = 0;
    if (o->params != NULL)
        while (o->params[nparams] != NULL)
            nparams++;
    if (nparams % 2 != 0)
        return FUTURL_EINVAL; /* a name without its value */

    futurl_status st = apply_ms(r, o->timeout_ms, futurl_request_set_timeout);
    if (st == FUTURL_OK)
        st = apply_ms(r, o->deadline_ms, futurl_request_set_deadline);
    if (st == FUTURL_OK && o->raise_for_status != 0)
        st = futurl_request_set_raise_for_status(r, o->raise_for_status > 0);
    if (st == FUTURL_OK && (o->retry != NULL || o->max_attempts != 0)) {
        futurl_retry_policy p = o->retry != NULL ? *o->retry : c->opts.retry;
        if (o->max_attempts != 0)
            p.max_attempts = o->max_attempts;
        st = futurl_request_set_retry(r, &p);
    }
    for (size_t i = 0; st == FUTURL_OK && o->headers != NULL && o->headers[i]; i++)
        st = apply_header(r, o->headers[i]);
    for (size_t i = 0; st == FUTURL_OK && i < nparams; i += 2)
        st = futurl_request_add_param(r, o->params[i], o->params[i + 1]);
    if (st == FUTURL_OK && o->json != NULL)
        st = futurl_request_set_json(r, o->json);
    if (st == FUTURL_OK && has_body)
        st = futurl_request_set_body(r, o->body, o->body_len, o->content_type);
    if (st == FUTURL_OK && o->id != NULL)
        st = futurl_request_set_id(r, o->id);
    return st;
}

futurl_status futurl_client_request(futurl_client *c, const char *method, const char *url,
                                    const futurl_request_options *opts,
                                    futurl_future **out) {
    if (out != NULL)
        *out = NULL;
    if (c == NULL || method == NULL || url == NULL || out == NULL)
        return FUTURL_EINVAL;
    futurl_request *r;
    futurl_status st = futurl_request_new(method, url, &r);
    if (st != FUTURL_OK)
        return st;
    if (opts != NULL && (st = apply(c, r, opts)) != FUTURL_OK) {
        futurl_request_free(r);
        return st;
    }
    return futurl_client_submit(c, r, out); /* steals r */
}

/* ------------------------------------------------------ gather of URLs */

/* Failed futures are final from birth: nobody cancels them, and they
 * belong to no executor, so no hook hears of them. */
static int cancel_nothing(futurl__future_owner *owner, futurl_future *f) {
    (void)owner;
    (void)f;
    return 0;
}
static futurl__future_owner finished_owner = {.cancel = cancel_nothing};

/* Longest piece of a URL quoted in a failed future's message. */
#define QUOTED_URL_MAX 200

/* A future already FAILED with st, its message naming url; NULL when out
 * of memory. */
static futurl_future *failed_future(futurl_status st, const char *url) {
    futurl_future *f = futurl__future_new(&finished_owner, NULL, NULL, NULL, NULL);
    if (f == NULL)
        return NULL;
    char *msg = NULL;
    int len = url == NULL ? asprintf(&msg, "%s: the URL is NULL", futurl_err_name(st))
                          : asprintf(&msg, "%s: GET %.*s%s: %s", futurl_err_name(st),
                                     QUOTED_URL_MAX, url,
                                     strlen(url) > QUOTED_URL_MAX ? "..." : "",
                                     futurl_strerror(st));
    if (len < 0) {
        futurl__future_discard(f);
        return NULL;
    }
    futurl__complete(f, st, NULL, msg); /* steals msg */
    (void)futurl__future_unref(f);      /* the executor's reference: none runs it */
    return f;
}

futurl_status futurl_gather_get(futurl_client *c, const char *const *urls, size_t n,
                                const futurl_request_options *opts, futurl_future **fs,
                                futurl_gather_counts *counts) {
    if (counts != NULL)
        memset(counts, 0, sizeof *counts);
    if (c == NULL || (n > 0 && (urls == NULL || fs == NULL)))
        return FUTURL_EINVAL;
    for (size_t i = 0; i < n; i++) {
        futurl_status st = urls[i] == NULL
                               ? FUTURL_EINVAL
                               : futurl_client_request(c, "GET", urls[i], opts, &fs[i]);
        if (st != FUTURL_OK && (fs[i] = failed_future(st, urls[i])) == NULL) {
            for (size_t j = 0; j < n; j++) {
                if (j < i) {
                    (void)futurl_future_cancel(fs[j]);
                    futurl_future_free(fs[j]);
                }
                fs[j] = NULL;
            }
            return FUTURL_ENOMEM;
        }
    }
    futurl_status st = futurl_gather(fs, n, -1, 0, counts);
    if (st != FUTURL_ENOMEM)
        return st;
    /* No memory for the gather's own bookkeeping: wait for each in turn,
     * which allocates nothing, and count by hand. */
    st = FUTURL_OK;
    for (size_t i = 0; i < n; i++) {
        if (futurl_future_wait(fs[i]) == FUTURL_EDEADLK)
            st = FUTURL_EDEADLK;
        if (counts == NULL)
            continue;
        switch (futurl_future_state(fs[i])) {
        case FUTURL_DONE:
            counts->ok++;
            break;
        case FUTURL_FAILED:
            counts->failed++;
            break;
        case FUTURL_CANCELLED:
            counts->cancelled++;
            break;
        default:
            counts->pending++;
        }
    }
    return st;
}

/* ------------------------------------------------------ one-shot gather */

futurl_status futurl_get_all(const char *const *urls, size_t n,
                             const futurl_request_options *opts, futurl_future **fs,
                             futurl_gather_counts *counts) {
    if (counts != NULL)
        memset(counts, 0, sizeof *counts);
    if (n > 0 && (urls == NULL || fs == NULL))
        return FUTURL_EINVAL;
    if (n == 0)
        return FUTURL_OK;
    for (size_t i = 0; i < n; i++)
        fs[i] = NULL;
    futurl_client_options o;
    futurl_client_options_init(&o);
    o.workers = n < FUTURL_GET_ALL_MAX_WORKERS ? (unsigned)n : FUTURL_GET_ALL_MAX_WORKERS;
    futurl_client *c;
    futurl_status st = futurl_client_create(&o, &c);
    if (st != FUTURL_OK)
        return st;
    /* A client of our own: none of its threads is this one, so gather
     * cannot answer FUTURL_EDEADLK, and every future has finished. */
    st = futurl_gather_get(c, urls, n, opts, fs, counts);
    futurl_client_destroy(c);
    return st;
}

/* ------------------------------------------------------ a future's JSON */

long futurl_future_http_status(const futurl_future *f) {
    return futurl_response_status(futurl_future_response(f));
}

/* The response of f when it ended DONE; otherwise f's outcome, or
 * FUTURL_EINVAL when f is NULL or not an HTTP future. */
static futurl_status done_response(const futurl_future *f, const futurl_response **r) {
    if (f == NULL)
        return FUTURL_EINVAL;
    futurl_status st = futurl_future_status(f);
    if (st == FUTURL_OK && (*r = futurl_future_response(f)) == NULL)
        st = FUTURL_EINVAL;
    return st;
}

/* Each accessor: arguments, then f's outcome, then the response's own. */
#define FUTURE_JSON(name, type, zero)                                                    \
    futurl_status futurl_future_json_##name(const futurl_future *f, const char *path,    \
                                            type *out) {                                 \
        const futurl_response *r = NULL;                                                 \
        futurl_status st =                                                               \
            out == NULL || path == NULL ? FUTURL_EINVAL : done_response(f, &r);          \
        if (st == FUTURL_OK)                                                             \
            return futurl_response_json_##name(r, path, out);                            \
        if (out != NULL)                                                                 \
            *out = zero;                                                                 \
        return st;                                                                       \
    }
FUTURE_JSON(value, const struct cJSON *, NULL)
FUTURE_JSON(string, const char *, NULL)
FUTURE_JSON(number, double, 0)
FUTURE_JSON(int, int64_t, 0)
FUTURE_JSON(bool, int, 0)
