/*
 * trace_events — metrics and tracing from futurl's lifecycle events, with
 * no dependency: a Prometheus-style latency histogram and
 * OpenTelemetry-style spans, built from the client's on_event callback and
 * printed to stdout.
 *
 * Every request has an id (futurl_request_set_id, or a generated "req-N");
 * every event carries it and a monotonic timestamp in nanoseconds. A
 * request's span runs from QUEUED to FINISHED; each attempt is a child
 * span (ATTEMPT_START to ATTEMPT_END) with its HTTP status; a RETRY is an
 * event on the request's span with its delay and reason. The histogram
 * counts attempt durations in Prometheus' cumulative buckets.
 *
 * Threads: QUEUED runs on the thread that submits, the others on the
 * client's workers (and FINISHED of a request cancelled while it waited,
 * on the canceller): the callback only records, under a mutex, and the
 * main thread prints once every future has finished. A real exporter
 * would hand the records to its own thread the same way.
 *
 * Run:  build/plain/examples/trace_events [BASE_URL]
 */
#include <futurl.h>

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DEFAULT_BASE "http://127.0.0.1:8765" /* where `make serve` listens */
#define MAX_ATTEMPTS 4

static const char *const paths[] = {"/get", "/delay/0.2", "/status/503", "/status/404",
                                    "/get?page=2"};
#define NREQ (sizeof paths / sizeof paths[0])

typedef struct attempt_span {
    uint64_t start_ns, end_ns;
    long http_status;
    futurl_status status;
} attempt_span;

/* What we keep of one request: its span and children. */
typedef struct request_span {
    char id[FUTURL_MAX_REQUEST_ID_LENGTH + 1];
    char method[16], url[256];
    uint64_t queued_ns, finished_ns;
    long http_status;
    futurl_status status;
    unsigned nattempts, nretries;
    attempt_span attempts[MAX_ATTEMPTS];
    long retry_delay_ms[MAX_ATTEMPTS];
    char retry_reason[MAX_ATTEMPTS][128];
} request_span;

/* Prometheus' default-like buckets, in seconds (+Inf implied). */
static const double bucket_le[] = {0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5};
#define NBUCKETS (sizeof bucket_le / sizeof bucket_le[0])

static struct {
    pthread_mutex_t lock;
    request_span spans[NREQ];
    unsigned long buckets[NBUCKETS + 1]; /* the last: +Inf */
    double sum_s;
    unsigned long count;
} rec = {.lock = PTHREAD_MUTEX_INITIALIZER};

/* The span of id (ids are "ex-1" .. "ex-N"), or NULL. */
static request_span *span_of(const char *id) {
    for (size_t i = 0; i < NREQ; i++)
        if (strcmp(rec.spans[i].id, id) == 0)
            return &rec.spans[i];
    return NULL;
}

/* The on_event callback: any thread, so only record under the lock. */
static void on_event(const futurl_event *ev, void *userdata) {
    (void)userdata;
    pthread_mutex_lock(&rec.lock);
    request_span *s = span_of(ev->request_id);
    if (s == NULL) {
        pthread_mutex_unlock(&rec.lock);
        return;
    }
    switch (ev->type) {
    case FUTURL_EVENT_QUEUED:
        s->queued_ns = ev->time_ns;
        snprintf(s->method, sizeof s->method, "%s", ev->method);
        snprintf(s->url, sizeof s->url, "%s", ev->url);
        break;
    case FUTURL_EVENT_ATTEMPT_START:
        if (ev->attempt >= 1 && ev->attempt <= MAX_ATTEMPTS) {
            s->attempts[ev->attempt - 1].start_ns = ev->time_ns;
            s->nattempts = ev->attempt;
        }
        break;
    case FUTURL_EVENT_ATTEMPT_END: {
        if (ev->attempt >= 1 && ev->attempt <= MAX_ATTEMPTS) {
            attempt_span *a = &s->attempts[ev->attempt - 1];
            a->end_ns = ev->time_ns;
            a->http_status = ev->http_status;
            a->status = ev->status;
        }
        double secs = (double)ev->duration_ns / 1e9;
        size_t b = 0;
        while (b < NBUCKETS && secs > bucket_le[b])
            b++;
        rec.buckets[b]++; /* made cumulative when printed */
        rec.sum_s += secs;
        rec.count++;
        break;
    }
    case FUTURL_EVENT_RETRY:
        if (s->nretries < MAX_ATTEMPTS) {
            s->retry_delay_ms[s->nretries] = ev->delay_ms;
            snprintf(s->retry_reason[s->nretries], sizeof s->retry_reason[0], "%s",
                     ev->reason ? ev->reason : "");
            s->nretries++;
        }
        break;
    case FUTURL_EVENT_FINISHED:
        s->finished_ns = ev->time_ns;
        s->status = ev->status;
        s->http_status = ev->http_status;
        break;
    default: /* STARTED, PARKED, UNPARKED: not used here */
        break;
    }
    pthread_mutex_unlock(&rec.lock);
}

