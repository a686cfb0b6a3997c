/*
 * test/alloc_fail.c — the counting, failing allocator (test/alloc_fail.h).
 * The counter is one atomic shared by every thread, so "the Nth
 * allocation" is the Nth in whatever order the threads made them.
 */
#include "alloc_fail.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/types.h>

#include <cjson/cJSON.h>
#include <curl/curl.h>

/* The real functions (the linker's names for them under --wrap). */
void *__real_malloc(size_t size);
void *__real_calloc(size_t n, size_t size);
void *__real_realloc(void *p, size_t size);
char *__real_strdup(const char *s);
void *__real_aligned_alloc(size_t align, size_t size);
void *__real_mmap(void *addr, size_t len, int prot, int flags, int fd, off_t off);
CURL *__real_curl_easy_init(void);

void *__wrap_malloc(size_t size);
void *__wrap_calloc(size_t n, size_t size);
void *__wrap_realloc(void *p, size_t size);
char *__wrap_strdup(const char *s);
void *__wrap_aligned_alloc(size_t align, size_t size);
void *__wrap_mmap(void *addr, size_t len, int prot, int flags, int fd, off_t off);
CURL *__wrap_curl_easy_init(void);

static atomic_ulong counted;
static atomic_ulong fail_at;
static atomic_int injected;
static char easy_init_suffix[16];
static atomic_int easy_init_armed;

void alloc_fail_reset(void) {
    atomic_store(&fail_at, 0);
    atomic_store(&counted, 0);
    atomic_store(&injected, 0);
}

void alloc_fail_at(unsigned long n) {
    atomic_store(&fail_at, n == 0 ? 0 : atomic_load(&counted) + n);
}

unsigned long alloc_fail_count(void) {
    return atomic_load(&counted);
}

int alloc_fail_injected(void) {
    return atomic_load(&injected);
}

/* Count one allocation; 1 if it is the one to fail. */
static int should_fail(void) {
    unsigned long n = atomic_fetch_add(&counted, 1) + 1;
    if (n != atomic_load(&fail_at))
        return 0;
    atomic_store(&injected, 1);
    errno = ENOMEM;
    return 1;
}

void *__wrap_malloc(size_t size) {
    return should_fail() ? NULL : __real_malloc(size);
}

void *__wrap_calloc(size_t n, size_t size) {
    return should_fail() ? NULL : __real_calloc(n, size);
}

void *__wrap_realloc(void *p, size_t size) {
    return should_fail() ? NULL : __real_realloc(p, size);
}

char *__wrap_strdup(const char *s) {
    return should_fail() ? NULL : __real_strdup(s);
}

void *__wrap_aligned_alloc(size_t align, size_t size) {
    return should_fail() ? NULL : __real_aligned_alloc(align, size);
}

void *__wrap_mmap(void *addr, size_t len, int prot, int flags, int fd, off_t off) {
    /* Only anonymous mappings are memory the library asks for. */
    if ((flags & MAP_ANONYMOUS) && should_fail())
        return MAP_FAILED;
    return __real_mmap(addr, len, prot, flags, fd, off);
}

CURL *__wrap_curl_easy_init(void) {
    if (atomic_load(&easy_init_armed)) {
        char name[32] = "";
        pthread_getname_np(pthread_self(), name, sizeof name);
        size_t n = strlen(name), k = strlen(easy_init_suffix);
        if (n >= k && strcmp(name + n - k, easy_init_suffix) == 0)
            return NULL;
    }
    return __real_curl_easy_init();
}

void alloc_fail_easy_init_on_thread(const char *suffix) {
    atomic_store(&easy_init_armed, 0);
    if (suffix == NULL)
        return;
    strncpy(easy_init_suffix, suffix, sizeof easy_init_suffix - 1);
    atomic_store(&easy_init_armed, 1);
}

/* libcurl's and cJSON's hooks: counted, then the real allocator. */
static void hook_free(void *p) {
    free(p);
}

static void *hook_malloc(size_t size) {
    return __wrap_malloc(size);
}

static void *hook_calloc(size_t n, size_t size) {
    return __wrap_calloc(n, size);
}

static void *hook_realloc(void *p, size_t size) {
    return __wrap_realloc(p, size);
}

static char *hook_strdup(const char *s) {
    return __wrap_strdup(s);
}

int alloc_fail_install_curl(void) {
    return curl_global_init_mem(CURL_GLOBAL_DEFAULT, hook_malloc, hook_free, hook_realloc,
                                hook_strdup, hook_calloc) == CURLE_OK
               ? 0
               : -1;
}

void alloc_fail_install_cjson(void) {
    cJSON_Hooks hooks = {.malloc_fn = hook_malloc, .free_fn = hook_free};
    cJSON_InitHooks(&hooks);
}
