/*
 * src/cells.h — cells: blocks of one fixed size, 64-byte aligned, for the
 * objects made and freed once per job (a future lives in one). Freed cells
 * are cached per thread for the next allocation, and a thread that
 * allocates in bulk carves them from populated slabs (pool.h) instead of
 * taking fresh pages from malloc. Not installed.
 */
#ifndef FUTURL_SRC_CELLS_H
#define FUTURL_SRC_CELLS_H

#include <stddef.h>

/* A cell's size, and the bytes of it its object may use (the last word
 * records where the cell came from). */
#define FUTURL__CELL_BYTES  192u
#define FUTURL__CELL_USABLE (FUTURL__CELL_BYTES - sizeof(void *))

/* A zeroed cell of FUTURL__CELL_USABLE bytes; NULL when out of memory. Any
 * thread; the cell may be freed by another. */
void *futurl__cell_alloc(void);

/* Give a cell back (to this thread's cache, its slab or malloc). */
void futurl__cell_free(void *cell);

#endif
