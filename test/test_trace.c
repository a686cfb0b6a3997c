/*
 * test/test_trace.c — debug and trace hooks (src/trace.c) against the fault
 * server: the lifecycle events of a plain GET, a retry (its delay and
 * reason), a request parked for a per-host slot, a rate token and a 429
 * hold, a cancel while queued and while running; request ids set and
 * generated (validated, unique over 10,000 requests, on the response and
 * in every event); the wire-level debug callback (headers out and in
 * tagged with the id, body bytes only when asked, credentials masked
 * unless asked otherwise); FUTURL_DEBUG's stderr log, masked and unmasked;
 * all of it off by default.
 */
#include "support.h"

#include "futurl.h"

#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static support_server fault;

static void start_fault(void) {
    ck_assert_msg(support_fault_start(&fault) == 0, "fault server did not start");
}

static void stop_fault(void) {
    support_server_stop(&fault);
}

/* ------------------------------------------------------- event recorder */

typedef struct rec_event {
    futurl_event_type type;
    char id[FUTURL_MAX_REQUEST_ID_LENGTH + 1];
    uint64_t time_ns, duration_ns;
    unsigned attempt;
    futurl_status status;
    long http_status, delay_ms;
    futurl_park_reason park;
    char reason[256];
    pthread_t thread;
} rec_event;

static pthread_mutex_t rec_lock = PTHREAD_MUTEX_INITIALIZER;
static rec_event recs[4096];
static size_t nrec;

static void record(const futurl_event *ev, void *userdata) {
    (void)userdata;
    pthread_mutex_lock(&rec_lock);
    if (nrec < sizeof recs / sizeof recs[0]) {
        rec_event *r = &recs[nrec++];
        memset(r, 0, sizeof *r);
        r->type = ev->type;
        snprintf(r->id, sizeof r->id, "%s", ev->request_id);
        r->time_ns = ev->time_ns;
        r->duration_ns = ev->duration_ns;
        r->attempt = ev->attempt;
        r->status = ev->status;
        r->http_status = ev->http_status;
        r->delay_ms = ev->delay_ms;
        r->park = ev->park;
        snprintf(r->reason, sizeof r->reason, "%s", ev->reason ? ev->reason : "");
        r->thread = pthread_self();
    }
    pthread_mutex_unlock(&rec_lock);
}

static const char *type_name(futurl_event_type t) {
    switch (t) {
    case FUTURL_EVENT_QUEUED:
        return "QUEUED";
    case FUTURL_EVENT_STARTED:
        return "STARTED";
    case FUTURL_EVENT_ATTEMPT_START:
        return "ATTEMPT_START";
    case FUTURL_EVENT_ATTEMPT_END:
        return "ATTEMPT_END";
    case FUTURL_EVENT_RETRY:
        return "RETRY";
    case FUTURL_EVENT_PARKED:
        return "PARKED";
    case FUTURL_EVENT_UNPARKED:
        return "UNPARKED";
    case FUTURL_EVENT_FINISHED:
        return "FINISHED";
    }
    return "?";
}

static const char *park_name(futurl_park_reason p) {
    return p == FUTURL_PARK_SLOT    ? "slot"
           : p == FUTURL_PARK_TOKEN ? "token"
           : p == FUTURL_PARK_HOLD  ? "hold"
                                    : "none";
}

/* The events of id, in order, into out (at most max); how many. */
static size_t events_of(const char *id, rec_event *out, size_t max) {
    size_t n = 0;
    pthread_mutex_lock(&rec_lock);
    for (size_t i = 0; i < nrec && n < max; i++)
        if (strcmp(recs[i].id, id) == 0)
            out[n++] = recs[i];
    pthread_mutex_unlock(&rec_lock);
    return n;
}

/* id's events as "QUEUED STARTED ATTEMPT_START#1 ..." (PARKED(slot)). */
static void sequence(const char *id, char *buf, size_t size) {
    rec_event ev[64];
    size_t n = events_of(id, ev, 64);
    buf[0] = '\0';
    for (size_t i = 0; i < n; i++) {
        size_t len = strlen(buf);
        const char *sep = i ? " " : "";
        if (ev[i].type == FUTURL_EVENT_ATTEMPT_START ||
            ev[i].type == FUTURL_EVENT_ATTEMPT_END || ev[i].type == FUTURL_EVENT_RETRY)
            snprintf(buf + len, size - len, "%s%s#%u", sep, type_name(ev[i].type),
                     ev[i].attempt);
        else if (ev[i].type == FUTURL_EVENT_PARKED || ev[i].type == FUTURL_EVENT_UNPARKED)
            snprintf(buf + len, size - len, "%s%s(%s)", sep, type_name(ev[i].type),
                     park_name(ev[i].park));
        else
            snprintf(buf + len, size - len, "%s%s", sep, type_name(ev[i].type));
    }
}

