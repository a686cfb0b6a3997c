/*
 * test/test_exports.c — the shared library exports exactly the public API:
 * every function declared FUTURL_API in include/futurl.h, and nothing else
 * (internals are hidden by -fvisibility=hidden). Also checks the soname.
 */
#include "support.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_NAMES 512

typedef struct names {
    char *v[MAX_NAMES];
    int n;
} names;

static void add(names *ns, const char *s, size_t len) {
    ck_assert_int_lt(ns->n, MAX_NAMES);
    ns->v[ns->n++] = strndup(s, len);
}

static int has(const names *ns, const char *s) {
    for (int i = 0; i < ns->n; i++)
        if (strcmp(ns->v[i], s) == 0)
            return 1;
    return 0;
}

static char *slurp(const char *path) {
    FILE *fp = fopen(path, "r");
    ck_assert_msg(fp != NULL, "cannot open %s", path);
    fseek(fp, 0, SEEK_END);
    long len = ftell(fp);
    fseek(fp, 0, SEEK_SET);
    char *buf = malloc(len + 1);
    ck_assert_int_eq(fread(buf, 1, len, fp), len);
    buf[len] = '\0';
    fclose(fp);
    return buf;
}

/* Every "FUTURL_API ... futurl_name(" in the header, skipping the macro's
 * own definition lines. */
static void header_names(names *ns) {
    char *text = slurp(FUTURL_SRCDIR "/include/futurl.h");
    for (char *p = strstr(text, "FUTURL_API"); p; p = strstr(p + 1, "FUTURL_API")) {
        if (p > text && p[-1] != '\n')
            continue; /* the #define lines */
        char *paren = strchr(p, '(');
        char *semi = strchr(p, ';');
        if (!paren || (semi && semi < paren))
            continue;
        char *end = paren;
        while (end > p && isspace((unsigned char)end[-1]))
            end--;
        char *start = end;
        while (start > p && (isalnum((unsigned char)start[-1]) || start[-1] == '_'))
            start--;
        if (strncmp(start, "futurl_", 7) == 0)
            add(ns, start, end - start);
    }
    free(text);
}

static void library_names(names *ns) {
    FILE *fp = popen("nm -D --defined-only " FUTURL_BUILDDIR "/libfuturl.so", "r");
    ck_assert_ptr_nonnull(fp);
    char line[512];
    while (fgets(line, sizeof line, fp)) {
        char addr[64], type[8], name[256];
        if (sscanf(line, "%63s %7s %255s", addr, type, name) != 3)
            continue;
        if (strchr("TtDdBbRrVvWw", type[0]) == NULL)
            continue;
        /* The toolchain's own markers, present in every shared object. */
        if (name[0] == '_' && (strcmp(name, "_init") == 0 || strcmp(name, "_fini") == 0 ||
                               strncmp(name, "__", 2) == 0 || strcmp(name, "_edata") == 0 ||
                               strcmp(name, "_end") == 0))
            continue;
        add(ns, name, strlen(name));
    }
    ck_assert_int_eq(pclose(fp), 0);
}

START_TEST(exports_match_header) {
    names hdr = {0}, lib = {0};
    header_names(&hdr);
    library_names(&lib);
    ck_assert_int_gt(hdr.n, 50);
    int missing = 0, extra = 0;
    for (int i = 0; i < hdr.n; i++)
        if (!has(&lib, hdr.v[i])) {
            fprintf(stderr, "declared but not exported: %s\n", hdr.v[i]);
            missing++;
        }
    for (int i = 0; i < lib.n; i++)
        if (!has(&hdr, lib.v[i])) {
            fprintf(stderr, "exported but not in the header: %s\n", lib.v[i]);
            extra++;
        }
    ck_assert_int_eq(missing, 0);
    ck_assert_int_eq(extra, 0);
    ck_assert_int_eq(hdr.n, lib.n);
    for (int i = 0; i < hdr.n; i++)
        free(hdr.v[i]);
    for (int i = 0; i < lib.n; i++)
        free(lib.v[i]);
}
END_TEST

START_TEST(soname_is_versioned) {
    FILE *fp = popen("objdump -p " FUTURL_BUILDDIR "/libfuturl.so | grep SONAME", "r");
    ck_assert_ptr_nonnull(fp);
    char line[256] = "";
    ck_assert_ptr_nonnull(fgets(line, sizeof line, fp));
    pclose(fp);
    ck_assert_ptr_nonnull(strstr(line, "libfuturl.so.0"));
}
END_TEST

int main(void) {
    Suite *s = suite_create("exports");
    TCase *tc = tcase_create("abi");
    tcase_set_timeout(tc, 20);
    tcase_add_test(tc, exports_match_header);
    tcase_add_test(tc, soname_is_versioned);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
