/*
 * test/fuzz/fuzz.h — what the libFuzzer targets share: a check that prints
 * the broken property and aborts (libFuzzer then saves the input as a
 * crash), ways to cut the fuzzer's bytes into C strings, and a response
 * with a given body. Header-only; targets build with -iquote src.
 */
#ifndef FUTURL_FUZZ_H
#define FUTURL_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "response.h"

/* libFuzzer's entry points. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

/* Defines libFuzzer's start-up hook to initialise libcurl once, before the
 * first input (for targets that make easy handles or parse URLs). Needs
 * <curl/curl.h>. */
#define FUZZ_INIT_LIBCURL                                                                \
    int LLVMFuzzerInitialize(int *argc, char ***argv) {                                  \
        (void)argc;                                                                      \
        (void)argv;                                                                      \
        return curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK ? 0 : 1;                \
    }

/* A property of the code under test: when it fails, say which and abort. */
#define FUZZ_CHECK(cond, ...)                                                            \
    do {                                                                                 \
        if (!(cond)) {                                                                   \
            fprintf(stderr, "%s:%d: property failed: %s\n  ", __FILE__, __LINE__,        \
                    #cond);                                                              \
            fprintf(stderr, __VA_ARGS__);                                                \
            fputc('\n', stderr);                                                         \
            abort();                                                                     \
        }                                                                                \
    } while (0)

/* data[0..size) as a new NUL-terminated string (it ends at the first NUL
 * of the data, as C callers would pass it). Aborts when out of memory. */
static inline char *fuzz_cstr(const uint8_t *data, size_t size) {
    char *s = malloc(size + 1);
    if (s == NULL)
        abort();
    if (size != 0)
        memcpy(s, data, size);
    s[size] = '\0';
    return s;
}

/* Cut the string *rest at the first sep: returns the part before (in
 * place) and moves *rest past sep, or returns all of it and sets *rest to
 * NULL when there is no sep. */
static inline char *fuzz_cut(char **rest, char sep) {
    char *part = *rest;
    if (part == NULL)
        return NULL;
    char *at = strchr(part, sep);
    if (at == NULL) {
        *rest = NULL;
    } else {
        *at = '\0';
        *rest = at + 1;
    }
    return part;
}

/* A response whose body is data[0..size), status 200, as a transfer would
 * leave it (fuzz_json, fuzz_json_path). New: futurl__response_free. Aborts
 * when out of memory. */
static inline futurl_response *fuzz_response_with(const char *data, size_t size) {
    futurl__response_builder b;
    memset(&b, 0, sizeof b);
    FUZZ_CHECK(futurl__builder_body(&b, data, size) == 0, "out of memory");
    b.bytes = size;
    futurl__response_info info = {.url = "http://h/", .status = 200};
    futurl_response *r = futurl__builder_finish(&b, &info);
    futurl__builder_free(&b);
    FUZZ_CHECK(r != NULL, "out of memory");
    return r;
}

#endif
