/*
 * src/hmap.c — the intrusive chained hash table of src/hmap.h. It owns its
 * slot array only; nodes belong to the caller.
 */
#include "hmap.h"

#include <stdlib.h>

#define MIN_SLOTS 16u

/* Move every node into a table of new_slots slots (a power of two). */
static int rehash(futurl__hmap *m, size_t new_slots) {
    futurl__hnode **slots = calloc(new_slots, sizeof *slots);
    if (slots == NULL)
        return -1;
    for (size_t i = 0; m->slots != NULL && i <= m->mask; i++) {
        futurl__hnode *n = m->slots[i];
        while (n != NULL) {
            futurl__hnode *next = n->next;
            size_t j = (size_t)n->hash & (new_slots - 1);
            n->next = slots[j];
            slots[j] = n;
            n = next;
        }
    }
    free(m->slots);
    m->slots = slots;
    m->mask = new_slots - 1;
    return 0;
}

int futurl__hmap_insert(futurl__hmap *m, futurl__hnode *n) {
    if (m->slots == NULL) {
        if (rehash(m, MIN_SLOTS) != 0)
            return -1;
    } else if (m->count > m->mask && m->mask < SIZE_MAX / 4) {
        (void)rehash(m, 2 * (m->mask + 1)); /* on failure: longer chains */
    }
    size_t i = (size_t)n->hash & m->mask;
    n->next = m->slots[i];
    m->slots[i] = n;
    m->count++;
    return 0;
}

void futurl__hmap_remove(futurl__hmap *m, futurl__hnode *n) {
    futurl__hnode **p = &m->slots[(size_t)n->hash & m->mask];
    while (*p != n)
        p = &(*p)->next;
    *p = n->next;
    m->count--;
}

futurl__hnode *futurl__hmap_chain(const futurl__hmap *m, uint64_t hash) {
    return m->slots != NULL ? m->slots[(size_t)hash & m->mask] : NULL;
}

futurl__hnode *futurl__hmap_next(const futurl__hmap *m, const futurl__hnode *after) {
    if (m->slots == NULL)
        return NULL;
    size_t i = 0;
    if (after != NULL) {
        if (after->next != NULL)
            return after->next;
        i = ((size_t)after->hash & m->mask) + 1;
    }
    for (; i <= m->mask; i++)
        if (m->slots[i] != NULL)
            return m->slots[i];
    return NULL;
}

void futurl__hmap_free(futurl__hmap *m) {
    free(m->slots);
    m->slots = NULL;
    m->mask = 0;
    m->count = 0;
}
