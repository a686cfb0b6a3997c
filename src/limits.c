/*
 * src/limits.c — admission control for HTTP attempts (see src/limits.h):
 * a table of hosts, each with its concurrent-request count, its queue of
 * futures waiting for a slot, its token bucket and its 429 hold; plus the
 * client-wide token bucket.
 *
 * Everything is guarded by l->lock. Hosts are never removed before the
 * client goes, so a request may keep its futurl__host pointer. No other
 * lock is taken while l->lock is held: wake-ups and reference drops happen
 * after it is released.
 *
 * The slot queue. A request's place in it is a record inside its own
 * admission (futurl__slot_wait, in the request's run state), so queueing
 * allocates nothing. The record is in one of two lists of its host, or in
 * none: `waiting`, first come first served, and `granted`, handed a slot it
 * has not yet claimed (its job has yet to run again, or it waits out a 429
 * hold or a rate token first, keeping the slot). While listed, the record
 * holds a reference to its future, so a list never points at freed memory.
 * Every step is O(1):
 *   - grant: the head of `waiting` moves to `granted` and is woken;
 *   - claim: the job, running again, takes its own record out of `granted`;
 *   - give up: a request that ends without another attempt takes its record
 *     out in futurl__limits_done, and a slot granted to it passes on at
 *     once. Its job calls that when it sees the end itself; when the
 *     executor ends it while it waits (cancelled while parked or queued,
 *     its deadline passed, shut down), the abandon hook does, on the thread
 *     that ends it (src/http_job.c).
 * Invariant: a host with a waiter has no free slot (in_flight counts granted
 * slots too), so each slot given back grants at most one waiter.
 */
#include "limits.h"

#include "clock.h"
#include "executor.h"

#include <stdlib.h>
#include <string.h>

#define HOST_BUCKETS 64u

/* futurl__slot_wait.where: the list it is in. */
enum { WAIT_NONE = 0, WAIT_QUEUED, WAIT_GRANTED };

/* A doubly linked list of records. */
typedef struct wait_list {
    futurl__slot_wait *head, *tail;
} wait_list;

typedef struct bucket {
    double tokens, rate, burst;
    uint64_t last_ns;
} bucket;

struct futurl__host {
    char *key;
    unsigned in_flight; /* slots held, including granted-unclaimed ones */
    wait_list waiting;  /* for a slot, oldest first */
    wait_list granted;  /* handed a slot, not yet claimed */
    bucket tokens;
    uint64_t hold_until;
    futurl__host *next; /* hash chain */
};

struct futurl__limits {
    pthread_mutex_t lock;
    futurl__limits_config cfg;
    bucket tokens;
    futurl__host *hosts[HOST_BUCKETS];
};

/* Futures to wake and references to drop once the lock is released. One
 * call gives back at most one slot, so it grants at most one waiter and
 * drops at most one list's reference. */
#define DEFER_MAX 4u
typedef struct deferred {
    futurl_future *wake[DEFER_MAX];
    size_t nwake;
    futurl_future *drop[DEFER_MAX];
    size_t ndrop;
} deferred;

/* ---------------------------------------------------------- token buckets */

static void bucket_init(bucket *b, double rate, unsigned burst, uint64_t now) {
    b->rate = rate;
    b->burst = burst ? burst : 1;
    b->tokens = b->burst;
    b->last_ns = now;
}

static void bucket_refill(bucket *b, uint64_t now) {
    if (b->rate <= 0 || now <= b->last_ns)
        return;
    b->tokens += (double)(now - b->last_ns) * b->rate / 1e9;
    if (b->tokens > b->burst)
        b->tokens = b->burst;
    b->last_ns = now;
}

/* The longest wait for a token: create refuses rates below one a day
 * (FUTURL_MIN_RATE_LIMIT), so this is a bound no accepted rate reaches; it
 * keeps the float-to-integer conversion below defined for any rate. */
#define BUCKET_MAX_WAIT_NS (UINT64_C(1) << 62)

