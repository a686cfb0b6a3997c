/*
 * src/pool.c — pools of populated mappings kept for reuse, and the slabs
 * small blocks are carved from (see pool.h). Responses' large bodies and
 * small responses (response.c) and bulk submitters' futures (cells.c)
 * live in them.
 */
#include "pool.h"

#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/mman.h>

#include "memcheck.h"

/* ------------------------------------------------------------- pools */

/*
 * Blocks are given back by any thread, so one mutex guards the slots (held
 * for a few loads and stores, never across a system call). A pool lives
 * until its owner has closed it and the last holder of a reference (a
 * response with a pooled body, a slab) has let go: a response may outlive
 * its client.
 */
struct futurl__body_pool {
    pthread_mutex_t lock;
    atomic_size_t refs; /* the owner's, plus one per holder */
    int closed;         /* the owner is gone: unmap whatever comes back */
    size_t count, max_count, bytes, max_bytes;
    struct pool_slot {
        char *data;
        size_t map;
    } slot[];
};

futurl__body_pool *futurl__body_pool_new(size_t max_count, size_t max_bytes) {
    futurl__body_pool *p = calloc(1, sizeof *p + max_count * sizeof p->slot[0]);
    if (p == NULL)
        return NULL;
    if (pthread_mutex_init(&p->lock, NULL) != 0) {
        free(p);
        return NULL;
    }
    atomic_init(&p->refs, 1);
    p->max_count = max_count;
    p->max_bytes = max_bytes;
    return p;
}

void futurl__pool_ref(futurl__body_pool *p) {
    atomic_fetch_add_explicit(&p->refs, 1, memory_order_relaxed);
}

void futurl__pool_unref(futurl__body_pool *p) {
    if (atomic_fetch_sub_explicit(&p->refs, 1, memory_order_acq_rel) != 1)
        return;
    for (size_t i = 0; i < p->count; i++) /* none once closed; kept for safety */
        munmap(p->slot[i].data, p->slot[i].map);
    pthread_mutex_destroy(&p->lock);
    free(p);
}

void futurl__body_pool_close(futurl__body_pool *p) {
    if (p == NULL)
        return;
    pthread_mutex_lock(&p->lock);
    p->closed = 1;
    size_t n = p->count;
    p->count = 0;
    p->bytes = 0;
    pthread_mutex_unlock(&p->lock);
    for (size_t i = 0; i < n; i++) /* nobody else reads the slots once closed */
        munmap(p->slot[i].data, p->slot[i].map);
    futurl__pool_unref(p);
}

char *futurl__pool_take(futurl__body_pool *p, size_t need, size_t *map) {
    char *data = NULL;
    pthread_mutex_lock(&p->lock);
    size_t best = p->count;
    for (size_t i = 0; i < p->count; i++)
        if (p->slot[i].map >= need && p->slot[i].map / 2 <= need &&
            (best == p->count || p->slot[i].map < p->slot[best].map))
            best = i;
    if (best < p->count) {
        data = p->slot[best].data;
        *map = p->slot[best].map;
        p->bytes -= *map;
        p->slot[best] = p->slot[--p->count];
    }
    pthread_mutex_unlock(&p->lock);
    return data;
}

void futurl__pool_give(futurl__body_pool *p, char *data, size_t map) {
    int kept = 0;
    pthread_mutex_lock(&p->lock);
    if (!p->closed && p->count < p->max_count && map <= p->max_bytes - p->bytes) {
        p->slot[p->count++] = (struct pool_slot){data, map};
        p->bytes += map;
        kept = 1;
    }
    pthread_mutex_unlock(&p->lock);
    if (!kept)
        munmap(data, map);
}

/* ------------------------------------------------------------- slabs */

struct futurl__slab {
    atomic_size_t refs;      /* blocks carved from it, +1 while a cursor carves it */
    size_t map;              /* the mapping's size */
    futurl__body_pool *pool; /* a reference: where it goes back; may be NULL */
};

static size_t round_up(size_t n, size_t align) {
    return (n + align - 1) & ~(align - 1);
}

static void slab_unref(futurl__slab *k) {
    if (atomic_fetch_sub_explicit(&k->refs, 1, memory_order_acq_rel) != 1)
        return;
    futurl__body_pool *p = k->pool;
    if (p != NULL) {
        futurl__pool_give(p, (char *)k, k->map);
        futurl__pool_unref(p);
    } else {
        munmap(k, k->map);
    }
}

/* An empty slab with one reference (its cursor's), or NULL. */
static futurl__slab *slab_new(futurl__body_pool *spares) {
    size_t map = FUTURL__SLAB_BYTES;
    char *m = spares != NULL ? futurl__pool_take(spares, FUTURL__SLAB_BYTES, &map) : NULL;
    if (m == NULL) {
        m = mmap(NULL, FUTURL__SLAB_BYTES, PROT_READ | PROT_WRITE,
                 MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
        if (m == MAP_FAILED)
            return NULL;
    }
    futurl__slab *k = (futurl__slab *)(void *)m;
    atomic_init(&k->refs, 1);
    k->map = map;
    k->pool = spares;
    if (spares != NULL)
        futurl__pool_ref(spares);
    return k;
}

void *futurl__slab_carve(futurl__slab_cursor *cur, futurl__body_pool *spares, size_t size,
                         size_t align, futurl__slab **from) {
    if (size > FUTURL__SLAB_BYTES / 4)
        return NULL;
    size_t at = round_up(cur->used, align);
    if (cur->slab == NULL || at > cur->slab->map || cur->slab->map - at < size) {
        futurl__slab *k = slab_new(spares);
        if (k == NULL)
            return NULL;
        futurl__slab_cursor_release(cur);
        cur->slab = k;
        at = round_up(sizeof *k, align);
    }
    char *p = (char *)cur->slab + at;
    cur->used = at + round_up(size, align);
    atomic_fetch_add_explicit(&cur->slab->refs, 1, memory_order_relaxed);
    *from = cur->slab;
    VALGRIND_MALLOCLIKE_BLOCK(p, size, 0, 0);
    return p;
}

void futurl__slab_free(futurl__slab *slab, void *block) {
    VALGRIND_FREELIKE_BLOCK(block, 0);
    slab_unref(slab);
}

void futurl__slab_cursor_release(futurl__slab_cursor *cur) {
    if (cur->slab != NULL)
        slab_unref(cur->slab); /* the cursor's own reference */
    cur->slab = NULL;
    cur->used = 0;
}
