# futurl — build, test, check, install.
#
# The first target anyone types (make, make test, make demo) first runs the
# dependency check (make deps): nothing below asks pkg-config for anything
# before it. All pkg-config lookups are recursive (=) variables, expanded
# only inside recipes, which run after the deps stamp exists.

VERSION      := 0.1.0
SOVERSION    := 0
PREFIX       ?= /usr/local
# Installing to /usr, libraries go to Debian's multiarch directory
# (/usr/lib/x86_64-linux-gnu), as Debian's own libraries do.
MULTIARCH     = $(shell dpkg-architecture -qDEB_HOST_MULTIARCH 2>/dev/null || \
                        $(CC) -print-multiarch)
ifeq ($(PREFIX),/usr)
LIBDIR       ?= $(PREFIX)/lib/$(MULTIARCH)
else
LIBDIR       ?= $(PREFIX)/lib
endif
INCLUDEDIR   ?= $(PREFIX)/include
BINDIR       ?= $(PREFIX)/bin
DATADIR      ?= $(PREFIX)/share
MANDIR       ?= $(DATADIR)/man
PKGCONFIGDIR ?= $(LIBDIR)/pkgconfig
CMAKEDIR     ?= $(LIBDIR)/cmake/futurl
# What `make install` put where, for `make uninstall`.
MANIFEST     ?= $(DATADIR)/futurl/install-manifest
DESTDIR      ?=

CC           ?= cc
# Quiet by default; `make V=1` prints every command.
V            ?= 0
ifeq ($(V),0)
Q := @
else
Q :=
endif
# Build variant: plain, asan (ASan+UBSan), tsan, cov. Each has its own tree.
BUILD        ?= plain
B            := build/$(BUILD)
MANOUT       := $(B)/man

WARN   := -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes \
          -Wmissing-prototypes -Wwrite-strings -Wpointer-arith -Wvla
OPT    := -O2 -g
SAN_plain :=
# float-cast-overflow is not part of "undefined" (gcc and clang alike).
SAN_asan  := -O1 -fsanitize=address,undefined,float-cast-overflow \
             -fno-omit-frame-pointer -fno-sanitize-recover=all
SAN_tsan  := -O1 -fsanitize=thread -fno-omit-frame-pointer
SAN       := $(SAN_$(BUILD))

PKGS      := libcurl libcjson
# Recursive on purpose: only expanded in recipes, after `deps`.
PKG_CFLAGS = $(shell pkg-config --cflags $(PKGS))
PKG_LIBS   = $(shell pkg-config --libs $(PKGS))
CHECK_CFLAGS = $(shell pkg-config --cflags check)
CHECK_LIBS   = $(shell pkg-config --libs check)

CFLAGS_ALL  = -std=c11 -D_GNU_SOURCE $(WARN) $(OPT) $(SAN) -pthread \
              -Iinclude $(PKG_CFLAGS) $(CPPFLAGS) $(CFLAGS)
LIB_CFLAGS  = $(CFLAGS_ALL) -fPIC -fvisibility=hidden -DFUTURL_BUILDING
LDLIBS_ALL  = $(LDFLAGS) $(PKG_LIBS) -pthread $(LDLIBS)