#define assert_sequence(id, want)                                                        \
    do {                                                                                 \
        char got_[1024];                                                                 \
        sequence((id), got_, sizeof got_);                                               \
        ck_assert_msg(strcmp(got_, (want)) == 0, "events of %s:\n  got  %s\n  want %s",  \
                      (id), got_, (want));                                               \
    } while (0)

/* Times never go back, and every FINISHED lasts from its QUEUED. */
static void assert_monotonic(const char *id) {
    rec_event ev[64];
    size_t n = events_of(id, ev, 64);
    ck_assert_msg(n >= 2, "%s: %zu events, want at least 2", id, n);
    for (size_t i = 1; i < n; i++)
        ck_assert_msg(ev[i].time_ns >= ev[i - 1].time_ns,
                      "%s: %s at %llu ns before %s at %llu ns", id, type_name(ev[i].type),
                      (unsigned long long)ev[i].time_ns, type_name(ev[i - 1].type),
                      (unsigned long long)ev[i - 1].time_ns);
    ck_assert_msg(ev[n - 1].type == FUTURL_EVENT_FINISHED,
                  "%s: last event %s, want FINISHED", id, type_name(ev[n - 1].type));
    ck_assert_msg(ev[n - 1].duration_ns == ev[n - 1].time_ns - ev[0].time_ns,
                  "%s: FINISHED duration %llu ns, want %llu (since QUEUED)", id,
                  (unsigned long long)ev[n - 1].duration_ns,
                  (unsigned long long)(ev[n - 1].time_ns - ev[0].time_ns));
}

/* The first event of type for id (fails the test if none). */
static rec_event first_of(const char *id, futurl_event_type type) {
    rec_event ev[64];
    size_t n = events_of(id, ev, 64);
    for (size_t i = 0; i < n; i++)
        if (ev[i].type == type)
            return ev[i];
    ck_abort_msg("%s: no %s event", id, type_name(type));
    return ev[0];
}

static futurl_client *traced_client(futurl_client_options *o) {
    o->on_event = record;
    o->event_userdata = NULL;
    return support_client_opts(o, fault.url);
}

static futurl_future *submit_id(futurl_client *c, const char *method, const char *url,
                                const char *id) {
    futurl_request *r = support_request(method, url);
    if (id != NULL) {
        futurl_status st = futurl_request_set_id(r, id);
        ck_assert_msg(st == FUTURL_OK, "set_id(%s): %s", id, futurl_err_name(st));
    }
    futurl_future *f = NULL;
    futurl_status st = futurl_client_submit(c, r, &f);
    ck_assert_msg(st == FUTURL_OK, "submit %s: %s", url, futurl_err_name(st));
    return f;
}

/* -------------------------------------------------------------- events */

START_TEST(plain_get_events_in_order) {
    futurl_client_options o;
    support_client_options(&o, NULL, 2, 1);
    futurl_client *c = traced_client(&o);
    futurl_future *f = submit_id(c, "GET", "/ok", "plain-1");
    (void)futurl_future_wait(f);
    support_assert_status(f, FUTURL_OK);
    assert_sequence("plain-1", "QUEUED STARTED ATTEMPT_START#1 ATTEMPT_END#1 FINISHED");
    assert_monotonic("plain-1");
    rec_event end = first_of("plain-1", FUTURL_EVENT_ATTEMPT_END);
    ck_assert_msg(end.status == FUTURL_OK && end.http_status == 200,
                  "ATTEMPT_END: %s HTTP %ld, want FUTURL_OK HTTP 200",
                  futurl_err_name(end.status), end.http_status);
    rec_event start = first_of("plain-1", FUTURL_EVENT_ATTEMPT_START);
    ck_assert_msg(end.duration_ns == end.time_ns - start.time_ns,
                  "attempt duration %llu ns, want %llu (end - start)",
                  (unsigned long long)end.duration_ns,
                  (unsigned long long)(end.time_ns - start.time_ns));
    rec_event fin = first_of("plain-1", FUTURL_EVENT_FINISHED);
    ck_assert_msg(fin.status == FUTURL_OK && fin.http_status == 200,
                  "FINISHED: %s HTTP %ld, want FUTURL_OK HTTP 200",
                  futurl_err_name(fin.status), fin.http_status);
    /* QUEUED on this thread, the rest on a worker. */
    rec_event q = first_of("plain-1", FUTURL_EVENT_QUEUED);
    ck_assert_msg(pthread_equal(q.thread, pthread_self()), "QUEUED not on the submitter");
    ck_assert_msg(!pthread_equal(start.thread, pthread_self()),
                  "ATTEMPT_START on the submitter, want a worker");
    const futurl_response *resp = futurl_future_response(f);
    support_assert_str_or_null(futurl_response_request_id(resp), "plain-1");
    futurl_future_free(f);
    futurl_client_destroy(c);
}
END_TEST

