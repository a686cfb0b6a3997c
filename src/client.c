/*
 * src/client.c — the HTTP client object: options and their defaults,
 * create (checks and copies the options, builds the shared default header
 * list, the DNS share and the cookie jar, then starts the pool whose
 * workers each set up one easy handle: transfer.c), submit and the
 * one-liners, shutdown and destroy.
 */
#include "client.h"

#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "future.h"
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
    opts->max_response_bytes = FUTURL_DEFAULT_MAX_RESPONSE_BYTES;
    opts->decompress = 1;
    opts->http2 = 1;
    futurl_retry_policy_init(&opts->retry);
    opts->rate_burst = 1;
    opts->host_rate_burst = 1;
    opts->hold_on_429 = 1;
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

/* Split opts.cookies ("a=1; b=2") into "name\tvalue" pairs. A name is a
 * token; a value may not hold a tab, the separator of libcurl's cookie
 * lines. Returns FUTURL_OK, FUTURL_EHEADER or FUTURL_ENOMEM. */
static futurl_status split_static_cookies(futurl_client *c, const char *cookies) {
    const char *p = cookies;
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
    return FUTURL_OK;
}

/* ---------------------------------------------------------------- create */

static futurl_status check_options(const futurl_client_options *o) {
    if (o->connect_timeout_ms < 0 || o->timeout_ms < 0 || o->max_redirects < 0 ||
        (o->bearer_token != NULL && o->username != NULL) ||
        (o->password != NULL && o->username == NULL))
        return FUTURL_EINVAL;
    const futurl_retry_policy *p = &o->retry;
    /* !(x >= 0) also refuses NaN. */
    if (p->max_attempts == 0 || p->base_delay_ms < 0 || p->max_delay_ms < 0 ||
        p->budget_ms < 0 || o->deadline_ms < 0 || !(o->rate_limit >= 0) ||
        !(o->host_rate_limit >= 0) || o->rate_limit > 1e9 || o->host_rate_limit > 1e9)
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
 * and "Expect:" (no 100-continue round trip before a body), unless named. */
static futurl_status build_default_headers(futurl_client *c, const char *const *headers) {
    int has_expect = 0;
    for (size_t i = 0; headers != NULL && headers[i] != NULL; i++) {
        size_t name_len;
        if (futurl__header_line_check(headers[i], &name_len) != FUTURL_OK)
            return FUTURL_EHEADER;
        has_expect |= futurl__ascii_ieq(headers[i], name_len, "Expect", 6);
        struct curl_slist *l = curl_slist_append(c->default_headers, headers[i]);
        if (l == NULL)
            return FUTURL_ENOMEM;
        c->default_headers = l;
    }
    if (!has_expect) {
        struct curl_slist *l = curl_slist_append(c->default_headers, "Expect:");
        if (l == NULL)
            return FUTURL_ENOMEM;
        c->default_headers = l;
    }
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
    for (size_t i = 0; i < STRING_OPTIONS; i++) {
        const char **field = string_option(&c->opts, i);
        if (*field != NULL && (*field = strdup(*field)) == NULL)
            st = FUTURL_ENOMEM; /* the rest are NULL or copies: freeable */
    }
    if (st == FUTURL_OK)
        st = futurl_global_init();
    c->global_init_done = st == FUTURL_OK;
    if (st == FUTURL_OK)
        st = build_default_headers(c, opts->headers);
    if (st == FUTURL_OK)
        st = create_share(c);
    if (st == FUTURL_OK && c->opts.cookie_jar && (c->jar = futurl__jar_new()) == NULL)
        st = FUTURL_ENOMEM;
    if (st == FUTURL_OK && c->opts.cookies != NULL)
        st = split_static_cookies(c, c->opts.cookies);
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
        c->limits_always = c->opts.max_per_host || c->opts.rate_limit > 0 ||
                           c->opts.host_rate_limit > 0;
    }
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
    /* The deadline counts from now: queue wait included. */
    long deadline_ms = r->deadline_ms >= 0 ? r->deadline_ms : c->opts.deadline_ms;
    uint64_t deadline_ns = deadline_ms > 0 ? futurl__after_ms(futurl__now_ns(), deadline_ms) : 0;
    if (st == FUTURL_OK)
        st = futurl__executor_submit(c->executor, futurl__http_job, r, free_request,
                                     futurl__response_free, wait ? -1 : 0, deadline_ns, out);
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
