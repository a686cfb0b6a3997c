/*
 * src/client.c — the HTTP client object: options and their defaults,
 * create (checks and copies the options, builds the shared default header
 * list, the DNS share and the cookie jar, then starts the pool whose
 * workers each set up one easy handle: handle.c), submit and the
 * one-liners, shutdown and destroy.
 */
#include "client.h"

#include "handle.h"
#include "http_job.h"
#include "mock.h"
#include "proxy.h"
#include "stream.h"
#include "trace.h"

#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/un.h>

#include "clock.h"
#include "executor.h"
#include "http.h"

#define DEFAULT_USER_AGENT "futurl/" FUTURL_VERSION_STRING

/* At most this much memory in large body buffers kept for reuse. */
#define BODY_POOL_BYTES (64u * 1024u * 1024u)
/* At most this much memory in spare response slabs (response.c). */
#define SLAB_POOL_BYTES (4u * 1024u * 1024u)

/* The string options, copied at create and freed at destroy. */
static const size_t string_options[] = {
    offsetof(futurl_client_options, thread_name),
    offsetof(futurl_client_options, base_url),
    offsetof(futurl_client_options, user_agent),
    offsetof(futurl_client_options, ca_file),
    offsetof(futurl_client_options, ca_path),
    offsetof(futurl_client_options, client_cert),
    offsetof(futurl_client_options, client_key),
    offsetof(futurl_client_options, proxy),
    offsetof(futurl_client_options, username),
    offsetof(futurl_client_options, password),
    offsetof(futurl_client_options, bearer_token),
    offsetof(futurl_client_options, cookies),
    offsetof(futurl_client_options, unix_socket_path),
    offsetof(futurl_client_options, proxy_username),
    offsetof(futurl_client_options, proxy_password),
    offsetof(futurl_client_options, proxy_ca_file),
    offsetof(futurl_client_options, no_proxy),
};
#define STRING_OPTIONS (sizeof string_options / sizeof string_options[0])

static const char **string_option(futurl_client_options *o, size_t i) {
    return (const char **)(void *)((char *)o + string_options[i]);
}

void futurl_client_options_init(futurl_client_options *opts) {
    if (opts == NULL)
        return;
    memset(opts, 0, sizeof *opts);
    opts->user_agent = DEFAULT_USER_AGENT;
    opts->connect_timeout_ms = FUTURL_DEFAULT_CONNECT_TIMEOUT_MS;
    opts->timeout_ms = FUTURL_DEFAULT_TIMEOUT_MS;
    opts->follow_redirects = 1;
    opts->max_redirects = FUTURL_DEFAULT_MAX_REDIRECTS;
    opts->verify_tls = 1;
    opts->cookie_jar = 1;
    opts->max_cookies = FUTURL_DEFAULT_MAX_COOKIES;
    opts->max_cookies_per_domain = FUTURL_DEFAULT_MAX_COOKIES_PER_DOMAIN;
    opts->max_response_bytes = FUTURL_DEFAULT_MAX_RESPONSE_BYTES;
    opts->decompress = 1;
    opts->http2 = 1;
    opts->keepalive_per_worker = FUTURL_DEFAULT_KEEPALIVE_PER_WORKER;
    futurl_retry_policy_init(&opts->retry);
    opts->rate_burst = 1;
    opts->host_rate_burst = 1;
    opts->hold_on_429 = 1;
    opts->stream_buffer_bytes = FUTURL_DEFAULT_STREAM_BUFFER_BYTES;
}

/* The executor's completion hook: count the outcome of HTTP futures (the
 * caller's own jobs on this executor are not requests). */
static void count_outcome(void *client, futurl_future *f) {
    futurl_client *c = client;
    if (futurl__future_free_result_fn(f) != futurl__response_free)
        return;
    atomic_uint_fast64_t *counter;
    switch (futurl_future_state(f)) {
    case FUTURL_DONE:
        counter = &c->stats.succeeded;
        break;
    case FUTURL_CANCELLED:
        counter = &c->stats.cancelled;
        break;
    default:
        counter = &c->stats.failed;
        break;
    }
    atomic_fetch_add_explicit(counter, 1, memory_order_relaxed);
}

