/*
 * unix_socket — HTTP to a local daemon over a Unix domain socket, the way
 * the Docker API is spoken: three GETs at once through one socket file,
 * each one's status and a field of its JSON.
 *
 * Python (httpx):
 *
 *     transport = httpx.AsyncHTTPTransport(uds="/var/run/docker.sock")
 *     async with httpx.AsyncClient(transport=transport,
 *                                  base_url="http://localhost") as client:
 *         rs = await asyncio.gather(*(client.get(p) for p in paths))
 *         print(rs[0].status_code, rs[0].json()["url"])
 *
 * The client option unix_socket_path sends every request of the client
 * through that socket instead of TCP. The URL keeps its host, but only as
 * the Host header (and the key of cookies and per-host limits): it is never
 * resolved and no port is dialled, so "http://localhost" is as good a name
 * as any. Who may talk to the daemon is decided by who may open the socket
 * file, which is how Docker guards its own.
 *
 * httpbin stands in for the daemon here: its /anything/<path> answers any
 * path with what it received, so each Docker-style path below comes back
 * with the URL the server saw. When nothing listens on the socket (or the
 * file does not exist), every request fails as on a refused port:
 * FUTURL_ECONNECT.
 *
 * Run:  make serve-unix                 (httpbin on build/httpbin.sock, in another
 * terminal) build/plain/examples/unix_socket [SOCKET_PATH [BASE_URL]]
 */
#include <futurl.h>

#include <stdio.h>
#include <stdlib.h>

#define DEFAULT_SOCKET "build/httpbin.sock" /* where `make serve-unix` listens */
#define DEFAULT_BASE   "http://localhost"   /* the Host header; never resolved */

/* Docker Engine API paths, under httpbin's echo. */
static const char *const paths[] = {
    "/anything/v1.43/containers/json?all=1",
    "/anything/v1.43/images/json",
    "/anything/v1.43/info",
};
#define NPATHS (sizeof paths / sizeof paths[0])

int main(int argc, char **argv) {
    const char *sock = argc > 1 ? argv[1] : DEFAULT_SOCKET;
    const char *base = argc > 2 ? argv[2] : DEFAULT_BASE;

    futurl_client_options opts;
    futurl_client_options_init(&opts);
    opts.unix_socket_path = sock; /* every request goes through this file */
    opts.base_url = base;
    futurl_client *client;
    futurl_status st = futurl_client_create(&opts, &client);
    if (st != FUTURL_OK) { /* FUTURL_EINVAL: a path longer than sun_path holds */
        fprintf(stderr, "unix_socket: cannot create the client: %s\n",
                futurl_strerror(st));
        return EXIT_FAILURE;
    }

    /* All three at once; the socket takes as many connections as workers open. */
    futurl_future *fs[NPATHS];
    if ((st = futurl_gather_get(client, paths, NPATHS, NULL, fs, NULL)) != FUTURL_OK) {
        fprintf(stderr, "unix_socket: %s\n", futurl_strerror(st));
        futurl_client_destroy(client);
        return EXIT_FAILURE;
    }

    printf("%zu requests at once over %s; status and the URL the server saw:\n", NPATHS,
           sock);
    size_t ok = 0, refused = 0;
    for (size_t i = 0; i < NPATHS; i++) {
        const char *seen; /* borrowed from the response, valid until the free */
        if ((st = futurl_future_json_string(fs[i], "url", &seen)) == FUTURL_OK) {
            printf("  HTTP %ld  %s\n", futurl_future_http_status(fs[i]), seen);
            ok++;
        } else {
            fprintf(stderr, "  %s: %s\n", paths[i], futurl_strerror(st));
            refused += st == FUTURL_ECONNECT;
        }
        futurl_future_free(fs[i]);
    }
    if (refused > 0)
        fprintf(stderr,
                "No server listens on the socket %s.\n"
                "Start httpbin on it in another terminal with `make serve-unix`,\n"
                "or pass your daemon's socket: %s /path/to/daemon.sock\n",
                sock, argv[0]);
    futurl_client_destroy(client);
    return ok == NPATHS ? EXIT_SUCCESS : EXIT_FAILURE;
}
