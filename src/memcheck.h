/*
 * src/memcheck.h — what the memory checkers need from code that manages
 * memory itself (slabs, populated mappings; pool.c): which sanitizer the
 * build has, so that such code can step aside and let it see every block,
 * and valgrind memcheck's client requests, which are no-ops unless the
 * program runs under valgrind (and when valgrind's headers are absent).
 * Not installed.
 */
#ifndef FUTURL_SRC_MEMCHECK_H
#define FUTURL_SRC_MEMCHECK_H

/* 1 in an AddressSanitizer (or ThreadSanitizer) build, else 0. */
#define FUTURL__ASAN 0
#define FUTURL__TSAN 0
#if defined(__SANITIZE_ADDRESS__)
#undef FUTURL__ASAN
#define FUTURL__ASAN 1
#endif
#if defined(__SANITIZE_THREAD__)
#undef FUTURL__TSAN
#define FUTURL__TSAN 1
#endif
#if defined(__has_feature)
#if __has_feature(address_sanitizer)
#undef FUTURL__ASAN
#define FUTURL__ASAN 1
#endif
#if __has_feature(thread_sanitizer)
#undef FUTURL__TSAN
#define FUTURL__TSAN 1
#endif
#endif

#if defined(__has_include)
#if __has_include(<valgrind/memcheck.h>)
#include <valgrind/memcheck.h>
#endif
#endif
#ifndef VALGRIND_MALLOCLIKE_BLOCK
#define VALGRIND_MALLOCLIKE_BLOCK(addr, size, rz, zeroed) ((void)0)
#define VALGRIND_FREELIKE_BLOCK(addr, rz) ((void)0)
#endif

#endif