START_TEST(retry_events_carry_delay_and_reason) {
    support_fault_reset(&fault);
    futurl_client_options o;
    support_client_options(&o, NULL, 2, 3);
    futurl_client *c = traced_client(&o);
    /* Retry-After: 1 makes the delay exact: 1000 ms. */
    futurl_future *f =
        submit_id(c, "GET", "/flaky?fail=1&status=503&retry_after=1", "retry-1");
    (void)futurl_future_wait(f);
    support_assert_status(f, FUTURL_OK);
    assert_sequence("retry-1", "QUEUED STARTED ATTEMPT_START#1 ATTEMPT_END#1 RETRY#1 "
                               "ATTEMPT_START#2 ATTEMPT_END#2 FINISHED");
    assert_monotonic("retry-1");
    rec_event end1 = first_of("retry-1", FUTURL_EVENT_ATTEMPT_END);
    ck_assert_msg(end1.http_status == 503, "first attempt HTTP %ld, want 503",
                  end1.http_status);
    rec_event retry = first_of("retry-1", FUTURL_EVENT_RETRY);
    ck_assert_msg(retry.delay_ms == 1000, "RETRY delay %ld ms, want 1000",
                  retry.delay_ms);
    support_assert_str_or_null(retry.reason, "attempt 1: HTTP 503, Retry-After 1000 ms");
    rec_event start2 = recs[0];
    rec_event ev[64];
    size_t n = events_of("retry-1", ev, 64);
    for (size_t i = 0; i < n; i++)
        if (ev[i].type == FUTURL_EVENT_ATTEMPT_START && ev[i].attempt == 2)
            start2 = ev[i];
    ck_assert_msg(start2.time_ns - retry.time_ns >= 990000000u,
                  "second attempt %llu ns after RETRY, want >= 0.99 s",
                  (unsigned long long)(start2.time_ns - retry.time_ns));
    ck_assert_uint_eq(futurl_response_attempts(futurl_future_response(f)), 2);
    futurl_future_free(f);
    futurl_client_destroy(c);
}
END_TEST

START_TEST(per_host_limit_parks_for_a_slot) {
    futurl_client_options o;
    support_client_options(&o, NULL, 2, 1);
    o.max_per_host = 1;
    futurl_client *c = traced_client(&o);
    futurl_future *a = submit_id(c, "GET", "/slot?delay_ms=300", "slot-a");
    futurl_future *b = submit_id(c, "GET", "/slot?delay_ms=300", "slot-b");
    (void)futurl_future_wait(a);
    support_assert_status(a, FUTURL_OK);
    (void)futurl_future_wait(b);
    support_assert_status(b, FUTURL_OK);
    char sa[1024], sb[1024];
    sequence("slot-a", sa, sizeof sa);
    sequence("slot-b", sb, sizeof sb);
    const char *plain = "QUEUED STARTED ATTEMPT_START#1 ATTEMPT_END#1 FINISHED";
    const char *parked = "QUEUED STARTED PARKED(slot) UNPARKED(slot) ATTEMPT_START#1 "
                         "ATTEMPT_END#1 FINISHED";
    int ok = (strcmp(sa, plain) == 0 && strcmp(sb, parked) == 0) ||
             (strcmp(sb, plain) == 0 && strcmp(sa, parked) == 0);
    ck_assert_msg(ok,
                  "one request must park for the slot:\n  a: %s\n  b: %s\n  want one "
                  "of each:\n  %s\n  %s",
                  sa, sb, plain, parked);
    assert_monotonic("slot-a");
    assert_monotonic("slot-b");
    futurl_future_free(a);
    futurl_future_free(b);
    futurl_client_destroy(c);
}
END_TEST

START_TEST(rate_limit_parks_for_a_token) {
    futurl_client_options o;
    support_client_options(&o, NULL, 2, 1);
    o.rate_limit = 5; /* one token each 200 ms, burst 1 */
    futurl_client *c = traced_client(&o);
    futurl_future *a = submit_id(c, "GET", "/ok", "tok-a");
    (void)futurl_future_wait(a);
    support_assert_status(a, FUTURL_OK);
    futurl_future *b = submit_id(c, "GET", "/ok", "tok-b");
    (void)futurl_future_wait(b);
    support_assert_status(b, FUTURL_OK);
    assert_sequence("tok-b",
                    "QUEUED STARTED PARKED(token) UNPARKED(token) ATTEMPT_START#1 "
                    "ATTEMPT_END#1 FINISHED");
    assert_monotonic("tok-b");
    futurl_future_free(a);
    futurl_future_free(b);
    futurl_client_destroy(c);
}
END_TEST

