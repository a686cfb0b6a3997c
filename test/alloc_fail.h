/*
 * test/alloc_fail.h — a failing allocator for tests, in the style of
 * jansson's and curl's torture tests: every allocation is counted, and the
 * Nth one (counted from the last alloc_fail_reset) can be made to fail.
 *
 * It reaches three kinds of callers:
 *   - the library's own calls, by link-time wrapping: the test binary is
 *     linked with -Wl,--wrap=malloc,... (test/alloc.mk, ALLOC_WRAP), so
 *     every call to malloc, calloc, realloc, strdup, aligned_alloc and mmap
 *     from the objects of libfuturl.a (and of the test program itself)
 *     lands in this file's __wrap_ functions. Shared libraries (libc,
 *     libcurl, cJSON, Check) keep their own calls;
 *   - libcurl's, through curl_global_init_mem, which the program must call
 *     before anything else initialises libcurl (futurl_global_init then
 *     only takes another reference: src/global.c);
 *   - cJSON's, through cJSON_InitHooks.
 * A failed allocation sets errno to ENOMEM, as glibc's does. Not part of
 * the library.
 */
#ifndef FUTURL_TEST_ALLOC_FAIL_H
#define FUTURL_TEST_ALLOC_FAIL_H

#include <stddef.h>

/* Counting starts again from 0; no failure is armed. */
void alloc_fail_reset(void);

/* Fail the nth allocation counted from now (1: the next one); 0: none.
 * Only that one fails: the ones after it succeed again. */
void alloc_fail_at(unsigned long n);

/* Allocations counted since the last reset. */
unsigned long alloc_fail_count(void);

/* 1 once the armed failure was handed out. */
int alloc_fail_injected(void);

/* Route libcurl's allocations through the counter (curl_global_init_mem).
 * Call first, before any other libcurl call; returns 0 or -1. */
int alloc_fail_install_curl(void);

/* Route cJSON's allocations through the counter (cJSON_InitHooks). */
void alloc_fail_install_cjson(void);

/* Make curl_easy_init fail, always, on threads whose name ends with
 * suffix (a futurl worker is "name-INDEX"); NULL: never. Needs
 * -Wl,--wrap=curl_easy_init. Not counted. */
void alloc_fail_easy_init_on_thread(const char *suffix);

#endif