/* opts.cookies into "name\tvalue" pairs (client.h). */
futurl_status futurl__split_static_cookies(futurl_client *c, const char *cookies) {
    const char *p = cookies;
    size_t sent = 0;
    while (*p != '\0') {
        while (*p == ' ' || *p == ';')
            p++;
        if (*p == '\0')
            break;
        size_t len = strcspn(p, ";");
        const char *eq = memchr(p, '=', len);
        size_t value_len = eq ? len - (size_t)(eq + 1 - p) : 0;
        while (value_len > 0 && eq[value_len] == ' ')
            value_len--; /* trailing spaces before the next ';' */
        if (eq == NULL || !futurl__is_token(p, (size_t)(eq - p)) ||
            memchr(eq + 1, '\t', value_len) != NULL)
            return FUTURL_EHEADER;
        sent += (c->static_cookie_count ? 2 : 0) + (size_t)(eq - p) + 1 + value_len;
        if (c->static_cookie_count == FUTURL_MAX_COOKIES ||
            sent > FUTURL_MAX_COOKIE_BYTES)
            return FUTURL_EHEADER;
        char **v = realloc(c->static_cookies, (c->static_cookie_count + 1) * sizeof *v);
        if (v == NULL)
            return FUTURL_ENOMEM;
        c->static_cookies = v;
        size_t name_len = (size_t)(eq - p);
        char *pair = malloc(name_len + 1 + value_len + 1);
        if (pair == NULL)
            return FUTURL_ENOMEM;
        memcpy(pair, p, name_len);
        pair[name_len] = '\t';
        memcpy(pair + name_len + 1, eq + 1, value_len);
        pair[name_len + 1 + value_len] = '\0';
        v[c->static_cookie_count++] = pair;
        p += len;
    }
    c->static_cookie_bytes = sent;
    return FUTURL_OK;
}

/* libcurl 7.88 (http.c, MAX_COOKIE_HEADER_LEN) leaves out every cookie from
 * the first one that would take the request head, up to and with it, to
 * this many bytes. */
#define LIBCURL_COOKIE_HEAD_MAX 8190u

/* What libcurl writes before the Cookie header besides the request line
 * and Host's value (per request: static_cookies_fit), and the
 * static cookies themselves; an upper bound. */
static size_t cookie_head_fixed(const futurl_client *c) {
    const futurl_client_options *o = &c->opts;
    size_t n = sizeof " HTTP/1.1\r\nHost: \r\n" - 1;
    if (o->user_agent[0] != '\0')
        n += sizeof "User-Agent: \r\n" - 1 + strlen(o->user_agent);
    if (o->bearer_token != NULL)
        n += sizeof "Authorization: Bearer \r\n" - 1 + strlen(o->bearer_token);
    else if (o->username != NULL) /* base64 of "user:password" */
        n +=
            sizeof "Authorization: Basic \r\n" - 1 +
            4 * ((strlen(o->username) + 1 + (o->password ? strlen(o->password) : 0) + 2) /
                 3);
    if (o->proxy != NULL) /* credentials in the proxy URL, base64 */
        n += sizeof "Proxy-Connection: Keep-Alive\r\nProxy-Authorization: Basic \r\n" -
             1 + 4 * ((strlen(o->proxy) + 2) / 3);
    if (o->proxy_username != NULL) /* "user:password", base64 */
        n += sizeof "Proxy-Authorization: Basic \r\n" - 1 +
             4 * ((strlen(o->proxy_username) + 1 +
                   (o->proxy_password ? strlen(o->proxy_password) : 0) + 2) /
                  3);
    n += sizeof "Accept: */*\r\nAccept-Encoding: \r\nCookie: " - 1 +
         64; /* libcurl's list of encodings, "deflate, gzip, br, zstd" */
    return n + c->static_cookie_bytes;
}

/* 1 if libcurl will send all of c's static cookies with the prepared
 * request r: its request head up to the end of them stays under
 * LIBCURL_COOKIE_HEAD_MAX. */
