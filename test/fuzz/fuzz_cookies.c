/*
 * test/fuzz/fuzz_cookies.c — cookie text: the key the jar tells cookie
 * lines apart by (src/cookies.c futurl__cookie_key_parse), the client's
 * static cookie string (src/client.c futurl__split_static_cookies), and
 * the jar itself: lines a server's Set-Cookie put into one worker's
 * libcurl handle, stored into the jar and loaded into another handle.
 * Input: a mode byte, then a cookie line (0), a static cookie string (1)
 * or lines fed to libcurl's cookie engine (2).
 * Properties: a key's domain, path and name lie within the line, tab-free,
 * the domain without its leading dot, and swapping the ASCII case of all
 * three gives the same key (libcurl compares them ignoring case); a static cookie string
 * is split into token names and values with no tab, ';' or control byte, and splitting
 * the pairs joined again gives the same pairs; the jar hands the next handle exactly the
 * (unexpired) cookies the first one held, as libcurl itself would carry them from one
 * handle to another.
 */
#include "fuzz.h"

#include <curl/curl.h>
#include <time.h>

#include "client.h"
#include "cookies.h"
#include "http.h"

/* line with the ASCII case of every letter in its domain, path and name
 * swapped: the same cookie to libcurl, so the same key and hash. */
static char *case_swapped(const char *line, const futurl__cookie_key *k) {
    char *t = strdup(line);
    if (t == NULL)
        abort();
    const char *part[3] = {k->domain, k->path, k->name};
    size_t len[3] = {k->domain_len, k->path_len, k->name_len};
    for (int i = 0; i < 3; i++) {
        if (part[i] < line || part[i] >= line + strlen(line))
            continue; /* the path "/" libcurl puts for a missing one */
        for (size_t j = 0; j < len[i]; j++) {
            char *c = t + (part[i] - line) + j;
            if (*c >= 'a' && *c <= 'z')
                *c = (char)(*c - 'a' + 'A');
            else if (*c >= 'A' && *c <= 'Z')
                *c = (char)(*c - 'A' + 'a');
        }
    }
    return t;
}

static void key(const char *line) {
    futurl__cookie_key k;
    if (futurl__cookie_key_parse(line, &k) != 0)
        return;
    size_t n = strlen(line);
    const char *part[3] = {k.domain, k.path, k.name};
    size_t len[3] = {k.domain_len, k.path_len, k.name_len};
    for (int i = 0; i < 3; i++) {
        int inside = part[i] >= line && part[i] + len[i] <= line + n;
        FUZZ_CHECK(inside || (i == 1 && len[i] == 1 && part[i][0] == '/'),
                   "field %d of \"%s\" outside the line", i, line);
        FUZZ_CHECK(memchr(part[i], '\t', len[i]) == NULL, "field %d of \"%s\" has a tab",
                   i, line);
    }
    /* libcurl takes one leading dot off a Netscape domain, not more. */
    const char *field = strncmp(line, "#HttpOnly_", 10) == 0 ? line + 10 : line;
    FUZZ_CHECK(k.domain == field + (field[0] == '.'),
               "domain of \"%s\" does not lose exactly its one leading dot", line);
    FUZZ_CHECK(k.head_len < n && line[k.head_len] == '\t',
               "head of \"%s\" does not end at a tab", line);
    char *t = case_swapped(line, &k);
    futurl__cookie_key kt;
    FUZZ_CHECK(futurl__cookie_key_parse(t, &kt) == 0, "\"%s\" parses, \"%s\" not", line,
               t);
    FUZZ_CHECK(kt.hash == k.hash && kt.tailmatch == k.tailmatch,
               "\"%s\" and \"%s\" are one cookie to libcurl, with two keys", line, t);
    free(t);
}

/* Split s as create does; NULL-safe free of what it made. */
static futurl_status split(const char *s, futurl_client *c) {
    memset(c, 0, sizeof *c);
    return futurl__split_static_cookies(c, s);
}

static void release(futurl_client *c) {
    for (size_t i = 0; i < c->static_cookie_count; i++)
        free(c->static_cookies[i]);
    free(c->static_cookies);
}

static void static_cookies(const char *s) {
    if (!futurl__is_field_value(s)) /* create checks this first */
        return;
    futurl_client c, again;
    futurl_status st = split(s, &c);
    FUZZ_CHECK(st == FUTURL_OK || st == FUTURL_EHEADER, "\"%s\": %s", s,
               futurl_err_name(st));
    if (st == FUTURL_OK) {
        size_t joined_size = 1;
        for (size_t i = 0; i < c.static_cookie_count; i++) {
            const char *pair = c.static_cookies[i], *tab = strchr(pair, '\t');
            FUZZ_CHECK(tab != NULL, "pair \"%s\" has no tab", pair);
            FUZZ_CHECK(futurl__is_token(pair, (size_t)(tab - pair)),
                       "name of \"%s\" is not a token", pair);
            FUZZ_CHECK(strpbrk(tab + 1, "\t;") == NULL && futurl__is_field_value(tab + 1),
                       "value of \"%s\"", pair);
            joined_size += strlen(pair) + 2;
        }
        /* Join as "n=v;" and split again: the same pairs. */
        char *joined = malloc(joined_size), *p = joined;
        if (joined == NULL)
            abort();
        *p = '\0';
        for (size_t i = 0; i < c.static_cookie_count; i++) {
            const char *pair = c.static_cookies[i], *tab = strchr(pair, '\t');
            p += sprintf(p, "%.*s=%s;", (int)(tab - pair), pair, tab + 1);
        }
        st = split(joined, &again);
        FUZZ_CHECK(st == FUTURL_OK && again.static_cookie_count == c.static_cookie_count,
                   "\"%s\" (from \"%s\"): %s, %zu pairs, want %zu", joined, s,
                   futurl_err_name(st), again.static_cookie_count, c.static_cookie_count);
        for (size_t i = 0; i < c.static_cookie_count; i++)
            FUZZ_CHECK(strcmp(again.static_cookies[i], c.static_cookies[i]) == 0,
                       "pair %zu: \"%s\", then \"%s\"", i, c.static_cookies[i],
                       again.static_cookies[i]);
        release(&again);
        free(joined);
    }
    release(&c);
}

