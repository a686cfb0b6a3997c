# examples/examples.mk — `make serve` and `make demo`, included by the top
# Makefile (which builds every examples/*.c into $(B)/examples/ and has
# `make examples`).
#
#   make serve              the local httpbin the examples default to, on
#                           http://127.0.0.1:$(SERVE_PORT), until Ctrl-C
#   make demo [DEMO_N=5]    build, start httpbin on a free loopback port, run
#                           a tour of the examples ending with DEMO_N slow
#                           requests one after another versus on the pool,
#                           then stop the server (also on failure)

SERVE_PORT ?= 8765
DEMO_N     ?= 5

serve: | $(DEPSOK)
	@sh examples/serve.sh $(SERVE_PORT)

demo: $(EXBINS) | $(DEPSOK)
	@sh examples/demo.sh $(B)/examples $(DEMO_N)