SRCS     := $(sort $(wildcard src/*.c))
OBJS     := $(SRCS:src/%.c=$(B)/obj/%.o)
TESTS    := $(sort $(wildcard test/test_*.c))
TESTBINS := $(TESTS:test/%.c=$(B)/test/%)
TESTSUP  := $(sort $(wildcard test/support*.c))
EXAMPLES := $(sort $(wildcard examples/*.c))
EXBINS   := $(EXAMPLES:examples/%.c=$(B)/examples/%)

STATIC   := $(B)/libfuturl.a
SHARED   := $(B)/libfuturl.so.$(VERSION)
SONAME   := libfuturl.so.$(SOVERSION)
DEPSOK   := build/.deps-ok

.PHONY: all deps test check-summary examples asan tsan valgrind install \
        uninstall clean format docs demo serve bench bench-smoke lib man man-check \
        deb symbols programs fuzz fuzz-build alloc-sweep \
        alloc-sweep-valgrind soak
.DEFAULT_GOAL := all

all: lib examples cli

lib: $(STATIC) $(SHARED)

# ---------------------------------------------------------------- deps
# Debian packages needed to build and test. cJSON must carry the 2023
# security fixes: Debian 1.7.15-1+deb12u3 or later.
DEB_PKGS := libcurl4-openssl-dev libcjson-dev check pkg-config \
            python3-httpbin gunicorn openssl nginx tmux \
            libuv1-dev libglib2.0-dev
deps:
	@rm -f $(DEPSOK)
	@$(MAKE) --no-print-directory $(DEPSOK)

$(DEPSOK):
	@sh .ci/deps.sh $(DEB_PKGS)
	@mkdir -p build && touch $@

# ---------------------------------------------------------------- library
$(B)/obj/%.o: src/%.c include/futurl.h $(wildcard src/*.h) | $(DEPSOK)
	@mkdir -p $(@D)
	@echo "  CC      $<"
	$(Q)$(CC) $(LIB_CFLAGS) -c $< -o $@

$(STATIC): $(OBJS)
	@rm -f $@
	@echo "  AR      $@"
	$(Q)ar rcs $@ $^

$(SHARED): $(OBJS)
	@echo "  LD      $@"
	$(Q)$(CC) -shared -Wl,-soname,$(SONAME) $(SAN) -o $@ $^ $(LDLIBS_ALL)
	$(Q)ln -sf libfuturl.so.$(VERSION) $(B)/$(SONAME)
	$(Q)ln -sf libfuturl.so.$(VERSION) $(B)/libfuturl.so

# ---------------------------------------------------------------- tests
# Each test links the static library; support code is shared.
$(B)/test/%: test/%.c $(TESTSUP) test/support.h $(STATIC) | $(DEPSOK)
	@mkdir -p $(@D)
	@echo "  CC      $@"
	$(Q)$(CC) $(CFLAGS_ALL) $(CHECK_CFLAGS) -DFUTURL_SRCDIR='"$(CURDIR)"' \
	    -DFUTURL_BUILDDIR='"$(CURDIR)/$(B)"' -Isrc $< $(TESTSUP) $(STATIC) \
	    -o $@ $(CHECK_LIBS) $(LDLIBS_ALL) -ldl

# test_exports reads the man pages of the build tree.
$(B)/test/test_exports: $(MANOUT)/.built

# The C++ check: the public header must compile as C++.
$(B)/test/cxx_header.o: test/cxx_header.cpp include/futurl.h | $(DEPSOK)
	@mkdir -p $(@D)
	@echo "  CXX     $<"
	$(Q)$(CXX) -std=c++11 -Wall -Wextra -Werror -Iinclude -c $< -o $@

# The plain build also checks the man pages and compiles their examples.
TEST_EXTRA_plain := man-check
test: lib man $(TESTBINS) $(B)/test/cxx_header.o $(EXBINS) $(TEST_EXTRA_$(BUILD))
	@BUILD=$(BUILD) sh test/run.sh $(TESTBINS)

examples: $(EXBINS)

# Two examples show futurl inside another library's event loop; libuv and
# GLib are theirs only, never the library's (make deps installs them).
EX_PKGS_loop_libuv := libuv
EX_PKGS_loop_glib  := glib-2.0

$(B)/examples/%: examples/%.c $(STATIC) | $(DEPSOK)
	@mkdir -p $(@D)
	@echo "  CC      $@"
	$(Q)$(CC) $(CFLAGS_ALL) $(if $(EX_PKGS_$*),$(shell pkg-config --cflags $(EX_PKGS_$*))) \
	    $< $(STATIC) -o $@ $(LDLIBS_ALL) \
	    $(if $(EX_PKGS_$*),$(shell pkg-config --libs $(EX_PKGS_$*)))

# ---------------------------------------------------------------- checkers
asan:
	$(MAKE) BUILD=asan test
tsan:
	TSAN_OPTIONS="halt_on_error=1 second_deadlock_stack=1 suppressions=$(CURDIR)/test/tsan.supp $$TSAN_OPTIONS" \
	    $(MAKE) BUILD=tsan test
valgrind: lib $(TESTBINS) $(EXBINS)
	@FUTURL_VALGRIND=1 CK_FORK=no sh test/run.sh $(TESTBINS)

# ---------------------------------------------------------------- man pages
# Section 3 and futurl(7) are generated from include/futurl.h by
# man/mangen.py (Python 3 only); man/pages/<page>.c holds each page's
# function list and its EXAMPLE, a whole program compiled by man-check.
MAN_SOURCES := man/mangen.py man/futurl.7.in man/unstated.txt include/futurl.h \
               $(wildcard man/pages/*.c)
MAN_EXBINS  := $(patsubst man/pages/%.c,$(MANOUT)/examples/%,$(wildcard man/pages/*.c))

man: $(MANOUT)/.built

$(MANOUT)/.built: $(MAN_SOURCES)
	@echo "  MAN     $(MANOUT)"
	$(Q)python3 man/mangen.py build --out $(MANOUT)
	$(Q)touch $@

$(MANOUT)/examples/%: man/pages/%.c $(STATIC) | $(DEPSOK)
	@mkdir -p $(@D)
	@echo "  CC      $@"
	$(Q)$(CC) $(CFLAGS_ALL) $< $(STATIC) -o $@ $(LDLIBS_ALL)

# Every exported function has a page with every section, the pages render
# without a groff warning, and every example compiles and links.
man-check: man $(MAN_EXBINS) $(SHARED)
	$(Q)python3 man/mangen.py check --out $(MANOUT) --lib $(B)/libfuturl.so

# ---------------------------------------------------------------- Debian
# debian/libfuturl0.symbols from the built library: a symbol keeps the
# version it first appeared in; a new one gets $(VERSION). test_exports and
# dpkg-gensymbols (at package build) check that it matches the library.
symbols: $(SHARED)
	$(Q){ echo "libfuturl.so.$(SOVERSION) libfuturl0 #MINVER#"; \
	  echo "* Build-Depends-Package: libfuturl-dev"; \
	  nm -D --defined-only $(B)/libfuturl.so | \
	  awk '$$2 ~ /^[TDBRVW]$$/ && $$3 !~ /^_/ {print $$3}' | sort | while read -r s; do \
	    v=$$(awk -v s="$$s@Base" '$$1 == s {print $$2}' debian/libfuturl0.symbols 2>/dev/null); \
	    echo " $$s@Base $${v:-$(VERSION)}"; done; } > debian/libfuturl0.symbols.new
	$(Q)mv debian/libfuturl0.symbols.new debian/libfuturl0.symbols
	@echo "debian/libfuturl0.symbols: $$(grep -c '@Base' debian/libfuturl0.symbols) symbols"

# The three packages (libfuturl0, libfuturl-dev, futurl), built from a copy
# of the tree in build/deb/ so the source tree stays clean; the .debs land
# in build/deb/, checked by lintian. Needs dpkg-dev, debhelper, fakeroot and
# lintian (installed as root, as make deps does).
deb: | $(DEPSOK)
	@sh .ci/deps.sh dpkg-dev debhelper fakeroot build-essential lintian
	@sh packaging/deb.sh build/deb

# ---------------------------------------------------------------- fuzzing
# libFuzzer targets (test/fuzz/fuzz_*.c), one for each parser and checker
# that sees bytes from outside. `make fuzz` builds them with clang in their
# own tree, build/fuzz (the library there with -fsanitize=fuzzer-no-link and
# ASan+UBSan), then runs each for FUZZ_SECONDS on a copy of its seed corpus
# (test/fuzz/corpus/<target>: the repo's corpus never grows), FUZZ_JOBS at
# a time, and prints the executions of each; it fails if one finds a crash
# or a broken property (the input is kept in build/fuzz/run/<target>/).
FUZZ_SECONDS ?= 30
FUZZ_JOBS    ?= 2
FUZZ_CC      ?= clang
SAN_fuzz  := -O1 -fsanitize=fuzzer-no-link,address,undefined,float-cast-overflow \
             -fno-omit-frame-pointer -fno-sanitize-recover=all
FUZZ_BINS := $(patsubst test/fuzz/%.c,build/fuzz/fuzz/%,\
                        $(sort $(wildcard test/fuzz/fuzz_*.c)))

fuzz:
	@$(MAKE) --no-print-directory BUILD=fuzz CC=$(FUZZ_CC) fuzz-build
	@sh test/fuzz/run.sh $(FUZZ_SECONDS) $(FUZZ_JOBS) $(FUZZ_BINS)

# Only with BUILD=fuzz (make fuzz sets it). -iquote, not -I: src/limits.h
# must not stand in for <limits.h>.
fuzz-build: $(FUZZ_BINS)

build/fuzz/fuzz/%: test/fuzz/%.c test/fuzz/fuzz.h test/hostkey_oracle.h $(STATIC) \
                   | $(DEPSOK)
	@mkdir -p $(@D)
	@echo "  CC      $@"
	$(Q)$(CC) $(CFLAGS_ALL) -fsanitize=fuzzer -iquote src -iquote test $< $(STATIC) \
	    -o $@ $(LDLIBS_ALL)

# ---------------------------------------------------------------- install
# The pkg-config and CMake files are written at install time from the
# PREFIX and LIBDIR in effect, so `make; make install PREFIX=/opt/x` is right.
# Programs and section-1 pages: the command-line tool's, when cli/cli.mk
# (included at the end) defines CLI_BIN and CLI_MAN. Second expansion lets
# these prerequisites see variables that later includes set.
INSTALL_BIN   = $(CLI_BIN)
INSTALL_MAN1  = $(CLI_MAN)
.SECONDEXPANSION:
programs: $$(INSTALL_BIN)
GEN          := $(B)/install
SIZEOF_VOID_P = $(shell echo __SIZEOF_POINTER__ | $(CC) -E -P -)
SUBST         = sed -e 's|@PREFIX@|$(PREFIX)|g' -e 's|@LIBDIR@|$(LIBDIR)|g' \
                    -e 's|@INCLUDEDIR@|$(INCLUDEDIR)|g' -e 's|@VERSION@|$(VERSION)|g' \
                    -e 's|@SOVERSION@|$(SOVERSION)|g' -e 's|@SIZEOF_VOID_P@|$(SIZEOF_VOID_P)|g'
# Installing as root into /usr or /usr/local (no DESTDIR) refreshes the
# run-time linker's cache.
LDCONFIG      = if [ -z "$(DESTDIR)" ] && [ "$$(id -u)" = 0 ] && command -v ldconfig >/dev/null; \
                then case "$(PREFIX)" in /usr|/usr/*) echo "  ldconfig"; ldconfig ;; esac; fi

install: lib man $$(INSTALL_BIN) $$(INSTALL_MAN1)
	@mkdir -p $(GEN)
	@for f in futurl.pc futurl-static.pc futurlConfig.cmake futurlConfigVersion.cmake; do \
	    $(SUBST) packaging/$$f.in > $(GEN)/$$f || exit 1; done
	@echo "futurl $(VERSION): installing into $(DESTDIR)$(PREFIX)"
	@{ echo "file 644 include/futurl.h $(INCLUDEDIR)/futurl.h"; \
	   echo "file 644 $(STATIC) $(LIBDIR)/libfuturl.a"; \
	   echo "file 755 $(SHARED) $(LIBDIR)/libfuturl.so.$(VERSION)"; \
	   echo "link libfuturl.so.$(VERSION) $(LIBDIR)/$(SONAME)"; \
	   echo "link libfuturl.so.$(VERSION) $(LIBDIR)/libfuturl.so"; \
	   echo "file 644 $(GEN)/futurl.pc $(PKGCONFIGDIR)/futurl.pc"; \
	   echo "file 644 $(GEN)/futurl-static.pc $(PKGCONFIGDIR)/futurl-static.pc"; \
	   echo "file 644 $(GEN)/futurlConfig.cmake $(CMAKEDIR)/futurlConfig.cmake"; \
	   echo "file 644 $(GEN)/futurlConfigVersion.cmake $(CMAKEDIR)/futurlConfigVersion.cmake"; \
	   for f in $(MANOUT)/man3/*.3; do echo "file 644 $$f $(MANDIR)/man3/$${f##*/}"; done; \
	   echo "file 644 $(MANOUT)/man7/futurl.7 $(MANDIR)/man7/futurl.7"; \
	   for f in $(INSTALL_BIN); do echo "file 755 $$f $(BINDIR)/$${f##*/}"; done; \
	   for f in $(INSTALL_MAN1); do echo "file 644 $$f $(MANDIR)/man1/$${f##*/}"; done; \
	} | DESTDIR="$(DESTDIR)" sh packaging/install.sh install $(MANIFEST)
	@$(LDCONFIG)
	@if [ -z "$(DESTDIR)" ] && ! ldconfig -p 2>/dev/null | grep -qF "$(LIBDIR)/$(SONAME)"; then \
	    echo "note: $(LIBDIR) is not on the run-time linker's path: link with"; \
	    echo "      -Wl,-rpath,$(LIBDIR), or run with LD_LIBRARY_PATH=$(LIBDIR), or"; \
	    echo "      add it to /etc/ld.so.conf.d/ and run ldconfig as root"; fi
	@case "$(PREFIX)" in /usr|/usr/local) ;; *) \
	    echo "to find it: PKG_CONFIG_PATH=$(PKGCONFIGDIR) (futurl, futurl-static)," \
	         "CMAKE_PREFIX_PATH=$(PREFIX), MANPATH=$(MANDIR)" ;; esac

uninstall:
	@echo "futurl $(VERSION): removing what $(DESTDIR)$(MANIFEST) lists"
	@DESTDIR="$(DESTDIR)" sh packaging/install.sh uninstall $(MANIFEST)
	@$(LDCONFIG)

format:
	clang-format -i include/*.h src/*.c src/*.h test/*.c test/*.h test/fuzz/*.c test/fuzz/*.h \
	    examples/*.c bench/*.c man/pages/*.c test/consumer/*.c

# API reference from the header's comments (Doxygen, Debian package doxygen).
docs: | $(DEPSOK)
	@sh .ci/deps.sh doxygen
	$(Q)mkdir -p build/docs
	$(Q)doxygen Doxyfile >/dev/null
	@echo "API reference: build/docs/html/index.html"

clean:
	rm -rf build

-include bench/bench.mk
-include test/alloc.mk
-include examples/examples.mk
-include cli/cli.mk
