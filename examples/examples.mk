# examples/examples.mk — `make serve` and `make demo`, included by the top
# Makefile (which builds every examples/*.c into $(B)/examples/ and has
# `make examples`).
#
#   make serve              the local httpbin the examples default to, on
#                           http://127.0.0.1:$(SERVE_PORT), until Ctrl-C
#   make serve-unix         the same httpbin on the Unix domain socket
#                           $(SERVE_SOCKET) (examples/unix_socket.c)
#   make serve-proxy        the project's test forward proxy (loopback
#                           targets only) on http://127.0.0.1:$(SERVE_PROXY_PORT),
#                           wanting $(SERVE_PROXY_USER) (examples/proxy.c)
#   make demo [DEMO_N=5]    build, start httpbin on a free loopback port, run
#                           a tour of the examples ending with DEMO_N slow
#                           requests one after another versus on the pool,
#                           then stop the server (also on failure)

SERVE_PORT       ?= 8765
SERVE_SOCKET     ?= build/httpbin.sock
SERVE_PROXY_PORT ?= 8766
SERVE_PROXY_USER ?= ada:s3cret
DEMO_N           ?= 5

.PHONY: serve-unix serve-proxy

serve: | $(DEPSOK)
	@sh examples/serve.sh $(SERVE_PORT)

serve-unix: | $(DEPSOK)
	@mkdir -p $(dir $(SERVE_SOCKET))
	@sh examples/serve.sh unix:$(SERVE_SOCKET)

# Debian's python3, as serve.sh says; the proxy needs only its standard library.
serve-proxy:
	@echo "serve-proxy: forward proxy on http://127.0.0.1:$(SERVE_PROXY_PORT)," \
	    "user:password $(SERVE_PROXY_USER) (Ctrl-C stops it)"
	@/usr/bin/python3 -I test/proxy_server.py --port $(SERVE_PROXY_PORT) \
	    --user $(SERVE_PROXY_USER) >/dev/null

demo: $(EXBINS) | $(DEPSOK)
	@sh examples/demo.sh $(B)/examples $(DEMO_N)
