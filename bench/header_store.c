/*
 * bench/header_store.c — issue #18: should futurl keep its own response
 * header store (filled by CURLOPT_HEADERFUNCTION) or copy the headers out of
 * libcurl's header API (curl_easy_nextheader, 7.84+) after each transfer?
 *
 * One thread, ONE reused easy handle (keep-alive), N GETs per variant per
 * round against URL (bench/header_store.py starts nginx on loopback with a
 * route that answers about 10 headers). Variants, rotated every round:
 *
 *   A  futurl's way: a header callback doing what src/transfer.c on_header
 *      and src/response.c futurl__builder_header do per line (101 check,
 *      header byte cap, CRLF trim, status line resets the block, obs-fold,
 *      name/value trim, CR/LF/NUL check, Set-Cookie flag, "name\0value\0"
 *      into a reused buffer plus an offset index), then after the transfer
 *      what futurl__builder_finish does with headers: one allocation holding
 *      the index and the bytes (freed at once here: the response's life).
 *   B  libcurl's way: no header callback; after curl_easy_perform,
 *      curl_easy_nextheader(CURLH_HEADER, -1) copies every header into the
 *      same builder (libcurl has trimmed and unfolded; the CR/LF/NUL check and
 *      the Set-Cookie flag stay), then the same finish.
 *   B+ B with the part of the callback futurl cannot drop: the 101 abort and
 *      the 256 KiB header cap (libcurl 7.88 has no option for either).
 *   C  baseline: no header callback, no copy.
 *
 * libcurl stores every header for its API in all variants (7.88 always
 * does), so C already pays for that store.
 *
 * Per variant and round: CPU of this thread (getrusage RUSAGE_THREAD) and
 * wall time (CLOCK_MONOTONIC) per request, and user-space instructions
 * (perf_event_open, when the machine allows it); the medians over rounds and
 * A-C, B-C, B+-C in microseconds are printed, then one JSON line.
 *
 * Usage: header_store URL [N [ROUNDS]]   (N 20000, ROUNDS 7)
 */
#include "common.h"

#include <linux/perf_event.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#define MAX_HEADER_BYTES (256u * 1024u) /* FUTURL__MAX_HEADER_BYTES */

enum { VA, VB, VBG, VC, NVAR };
static const char *const VNAME[NVAR] = {"A", "B", "B+", "C"};
static const char *const VTEXT[NVAR] = {
    "futurl's header callback + store", "no callback, curl_easy_nextheader copy-out",
    "B + 101/size-cap callback", "no header handling"};

/* ---- futurl's builder, header part (src/response.c) ---------------------- */

typedef struct {
    char *data;
    size_t len, cap;
} buf;

typedef struct {
    buf hdr; /* "name\0value\0" per header line of the current block */
    struct {
        uint32_t name, value;
    } * index;
    size_t count, index_cap;
    int saw_set_cookie;
    /* the worker's part (src/transfer.c) */
    size_t header_bytes;
    int failed;
} builder;

typedef struct {
    const char *name, *value;
} header_ref;

static int buf_reserve(buf *b, size_t extra) {
    if (extra > (size_t)-1 / 2 - b->len)
        return -1;
    size_t need = b->len + extra + 1;
    if (need <= b->cap)
        return 0;
    size_t cap = b->cap ? b->cap : 64;
    while (cap < need)
        cap *= 2;
    char *p = realloc(b->data, cap);
    if (p == NULL)
        return -1;
    b->data = p;
    b->cap = cap;
    return 0;
}

static inline unsigned char ascii_lower(unsigned char c) {
    return (c >= 'A' && c <= 'Z') ? (unsigned char)(c + ('a' - 'A')) : c;
}

static int ascii_ieq(const char *a, size_t alen, const char *b, size_t blen) {
    if (alen != blen)
        return 0;
    for (size_t i = 0; i < alen; i++)
        if (ascii_lower((unsigned char)a[i]) != ascii_lower((unsigned char)b[i]))
            return 0;
    return 1;
}

static inline int is_ows(char c) {
    return c == ' ' || c == '\t';
}

static inline int is_bare(char c) {
    return c == '\r' || c == '\n' || c == '\0';
}

static inline int is_blank(char c) {
    return (unsigned char)c <= ' ' && (is_ows(c) || is_bare(c));
}

static void copy_field(char *out, const char *in, size_t n, int plain) {
    memcpy(out, in, n);
    for (size_t i = 0; !plain && i < n; i++)
        if (is_bare(out[i]))
            out[i] = ' ';
}

static int has_low_byte(const char *p, size_t n) {
    const uint64_t ones = UINT64_C(0x0101010101010101), highs = ones * 0x80;
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        uint64_t x;
        memcpy(&x, p + i, 8);
        if ((x - ones * 0x0e) & ~x & highs)
            return 1;
    }
    for (; i < n; i++)
        if ((unsigned char)p[i] < 0x0e)
            return 1;
    return 0;
}

