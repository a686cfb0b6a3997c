/*
 * test/fuzz/fuzz_response_headers.c — response header lines as libcurl
 * hands them to the header callback (src/response.c futurl__builder_header)
 * and the lookups on the finished response (futurl_response_header, _nth,
 * _at, _count). The input is cut into lines at each LF (kept, as libcurl
 * keeps CRLF); libcurl refuses a header with a NUL byte, so the cut also
 * ends at the first NUL. Properties: no name or value holds CR, LF or NUL
 * (RFC 9110 §5.5: such a value is refused or its CR/LF/NUL become SP) —
 * a caller may copy a value into a log line or another request; no name
 * holds ':' and no value has spaces around it; only the last response's
 * headers remain (those after the last status line); every header is
 * found by its name at its rank, case-insensitively, and nothing past the
 * last of a name.
 */
#include "fuzz.h"

#include "response.h"

static int ieq(const char *a, const char *b) {
    for (; *a && *b; a++, b++) {
        unsigned char x = (unsigned char)*a, y = (unsigned char)*b;
        if (x >= 'A' && x <= 'Z')
            x = (unsigned char)(x + 32);
        if (y >= 'A' && y <= 'Z')
            y = (unsigned char)(y + 32);
        if (x != y)
            return 0;
    }
    return *a == *b;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    size_t n = strnlen((const char *)data, size);
    futurl__response_builder b;
    memset(&b, 0, sizeof b);
    size_t lines_after_status = 0;
    for (size_t at = 0; at < n;) {
        const uint8_t *nl = memchr(data + at, '\n', n - at);
        size_t len = nl ? (size_t)(nl - (data + at)) + 1 : n - at;
        const char *line = (const char *)data + at;
        FUZZ_CHECK(futurl__builder_header(&b, line, len) == 0, "out of memory?");
        lines_after_status =
            len >= 5 && memcmp(line, "HTTP/", 5) == 0 ? 0 : lines_after_status + 1;
        at += len;
    }
    futurl__response_info info = {.url = "http://h/", .status = 200};
    futurl_response *r = futurl__builder_finish(&b, &info);
    FUZZ_CHECK(r != NULL, "out of memory");

    size_t count = futurl_response_header_count(r);
    FUZZ_CHECK(count <= lines_after_status, "%zu headers from %zu lines after the status",
               count, lines_after_status);
    for (size_t i = 0; i < count; i++) {
        const char *name = NULL, *value = NULL;
        FUZZ_CHECK(futurl_response_header_at(r, i, &name, &value) == FUTURL_OK,
                   "header %zu", i);
        FUZZ_CHECK(name != NULL && value != NULL, "header %zu", i);
        FUZZ_CHECK(strpbrk(name, "\r\n:") == NULL, "name \"%s\"", name);
        FUZZ_CHECK(strpbrk(value, "\r\n") == NULL, "value of %s holds CR or LF", name);
        size_t vlen = strlen(value);
        FUZZ_CHECK(vlen == 0 || (value[0] != ' ' && value[0] != '\t' &&
                                 value[vlen - 1] != ' ' && value[vlen - 1] != '\t'),
                   "value of %s: \"%s\"", name, value);
        /* Its rank among the headers of its name (for the first 64: the
         * check is quadratic, and a run should stay fast). */
        if (i >= 64)
            continue;
        size_t rank = 0, total = 0;
        for (size_t k = 0; k < count; k++) {
            const char *other = NULL;
            (void)futurl_response_header_at(r, k, &other, NULL);
            if (ieq(other, name)) {
                rank += k < i;
                total++;
            }
        }
        FUZZ_CHECK(futurl_response_header_nth(r, name, rank) == value,
                   "%s #%zu not found at its rank", name, rank);
        FUZZ_CHECK(futurl_response_header_nth(r, name, total) == NULL,
                   "%s: more than its %zu", name, total);
        if (rank == 0)
            FUZZ_CHECK(futurl_response_header(r, name) == value, "%s: not the first",
                       name);
    }
    FUZZ_CHECK(futurl_response_header_at(r, count, NULL, NULL) == FUTURL_EINVAL,
               "past the end");
    futurl__response_free(r);
    futurl__builder_free(&b);
    return 0;
}
