/*
 * src/limits.h — admission control for HTTP attempts: a host-wide hold
 * after a 429 with Retry-After, token-bucket rate limits (client-wide and
 * per host) and a per-host limit on concurrent requests. A request that may
 * not go yet is told when to come back, or is queued for a slot; its job
 * then parks the future (src/worker.c), so waiting never holds a worker.
 * Not installed.
 */
#ifndef FUTURL_SRC_LIMITS_H
#define FUTURL_SRC_LIMITS_H

#include <stdint.h>

#include "future.h"

typedef struct futurl__limits futurl__limits;
typedef struct futurl__host futurl__host;

typedef struct futurl__limits_config {
    unsigned max_per_host; /* 0: no per-host limit */
    double rate;           /* client-wide attempts per second; 0: none */
    unsigned burst;        /* bucket size, at least 1 */
    double host_rate;      /* per host; 0: none */
    unsigned host_burst;
} futurl__limits_config;

/* A request's place in its host's queue for a slot (see src/limits.c). */
typedef struct futurl__slot_wait {
    futurl_future *f;                      /* (limits lock) set while listed */
    int where;                             /* (limits lock) which list, if any */
    struct futurl__slot_wait *prev, *next; /* (limits lock) */
} futurl__slot_wait;

/* What one request holds. Touched only by its own job, one run at a time,
 * or by whoever ends the future while its job is not running (the abandon
 * hook); the queue links in `wait` are the limits lock's. It must not move
 * once admission has seen it. */
typedef struct futurl__admission {
    futurl__host *host;     /* NULL until the first admission */
    int token_taken;        /* this attempt's rate tokens are taken */
    int slot_held;          /* holds one of its host's concurrent slots */
    futurl__slot_wait wait; /* in its host's queue, or not */
} futurl__admission;

typedef enum futurl__admit {
    FUTURL__ADMIT_GO = 0,     /* run the attempt now */
    FUTURL__ADMIT_WAIT_UNTIL, /* park until *due (rate limit) */
    FUTURL__ADMIT_WAIT_HOLD,  /* park until *due (its host is held after a 429) */
    FUTURL__ADMIT_WAIT_SLOT   /* park until woken: queued for a slot */
} futurl__admit;

/* Returns FUTURL_OK or FUTURL_ENOMEM. */
futurl_status futurl__limits_new(const futurl__limits_config *cfg, futurl__limits **out);

/* Free the table; every future still listed must have finished. */
void futurl__limits_free(futurl__limits *l);

/*
 * May f's next attempt on host_key ("http://host:port") start at now?
 * GO: it may (a slot and tokens are held in *a). WAIT_UNTIL: come back at
 * *due. WAIT_SLOT: f is queued for a slot and will be woken through ex.
 * Called from f's own job (f is RUNNING). O(1) but for the first look-up
 * of the host. Never fails: on allocation failure it answers GO.
 */
futurl__admit futurl__limits_admit(futurl__limits *l, futurl_executor *ex,
                                   const char *host_key, futurl_future *f,
                                   futurl__admission *a, uint64_t now, uint64_t *due);

/* After an attempt, or when f ends without another attempt (its job gave
 * up, or the executor ended it while it waited: the abandon hook must call
 * this): give back its slot, take f out of its host's queue, and wake
 * whoever may go next. O(1). */
void futurl__limits_done(futurl__limits *l, futurl_executor *ex, futurl__admission *a);

/* Hold every request to host_key until `until` (a 429 said so). */
void futurl__limits_hold(futurl__limits *l, const char *host_key, uint64_t until);

#endif
