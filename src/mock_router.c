/*
 * src/mock_router.c — the ready-made futurl_mock_fn: routes matched by
 * method and a '*' URL pattern, in the order added, each with canned
 * answers given in order (the last repeats), and call counters.
 *
 * Locks: futurl_mock_router.lock guards everything in the router; the
 * serving threads of every client that uses it take it for each request.
 */
#include "futurl.h"

#include "http.h"
#include "mock.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct reply {
    long status;
    futurl__buf headers; /* "name\0value\0" */
    futurl__buf body;
    futurl_mock_error error;
    long delay_ms;
} reply;

typedef struct route {
    char *method; /* NULL: any */
    char *pattern;
    reply *replies;
    size_t n, cap;
    unsigned long calls;
} route;

struct futurl_mock_router {
    pthread_mutex_t lock;
    route *routes;
    size_t n, cap;
    unsigned long unmatched;
};

futurl_status futurl_mock_router_new(futurl_mock_router **out) {
    if (out == NULL)
        return FUTURL_EINVAL;
    *out = NULL;
    futurl_mock_router *m = calloc(1, sizeof *m);
    if (m == NULL)
        return FUTURL_ENOMEM;
    if (pthread_mutex_init(&m->lock, NULL) != 0) {
        free(m);
        return FUTURL_ENOMEM;
    }
    *out = m;
    return FUTURL_OK;
}

void futurl_mock_router_free(futurl_mock_router *m) {
    if (m == NULL)
        return;
    for (size_t i = 0; i < m->n; i++) {
        route *r = &m->routes[i];
        for (size_t k = 0; k < r->n; k++) {
            futurl__buf_free(&r->replies[k].headers);
            futurl__buf_free(&r->replies[k].body);
        }
        free(r->replies);
        free(r->method);
        free(r->pattern);
    }
    free(m->routes);
    pthread_mutex_destroy(&m->lock);
    free(m);
}

futurl_status futurl_mock_router_add(futurl_mock_router *m, const char *method,
                                     const char *pattern, unsigned *route_out) {
    if (m == NULL || pattern == NULL)
        return FUTURL_EINVAL;
    char *mc = method != NULL && strcmp(method, "*") != 0 ? strdup(method) : NULL;
    char *pc = strdup(pattern);
    futurl_status st = FUTURL_OK;
    pthread_mutex_lock(&m->lock);
    if (pc == NULL || (method != NULL && strcmp(method, "*") != 0 && mc == NULL)) {
        st = FUTURL_ENOMEM;
    } else if (m->n == m->cap) {
        size_t cap = m->cap ? 2 * m->cap : 8;
        route *v = realloc(m->routes, cap * sizeof *v);
        if (v == NULL)
            st = FUTURL_ENOMEM;
        else {
            m->routes = v;
            m->cap = cap;
        }
    }
    if (st == FUTURL_OK) {
        m->routes[m->n] = (route){.method = mc, .pattern = pc};
        if (route_out != NULL)
            *route_out = (unsigned)m->n;
        m->n++;
    }
    pthread_mutex_unlock(&m->lock);
    if (st != FUTURL_OK) {
        free(mc);
        free(pc);
    }
    return st;
}

/* A new reply at the end of route i, with m->lock: NULL if i is unknown
 * (*st FUTURL_EINVAL) or out of memory (FUTURL_ENOMEM). */
static reply *append(futurl_mock_router *m, unsigned i, futurl_status *st) {
    if (i >= m->n) {
        *st = FUTURL_EINVAL;
        return NULL;
    }
    route *r = &m->routes[i];
    if (r->n == r->cap) {
        size_t cap = r->cap ? 2 * r->cap : 4;
        reply *v = realloc(r->replies, cap * sizeof *v);
        if (v == NULL) {
            *st = FUTURL_ENOMEM;
            return NULL;
        }
        r->replies = v;
        r->cap = cap;
    }
    reply *p = &r->replies[r->n++];
    *p = (reply){.status = 200};
    *st = FUTURL_OK;
    return p;
}

/* Add a header to p: "name\0value\0". Returns FUTURL_OK or FUTURL_ENOMEM. */
static futurl_status add_header(reply *p, const char *name, const char *value) {
    size_t len = p->headers.len;
    if (futurl__buf_append(&p->headers, name, strlen(name) + 1) != 0 ||
        futurl__buf_append(&p->headers, value, strlen(value) + 1) != 0) {
        p->headers.len = len;
        return FUTURL_ENOMEM;
    }
    return FUTURL_OK;
}

futurl_status futurl_mock_router_reply(futurl_mock_router *m, unsigned route_i,
                                       long status, const char *content_type,
                                       const char *body) {
    if (m == NULL || status < 200 || status > 999)
        return FUTURL_EINVAL;
    if (content_type != NULL && !futurl__is_field_value(content_type))
        return FUTURL_EHEADER;
    futurl_status st;
    pthread_mutex_lock(&m->lock);
    reply *p = append(m, route_i, &st);
    if (p != NULL) {
        p->status = status;
        if ((content_type != NULL &&
             (st = add_header(p, "Content-Type", content_type)) != FUTURL_OK) ||
            (body != NULL && futurl__buf_puts(&p->body, body) != 0)) {
            futurl__buf_free(&p->headers);
            futurl__buf_free(&p->body);
            m->routes[route_i].n--;
            st = FUTURL_ENOMEM;
        }
    }
    pthread_mutex_unlock(&m->lock);
    return st;
}

