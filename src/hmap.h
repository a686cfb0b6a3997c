/*
 * src/hmap.h — an intrusive chained hash table: the caller embeds a
 * futurl__hnode in its own struct, computes the hash and compares keys
 * itself; the table only keeps the chains and grows (doubling, load factor
 * at most 1). It owns nothing but its slot array. Not thread-safe: its user
 * guards it. Not installed.
 */
#ifndef FUTURL_SRC_HMAP_H
#define FUTURL_SRC_HMAP_H

#include <stddef.h>
#include <stdint.h>

typedef struct futurl__hnode {
    struct futurl__hnode *next; /* chain */
    uint64_t hash;
} futurl__hnode;

/* Zero-initialised is an empty table with no slots yet. */
typedef struct futurl__hmap {
    futurl__hnode **slots;
    size_t mask; /* slot count - 1 (a power of two), when slots != NULL */
    size_t count;
} futurl__hmap;

/* Add n (n->hash set by the caller). Grows when full; if growing fails the
 * chains just get longer. Returns 0, or -1 when the first slot array
 * cannot be allocated (n is then not added). */
int futurl__hmap_insert(futurl__hmap *m, futurl__hnode *n);

/* Unlink n, which must be in m. Never shrinks. */
void futurl__hmap_remove(futurl__hmap *m, futurl__hnode *n);

/* The first node of hash's chain: walk it with ->next, checking ->hash and
 * the key. NULL when empty. */
futurl__hnode *futurl__hmap_chain(const futurl__hmap *m, uint64_t hash);

/* Every node in turn: pass NULL for the first, then the node returned
 * last; NULL after the last. Nothing may change m during a walk, except
 * removing a node once the walk has gone past it (fetch the next first). */
futurl__hnode *futurl__hmap_next(const futurl__hmap *m, const futurl__hnode *after);

/* Free the slot array (not the nodes) and empty m. */
void futurl__hmap_free(futurl__hmap *m);

#endif
