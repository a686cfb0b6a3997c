# cli/cli.mk — the futurl command-line tool, included by the top Makefile.
# It is built from cli/*.c against the static library of the same variant,
# as build/<variant>/cli/futurl (build/plain/cli/futurl by default), with the
# project's flags; cli/futurl.1 is its man page. test_cli runs this binary,
# so it depends on it (same variant: under ASan or TSan the tool is
# instrumented too).

CLI_SRCS := $(sort $(wildcard cli/*.c))
CLI_HDRS := $(sort $(wildcard cli/*.h))
CLI_BIN  := $(B)/cli/futurl
CLI_MAN  := cli/futurl.1

.PHONY: cli

cli: $(CLI_BIN)

$(CLI_BIN): $(CLI_SRCS) $(CLI_HDRS) include/futurl.h $(STATIC) | $(DEPSOK)
	@mkdir -p $(@D)
	@echo "  CC      $@"
	$(Q)$(CC) $(CFLAGS_ALL) $(CLI_SRCS) $(STATIC) -o $@ $(LDLIBS_ALL) -lm

$(B)/test/test_cli: $(CLI_BIN)