START_TEST(hold_after_429_parks) {
    futurl_client_options o;
    support_client_options(&o, NULL, 2, 1);
    futurl_client *c = traced_client(&o);
    futurl_future *a = submit_id(c, "GET", "/429?retry_after=1", "hold-a");
    (void)futurl_future_wait(a);
    support_assert_status(a, FUTURL_OK);
    futurl_future *b = submit_id(c, "GET", "/ok", "hold-b");
    (void)futurl_future_wait(b);
    support_assert_status(b, FUTURL_OK);
    assert_sequence("hold-a", "QUEUED STARTED ATTEMPT_START#1 ATTEMPT_END#1 FINISHED");
    assert_sequence("hold-b",
                    "QUEUED STARTED PARKED(hold) UNPARKED(hold) ATTEMPT_START#1 "
                    "ATTEMPT_END#1 FINISHED");
    futurl_future_free(a);
    futurl_future_free(b);
    futurl_client_destroy(c);
}
END_TEST

START_TEST(cancel_queued_and_running) {
    futurl_client_options o;
    support_client_options(&o, NULL, 1, 1);
    futurl_client *c = traced_client(&o);
    futurl_future *run = submit_id(c, "GET", "/stall", "cancel-run");
    futurl_future *queued = submit_id(c, "GET", "/ok", "cancel-queued");
    /* Wait until the stall's attempt runs (the one worker is busy). */
    for (int i = 0; i < 5000; i++) {
        rec_event ev[16];
        size_t n = events_of("cancel-run", ev, 16);
        if (n >= 3)
            break;
        support_sleep_ms(2);
    }
    ck_assert_int_eq(futurl_future_cancel(queued), 1);
    (void)futurl_future_wait(queued);
    support_assert_status(queued, FUTURL_ECANCELED);
    assert_sequence("cancel-queued", "QUEUED FINISHED");
    rec_event fq = first_of("cancel-queued", FUTURL_EVENT_FINISHED);
    ck_assert_msg(fq.status == FUTURL_ECANCELED, "FINISHED of the queued one: %s",
                  futurl_err_name(fq.status));
    ck_assert_msg(pthread_equal(fq.thread, pthread_self()),
                  "FINISHED of a cancelled queued request not on the canceller");
    ck_assert_int_eq(futurl_future_cancel(run), 1);
    (void)futurl_future_wait(run);
    support_assert_status(run, FUTURL_ECANCELED);
    assert_sequence("cancel-run",
                    "QUEUED STARTED ATTEMPT_START#1 ATTEMPT_END#1 FINISHED");
    rec_event end = first_of("cancel-run", FUTURL_EVENT_ATTEMPT_END);
    ck_assert_msg(end.status == FUTURL_ECANCELED,
                  "ATTEMPT_END: %s, want FUTURL_ECANCELED", futurl_err_name(end.status));
    ck_assert_msg(end.reason[0] != '\0', "ATTEMPT_END of a cancel has no reason");
    rec_event fr = first_of("cancel-run", FUTURL_EVENT_FINISHED);
    ck_assert_msg(fr.status == FUTURL_ECANCELED, "FINISHED: %s, want FUTURL_ECANCELED",
                  futurl_err_name(fr.status));
    futurl_future_free(run);
    futurl_future_free(queued);
    futurl_client_destroy(c);
}
END_TEST

/* ------------------------------------------------------------------ ids */

START_TEST(set_id_is_validated) {
    futurl_request *r = support_request("GET", "/ok");
    char long_id[FUTURL_MAX_REQUEST_ID_LENGTH + 2];
    memset(long_id, 'x', sizeof long_id - 1);
    long_id[sizeof long_id - 1] = '\0';
    const char *bad[] = {"", "a\r\nX-Evil: 1", "tab\there", "del\x7f", "nl\n", long_id};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        futurl_status st = futurl_request_set_id(r, bad[i]);
        ck_assert_msg(st == FUTURL_EINVAL, "set_id bad #%zu: %s, want FUTURL_EINVAL", i,
                      futurl_err_name(st));
    }
    ck_assert_int_eq(futurl_request_set_id(NULL, "x"), FUTURL_EINVAL);
    ck_assert_int_eq(futurl_request_set_id(r, NULL), FUTURL_EINVAL);
    long_id[FUTURL_MAX_REQUEST_ID_LENGTH] = '\0'; /* exactly the maximum */
    ck_assert_int_eq(futurl_request_set_id(r, long_id), FUTURL_OK);
    ck_assert_int_eq(futurl_request_set_id(r, "with space ~!"), FUTURL_OK);
    futurl_request_free(r);
    ck_assert_str_eq(futurl_response_request_id(NULL), "");
}
END_TEST