static void builder_reset(builder *b) {
    b->hdr.len = 0;
    b->count = 0;
    b->saw_set_cookie = 0;
    b->header_bytes = 0;
    b->failed = 0;
}

/* Append one trimmed name/value pair: the tail of futurl__builder_header. */
static int builder_put(builder *b, const char *name, size_t name_len, const char *value,
                       size_t value_len, int plain) {
    if (ascii_ieq(name, name_len, "set-cookie", 10))
        b->saw_set_cookie = 1;
    if (b->count == b->index_cap) {
        size_t cap = b->index_cap ? 2 * b->index_cap : 32;
        void *p = realloc(b->index, cap * sizeof *b->index);
        if (p == NULL)
            return -1;
        b->index = p;
        b->index_cap = cap;
    }
    size_t name_at = b->hdr.len, value_at = name_at + name_len + 1;
    if (value_at + value_len >= UINT32_MAX ||
        buf_reserve(&b->hdr, name_len + value_len + 2) != 0)
        return -1;
    char *out = b->hdr.data + name_at;
    copy_field(out, name, name_len, plain);
    out[name_len] = '\0';
    copy_field(out + name_len + 1, value, value_len, plain);
    out[name_len + 1 + value_len] = '\0';
    b->hdr.len = value_at + value_len + 1;
    b->index[b->count].name = (uint32_t)name_at;
    b->index[b->count].value = (uint32_t)value_at;
    b->count++;
    return 0;
}

/* futurl__builder_header: one raw line from the header callback. */
static int builder_header(builder *b, const char *line, size_t len) {
    while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r'))
        len--;
    if (len >= 5 && memcmp(line, "HTTP/", 5) == 0) {
        b->hdr.len = 0;
        b->count = 0;
        return 0;
    }
    if (len == 0)
        return 0;
    if (is_ows(line[0])) {
        if (b->count == 0)
            return 0;
        while (len > 0 && is_blank(line[len - 1]))
            len--;
        size_t skip = 0;
        while (skip < len && is_blank(line[skip]))
            skip++;
        size_t n = len - skip;
        if (n == 0)
            return 0;
        if (buf_reserve(&b->hdr, n + 1) != 0)
            return -1;
        char *out = b->hdr.data + b->hdr.len - 1;
        size_t sp = out[-1] != '\0';
        out[0] = ' ';
        copy_field(out + sp, line + skip, n, !has_low_byte(line + skip, n));
        out[sp + n] = '\0';
        b->hdr.len += sp + n;
        return 0;
    }
    const char *colon = memchr(line, ':', len);
    if (colon == NULL)
        return 0;
    size_t name_len = (size_t)(colon - line);
    while (name_len > 0 && is_blank(line[name_len - 1]))
        name_len--;
    const char *value = colon + 1, *end = line + len;
    while (value < end && is_blank(*value))
        value++;
    while (end > value && is_blank(end[-1]))
        end--;
    return builder_put(b, line, name_len, value, (size_t)(end - value),
                       !has_low_byte(line, len));
}

/* src/transfer.c switches_protocols */
static int switches_protocols(const char *data, size_t len) {
    const char *sp =
        len > 5 && memcmp(data, "HTTP/", 5) == 0 ? memchr(data, ' ', len) : NULL;
    if (sp == NULL || (size_t)(data + len - sp) < 4 || memcmp(sp + 1, "101", 3) != 0)
        return 0;
    return sp + 4 == data + len || sp[4] == ' ' || sp[4] == '\r' || sp[4] == '\n';
}

/* A: src/transfer.c on_header */
static size_t on_header(char *data, size_t size, size_t nmemb, void *userdata) {
    builder *b = userdata;
    size_t len = size * nmemb;
    if (switches_protocols(data, len))
        return b->failed = 1, 0;
    b->header_bytes += len;
    if (b->header_bytes > MAX_HEADER_BYTES)
        return b->failed = 1, 0;
    if (builder_header(b, data, len) != 0)
        return b->failed = 1, 0;
    return len;
}

/* B+: only what the callback must still do without a store. */
static size_t on_header_guard(char *data, size_t size, size_t nmemb, void *userdata) {
    builder *b = userdata;
    size_t len = size * nmemb;
    if (switches_protocols(data, len))
        return b->failed = 1, 0;
    b->header_bytes += len;
    if (b->header_bytes > MAX_HEADER_BYTES)
        return b->failed = 1, 0;
    return len;
}