futurl_status futurl_mock_router_reply_error(futurl_mock_router *m, unsigned route_i,
                                             futurl_mock_error error) {
    if (m == NULL || (int)error <= FUTURL_MOCK_NONE || (int)error > FUTURL_MOCK_PARTIAL)
        return FUTURL_EINVAL;
    futurl_status st;
    pthread_mutex_lock(&m->lock);
    reply *p = append(m, route_i, &st);
    if (p != NULL)
        p->error = error;
    pthread_mutex_unlock(&m->lock);
    return st;
}

/* The last reply of route i, with m->lock; NULL if there is none. */
static reply *last(futurl_mock_router *m, unsigned i) {
    if (i >= m->n || m->routes[i].n == 0)
        return NULL;
    return &m->routes[i].replies[m->routes[i].n - 1];
}

futurl_status futurl_mock_router_reply_header(futurl_mock_router *m, unsigned route_i,
                                              const char *name, const char *value) {
    if (m == NULL || name == NULL || value == NULL)
        return FUTURL_EINVAL;
    if (!futurl__mock_header_ok(name, value))
        return FUTURL_EHEADER;
    pthread_mutex_lock(&m->lock);
    reply *p = last(m, route_i);
    futurl_status st = p != NULL ? add_header(p, name, value) : FUTURL_EINVAL;
    pthread_mutex_unlock(&m->lock);
    return st;
}

futurl_status futurl_mock_router_reply_delay(futurl_mock_router *m, unsigned route_i,
                                             long delay_ms) {
    if (m == NULL || delay_ms < 0 || delay_ms > 86400000L)
        return FUTURL_EINVAL;
    pthread_mutex_lock(&m->lock);
    reply *p = last(m, route_i);
    if (p != NULL)
        p->delay_ms = delay_ms;
    pthread_mutex_unlock(&m->lock);
    return p != NULL ? FUTURL_OK : FUTURL_EINVAL;
}

unsigned long futurl_mock_router_calls(const futurl_mock_router *m, unsigned route_i) {
    if (m == NULL)
        return 0;
    futurl_mock_router *w = (futurl_mock_router *)m; /* the lock only */
    pthread_mutex_lock(&w->lock);
    unsigned long n = route_i < w->n ? w->routes[route_i].calls : 0;
    pthread_mutex_unlock(&w->lock);
    return n;
}

unsigned long futurl_mock_router_unmatched(const futurl_mock_router *m) {
    if (m == NULL)
        return 0;
    futurl_mock_router *w = (futurl_mock_router *)m;
    pthread_mutex_lock(&w->lock);
    unsigned long n = w->unmatched;
    pthread_mutex_unlock(&w->lock);
    return n;
}

/* 1 if s matches pattern p, where '*' is any run of bytes. Iterative, with
 * one backtrack point: linear in practice, never recursive. */
static int glob(const char *p, const char *s) {
    const char *star = NULL, *resume = NULL;
    while (*s) {
        if (*p == '*') {
            star = p++;
            resume = s;
        } else if (*p == *s) {
            p++;
            s++;
        } else if (star != NULL) {
            p = star + 1;
            s = ++resume;
        } else {
            return 0;
        }
    }
    while (*p == '*')
        p++;
    return *p == '\0';
}

void futurl_mock_router_fn(const futurl_mock_request *req, futurl_mock_response *resp,
                           void *userdata) {
    futurl_mock_router *m = userdata;
    const char *method = futurl_mock_request_method(req);
    const char *url = futurl_mock_request_url(req);
    pthread_mutex_lock(&m->lock);
    route *r = NULL;
    for (size_t i = 0; i < m->n && r == NULL; i++)
        if ((m->routes[i].method == NULL || strcmp(m->routes[i].method, method) == 0) &&
            glob(m->routes[i].pattern, url))
            r = &m->routes[i];
    if (r == NULL || r->n == 0) {
        char text[512];
        if (r == NULL) {
            m->unmatched++;
            snprintf(text, sizeof text, "futurl mock: no route for %s %.400s", method,
                     url);
        } else {
            r->calls++;
            snprintf(text, sizeof text,
                     "futurl mock: route %zu has no reply for %s %.400s",
                     (size_t)(r - m->routes), method, url);
        }
        pthread_mutex_unlock(&m->lock);
        (void)futurl_mock_response_set_status(resp, 501);
        (void)futurl_mock_response_add_header(resp, "Content-Type", "text/plain");
        (void)futurl_mock_response_set_body(resp, text, strlen(text));
        return;
    }
    const reply *p = &r->replies[r->calls < r->n ? r->calls : r->n - 1];
    r->calls++;
    (void)futurl_mock_response_set_status(resp, p->status);
    (void)futurl_mock_response_set_error(resp, p->error);
    (void)futurl_mock_response_set_delay(resp, p->delay_ms);
    (void)futurl_mock_response_set_body(resp, p->body.data, p->body.len);
    for (const char *h = p->headers.data, *end = h + p->headers.len;
         h != NULL && h < end;) {
        const char *v = h + strlen(h) + 1;
        (void)futurl_mock_response_add_header(resp, h, v);
        h = v + strlen(v) + 1;
    }
    pthread_mutex_unlock(&m->lock);
}