START_TEST(set_and_generated_ids_on_response_and_events) {
    futurl_client_options o;
    support_client_options(&o, NULL, 2, 1);
    futurl_client *c = traced_client(&o);
    futurl_future *set = submit_id(c, "GET", "/ok", "order 17/a");
    futurl_future *gen = submit_id(c, "GET", "/ok", NULL);
    (void)futurl_future_wait(set);
    (void)futurl_future_wait(gen);
    support_assert_str_or_null(futurl_response_request_id(futurl_future_response(set)),
                               "order 17/a");
    const char *g = futurl_response_request_id(futurl_future_response(gen));
    char *end = NULL;
    ck_assert_msg(strncmp(g, "req-", 4) == 0 && strtoull(g + 4, &end, 10) > 0 &&
                      *end == '\0',
                  "generated id \"%s\", want req-N", g);
    assert_sequence("order 17/a",
                    "QUEUED STARTED ATTEMPT_START#1 ATTEMPT_END#1 FINISHED");
    assert_sequence(g, "QUEUED STARTED ATTEMPT_START#1 ATTEMPT_END#1 FINISHED");

    /* The id is kept out of the request (a number until named): a second
     * set_id replaces the first, and one of the maximum length arrives
     * whole on the response and the events. */
    char longest[FUTURL_MAX_REQUEST_ID_LENGTH + 1];
    memset(longest, 'L', FUTURL_MAX_REQUEST_ID_LENGTH);
    longest[FUTURL_MAX_REQUEST_ID_LENGTH] = '\0';
    futurl_request *r = support_request("GET", "/ok");
    ck_assert_int_eq(futurl_request_set_id(r, "first name"), FUTURL_OK);
    ck_assert_int_eq(futurl_request_set_id(r, longest), FUTURL_OK);
    futurl_future *named = NULL;
    ck_assert_int_eq(futurl_client_submit(c, r, &named), FUTURL_OK);
    (void)futurl_future_wait(named);
    support_assert_str_or_null(futurl_response_request_id(futurl_future_response(named)),
                               longest);
    assert_sequence(longest, "QUEUED STARTED ATTEMPT_START#1 ATTEMPT_END#1 FINISHED");
    rec_event stale[1];
    ck_assert_msg(events_of("first name", stale, 1) == 0,
                  "events carry the replaced id \"first name\"");
    futurl_future_free(named);
    futurl_future_free(set);
    futurl_future_free(gen);
    futurl_client_destroy(c);
}
END_TEST

static atomic_long queued_count, finished_count;

static void count_events(const futurl_event *ev, void *userdata) {
    (void)userdata;
    if (ev->type == FUTURL_EVENT_QUEUED)
        atomic_fetch_add(&queued_count, 1);
    else if (ev->type == FUTURL_EVENT_FINISHED)
        atomic_fetch_add(&finished_count, 1);
}

static int cmp_str(const void *a, const void *b) {
    return strcmp(*(char *const *)a, *(char *const *)b);
}

#define MANY       10000
#define SUBMITTERS 4

typedef struct submitter {
    futurl_client *c;
    futurl_future **fs;
    int n, failed;
} submitter;

static void *submit_many(void *p) {
    submitter *s = p;
    for (int i = 0; i < s->n; i++)
        if (futurl_get(s->c, "http://127.0.0.1:1/", &s->fs[i]) != FUTURL_OK)
            s->failed++;
    return NULL;
}

START_TEST(generated_ids_unique_over_10000_from_4_threads) {
    futurl_client_options o;
    support_client_options(&o, NULL, 4, 1);
    o.on_event = count_events;
    o.queue_capacity = 256;
    futurl_client *c = support_client_opts(&o, NULL);
    futurl_future **fs = calloc(MANY, sizeof *fs);
    char **ids = calloc(MANY, sizeof *ids);
    ck_assert_ptr_nonnull(fs);
    ck_assert_ptr_nonnull(ids);
    /* Four submitting threads at once; each request is refused at once on
     * loopback: a response (status 0) per request. */
    submitter sub[SUBMITTERS];
    pthread_t th[SUBMITTERS];
    for (int t = 0; t < SUBMITTERS; t++) {
        sub[t] = (submitter){c, fs + t * (MANY / SUBMITTERS), MANY / SUBMITTERS, 0};
        ck_assert_int_eq(pthread_create(&th[t], NULL, submit_many, &sub[t]), 0);
    }
    for (int t = 0; t < SUBMITTERS; t++) {
        pthread_join(th[t], NULL);
        ck_assert_msg(sub[t].failed == 0, "submitter %d: %d submits failed", t,
                      sub[t].failed);
    }
    for (int i = 0; i < MANY; i++) {
        (void)futurl_future_wait(fs[i]);
        const futurl_response *r = futurl_future_response(fs[i]);
        ck_assert_msg(r != NULL, "request %d has no response (%s)", i,
                      futurl_future_errmsg(fs[i]));
        ids[i] = strdup(futurl_response_request_id(r));
        ck_assert_msg(ids[i] != NULL && ids[i][0] != '\0', "request %d: no id", i);
    }
    qsort(ids, MANY, sizeof *ids, cmp_str);
    for (int i = 1; i < MANY; i++)
        ck_assert_msg(strcmp(ids[i - 1], ids[i]) != 0, "id %s given twice", ids[i]);
    ck_assert_int_eq(atomic_load(&queued_count), MANY);
    ck_assert_int_eq(atomic_load(&finished_count), MANY);
    for (int i = 0; i < MANY; i++) {
        futurl_future_free(fs[i]);
        free(ids[i]);
    }
    free(fs);
    free(ids);
    futurl_client_destroy(c);
}
END_TEST

