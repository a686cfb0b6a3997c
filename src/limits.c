/*
 * src/limits.c — admission control for HTTP attempts (see src/limits.h):
 * a table of hosts, each with its concurrent-request count, its queue of
 * futures waiting for a slot, its token bucket and its 429 hold; plus the
 * client-wide token bucket.
 *
 * Everything is guarded by l->lock. Hosts are never removed before the
 * client goes, so a request may keep its futurl__host pointer. A future in
 * a host's queue holds a reference (taken here), so the queue never points
 * at freed memory even when the future was cancelled while it waited; such
 * entries are swept out, and a slot granted to one is passed on. No other
 * lock is taken while l->lock is held: wake-ups and reference drops happen
 * after it is released.
 *
 * A waiter may end without its job running again (cancelled while parked or
 * queued, or its deadline passed in the run queue), perhaps after a slot was
 * granted to it. Nothing else may happen on that host for a long time, so a
 * done-callback on each waiter's future sweeps the host when it ends: the
 * slot is passed on at once. A granted waiter stays in the queue until it
 * goes, also while it waits out a 429 hold, so the same sweep returns the
 * slot if it ends there.
 */
#include "limits.h"

#include <stdlib.h>
#include <string.h>

#define HOST_BUCKETS 64u

typedef struct slot_waiter {
    futurl_future *f;
    int granted; /* a slot was handed to it; it has not claimed it yet */
    struct slot_waiter *prev, *next;
} slot_waiter;

typedef struct bucket {
    double tokens, rate, burst;
    uint64_t last_ns;
} bucket;