static int static_cookies_fit(const futurl_client *c, const futurl_request *r) {
    if (c->static_cookie_count == 0)
        return 1;
    const char *url = futurl__request_url(r);
    const char *sep = strstr(url, "://");
    size_t url_len = strlen(url), host_len = sep ? strcspn(sep + 3, "/?#") : url_len;
    /* "METHOD target" (the target at most the URL), Host's value, and
     * libcurl's "+ 1" in its comparison. */
    size_t head = strlen(r->method) + 1 + url_len + host_len + c->cookie_head + 1;
    return head < LIBCURL_COOKIE_HEAD_MAX;
}

/* ---------------------------------------------------------------- create */

/* libcurl copies unix_socket_path into a sockaddr_un with its NUL. */
_Static_assert(FUTURL_MAX_UNIX_SOCKET_PATH < sizeof(((struct sockaddr_un *)0)->sun_path),
               "FUTURL_MAX_UNIX_SOCKET_PATH must fit sun_path");

/* 1 if s (may be NULL) is longer than max bytes. */
static int too_long(const char *s, size_t max) {
    return s != NULL && strnlen(s, max + 1) > max;
}

/* A proxy string: no space or control byte (libcurl would take CR/LF or a
 * space for part of the host and fail every request to resolve it). */
static int proxy_ok(const char *proxy) {
    if (too_long(proxy, FUTURL_MAX_URL_LENGTH))
        return 0;
    for (const unsigned char *p = (const unsigned char *)proxy; *p; p++)
        if (*p <= 0x20 || *p == 0x7f)
            return 0;
    return 1;
}

/* 0 (no limit) or a rate in range; refuses NaN too. */
static int rate_ok(double rate) {
    return rate == 0 || (rate >= FUTURL_MIN_RATE_LIMIT && rate <= FUTURL_MAX_RATE_LIMIT);
}

static futurl_status check_options(const futurl_client_options *o) {
    if (o->connect_timeout_ms < 0 || o->timeout_ms < 0 || o->max_redirects < 0 ||
        (o->bearer_token != NULL && o->username != NULL) ||
        (o->password != NULL && o->username == NULL) ||
        (o->mock_userdata != NULL && o->mock == NULL))
        return FUTURL_EINVAL;
    /* Strings libcurl would refuse at setopt (or send in a request head
     * it cannot build): refused here, by the call that takes them. */
    const char *plain[] = {o->username, o->password,    o->ca_file,
                           o->ca_path,  o->client_cert, o->client_key};
    for (size_t i = 0; i < sizeof plain / sizeof plain[0]; i++)
        if (too_long(plain[i], FUTURL_MAX_OPTION_LENGTH))
            return FUTURL_EINVAL;
    if (o->unix_socket_path != NULL &&
        (o->unix_socket_path[0] == '\0' ||
         too_long(o->unix_socket_path, FUTURL_MAX_UNIX_SOCKET_PATH)))
        return FUTURL_EINVAL;
    if (futurl__proxy_options_check(o) != FUTURL_OK)
        return FUTURL_EINVAL;
    if (too_long(o->user_agent, FUTURL_MAX_OPTION_LENGTH) ||
        too_long(o->bearer_token, FUTURL_MAX_OPTION_LENGTH))
        return FUTURL_EHEADER;
    if (too_long(o->base_url, FUTURL_MAX_URL_LENGTH) ||
        (o->proxy != NULL && !proxy_ok(o->proxy)))
        return FUTURL_EURL;
    const futurl_retry_policy *p = &o->retry;
    /* !(x >= 0) also refuses NaN. */
    if (p->max_attempts == 0 || p->base_delay_ms < 0 || p->max_delay_ms < 0 ||
        p->budget_ms < 0 || o->deadline_ms < 0 || !rate_ok(o->rate_limit) ||
        !rate_ok(o->host_rate_limit))
        return FUTURL_EINVAL;
    if (o->keepalive_per_worker > FUTURL_MAX_KEEPALIVE_PER_WORKER)
        return FUTURL_EINVAL;
    if (o->max_cookies == 0 || o->max_cookies > FUTURL_MAX_COOKIES_LIMIT ||
        o->max_cookies_per_domain == 0 ||
        o->max_cookies_per_domain > FUTURL_MAX_COOKIES_LIMIT)
        return FUTURL_EINVAL;
    if (o->base_url != NULL) {
        futurl_status st = futurl__url_check(o->base_url);
        if (st != FUTURL_OK)
            return st;
    }
    /* Strings that end up inside header lines. */
    const char *fields[] = {o->user_agent, o->bearer_token, o->cookies};
    for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++)
        if (fields[i] != NULL && !futurl__is_field_value(fields[i]))
            return FUTURL_EHEADER;
    return FUTURL_OK;
}

