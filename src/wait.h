/*
 * src/wait.h — waiting, as the executor sees it: the wait guards that make
 * a wait which could never end fail FUTURL_EDEADLK. The waits themselves
 * (one future, gather, wait-any, as-completed) are public (futurl.h); they
 * live in src/wait.c. Not installed.
 */
#ifndef FUTURL_SRC_WAIT_H
#define FUTURL_SRC_WAIT_H

#include "future.h"

/*
 * Wait guards. A thread that finishes futures of an executor which no other
 * thread can finish while it is busy — the executor's timer thread (it
 * unparks and expires them), a thread inside shutdown (it cancels them one
 * after another) — runs their done-callbacks under a guard for that
 * executor. A wait there (futurl_future_wait*, gather, wait-any,
 * as-completed) on an unfinished future of a guarded executor would never
 * return: it fails FUTURL_EDEADLK instead, and so does a nested shutdown.
 * Guards nest (a callback may shut down another pool); the guard lives on
 * the stack of the code that pushes it, and is popped in reverse order.
 */
typedef struct futurl__wait_guard {
    const futurl__future_owner *owner; /* the executor's (see future.h) */
    struct futurl__wait_guard *outer;
} futurl__wait_guard;

/* Guard the futures of owner (an executor) on this thread until the
 * matching pop. */
void futurl__wait_guard_push(futurl__wait_guard *g, const futurl__future_owner *owner);
void futurl__wait_guard_pop(futurl__wait_guard *g);

/* 1 if this thread runs under a guard for owner. */
int futurl__wait_guarded(const futurl__future_owner *owner);

#endif