/* B: copy the last request's headers out of libcurl's store. */
static int copy_out(CURL *h, builder *b) {
    struct curl_header *p = NULL;
    while ((p = curl_easy_nextheader(h, CURLH_HEADER, -1, p)) != NULL) {
        size_t nl = strlen(p->name), vl = strlen(p->value);
        int plain = !has_low_byte(p->name, nl) && !has_low_byte(p->value, vl);
        if (builder_put(b, p->name, nl, p->value, vl, plain) != 0)
            return -1;
    }
    return 0;
}

/* futurl__builder_finish, header part: index + bytes in one allocation. */
static header_ref *finish(builder *b, size_t *count) {
    header_ref *r = malloc(b->count * sizeof *r + b->hdr.len + 1);
    if (r == NULL)
        return NULL;
    char *p = (char *)&r[b->count];
    if (b->hdr.len != 0)
        memcpy(p, b->hdr.data, b->hdr.len);
    for (size_t i = 0; i < b->count; i++) {
        r[i].name = p + b->index[i].name;
        r[i].value = p + b->index[i].value;
    }
    *count = b->count;
    return r;
}

/* ---- the runs ------------------------------------------------------------ */

static double thread_cpu(void) {
    struct rusage ru;
    if (getrusage(RUSAGE_THREAD, &ru) != 0) {
        perror("getrusage");
        exit(2);
    }
    return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
           (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
}

/* A counter of this thread's user-space instructions, or -1 (no PMU in
 * the guest, perf_event_paranoid > 2): the count then reads as absent. */
static int open_instructions(void) {
    struct perf_event_attr a = {0};
    a.type = PERF_TYPE_HARDWARE;
    a.size = sizeof a;
    a.config = PERF_COUNT_HW_INSTRUCTIONS;
    a.exclude_kernel = 1;
    a.exclude_hv = 1;
    return (int)syscall(SYS_perf_event_open, &a, 0, -1, -1, 0);
}

static double read_counter(int fd) {
    uint64_t v = 0;
    if (fd < 0 || read(fd, &v, sizeof v) != (ssize_t)sizeof v)
        return 0;
    return (double)v;
}

static void set_variant(CURL *h, int v, builder *b) {
    curl_easy_setopt(h, CURLOPT_HEADERFUNCTION,
                     v == VA    ? on_header
                     : v == VBG ? on_header_guard
                                : NULL);
    curl_easy_setopt(h, CURLOPT_HEADERDATA, v == VA || v == VBG ? (void *)b : NULL);
}

/* One request the variant's way; its header count (C: 0), or -1. With
 * keep != NULL the finished headers are handed back instead of freed. */
static long one(CURL *h, int v, builder *b, header_ref **keep) {
    builder_reset(b);
    CURLcode rc = curl_easy_perform(h);
    long status = 0;
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
    if (rc != CURLE_OK || status != 200 || b->failed) {
        fprintf(stderr, "header_store: %s: %s, status %ld\n", VNAME[v],
                curl_easy_strerror(rc), status);
        return -1;
    }
    if (v == VC)
        return 0;
    if ((v == VB || v == VBG) && copy_out(h, b) != 0)
        return -1;
    size_t n;
    header_ref *r = finish(b, &n);
    if (r == NULL)
        return -1;
    if (keep != NULL)
        *keep = r;
    else
        free(r);
    return (long)n;
}

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double median(double *v, int n) {
    qsort(v, (size_t)n, sizeof *v, cmp_double);
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static long count_api_headers(CURL *h) {
    long n = 0;
    for (struct curl_header *p = NULL;
         (p = curl_easy_nextheader(h, CURLH_HEADER, -1, p));)
        n++;
    return n;
}

int main(int argc, char **argv) {
    if (argc < 2 || argc > 4) {
        fprintf(stderr, "usage: %s URL [N [ROUNDS]]\n", argv[0]);
        return 2;
    }
    const char *url = argv[1];
    long n = argc > 2 ? bench_parse_count("N", argv[2]) : 20000;
    int rounds = argc > 3 ? (int)bench_parse_count("ROUNDS", argv[3]) : 7;
    if (rounds > 64)
        rounds = 64;
    curl_global_init(CURL_GLOBAL_DEFAULT);
    CURL *h = curl_easy_init();
    uint64_t bytes = 0;
    builder b = {0};
    if (h == NULL || bench_curl_setup(h, url, &bytes) != CURLE_OK) {
        fprintf(stderr, "header_store: easy handle setup failed\n");
        return 1;
    }

    /* Check: A and B store the same headers, and what libcurl's store holds
     * after a later transfer started and after curl_easy_reset. */
    header_ref *ra = NULL, *rb = NULL;
    set_variant(h, VA, &b);
    long na = one(h, VA, &b, &ra);
    set_variant(h, VB, &b);
    long nb = one(h, VB, &b, &rb);
    if (na < 0 || na != nb) {
        fprintf(stderr, "header_store: A stored %ld headers, B %ld\n", na, nb);
        return 1;
    }
    for (long i = 0; i < na; i++) {
        /* Date may tick and X-Request-Id changes between the two requests;
         * everything else must match. */
        int varies =
            strcmp(ra[i].name, "Date") == 0 || strcmp(ra[i].name, "X-Request-Id") == 0;
        if (strcmp(ra[i].name, rb[i].name) != 0 ||
            (!varies && strcmp(ra[i].value, rb[i].value) != 0)) {
            fprintf(stderr, "header_store: header %ld: A \"%s: %s\", B \"%s: %s\"\n", i,
                    ra[i].name, ra[i].value, rb[i].name, rb[i].value);
            return 1;
        }
    }
    printf("check: A and B store the same %ld headers:", na);
    for (long i = 0; i < na; i++)
        printf(" %s", ra[i].name);
    printf("\n");
    free(ra);
    free(rb);
    long before = count_api_headers(h);
    curl_easy_setopt(h, CURLOPT_URL, "http://127.0.0.1:1/"); /* refused at once */
    CURLcode frc = curl_easy_perform(h);
    long after_fail = count_api_headers(h);
    curl_easy_setopt(h, CURLOPT_URL, url);
    set_variant(h, VC, &b);
    if (one(h, VC, &b, NULL) < 0)
        return 1;
    long again = count_api_headers(h);
    curl_easy_reset(h);
    long after_reset = count_api_headers(h);
    printf(
        "check: libcurl's store holds %ld headers after a transfer, %ld after the next "
        "transfer on the handle failed (%s), %ld after another 200, %ld after "
        "curl_easy_reset\n",
        before, after_fail, curl_easy_strerror(frc), again, after_reset);
    if (bench_curl_setup(h, url, &bytes) != CURLE_OK)
        return 1;

    for (long i = 0; i < 500; i++) /* warm-up: connection, buffers, caches */
        if (one(h, VA, &b, NULL) < 0)
            return 1;

    int ifd = open_instructions();
    double cpu[NVAR][64], wall[NVAR][64], ins[NVAR][64];
    for (int r = 0; r < rounds; r++) {
        for (int k = 0; k < NVAR; k++) {
            int v = (r + k) % NVAR;
            set_variant(h, v, &b);
            double w0 = bench_now(), c0 = thread_cpu(), i0 = read_counter(ifd);
            for (long i = 0; i < n; i++)
                if (one(h, v, &b, NULL) < 0)
                    return 1;
            double i1 = read_counter(ifd), c1 = thread_cpu(), w1 = bench_now();
            cpu[v][r] = (c1 - c0) / (double)n * 1e6;
            wall[v][r] = (w1 - w0) / (double)n * 1e6;
            ins[v][r] = (i1 - i0) / (double)n;
            fprintf(stderr, "round %d %-2s cpu %.2f us wall %.2f us, %.0f instructions\n",
                    r + 1, VNAME[v], cpu[v][r], wall[v][r], ins[v][r]);
        }
    }

    double mc[NVAR], mw[NVAR], mi[NVAR];
    for (int v = 0; v < NVAR; v++) {
        mc[v] = median(cpu[v], rounds);
        mw[v] = median(wall[v], rounds);
        mi[v] = median(ins[v], rounds);
    }
    printf("%ld GETs per variant per round, %d rounds, %ld headers a response; medians, "
           "microseconds per request\n",
           n, rounds, na);
    printf(
        "| variant | what | CPU | wall | CPU - C | wall - C | user instructions - C |\n");
    printf("| --- | --- | ---: | ---: | ---: | ---: | ---: |\n");
    for (int v = 0; v < NVAR; v++) {
        printf("| %s | %s | %.2f | %.2f | %+.2f | %+.2f | ", VNAME[v], VTEXT[v], mc[v],
               mw[v], mc[v] - mc[VC], mw[v] - mw[VC]);
        if (ifd >= 0)
            printf("%+.0f (of %.0f) |\n", mi[v] - mi[VC], mi[v]);
        else
            printf("n/a |\n");
    }
    printf("{\"n\":%ld,\"rounds\":%d,\"headers\":%ld", n, rounds, na);
    for (int v = 0; v < NVAR; v++)
        printf(",\"%s\":{\"cpu_us\":%.3f,\"wall_us\":%.3f,\"instructions\":%.0f}",
               VNAME[v], mc[v], mw[v], ifd >= 0 ? mi[v] : -1.0);
    printf("}\n");

    free(b.hdr.data);
    free(b.index);
    curl_easy_cleanup(h);
    curl_global_cleanup();
    return 0;
}