/* The list every request sends unless it has its own: the caller's headers
 * and "Expect:" (no 100-continue round trip before a body; Expect is one of
 * the names a caller cannot set, so no request overrides it). */
static futurl_status build_default_headers(futurl_client *c, const char *const *headers) {
    size_t bytes = 0;
    for (size_t i = 0; headers != NULL && headers[i] != NULL; i++) {
        size_t name_len;
        if (futurl__header_line_check(headers[i], &name_len) != FUTURL_OK ||
            (bytes += strnlen(headers[i], FUTURL_MAX_HEADER_BYTES) + 2) >
                FUTURL_MAX_HEADER_BYTES)
            return FUTURL_EHEADER;
        struct curl_slist *l = curl_slist_append(c->default_headers, headers[i]);
        if (l == NULL)
            return FUTURL_ENOMEM;
        c->default_headers = l;
    }
    struct curl_slist *l = curl_slist_append(c->default_headers, "Expect:");
    if (l == NULL)
        return FUTURL_ENOMEM;
    c->default_headers = l;
    return FUTURL_OK;
}

static void share_lock(CURL *easy, curl_lock_data data, curl_lock_access access,
                       void *client) {
    futurl_client *c = client;
    (void)easy;
    (void)access;
    pthread_mutex_lock(&c->share_locks[data]);
}

static void share_unlock(CURL *easy, curl_lock_data data, void *client) {
    futurl_client *c = client;
    (void)easy;
    pthread_mutex_unlock(&c->share_locks[data]);
}

/* The DNS cache, shared by every worker; nothing else (see DESIGN.md). */
static futurl_status create_share(futurl_client *c) {
    for (int i = 0; i < CURL_LOCK_DATA_LAST; i++) {
        if (pthread_mutex_init(&c->share_locks[i], NULL) != 0) {
            while (i-- > 0)
                pthread_mutex_destroy(&c->share_locks[i]);
            return FUTURL_ENOMEM;
        }
    }
    c->share_locks_ready = 1;
    c->share = curl_share_init();
    if (c->share == NULL)
        return FUTURL_ENOMEM;
    if (curl_share_setopt(c->share, CURLSHOPT_LOCKFUNC, share_lock) != CURLSHE_OK ||
        curl_share_setopt(c->share, CURLSHOPT_UNLOCKFUNC, share_unlock) != CURLSHE_OK ||
        curl_share_setopt(c->share, CURLSHOPT_USERDATA, (void *)c) != CURLSHE_OK ||
        curl_share_setopt(c->share, CURLSHOPT_SHARE, CURL_LOCK_DATA_DNS) != CURLSHE_OK)
        return FUTURL_ECURL;
    return FUTURL_OK;
}

/* Try the options on a scratch handle, so that a bad one fails create
 * rather than every request. */
static futurl_status check_handle(futurl_client *c) {
    CURL *easy = curl_easy_init();
    if (easy == NULL)
        return FUTURL_ENOMEM;
    char msg[CURL_ERROR_SIZE];
    futurl_status st = futurl__handle_setup(c, easy, NULL, msg, sizeof msg);
    curl_easy_cleanup(easy);
    return st;
}

