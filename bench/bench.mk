# bench/bench.mk — `make bench` (the full comparison, about 3 minutes on 2
# cores) and `make bench-smoke` (a few seconds: small counts, one round, the
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

.PHONY: bench bench-smoke bench-bins bench-deps

bench-bins: $(BENCH_BINS)

$(BENCH_DIR)/raw $(BENCH_DIR)/multi $(BENCH_DIR)/handoff: $(BENCH_DIR)/%: \
		bench/%.c $(BENCH_COMMON) | $(DEPSOK)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS_ALL) $< bench/common.c -o $@ $(LDLIBS_ALL)

$(BENCH_DIR)/futurl_bench: bench/futurl_bench.c $(BENCH_COMMON) $(STATIC) | $(DEPSOK)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS_ALL) $< bench/common.c $(STATIC) -o $@ $(LDLIBS_ALL)

# nginx and its echo module are required; the Python peers are optional
# (installed when we may, skipped by run.py when absent).
bench-deps: | $(DEPSOK)
	@sh .ci/deps.sh nginx libnginx-mod-http-echo
	@sh .ci/deps.sh python3-aiohttp python3-requests || \
	    echo "bench: Python peers unavailable; they will be skipped"

bench: bench-deps $(BENCH_BINS)
	$(BENCH_PY) bench/run.py --bindir $(BENCH_DIR) --out bench/results.json

bench-smoke: $(BENCH_BINS) | $(DEPSOK)
	@sh .ci/deps.sh nginx libnginx-mod-http-echo
	$(BENCH_PY) bench/run.py --smoke --bindir $(BENCH_DIR) --out $(BENCH_DIR)/results-smoke.json
