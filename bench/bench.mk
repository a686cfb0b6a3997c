# bench/bench.mk — `make bench` (the full comparison, about 12 minutes on 2
# cores) and `make bench-smoke` (about 20 seconds: small counts, one round, the
# same programs and code paths). Included by the top Makefile. The C
# programs are built with the project's flags into $(B)/bench/; the driver,
# bench/run.py, starts nginx on an ephemeral loopback port, runs every
# implementation per scenario in alternating order, prints the table and
# writes bench/results.json.

BENCH_DIR    := $(B)/bench
BENCH_COMMON := bench/common.c bench/common.h
BENCH_BINS   := $(BENCH_DIR)/raw $(BENCH_DIR)/multi $(BENCH_DIR)/handoff \
                $(BENCH_DIR)/futurl_bench
# Debian's interpreter: the driver and the Python peers need its modules.
BENCH_PY     := /usr/bin/python3

.PHONY: bench bench-smoke bench-bins bench-deps bench-plot

bench-bins: $(BENCH_BINS)

$(BENCH_DIR)/raw $(BENCH_DIR)/multi $(BENCH_DIR)/handoff: $(BENCH_DIR)/%: \
		bench/%.c $(BENCH_COMMON) | $(DEPSOK)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS_ALL) $< bench/common.c -o $@ $(LDLIBS_ALL)

$(BENCH_DIR)/futurl_bench: bench/futurl_bench.c $(BENCH_COMMON) $(STATIC) | $(DEPSOK)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS_ALL) $< bench/common.c $(STATIC) -o $@ $(LDLIBS_ALL)

# nginx and its echo module are required; the Python peers are optional
# (installed when we may, skipped by run.py when absent). The futurl CLI
# (cli/cli.mk) runs beside curl --parallel, xargs, wget2 and aria2c; wget2
# and aria2c are optional too. gnuplot draws bench/results.png; without it
# run.py says so and writes the JSON only.
bench-deps: | $(DEPSOK)
	@sh .ci/deps.sh nginx libnginx-mod-http-echo
	@sh .ci/deps.sh wget2 aria2 || \
	    echo "bench: wget2/aria2c unavailable; they will be skipped"
	@sh .ci/deps.sh gnuplot-nox || \
	    echo "bench: gnuplot unavailable; bench/results.png will not be drawn"
	@sh .ci/deps.sh python3-aiohttp python3-requests || \
	    echo "bench: Python peers unavailable; they will be skipped"

bench: bench-deps $(BENCH_BINS) $(B)/cli/futurl
	$(BENCH_PY) bench/run.py --bindir $(BENCH_DIR) --out bench/results.json \
	    $(if $(BENCH_BEFORE),--before $(BENCH_BEFORE))

# make bench-plot: redraw bench/results.png from bench/results.json (or
# BENCH_JSON=...: the PNG beside it) without running anything.
BENCH_JSON ?= bench/results.json
bench-plot:
	@sh .ci/deps.sh gnuplot-nox
	$(BENCH_PY) bench/run.py --plot-only $(BENCH_JSON)

bench-smoke: $(BENCH_BINS) $(B)/cli/futurl | $(DEPSOK)
	@sh .ci/deps.sh nginx libnginx-mod-http-echo
	$(BENCH_PY) bench/run.py --smoke --bindir $(BENCH_DIR) --out $(BENCH_DIR)/results-smoke.json

# make soak: bench/soak.c through bench/soak.py (nginx on loopback), one
# client, SOAK_N requests, sampled every 10,000; fails if RSS, open fds or
# threads keep growing (bench/soak.c says how that is judged). Not in CI.
SOAK_N ?= 1000000
.PHONY: soak
$(BENCH_DIR)/soak: bench/soak.c $(BENCH_COMMON) $(STATIC) | $(DEPSOK)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS_ALL) $< bench/common.c $(STATIC) -o $@ $(LDLIBS_ALL)

soak: $(BENCH_DIR)/soak | $(DEPSOK)
	@sh .ci/deps.sh nginx libnginx-mod-http-echo
	$(BENCH_PY) bench/soak.py --bin $(BENCH_DIR)/soak $(SOAK_N)

# make bench-headers: bench/header_store.c through bench/header_store.py
# (nginx on loopback, /headers10): futurl's header callback and store
# against libcurl's header API copied out after each transfer, and no
# header handling, on one reused handle (issue #18). HDR_N GETs per variant
# per round, HDR_ROUNDS rounds. Not in CI.
HDR_N      ?= 20000
HDR_ROUNDS ?= 7
.PHONY: bench-headers
$(BENCH_DIR)/header_store: bench/header_store.c $(BENCH_COMMON) | $(DEPSOK)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS_ALL) $< bench/common.c -o $@ $(LDLIBS_ALL)

bench-headers: $(BENCH_DIR)/header_store | $(DEPSOK)
	@sh .ci/deps.sh nginx libnginx-mod-http-echo
	$(BENCH_PY) bench/header_store.py --bin $(BENCH_DIR)/header_store $(HDR_N) $(HDR_ROUNDS)