/* ------------------------------------------------------------ debug log */

typedef struct dbg_rec {
    char id[FUTURL_MAX_REQUEST_ID_LENGTH + 1];
    futurl_debug_type type;
    char *data;
} dbg_rec;

static dbg_rec dbgs[2048];
static size_t ndbg;
static atomic_int debug_calls;

static void debug_record(const char *id, futurl_debug_type type, const char *data,
                         size_t len, void *userdata) {
    (void)userdata;
    atomic_fetch_add(&debug_calls, 1);
    pthread_mutex_lock(&rec_lock);
    if (ndbg < sizeof dbgs / sizeof dbgs[0]) {
        dbg_rec *d = &dbgs[ndbg++];
        snprintf(d->id, sizeof d->id, "%s", id);
        d->type = type;
        d->data = strndup(data, len);
    }
    pthread_mutex_unlock(&rec_lock);
}

/* Every record of type for id, joined. */
static void debug_text(const char *id, futurl_debug_type type, char *buf, size_t size) {
    buf[0] = '\0';
    pthread_mutex_lock(&rec_lock);
    for (size_t i = 0; i < ndbg; i++)
        if (dbgs[i].type == type && strcmp(dbgs[i].id, id) == 0) {
            size_t len = strlen(buf);
            snprintf(buf + len, size - len, "%s", dbgs[i].data ? dbgs[i].data : "");
        }
    pthread_mutex_unlock(&rec_lock);
}

static size_t debug_count(const char *id, futurl_debug_type type) {
    size_t n = 0;
    pthread_mutex_lock(&rec_lock);
    for (size_t i = 0; i < ndbg; i++)
        n += dbgs[i].type == type && strcmp(dbgs[i].id, id) == 0;
    pthread_mutex_unlock(&rec_lock);
    return n;
}

#define assert_contains(hay, needle)                                                     \
    ck_assert_msg(strstr((hay), (needle)) != NULL, "want \"%s\" in:\n%s", (needle), (hay))
#define assert_lacks(hay, needle)                                                        \
    ck_assert_msg(strstr((hay), (needle)) == NULL, "want no \"%s\" in:\n%s", (needle),   \
                  (hay))

/* GET /cookies setting sid, with credentials in the request. */
static futurl_future *secret_request(futurl_client *c, const char *id) {
    futurl_request *r = support_request("GET", "/cookies?name=sid&value=srv-s3cret");
    ck_assert_int_eq(futurl_request_set_header(r, "Authorization", "Bearer tok-s3cret"),
                     FUTURL_OK);
    ck_assert_int_eq(futurl_request_set_header(r, "Cookie", "a=cookie-s3cret"),
                     FUTURL_OK);
    ck_assert_int_eq(futurl_request_set_header(r, "X-Plain", "visible"), FUTURL_OK);
    ck_assert_int_eq(futurl_request_set_id(r, id), FUTURL_OK);
    return support_run(c, r);
}

START_TEST(debug_callback_tags_headers_with_id) {
    futurl_client_options o;
    support_client_options(&o, NULL, 1, 1);
    o.on_debug = debug_record;
    o.cookie_jar = 0;
    futurl_client *c = support_client_opts(&o, fault.url);
    futurl_future *f = secret_request(c, "dbg-1");
    support_assert_status(f, FUTURL_OK);
    char out[8192], in[8192];
    debug_text("dbg-1", FUTURL_DEBUG_HEADER_OUT, out, sizeof out);
    debug_text("dbg-1", FUTURL_DEBUG_HEADER_IN, in, sizeof in);
    assert_contains(out, "GET /cookies?name=sid&value=srv-s3cret HTTP/1.1\r\n");
    assert_contains(out, "X-Plain: visible\r\n");
    assert_contains(out, "Authorization: Bearer ***\r\n");
    assert_contains(out, "Cookie: ***\r\n");
    assert_lacks(out, "s3cret\r\n");
    assert_lacks(out, "tok-s3cret");
    assert_lacks(out, "cookie-s3cret");
    assert_contains(in, "HTTP/1.1 200");
    assert_contains(in, "Set-Cookie: ***\r\n");
    assert_lacks(in, "srv-s3cret");
    ck_assert_msg(debug_count("dbg-1", FUTURL_DEBUG_TEXT) > 0, "no text for dbg-1");
    /* Body bytes only when asked. */
    ck_assert_uint_eq(debug_count("dbg-1", FUTURL_DEBUG_DATA_IN), 0);
    futurl_future_free(f);
    futurl_client_destroy(c);

    o.debug_data = 1;
    o.debug_unmasked = 1;
    c = support_client_opts(&o, fault.url);
    f = secret_request(c, "dbg-2");
    support_assert_status(f, FUTURL_OK);
    debug_text("dbg-2", FUTURL_DEBUG_HEADER_OUT, out, sizeof out);
    debug_text("dbg-2", FUTURL_DEBUG_HEADER_IN, in, sizeof in);
    assert_contains(out, "Authorization: Bearer tok-s3cret\r\n");
    assert_contains(out, "Cookie: a=cookie-s3cret\r\n");
    assert_contains(in, "Set-Cookie: sid=srv-s3cret");
    char data[8192];
    debug_text("dbg-2", FUTURL_DEBUG_DATA_IN, data, sizeof data);
    assert_contains(data, "cookie-s3cret"); /* /cookies echoes the Cookie header */
    futurl_future_free(f);
    futurl_client_destroy(c);
}
END_TEST