struct futurl__host {
    char *key;
    unsigned in_flight; /* slots held, including granted-unclaimed ones */
    slot_waiter *head, *tail;
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

/* Futures to wake and references to drop once the lock is released. A
 * sweep handles at most DEFER_MAX - 1 of each (one drop stays free for the
 * caller); what it leaves is handled by the next one. */
#define DEFER_MAX 32u
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

/* When one token will be there (now if it is). */
static uint64_t bucket_ready_at(const bucket *b, uint64_t now) {
    if (b->rate <= 0 || b->tokens >= 1.0)
        return now;
    return now + (uint64_t)((1.0 - b->tokens) / b->rate * 1e9) + 1;
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
            for (slot_waiter *w = h->head, *wn; w != NULL; w = wn) {
                wn = w->next;
                futurl__future_release(w->f);
                free(w);
            }
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

static void unlink_waiter(futurl__host *h, slot_waiter *w) {
    if (w->prev)
        w->prev->next = w->next;
    else
        h->head = w->next;
    if (w->next)
        w->next->prev = w->prev;
    else
        h->tail = w->prev;
}

static slot_waiter *find_waiter(futurl__host *h, futurl_future *f) {
    for (slot_waiter *w = h->head; w != NULL; w = w->next)
        if (w->f == f)
            return w;
    return NULL;
}

/* Drop waiters whose future finished while waiting (cancelled, deadline),
 * returning any slot granted to them; then hand free slots to the first
 * waiters still waiting. */
static void sweep_and_grant(futurl__limits *l, futurl__host *h, deferred *d) {
    for (slot_waiter *w = h->head, *wn; w != NULL; w = wn) {
        wn = w->next;
        if (!futurl_future_done(w->f) || d->ndrop == DEFER_MAX - 1)
            continue;
        if (w->granted)
            h->in_flight--;
        unlink_waiter(h, w);
        d->drop[d->ndrop++] = w->f;
        free(w);
    }
    unsigned max = l->cfg.max_per_host;
    for (slot_waiter *w = h->head; w != NULL && h->in_flight < max; w = w->next) {
        if (w->granted || d->nwake == DEFER_MAX)
            continue;
        w->granted = 1;
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

/* What a waiter's done-callback needs; freed by the callback. */
typedef struct waiter_end {
    futurl__limits *l;
    futurl_executor *ex;
    futurl__host *h;
} waiter_end;

/* A waiter's future ended: drop it from its host's queue and pass on any
 * slot granted to it. Runs on the thread that ended the future, with no
 * lock of ours held (the executor completes futures outside its lock). */
static void on_waiter_end(futurl_future *f, void *userdata) {
    waiter_end *e = userdata;
    deferred d = {.nwake = 0, .ndrop = 0};
    (void)f;
    pthread_mutex_lock(&e->l->lock);
    sweep_and_grant(e->l, e->h, &d);
    pthread_mutex_unlock(&e->l->lock);
    run_deferred(e->ex, &d);
    free(e);
}

/* -------------------------------------------------------------- admission */

futurl__admit futurl__limits_admit(futurl__limits *l, futurl_executor *ex,
                                   const char *host_key, futurl_future *f,
                                   futurl__admission *a, uint64_t now, uint64_t *due) {
    deferred d = {.nwake = 0, .ndrop = 0};
    futurl__admit verdict = FUTURL__ADMIT_GO;
    waiter_end *watch = NULL; /* set when f joins a queue */
    pthread_mutex_lock(&l->lock);
    if (a->host == NULL)
        a->host = host_get(l, host_key, now);
    futurl__host *h = a->host;
    if (h == NULL) /* out of memory: no limits rather than no request */
        goto out;
    sweep_and_grant(l, h, &d);

    /* Queued for a slot: go on only once one was handed over. */
    slot_waiter *mine = find_waiter(h, f);
    if (mine != NULL && !mine->granted) {
        verdict = FUTURL__ADMIT_WAIT_SLOT; /* woken early: keep waiting */
        goto out;
    }

    /* A granted waiter waiting out a hold keeps its slot reserved and its
     * place in the queue (see the top of the file). */
    if (now < h->hold_until) {
        *due = h->hold_until;
        verdict = FUTURL__ADMIT_WAIT_UNTIL;
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
    if (mine != NULL) { /* claim the slot handed over */
        unlink_waiter(h, mine);
        free(mine);
        d.drop[d.ndrop++] = f; /* the queue's reference */
        a->slot_held = 1;
    }
    if (l->cfg.max_per_host == 0 || a->slot_held)
        goto out;
    /* First come, first served: nobody jumps a queue that is waiting. */
    if (h->in_flight < l->cfg.max_per_host && h->head == NULL) {
        h->in_flight++;
        a->slot_held = 1;
        goto out;
    }
    slot_waiter *w = calloc(1, sizeof *w);
    if (w == NULL)
        goto out; /* out of memory: let it through */
    w->f = f;
    futurl__future_ref(f);
    w->prev = h->tail;
    if (h->tail)
        h->tail->next = w;
    else
        h->head = w;
    h->tail = w;
    verdict = FUTURL__ADMIT_WAIT_SLOT;
    watch = malloc(sizeof *watch);
    if (watch != NULL)
        *watch = (waiter_end){.l = l, .ex = ex, .h = h};
out:
    pthread_mutex_unlock(&l->lock);
    run_deferred(ex, &d);
    /* f is running (this is its job), so it cannot end before this. Out of
     * memory: without the callback, the slot passes on at the host's next
     * admission or attempt instead. */
    if (watch != NULL && futurl_future_on_done(f, on_waiter_end, watch) != FUTURL_OK)
        free(watch);
    return verdict;
}

void futurl__limits_done(futurl__limits *l, futurl_executor *ex, futurl_future *f,
                         futurl__admission *a) {
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
    slot_waiter *mine = find_waiter(h, f);
    if (mine != NULL) { /* gave up while queued (deadline, cancel) */
        if (mine->granted)
            h->in_flight--;
        unlink_waiter(h, mine);
        free(mine);
        d.drop[d.ndrop++] = f;
    }
    sweep_and_grant(l, h, &d);
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