static void print_histogram(void) {
    printf("# HELP futurl_attempt_duration_seconds Duration of one HTTP attempt.\n");
    printf("# TYPE futurl_attempt_duration_seconds histogram\n");
    unsigned long cumulative = 0;
    for (size_t b = 0; b < NBUCKETS; b++) {
        cumulative += rec.buckets[b];
        printf("futurl_attempt_duration_seconds_bucket{le=\"%g\"} %lu\n", bucket_le[b],
               cumulative);
    }
    cumulative += rec.buckets[NBUCKETS];
    printf("futurl_attempt_duration_seconds_bucket{le=\"+Inf\"} %lu\n", cumulative);
    printf("futurl_attempt_duration_seconds_sum %.6f\n", rec.sum_s);
    printf("futurl_attempt_duration_seconds_count %lu\n", rec.count);
}

/* Spans as OpenTelemetry would name them; times in ms from t0. */
static void print_spans(uint64_t t0) {
    for (size_t i = 0; i < NREQ; i++) {
        const request_span *s = &rec.spans[i];
        printf("span trace_id=%s name=\"HTTP %s\" start_ms=%.1f end_ms=%.1f "
               "status=%s attributes={http.request.method=%s, url.full=%s, "
               "http.response.status_code=%ld, futurl.attempts=%u}\n",
               s->id, s->method, (double)(s->queued_ns - t0) / 1e6,
               (double)(s->finished_ns - t0) / 1e6,
               s->status == FUTURL_OK && s->http_status < 500 ? "OK" : "ERROR", s->method, s->url, s->http_status,
               s->nattempts);
        for (unsigned a = 0; a < s->nattempts; a++)
            printf("  child name=\"attempt %u\" start_ms=%.1f end_ms=%.1f "
                   "attributes={http.request.resend_count=%u, "
                   "http.response.status_code=%ld}\n",
                   a + 1, (double)(s->attempts[a].start_ns - t0) / 1e6,
                   (double)(s->attempts[a].end_ns - t0) / 1e6, a,
                   s->attempts[a].http_status);
        for (unsigned r = 0; r < s->nretries; r++)
            printf("  event name=\"retry\" attributes={delay_ms=%ld, reason=\"%s\"}\n",
                   s->retry_delay_ms[r], s->retry_reason[r]);
    }
}

int main(int argc, char **argv) {
    const char *base = argc > 1 ? argv[1] : DEFAULT_BASE;
    futurl_client_options opts;
    futurl_client_options_init(&opts);
    opts.base_url = base;
    opts.workers = 4;
    opts.retry.base_delay_ms = 20; /* short backoff for the 503 */
    opts.on_event = on_event;
    futurl_client *client;
    futurl_status st = futurl_client_create(&opts, &client);
    if (st != FUTURL_OK) {
        fprintf(stderr, "cannot create the client: %s\n", futurl_strerror(st));
        return EXIT_FAILURE;
    }
    futurl_future *fs[NREQ] = {NULL};
    for (size_t i = 0; i < NREQ; i++) {
        /* Name the span before the request can emit anything. */
        snprintf(rec.spans[i].id, sizeof rec.spans[i].id, "ex-%zu", i + 1);
        futurl_request *r;
        st = futurl_request_new("GET", paths[i], &r);
        if (st == FUTURL_OK &&
            (st = futurl_request_set_id(r, rec.spans[i].id)) != FUTURL_OK)
            futurl_request_free(r);
        if (st == FUTURL_OK)
            st = futurl_client_submit(client, r, &fs[i]);
        if (st != FUTURL_OK) {
            fprintf(stderr, "GET %s: %s\n", paths[i], futurl_strerror(st));
            break;
        }
    }
    int ok = st == FUTURL_OK, no_server = 0;
    const char *why = "";
    for (size_t i = 0; i < NREQ; i++) {
        if (fs[i] == NULL)
            continue;
        (void)futurl_future_wait(fs[i]);
        const futurl_response *resp = futurl_future_response(fs[i]);
        if (resp == NULL || futurl_response_status(resp) == 0) {
            no_server = 1; /* no HTTP answer at all */
            why = futurl_strerror(futurl_future_status(fs[i]));
        }
        futurl_future_free(fs[i]);
    }
    if (no_server) {
        fprintf(stderr,
                "No HTTP server answers at %s (%s).\n"
                "Start the local one in another terminal with `make serve`,\n"
                "or pass a base URL: %s http://127.0.0.1:PORT\n",
                base, why, argv[0]);
        ok = 0;
    }
    futurl_client_destroy(client); /* every event has been delivered */
    if (!ok)
        return EXIT_FAILURE;

    uint64_t t0 = rec.spans[0].queued_ns;
    for (size_t i = 1; i < NREQ; i++)
        if (rec.spans[i].queued_ns < t0)
            t0 = rec.spans[i].queued_ns;
    print_histogram();
    printf("\n");
    print_spans(t0);
    return EXIT_SUCCESS;
}