START_TEST(debug_mask_keeps_lines) {
    /* Through the callback: a block of several lines, any case, folded
     * whitespace, a scheme without a credential. */
    futurl_client_options o;
    support_client_options(&o, NULL, 1, 1);
    o.on_debug = debug_record;
    futurl_client *c = support_client_opts(&o, fault.url);
    futurl_request *r = support_request("GET", "/ok");
    ck_assert_int_eq(futurl_request_set_header(r, "proxy-authorization", "Basic  xyz=="),
                     FUTURL_OK);
    ck_assert_int_eq(futurl_request_set_header(r, "authorization", "opaque-token"),
                     FUTURL_OK);
    ck_assert_int_eq(futurl_request_set_id(r, "mask-1"), FUTURL_OK);
    futurl_future *f = support_run(c, r);
    support_assert_status(f, FUTURL_OK);
    char out[8192];
    debug_text("mask-1", FUTURL_DEBUG_HEADER_OUT, out, sizeof out);
    assert_contains(out, "proxy-authorization: Basic ***\r\n");
    assert_contains(out, "authorization: ***\r\n");
    assert_lacks(out, "xyz==");
    assert_lacks(out, "opaque-token");
    assert_contains(out, "Host: 127.0.0.1:");
    futurl_future_free(f);
    futurl_client_destroy(c);
}
END_TEST

/* With the cookie jar on (the default), libcurl's cookie engine notes every
 * cookie it stores, value and all: the server's Set-Cookie and the
 * `cookies` option both pass through it. Those notes are masked too. */
START_TEST(debug_cookie_engine_notes_are_masked) {
    for (int unmasked = 0; unmasked <= 1; unmasked++) {
        futurl_client_options o;
        support_client_options(&o, NULL, 1, 1);
        o.on_debug = debug_record;
        o.debug_unmasked = unmasked;
        o.cookies = "opt=opt-s3cret";
        futurl_client *c = support_client_opts(&o, fault.url);
        const char *id = unmasked ? "jar-2" : "jar-1";
        futurl_request *r = support_request("GET", "/cookies?name=sid&value=srv-s3cret");
        ck_assert_int_eq(futurl_request_set_id(r, id), FUTURL_OK);
        futurl_future *f = support_run(c, r);
        support_assert_status(f, FUTURL_OK);
        char text[16384];
        debug_text(id, FUTURL_DEBUG_TEXT, text, sizeof text);
        if (unmasked) {
            assert_contains(text, "cookie opt=\"opt-s3cret\" for domain");
            assert_contains(text, "s3cret");
        } else {
            assert_contains(text,
                            "Added cookie opt=\"***\" for domain 127.0.0.1, path /");
            assert_contains(text,
                            "Added cookie sid=\"***\" for domain 127.0.0.1, path /");
            assert_lacks(text, "s3cret");
        }
        futurl_future_free(f);
        futurl_client_destroy(c);
    }
}
END_TEST

/* Run one request with FUTURL_DEBUG=value and stderr in a file; the log. */
static char *env_log(const char *value, const char *id) {
    char path[] = "/tmp/futurl-trace-XXXXXX";
    int fd = mkstemp(path);
    ck_assert_msg(fd >= 0, "mkstemp failed");
    unlink(path);
    fflush(stderr);
    int saved = dup(STDERR_FILENO);
    ck_assert_msg(saved >= 0 && dup2(fd, STDERR_FILENO) >= 0,
                  "redirecting stderr failed");
    if (value != NULL)
        setenv("FUTURL_DEBUG", value, 1);
    else
        unsetenv("FUTURL_DEBUG");
    futurl_client_options o;
    support_client_options(&o, NULL, 1, 1);
    o.cookie_jar = 0;
    o.base_url = fault.url;
    futurl_client *c = NULL;
    futurl_status st = futurl_client_create(&o, &c);
    futurl_future *f = NULL;
    unsetenv("FUTURL_DEBUG");
    if (st == FUTURL_OK) {
        f = secret_request(c, id);
        futurl_client_destroy(c); /* every line written */
    }
    fflush(stderr);
    dup2(saved, STDERR_FILENO);
    close(saved);
    ck_assert_msg(st == FUTURL_OK, "create: %s", futurl_err_name(st));
    support_assert_status(f, FUTURL_OK);
    futurl_future_free(f);
    off_t size = lseek(fd, 0, SEEK_END);
    char *buf = calloc(1, (size_t)size + 1);
    ck_assert_ptr_nonnull(buf);
    ck_assert_int_eq(pread(fd, buf, (size_t)size, 0), size);
    close(fd);
    return buf;
}