static void client_free(futurl_client *c) {
    futurl_executor_destroy(c->executor); /* joins: every handle is gone after */
    futurl__mock_free(c->mock);           /* so every mocked connection is closed */
    free(c->workers);
    pthread_mutex_destroy(&c->workers_lock);
    if (c->share != NULL)
        (void)curl_share_cleanup(c->share);
    if (c->share_locks_ready)
        for (int i = 0; i < CURL_LOCK_DATA_LAST; i++)
            pthread_mutex_destroy(&c->share_locks[i]);
    futurl__jar_free(c->jar);
    for (size_t i = 0; i < c->static_cookie_count; i++)
        free(c->static_cookies[i]);
    free(c->static_cookies);
    futurl__body_pool_close(c->body_pool); /* after the workers gave theirs back */
    futurl__body_pool_close(c->slab_pool);
    futurl__limits_free(c->limits);
    curl_slist_free_all(c->default_headers);
    for (size_t i = 0; i < STRING_OPTIONS; i++)
        free((char *)*string_option(&c->opts, i));
    if (c->global_init_done)
        futurl_global_cleanup();
    free(c);
}

futurl_status futurl_client_create(const futurl_client_options *opts,
                                   futurl_client **out) {
    if (out == NULL)
        return FUTURL_EINVAL;
    *out = NULL;
    futurl_client_options defaults;
    if (opts == NULL) {
        futurl_client_options_init(&defaults);
        opts = &defaults;
    }
    futurl_status st = check_options(opts);
    if (st != FUTURL_OK)
        return st;

    futurl_client *c = calloc(1, sizeof *c);
    if (c == NULL)
        return FUTURL_ENOMEM;
    if (pthread_mutex_init(&c->workers_lock, NULL) != 0) {
        free(c);
        return FUTURL_ENOMEM;
    }
    c->opts = *opts;
    c->opts.headers = NULL; /* lives on as default_headers */
    if (c->opts.user_agent == NULL)
        c->opts.user_agent = DEFAULT_USER_AGENT;
    c->opts.max_response_bytes = futurl__size_cap(c->opts.max_response_bytes);
    if (c->opts.stream_buffer_bytes == 0)
        c->opts.stream_buffer_bytes = FUTURL_DEFAULT_STREAM_BUFFER_BYTES;
    for (size_t i = 0; i < STRING_OPTIONS; i++) {
        const char **field = string_option(&c->opts, i);
        if (*field != NULL && (*field = strdup(*field)) == NULL)
            st = FUTURL_ENOMEM; /* the rest are NULL or copies: freeable */
    }
    futurl__debug_configure(c); /* before any handle is set up */
    if (st == FUTURL_OK)
        st = futurl__no_proxy_merge(&c->opts.no_proxy);
    if (st == FUTURL_OK)
        st = futurl_global_init();
    c->global_init_done = st == FUTURL_OK;
    if (st == FUTURL_OK)
        st = build_default_headers(c, opts->headers);
    if (st == FUTURL_OK)
        st = create_share(c);
    if (st == FUTURL_OK && c->opts.cookie_jar &&
        (c->jar = futurl__jar_new(c->opts.max_cookies, c->opts.max_cookies_per_domain)) ==
            NULL)
        st = FUTURL_ENOMEM;
    if (st == FUTURL_OK && c->opts.cookies != NULL)
        st = futurl__split_static_cookies(c, c->opts.cookies);
    if (st == FUTURL_OK && c->static_cookie_count != 0)
        c->cookie_head = cookie_head_fixed(c);
    if (st == FUTURL_OK && (c->opts.max_per_host || c->opts.rate_limit > 0 ||
                            c->opts.host_rate_limit > 0 || c->opts.hold_on_429)) {
        futurl__limits_config lc = {
            .max_per_host = c->opts.max_per_host,
            .rate = c->opts.rate_limit,
            .burst = c->opts.rate_burst,
            .host_rate = c->opts.host_rate_limit,
            .host_burst = c->opts.host_rate_burst,
        };
        st = futurl__limits_new(&lc, &c->limits);
        c->limits_always =
            c->opts.max_per_host || c->opts.rate_limit > 0 || c->opts.host_rate_limit > 0;
    }
    if (st == FUTURL_OK && c->opts.mock != NULL)
        st = futurl__mock_new(c->opts.mock, c->opts.mock_userdata, &c->mock);
    if (st == FUTURL_OK)
        st = check_handle(c);
    futurl_executor_options eo;
    futurl_executor_options_init(&eo);
    if (opts->workers != 0)
        eo.workers = opts->workers;
    eo.queue_capacity = opts->queue_capacity;
    if (c->opts.thread_name != NULL)
        eo.thread_name = c->opts.thread_name;
    eo.on_worker_start = futurl__worker_start;
    eo.on_worker_stop = futurl__worker_stop;
    eo.userdata = c;
    c->nworkers = eo.workers;
    /* Two large bodies per worker can be recycled: one being filled, one
     * the caller has just freed. */
    if (st == FUTURL_OK && (c->body_pool = futurl__body_pool_new(
                                2 * (size_t)c->nworkers, BODY_POOL_BYTES)) == NULL)
        st = FUTURL_ENOMEM;
    /* Spare response slabs: two per worker, as for bodies. */
    if (st == FUTURL_OK && (c->slab_pool = futurl__body_pool_new(
                                2 * (size_t)c->nworkers, SLAB_POOL_BYTES)) == NULL)
        st = FUTURL_ENOMEM;
    if (st == FUTURL_OK && (c->workers = calloc(c->nworkers, sizeof *c->workers)) == NULL)
        st = FUTURL_ENOMEM;
    if (st == FUTURL_OK) {
        st = futurl_executor_create(&eo, &c->executor);
        if (st == FUTURL_OK) { /* before any submission can exist */
            futurl__executor_set_complete_hook(c->executor, count_outcome, c);
            futurl__executor_set_cancel_hook(c->executor, futurl__interrupt, c);
            futurl__executor_set_abandon_hook(c->executor, futurl__abandon, c);
        }
    }
    if (st != FUTURL_OK) {
        client_free(c);
        return st;
    }
    *out = c;
    return FUTURL_OK;
}