/* Whether a Netscape line's cookie has expired (libcurl drops expired
 * cookies lazily: one may linger in one handle and not in another, but an
 * expired cookie is never sent). */
static int expired(const char *line, time_t now) {
    const char *p = line;
    for (int field = 0; field < 4 && p != NULL; field++) {
        p = strchr(p, '\t');
        p = p ? p + 1 : NULL;
    }
    if (p == NULL)
        return 0;
    long long when = strtoll(p, NULL, 10);
    return when != 0 && when <= (long long)now + 1;
}

/* The unexpired cookies a handle holds, sorted. */
static struct curl_slist *held(CURL *easy, size_t *n) {
    struct curl_slist *all = NULL, *list = NULL;
    FUZZ_CHECK(curl_easy_getinfo(easy, CURLINFO_COOKIELIST, &all) == CURLE_OK, "getinfo");
    time_t now = time(NULL);
    *n = 0;
    for (struct curl_slist *l = all; l; l = l->next) {
        if (expired(l->data, now))
            continue;
        struct curl_slist *more = curl_slist_append(list, l->data);
        if (more == NULL)
            abort();
        list = more;
        (*n)++;
    }
    curl_slist_free_all(all);
    /* Insertion sort of the data pointers (few cookies). */
    for (struct curl_slist *a = list; a; a = a->next)
        for (struct curl_slist *b = a->next; b; b = b->next)
            if (strcmp(b->data, a->data) < 0) {
                char *t = a->data;
                a->data = b->data;
                b->data = t;
            }
    return list;
}

/* A handle with the cookie engine on. */
static CURL *engine(void) {
    CURL *easy = curl_easy_init();
    if (easy == NULL || curl_easy_setopt(easy, CURLOPT_COOKIEFILE, "") != CURLE_OK)
        abort();
    return easy;
}

static void jar(char *lines) {
    CURL *from = engine(), *to = engine(), *ref = engine();
    /* Limits high enough that nothing is evicted: the jar must hand on
     * everything a handle held. */
    futurl__cookie_jar *j =
        futurl__jar_new(FUTURL_MAX_COOKIES_LIMIT, FUTURL_MAX_COOKIES_LIMIT);
    if (j == NULL)
        abort();
    for (char *rest = lines, *line; (line = fuzz_cut(&rest, '\n')) != NULL;) {
        /* "Set-Cookie:" lines and Netscape lines, as libcurl takes them;
         * its own commands ("ALL", "FLUSH"…) are not a server's. */
        if (strcmp(line, "ALL") && strcmp(line, "SESS") && strcmp(line, "FLUSH") &&
            strcmp(line, "RELOAD"))
            (void)curl_easy_setopt(from, CURLOPT_COOKIELIST, line);
    }
    /* The reference: what libcurl itself makes of the first handle's
     * cookies in another handle (its Netscape lines are not always read
     * back as written: a domain loses a leading dot each time). */
    struct curl_slist *exported = NULL;
    FUZZ_CHECK(curl_easy_getinfo(from, CURLINFO_COOKIELIST, &exported) == CURLE_OK,
               "info");
    time_t now = time(NULL);
    for (struct curl_slist *l = exported; l; l = l->next)
        if (!expired(l->data, now)) /* never sent; else it may overlay a live one */
            (void)curl_easy_setopt(ref, CURLOPT_COOKIELIST, l->data);
    curl_slist_free_all(exported);

    futurl__cookie_view vfrom = {0}, vto = {0};
    FUZZ_CHECK(futurl__jar_store(j, &vfrom, from) == FUTURL_OK, "store");
    FUZZ_CHECK(futurl__jar_load(j, &vto, to) == FUTURL_OK, "load");
    size_t nr, nt;
    struct curl_slist *a = held(ref, &nr), *b = held(to, &nt);
    FUZZ_CHECK(nr == nt,
               "the first handle's cookies are %zu in another, %zu through the jar", nr,
               nt);
    for (struct curl_slist *x = a, *y = b; x && y; x = x->next, y = y->next)
        FUZZ_CHECK(strcmp(x->data, y->data) == 0,
                   "\"%s\" through libcurl, \"%s\" through the jar", x->data, y->data);
    curl_slist_free_all(a);
    curl_slist_free_all(b);
    futurl__cookie_view_free(&vfrom);
    futurl__cookie_view_free(&vto);
    futurl__jar_free(j);
    curl_easy_cleanup(from);
    curl_easy_cleanup(to);
    curl_easy_cleanup(ref);
}

FUZZ_INIT_LIBCURL

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size == 0)
        return 0;
    char *input = fuzz_cstr(data + 1, size - 1);
    switch (data[0] % 3) {
    case 0:
        key(input);
        break;
    case 1:
        static_cookies(input);
        break;
    default:
        if (size < 4096) /* libcurl's engine is slow on long lines; keep runs fast */
            jar(input);
        break;
    }
    free(input);
    return 0;
}