START_TEST(env_debug_log_is_masked) {
    char *log = env_log("1", "env-1");
    assert_contains(log,
                    "futurl [env-1] > GET /cookies?name=sid&value=srv-s3cret HTTP/1.1\n");
    assert_contains(log, "futurl [env-1] > Authorization: Bearer ***\n");
    assert_contains(log, "futurl [env-1] > Cookie: ***\n");
    assert_contains(log, "futurl [env-1] < HTTP/1.1 200");
    assert_contains(log, "futurl [env-1] < Set-Cookie: ***\n");
    assert_contains(log, "futurl [env-1] * ");
    assert_lacks(log, "tok-s3cret");
    assert_lacks(log, "cookie-s3cret");
    assert_lacks(log, "sid=srv-s3cret");
    assert_lacks(log, " bytes\n"); /* no body without "data" */
    free(log);
}
END_TEST

START_TEST(env_debug_log_unmasked_when_asked) {
    char *log = env_log("unmasked,data", "env-2");
    assert_contains(log, "futurl [env-2] > Authorization: Bearer tok-s3cret\n");
    assert_contains(log, "futurl [env-2] > Cookie: a=cookie-s3cret\n");
    assert_contains(log, "futurl [env-2] < Set-Cookie: sid=srv-s3cret");
    assert_contains(log, "futurl [env-2] < "); /* status line */
    assert_contains(log, " bytes\n");
    free(log);
}
END_TEST

START_TEST(off_by_default) {
    futurl_client_options o;
    futurl_client_options_init(&o);
    ck_assert_ptr_null(o.on_debug);
    ck_assert_ptr_null(o.on_event);
    ck_assert_int_eq(o.debug_data, 0);
    ck_assert_int_eq(o.debug_unmasked, 0);
    /* Without FUTURL_DEBUG (and with it "0"), nothing on stderr. */
    char *log = env_log(NULL, "quiet-1");
    assert_lacks(log, "futurl [");
    free(log);
    log = env_log("0", "quiet-2");
    assert_lacks(log, "futurl [");
    free(log);
    /* One client's callback never hears another client's requests. The
     * record count is compared with its value here, not with 0: without
     * fork (valgrind), earlier tests' records are still in dbgs. */
    atomic_store(&debug_calls, 0);
    pthread_mutex_lock(&rec_lock);
    size_t ndbg_before = ndbg;
    pthread_mutex_unlock(&rec_lock);
    support_client_options(&o, NULL, 1, 1);
    futurl_client *c = support_client_opts(&o, fault.url);
    futurl_future *f = support_get_ok(c, "/ok");
    futurl_future_free(f);
    futurl_client_destroy(c);
    ck_assert_int_eq(atomic_load(&debug_calls), 0);
    pthread_mutex_lock(&rec_lock);
    size_t ndbg_after = ndbg;
    pthread_mutex_unlock(&rec_lock);
    ck_assert_uint_eq(ndbg_after, ndbg_before);
}
END_TEST

int main(void) {
    Suite *s = suite_create("trace");
    TCase *tc = tcase_create("events");
    tcase_set_timeout(tc, 30);
    tcase_add_unchecked_fixture(tc, start_fault, stop_fault);
    tcase_add_test(tc, plain_get_events_in_order);
    tcase_add_test(tc, retry_events_carry_delay_and_reason);
    tcase_add_test(tc, per_host_limit_parks_for_a_slot);
    tcase_add_test(tc, rate_limit_parks_for_a_token);
    tcase_add_test(tc, hold_after_429_parks);
    tcase_add_test(tc, cancel_queued_and_running);
    suite_add_tcase(s, tc);

    tc = tcase_create("ids");
    tcase_set_timeout(tc, 60);
    tcase_add_unchecked_fixture(tc, start_fault, stop_fault);
    tcase_add_test(tc, set_id_is_validated);
    tcase_add_test(tc, set_and_generated_ids_on_response_and_events);
    tcase_add_test(tc, generated_ids_unique_over_10000_from_4_threads);
    suite_add_tcase(s, tc);

    tc = tcase_create("debug");
    tcase_set_timeout(tc, 30);
    tcase_add_unchecked_fixture(tc, start_fault, stop_fault);
    tcase_add_test(tc, debug_callback_tags_headers_with_id);
    tcase_add_test(tc, debug_mask_keeps_lines);
    tcase_add_test(tc, debug_cookie_engine_notes_are_masked);
    tcase_add_test(tc, env_debug_log_is_masked);
    tcase_add_test(tc, env_debug_log_unmasked_when_asked);
    tcase_add_test(tc, off_by_default);
    suite_add_tcase(s, tc);

    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? 1 : 0;
}