futurl_executor *futurl_client_executor(futurl_client *c) {
    return c ? c->executor : NULL;
}

futurl_status futurl_client_shutdown(futurl_client *c, futurl_shutdown_mode how) {
    if (c == NULL)
        return FUTURL_EINVAL;
    return futurl_executor_shutdown(c->executor, how);
}

void futurl_client_destroy(futurl_client *c) {
    if (c == NULL)
        return;
    /* From one of its own threads the pool cannot be joined: leak the
     * client rather than free what its workers still use. */
    if (futurl_executor_shutdown(c->executor, FUTURL_DRAIN) == FUTURL_EDEADLK)
        return;
    client_free(c);
}

/* ---------------------------------------------------------------- submit */

static void free_request(void *request) {
    futurl_request_free(request);
}

/* Steals r whatever happens. */
static futurl_status submit(futurl_client *c, futurl_request *r, int wait,
                            futurl_future **out) {
    if (out != NULL)
        *out = NULL;
    if (c == NULL || r == NULL || out == NULL) {
        futurl_request_free(r);
        return FUTURL_EINVAL;
    }
    futurl_status st = futurl__request_prepare(r, c->opts.base_url, c->default_headers);
    if (st == FUTURL_OK && !static_cookies_fit(c, r))
        st = FUTURL_EURL; /* libcurl would send it without them */
    /* The deadline counts from now: queue wait included. */
    long deadline_ms = r->deadline_ms >= 0 ? r->deadline_ms : c->opts.deadline_ms;
    uint64_t deadline_ns =
        deadline_ms > 0 ? futurl__after_ms(futurl__now_ns(), deadline_ms) : 0;
    futurl__request_id_assign(r);
    if (st == FUTURL_OK && c->opts.on_event != NULL) {
        /* Before the executor has it: a worker may start it at once. */
        r->queued_ns = futurl__now_ns();
        FUTURL__TRACE(c, r, .type = FUTURL_EVENT_QUEUED, .time_ns = r->queued_ns);
    }
    if (st == FUTURL_OK)
        st = futurl__executor_submit(c->executor, futurl__http_job, r, free_request,
                                     futurl__response_free, wait ? -1 : 0, deadline_ns,
                                     out);
    if (st != FUTURL_OK && r->queued_ns != 0) {
        FUTURL__TRACE(c, r, .type = FUTURL_EVENT_FINISHED, .status = st,
                      .duration_ns = futurl__now_ns() - r->queued_ns);
    }
    if (st != FUTURL_OK) {
        futurl_request_free(r); /* the executor calls no destructor on failure */
        return st;
    }
    atomic_fetch_add_explicit(&c->stats.submitted, 1, memory_order_relaxed);
    return FUTURL_OK;
}