/* When one token will be there (now if it is), saturating. */
static uint64_t bucket_ready_at(const bucket *b, uint64_t now) {
    if (b->rate <= 0 || b->tokens >= 1.0)
        return now;
    double wait = (1.0 - b->tokens) / b->rate * 1e9;
    uint64_t ns = BUCKET_MAX_WAIT_NS; /* also for NaN */
    if (wait < (double)BUCKET_MAX_WAIT_NS)
        ns = wait > 0 ? (uint64_t)wait : 0;
    return now < UINT64_MAX - ns - 1 ? now + ns + 1 : UINT64_MAX;
}

/* ------------------------------------------------------------------ table */

static uint64_t now_ns(void) {
    return futurl__now_ns();
}

futurl_status futurl__limits_new(const futurl__limits_config *cfg, futurl__limits **out) {
    *out = NULL;
    futurl__limits *l = calloc(1, sizeof *l);
    if (l == NULL)
        return FUTURL_ENOMEM;
    if (pthread_mutex_init(&l->lock, NULL) != 0) {
        free(l);
        return FUTURL_ENOMEM;
    }
    l->cfg = *cfg;
    bucket_init(&l->tokens, cfg->rate, cfg->burst, now_ns());
    *out = l;
    return FUTURL_OK;
}

void futurl__limits_free(futurl__limits *l) {
    if (l == NULL)
        return;
    for (unsigned i = 0; i < HOST_BUCKETS; i++) {
        futurl__host *h = l->hosts[i];
        while (h != NULL) {
            futurl__host *next = h->next;
            /* Empty by now: every future that waited has ended and taken
             * its record out. Drop what a bug left. */
            wait_list *lists[] = {&h->waiting, &h->granted};
            for (size_t k = 0; k < 2; k++)
                for (futurl__slot_wait *w = lists[k]->head; w != NULL; w = w->next)
                    futurl__future_release(w->f);
            free(h->key);
            free(h);
            h = next;
        }
    }
    pthread_mutex_destroy(&l->lock);
    free(l);
}

static unsigned hash_key(const char *s) {
    uint32_t h = 2166136261u; /* FNV-1a */
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 16777619u;
    return h % HOST_BUCKETS;
}

static futurl__host *host_get(futurl__limits *l, const char *key, uint64_t now) {
    unsigned i = hash_key(key);
    for (futurl__host *h = l->hosts[i]; h != NULL; h = h->next)
        if (strcmp(h->key, key) == 0)
            return h;
    futurl__host *h = calloc(1, sizeof *h);
    if (h == NULL || (h->key = strdup(key)) == NULL) {
        free(h);
        return NULL;
    }
    bucket_init(&h->tokens, l->cfg.host_rate, l->cfg.host_burst, now);
    h->next = l->hosts[i];
    l->hosts[i] = h;
    return h;
}

/* -------------------------------------------------------------- the queue */

static void list_push(wait_list *list, futurl__slot_wait *w) {
    w->next = NULL;
    w->prev = list->tail;
    if (list->tail)
        list->tail->next = w;
    else
        list->head = w;
    list->tail = w;
}

static void list_unlink(wait_list *list, futurl__slot_wait *w) {
    if (w->prev)
        w->prev->next = w->next;
    else
        list->head = w->next;
    if (w->next)
        w->next->prev = w->prev;
    else
        list->tail = w->prev;
    w->prev = w->next = NULL;
}

/* Take w (a record of host h) out of its list, if it is in one: a slot
 * granted to it is given back, and the list's reference to its future is
 * dropped after the unlock. */
static void leave_queue(futurl__host *h, futurl__slot_wait *w, deferred *d) {
    if (w->where == WAIT_NONE)
        return;
    if (w->where == WAIT_GRANTED) {
        list_unlink(&h->granted, w);
        h->in_flight--;
    } else {
        list_unlink(&h->waiting, w);
    }
    w->where = WAIT_NONE;
    d->drop[d->ndrop++] = w->f;
}

/* Hand free slots to the oldest waiters (at most one per slot given back:
 * see the invariant at the top). */
static void grant(futurl__limits *l, futurl__host *h, deferred *d) {
    while (h->in_flight < l->cfg.max_per_host && h->waiting.head != NULL &&
           d->nwake < DEFER_MAX) {
        futurl__slot_wait *w = h->waiting.head;
        list_unlink(&h->waiting, w);
        list_push(&h->granted, w);
        w->where = WAIT_GRANTED;
        h->in_flight++;
        futurl__future_ref(w->f); /* for the wake-up after the unlock */
        d->wake[d->nwake++] = w->f;
    }
}

