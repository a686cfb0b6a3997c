/*
 * test/test_exports.c — the shared library exports exactly the public API:
 * every function declared FUTURL_API in include/futurl.h, and nothing else
 * (internals are hidden by -fvisibility=hidden). Also checks the soname,
 * that every exported function has a man page with every required section
 * (built by `make man` into the build tree), and that the Debian symbols
 * file lists exactly the exported functions.
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

/* Print each name of a that b lacks, after what; return how many. */
static int missing_from(const names *a, const names *b, const char *what) {
    int n = 0;
    for (int i = 0; i < a->n; i++)
        if (!has(b, a->v[i])) {
            fprintf(stderr, "%s: %s\n", what, a->v[i]);
            n++;
        }
    return n;
}

static void free_names(names *ns) {
    for (int i = 0; i < ns->n; i++)
        free(ns->v[i]);
    ns->n = 0;
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
                               strncmp(name, "__", 2) == 0 ||
                               strcmp(name, "_edata") == 0 || strcmp(name, "_end") == 0))
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
    int missing = missing_from(&hdr, &lib, "declared but not exported");
    int extra = missing_from(&lib, &hdr, "exported but not in the header");
    ck_assert_int_eq(missing, 0);
    ck_assert_int_eq(extra, 0);
    ck_assert_int_eq(hdr.n, lib.n);
    free_names(&hdr);
    free_names(&lib);
}
END_TEST

/* The sections every section-3 page has (man/mangen.py REQUIRED). */
static const char *const man_sections[] = {
    ".SH NAME\n",          ".SH SYNOPSIS\n", ".SH DESCRIPTION\n", ".SH RETURN VALUE\n",
    ".SH THREAD SAFETY\n", ".SH EXAMPLE\n",  ".SH SEE ALSO\n"};

static char *read_or_null(const char *path) {
    FILE *fp = fopen(path, "r");
    if (!fp)
        return NULL;
    fclose(fp);
    return slurp(path);
}

START_TEST(every_export_has_a_man_page) {
    names lib = {0};
    library_names(&lib);
    int bad = 0;
    for (int i = 0; i < lib.n; i++) {
        char path[1024];
        snprintf(path, sizeof path, FUTURL_BUILDDIR "/man/man3/%s.3", lib.v[i]);
        char *text = read_or_null(path);
        char target[256];
        /* A family member's page is a link: ".so man3/<page>.3". */
        if (text && sscanf(text, ".so man3/%255[^.\n].3", target) == 1) {
            free(text);
            snprintf(path, sizeof path, FUTURL_BUILDDIR "/man/man3/%s.3", target);
            text = read_or_null(path);
        }
        if (!text) {
            fprintf(stderr, "%s: no man page %s\n", lib.v[i], path);
            bad++;
            continue;
        }
        for (size_t k = 0; k < sizeof man_sections / sizeof man_sections[0]; k++)
            if (!strstr(text, man_sections[k])) {
                fprintf(stderr, "%s: %s has no %.*s\n", lib.v[i], path,
                        (int)strlen(man_sections[k]) - 1, man_sections[k]);
                bad++;
            }
        /* The NAME line names the function. */
        char *name = strstr(text, ".SH NAME\n");
        char *eol = name ? strchr(name + 9, '\n') : NULL;
        if (!eol || !memmem(name, eol - name, lib.v[i], strlen(lib.v[i]))) {
            fprintf(stderr, "%s: the NAME line of %s does not name it\n", lib.v[i], path);
            bad++;
        }
        free(text);
    }
    ck_assert_int_gt(lib.n, 50);
    ck_assert_int_eq(bad, 0);
    free_names(&lib);
}
END_TEST

/* debian/libfuturl0.symbols: " name@Base version" lines, exactly the
 * exported functions (dpkg-gensymbols checks the same at package build). */
START_TEST(debian_symbols_match_exports) {
    names lib = {0}, deb = {0};
    library_names(&lib);
    char *text = slurp(FUTURL_SRCDIR "/debian/libfuturl0.symbols");
    for (char *line = strtok(text, "\n"); line; line = strtok(NULL, "\n")) {
        char *at = strstr(line, "@Base ");
        if (line[0] == ' ' && at)
            add(&deb, line + 1, at - (line + 1));
    }
    free(text);
    int bad =
        missing_from(&lib, &deb,
                     "exported but not in debian/libfuturl0.symbols (make symbols)") +
        missing_from(&deb, &lib, "in debian/libfuturl0.symbols but not exported");
    ck_assert_int_eq(bad, 0);
    ck_assert_int_eq(deb.n, lib.n);
    free_names(&lib);
    free_names(&deb);
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
    tcase_add_test(tc, every_export_has_a_man_page);
    tcase_add_test(tc, debian_symbols_match_exports);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