futurl_status futurl_client_get_stats(futurl_client *c, futurl_client_stats *out) {
    if (c == NULL || out == NULL)
        return FUTURL_EINVAL;
    out->submitted = atomic_load_explicit(&c->stats.submitted, memory_order_relaxed);
    out->succeeded = atomic_load_explicit(&c->stats.succeeded, memory_order_relaxed);
    out->failed = atomic_load_explicit(&c->stats.failed, memory_order_relaxed);
    out->cancelled = atomic_load_explicit(&c->stats.cancelled, memory_order_relaxed);
    out->retries = atomic_load_explicit(&c->stats.retries, memory_order_relaxed);
    out->throttled = atomic_load_explicit(&c->stats.throttled, memory_order_relaxed);
    out->bytes = atomic_load_explicit(&c->stats.bytes, memory_order_relaxed);
    out->in_flight = atomic_load_explicit(&c->stats.in_flight, memory_order_relaxed);
    out->queued = futurl_executor_queued(c->executor);
    out->parked = futurl__executor_parked(c->executor);
    return FUTURL_OK;
}

futurl_status futurl_client_submit(futurl_client *c, futurl_request *r,
                                   futurl_future **out) {
    return submit(c, r, 1, out);
}

futurl_status futurl_client_try_submit(futurl_client *c, futurl_request *r,
                                       futurl_future **out) {
    return submit(c, r, 0, out);
}

futurl_status futurl_client_stream(futurl_client *c, futurl_request *r,
                                   futurl_future **out) {
    if (out != NULL)
        *out = NULL;
    if (c == NULL || r == NULL || out == NULL || r->chunk_fn != NULL || r->out != NULL ||
        r->stream != NULL) {
        futurl_request_free(r);
        return FUTURL_EINVAL;
    }
    futurl_stream *s;
    futurl_future *headers, *transfer;
    futurl_status st = futurl__stream_new(c->opts.stream_buffer_bytes, &s, &headers);
    if (st != FUTURL_OK) {
        futurl_request_free(r);
        return st;
    }
    r->stream = s;
    /* The transfer's future stays private: the stream watches it, and
     * the caller gets the headers future. */
    st = submit(c, r, 1, &transfer);
    if (st != FUTURL_OK) {
        futurl__stream_discard(s, headers);
        return st;
    }
    st = futurl__stream_attach(s, transfer, headers);
    if (st == FUTURL_OK)
        *out = headers;
    return st;
}

/* --------------------------------------------------------------- one-liners */

static futurl_status simple(futurl_client *c, const char *method, const char *url,
                            int with_json, const struct cJSON *json,
                            futurl_future **out) {
    if (out != NULL)
        *out = NULL;
    if (c == NULL || out == NULL || (with_json && json == NULL))
        return FUTURL_EINVAL;
    futurl_request *r;
    futurl_status st = futurl_request_new(method, url, &r);
    if (st == FUTURL_OK && with_json)
        st = futurl_request_set_json(r, json);
    if (st != FUTURL_OK) {
        futurl_request_free(r);
        return st;
    }
    return futurl_client_submit(c, r, out);
}

futurl_status futurl_get(futurl_client *c, const char *url, futurl_future **out) {
    return simple(c, "GET", url, 0, NULL, out);
}

futurl_status futurl_delete(futurl_client *c, const char *url, futurl_future **out) {
    return simple(c, "DELETE", url, 0, NULL, out);
}

futurl_status futurl_post_json(futurl_client *c, const char *url,
                               const struct cJSON *body, futurl_future **out) {
    return simple(c, "POST", url, 1, body, out);
}

futurl_status futurl_put_json(futurl_client *c, const char *url, const struct cJSON *body,
                              futurl_future **out) {
    return simple(c, "PUT", url, 1, body, out);
}

futurl_status futurl_patch_json(futurl_client *c, const char *url,
                                const struct cJSON *body, futurl_future **out) {
    return simple(c, "PATCH", url, 1, body, out);
}
