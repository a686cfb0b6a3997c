/*
 * src/cells.c — the allocator cache for futures: per-thread caches of
 * freed cells, and the slabs that bulk submitters carve new ones from (see
 * cells.h). It knows nothing of what lives in a cell.
 */
#include "cells.h"

#include "memcheck.h"
#include "pool.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

/*
 * Futures come and go once per job, often faster than malloc's per-thread
 * cache can serve blocks of their size. Each thread keeps up to
 * CACHE_MAX freed cells for its next submissions; the rest go back to
 * where they came from. The cache is emptied when its thread exits.
 *
 * Where they come from: a thread that submits in bulk (more than
 * SLAB_AFTER futures) carves them one after another from a slab (pool.h),
 * a 64 KiB mapping populated in one call, as workers do for responses. A
 * gather of 50,000 requests keeps 50,000 futures alive at once; from
 * malloc each fresh page cost a page fault, ~3,000 of them in S1, and a
 * fault is an exit to the host on a virtual machine. Cells are 64-byte aligned, so two
 * futures finished by two workers never share a cache line.
 *
 * A cached future still counts in its slab; an empty slab goes back to a
 * process-wide pool of SLAB_SPARES spares or is unmapped. The price, as
 * for responses: one future kept alive keeps its slab mapped, and a
 * thread keeps the slab it carves until it exits.
 *
 * All of it is off under the sanitizers, so that they still see every use
 * after free; under valgrind each carved future is announced as a heap
 * block.
 */
#if FUTURL__ASAN || FUTURL__TSAN
#define CACHE_MAX 0
#else
#define CACHE_MAX 64
#endif

#if CACHE_MAX > 0
#define SLAB_AFTER  256u /* futures a thread takes from malloc before it carves */
#define SLAB_SPARES 16u  /* empty slabs kept for reuse, process-wide */
#define CELL_ALIGN  64u  /* no two futures share a cache line */

typedef struct cell_cache {
    void *head; /* linked through each cell's first word */
    unsigned count;
    unsigned long allocated;   /* by this thread, up to SLAB_AFTER */
    futurl__slab_cursor slabs; /* where this thread carves futures */
} cell_cache;

static _Thread_local cell_cache *thread_cache;
static pthread_key_t cache_key;
static pthread_once_t cache_once = PTHREAD_ONCE_INIT;
static int cache_key_ok;
/* The process-wide pool of spare slabs (NULL if it could not be made:
 * empty slabs are unmapped then). Never closed. */
static futurl__body_pool *spare_slabs;

/* Where a cell came from: the slab it was carved from, or NULL (malloc).
 * Kept in the cell's last word, which survives reuse. */
static futurl__slab **slab_of(void *cell) {
    return (futurl__slab **)(void *)((char *)cell + FUTURL__CELL_USABLE);
}

/* Give a cell's memory back to its slab or to malloc. */
static void cell_release_memory(void *cell) {
    futurl__slab *slab = *slab_of(cell);
    if (slab != NULL)
        futurl__slab_free(slab, cell);
    else
        free(cell);
}

static void cache_destroy(void *p) {
    cell_cache *c = p;
    while (c->head) {
        void *next = *(void **)c->head;
        cell_release_memory(c->head);
        c->head = next;
    }
    futurl__slab_cursor_release(&c->slabs);
    free(c);
}

static void cache_key_init(void) {
    cache_key_ok = pthread_key_create(&cache_key, cache_destroy) == 0;
    spare_slabs = futurl__body_pool_new(SLAB_SPARES, SLAB_SPARES * FUTURL__SLAB_BYTES);
}

static cell_cache *cache_of_thread(void) {
    if (!thread_cache) {
        pthread_once(&cache_once, cache_key_init);
        cell_cache *c = cache_key_ok ? calloc(1, sizeof *c) : NULL;
        if (c && pthread_setspecific(cache_key, c) == 0)
            thread_cache = c;
        else
            free(c);
    }
    return thread_cache;
}

/* A zeroed cell from c's slab; NULL when no slab can be had. */
static void *slab_carve(cell_cache *c) {
    futurl__slab *k;
    void *f =
        futurl__slab_carve(&c->slabs, spare_slabs, FUTURL__CELL_BYTES, CELL_ALIGN, &k);
    if (f == NULL)
        return NULL;
    memset(f, 0, FUTURL__CELL_USABLE); /* a spare slab is not zero */
    *slab_of(f) = k;
    return f;
}

void *futurl__cell_alloc(void) {
    cell_cache *c = cache_of_thread();
    if (c && c->head) {
        void *f = c->head;
        c->head = *(void **)f;
        c->count--;
        memset(f, 0, FUTURL__CELL_USABLE); /* its slab, in the last word, stays */
        return f;
    }
    if (c && c->allocated >= SLAB_AFTER) {
        void *f = slab_carve(c);
        if (f != NULL)
            return f;
    } else if (c) {
        c->allocated++;
    }
    return calloc(1, FUTURL__CELL_BYTES); /* slab NULL: from malloc */
}

void futurl__cell_free(void *f) {
    cell_cache *c = cache_of_thread();
    if (c && c->count < CACHE_MAX) {
        *(void **)f = c->head;
        c->head = f;
        c->count++;
        return;
    }
    cell_release_memory(f);
}
#else
void *futurl__cell_alloc(void) {
    return calloc(1, FUTURL__CELL_USABLE);
}

void futurl__cell_free(void *f) {
    free(f);
}
#endif