static void run_deferred(futurl_executor *ex, deferred *d) {
    for (size_t i = 0; i < d->nwake; i++) {
        futurl__executor_wake(ex, d->wake[i]);
        futurl__future_release(d->wake[i]);
    }
    for (size_t i = 0; i < d->ndrop; i++)
        futurl__future_release(d->drop[i]);
}

/* -------------------------------------------------------------- admission */

futurl__admit futurl__limits_admit(futurl__limits *l, futurl_executor *ex,
                                   const char *host_key, futurl_future *f,
                                   futurl__admission *a, uint64_t now, uint64_t *due) {
    deferred d = {.nwake = 0, .ndrop = 0};
    futurl__admit verdict = FUTURL__ADMIT_GO;
    pthread_mutex_lock(&l->lock);
    if (a->host == NULL)
        a->host = host_get(l, host_key, now);
    futurl__host *h = a->host;
    if (h == NULL) /* out of memory: no limits rather than no request */
        goto out;
    futurl__slot_wait *w = &a->wait;
    /* Queued for a slot: go on only once one was handed over. */
    if (w->where == WAIT_QUEUED) {
        verdict = FUTURL__ADMIT_WAIT_SLOT; /* woken early: keep waiting */
        goto out;
    }
    /* A granted waiter waiting out a hold keeps its slot reserved (see
     * the top of the file). */
    if (now < h->hold_until) {
        *due = h->hold_until;
        verdict = FUTURL__ADMIT_WAIT_HOLD;
        goto out;
    }
    if (!a->token_taken) {
        bucket_refill(&l->tokens, now);
        bucket_refill(&h->tokens, now);
        uint64_t ready = bucket_ready_at(&l->tokens, now);
        uint64_t host_ready = bucket_ready_at(&h->tokens, now);
        if (host_ready > ready)
            ready = host_ready;
        if (ready > now) {
            *due = ready;
            verdict = FUTURL__ADMIT_WAIT_UNTIL;
            goto out;
        }
        if (l->tokens.rate > 0)
            l->tokens.tokens -= 1.0;
        if (h->tokens.rate > 0)
            h->tokens.tokens -= 1.0;
        a->token_taken = 1;
    }
    if (w->where == WAIT_GRANTED) { /* claim the slot handed over */
        list_unlink(&h->granted, w);
        w->where = WAIT_NONE;
        d.drop[d.ndrop++] = f; /* the list's reference */
        a->slot_held = 1;
    }
    if (l->cfg.max_per_host == 0 || a->slot_held)
        goto out;
    /* First come, first served: nobody jumps a queue that is waiting. */
    if (h->in_flight < l->cfg.max_per_host && h->waiting.head == NULL) {
        h->in_flight++;
        a->slot_held = 1;
        goto out;
    }
    list_push(&h->waiting, w);
    w->where = WAIT_QUEUED;
    w->f = f;
    futurl__future_ref(f);
    verdict = FUTURL__ADMIT_WAIT_SLOT;
out:
    pthread_mutex_unlock(&l->lock);
    run_deferred(ex, &d);
    return verdict;
}

void futurl__limits_done(futurl__limits *l, futurl_executor *ex, futurl__admission *a) {
    futurl__host *h = a->host;
    a->token_taken = 0; /* one attempt, one token */
    if (h == NULL)
        return;
    deferred d = {.nwake = 0, .ndrop = 0};
    pthread_mutex_lock(&l->lock);
    if (a->slot_held) {
        a->slot_held = 0;
        h->in_flight--;
    }
    leave_queue(h, &a->wait, &d); /* gave up while queued (deadline, cancel) */
    grant(l, h, &d);
    pthread_mutex_unlock(&l->lock);
    run_deferred(ex, &d);
}

void futurl__limits_hold(futurl__limits *l, const char *host_key, uint64_t until) {
    pthread_mutex_lock(&l->lock);
    futurl__host *h = host_get(l, host_key, futurl__now_ns());
    if (h != NULL && until > h->hold_until) /* out of memory: no hold */
        h->hold_until = until;
    pthread_mutex_unlock(&l->lock);
}
