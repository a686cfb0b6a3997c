/*
 * src/pool.h — populated memory the library manages itself: pools that
 * keep anonymous mappings for reuse, and slabs that small blocks are
 * carved from (responses by workers, futures by bulk submitters). Not
 * installed.
 *
 * Why: on a virtual machine the first touch of a fresh page costs ~10 µs
 * (a fault and an exit to the host). A mapping made with MAP_POPULATE has
 * all its pages set up in one call, and one that goes back to a pool is
 * reused without any.
 */
#ifndef FUTURL_SRC_POOL_H
#define FUTURL_SRC_POOL_H

#include <stdatomic.h>
#include <stddef.h>

/* ------------------------------------------------------------- pools */

/* At most max_count mappings of max_bytes in all, kept for reuse; guards
 * itself (any thread). Reference counted: its owner's reference plus one
 * per holder that will give a mapping back. */
typedef struct futurl__body_pool futurl__body_pool;

/* A new pool with one reference (the owner's); NULL when out of memory. */
futurl__body_pool *futurl__body_pool_new(size_t max_count, size_t max_bytes);

/* The owner's release: unmap what is cached and stop caching; the pool
 * itself goes when the last reference is dropped. */
void futurl__body_pool_close(futurl__body_pool *pool);

void futurl__pool_ref(futurl__body_pool *p);
void futurl__pool_unref(futurl__body_pool *p);

/* A cached mapping of at least need bytes and at most twice that (a small
 * request must not pin a huge one), its size in *map; NULL if none. */
char *futurl__pool_take(futurl__body_pool *p, size_t need, size_t *map);

/* Keep data, a mapping of map bytes, for reuse, or unmap it. */
void futurl__pool_give(futurl__body_pool *p, char *data, size_t map);

/* ------------------------------------------------------------- slabs */

/*
 * A slab is a FUTURL__SLAB_BYTES mapping, populated, that one thread
 * carves blocks from one after another, never reusing a freed block's
 * place. It counts its live blocks plus one while a cursor still carves
 * it; the last to let go gives it back to its pool (or unmaps it), so it
 * is reused whole. The price: one block kept alive keeps its whole slab
 * mapped. Under valgrind each block is announced as a heap block, so
 * memcheck still reports a leaked or reused one.
 */
#define FUTURL__SLAB_BYTES (64u * 1024u)

typedef struct futurl__slab futurl__slab;

/* One thread's place in the slab it carves. Zero-initialised: none yet. */
typedef struct futurl__slab_cursor {
    futurl__slab *slab; /* being carved (holds a reference), or NULL */
    size_t used;        /* bytes of it handed out, its header included */
} futurl__slab_cursor;

/* size bytes at an align-byte boundary (a power of two, at most 64) from
 * the cursor's slab, taking a new slab (from spares, which may be NULL, or
 * a fresh mapping) when it is full; *from is the slab, which holds a
 * reference for the block. NULL when size is over a quarter of a slab or
 * no slab can be had: use malloc. The block is not zeroed. */
void *futurl__slab_carve(futurl__slab_cursor *cur, futurl__body_pool *spares, size_t size,
                         size_t align, futurl__slab **from);

/* Give back a block carved from slab. */
void futurl__slab_free(futurl__slab *slab, void *block);

/* Let go of the slab the cursor carves (its thread is done with it). */
void futurl__slab_cursor_release(futurl__slab_cursor *cur);

#endif
