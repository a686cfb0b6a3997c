# futurl — build, test, check, install.
#
# The first target anyone types (make, make test, make demo) first runs the
# dependency check (make deps): nothing below asks pkg-config for anything
# before it. All pkg-config lookups are recursive (=) variables, expanded
# only inside recipes, which run after the deps stamp exists.

VERSION      := 0.1.0
SOVERSION    := 0
PREFIX       ?= /usr/local
LIBDIR       ?= $(PREFIX)/lib
INCLUDEDIR   ?= $(PREFIX)/include
PKGCONFIGDIR ?= $(LIBDIR)/pkgconfig
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

WARN   := -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes \
          -Wmissing-prototypes -Wwrite-strings -Wpointer-arith -Wvla
OPT    := -O2 -g
SAN_plain :=
SAN_asan  := -O1 -fsanitize=address,undefined -fno-omit-frame-pointer \
             -fno-sanitize-recover=all
SAN_tsan  := -O1 -fsanitize=thread -fno-omit-frame-pointer
SAN       := $(SAN_$(BUILD))

PKGS      := libcurl libcjson
# Recursive on purpose: only expanded in recipes, after `deps`.
PKG_CFLAGS = $(shell pkg-config --cflags $(PKGS))
PKG_LIBS   = $(shell pkg-config --libs $(PKGS))
CHECK_CFLAGS = $(shell pkg-config --cflags check)
CHECK_LIBS   = $(shell pkg-config --libs check)

CFLAGS_ALL  = -std=c11 -D_GNU_SOURCE $(WARN) $(OPT) $(SAN) -pthread \
              -Iinclude $(PKG_CFLAGS) $(CFLAGS)
LIB_CFLAGS  = $(CFLAGS_ALL) -fPIC -fvisibility=hidden -DFUTURL_BUILDING
LDLIBS_ALL  = $(PKG_LIBS) -pthread $(LDLIBS)

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
        uninstall clean format docs demo serve bench bench-smoke lib
.DEFAULT_GOAL := all

all: lib examples

lib: $(STATIC) $(SHARED) $(B)/futurl.pc

# ---------------------------------------------------------------- deps
# Debian packages needed to build and test. cJSON must carry the 2023
# security fixes: Debian 1.7.15-1+deb12u3 or later.
DEB_PKGS := libcurl4-openssl-dev libcjson-dev check pkg-config \
            python3-httpbin gunicorn openssl nginx
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

$(B)/futurl.pc: futurl.pc.in Makefile
	@mkdir -p $(@D)
	$(Q)sed -e 's|@PREFIX@|$(PREFIX)|' -e 's|@LIBDIR@|$(LIBDIR)|' \
	    -e 's|@INCLUDEDIR@|$(INCLUDEDIR)|' -e 's|@VERSION@|$(VERSION)|' $< > $@

# ---------------------------------------------------------------- tests
# Each test links the static library; support code is shared.
$(B)/test/%: test/%.c $(TESTSUP) test/support.h $(STATIC) | $(DEPSOK)
	@mkdir -p $(@D)
	@echo "  CC      $@"
	$(Q)$(CC) $(CFLAGS_ALL) $(CHECK_CFLAGS) -DFUTURL_SRCDIR='"$(CURDIR)"' \
	    -DFUTURL_BUILDDIR='"$(CURDIR)/$(B)"' -Isrc $< $(TESTSUP) $(STATIC) \
	    -o $@ $(CHECK_LIBS) $(LDLIBS_ALL) -ldl

# The C++ check: the public header must compile as C++.
$(B)/test/cxx_header.o: test/cxx_header.cpp include/futurl.h | $(DEPSOK)
	@mkdir -p $(@D)
	@echo "  CXX     $<"
	$(Q)$(CXX) -std=c++11 -Wall -Wextra -Werror -Iinclude -c $< -o $@

test: lib $(TESTBINS) $(B)/test/cxx_header.o $(EXBINS)
	@BUILD=$(BUILD) sh test/run.sh $(TESTBINS)

examples: $(EXBINS)

$(B)/examples/%: examples/%.c $(STATIC) | $(DEPSOK)
	@mkdir -p $(@D)
	@echo "  CC      $@"
	$(Q)$(CC) $(CFLAGS_ALL) $< $(STATIC) -o $@ $(LDLIBS_ALL)

# ---------------------------------------------------------------- checkers
asan:
	$(MAKE) BUILD=asan test
tsan:
	TSAN_OPTIONS="halt_on_error=1 second_deadlock_stack=1 suppressions=$(CURDIR)/test/tsan.supp $$TSAN_OPTIONS" \
	    $(MAKE) BUILD=tsan test
valgrind: lib $(TESTBINS) $(EXBINS)
	@FUTURL_VALGRIND=1 CK_FORK=no sh test/run.sh $(TESTBINS)

# ---------------------------------------------------------------- install
install: lib
	install -d $(DESTDIR)$(LIBDIR) $(DESTDIR)$(INCLUDEDIR) $(DESTDIR)$(PKGCONFIGDIR)
	install -m 644 include/futurl.h $(DESTDIR)$(INCLUDEDIR)/futurl.h
	install -m 644 $(STATIC) $(DESTDIR)$(LIBDIR)/libfuturl.a
	install -m 755 $(SHARED) $(DESTDIR)$(LIBDIR)/libfuturl.so.$(VERSION)
	ln -sf libfuturl.so.$(VERSION) $(DESTDIR)$(LIBDIR)/$(SONAME)
	ln -sf libfuturl.so.$(VERSION) $(DESTDIR)$(LIBDIR)/libfuturl.so
	install -m 644 $(B)/futurl.pc $(DESTDIR)$(PKGCONFIGDIR)/futurl.pc

uninstall:
	rm -f $(DESTDIR)$(INCLUDEDIR)/futurl.h $(DESTDIR)$(LIBDIR)/libfuturl.a \
	    $(DESTDIR)$(LIBDIR)/libfuturl.so.$(VERSION) $(DESTDIR)$(LIBDIR)/$(SONAME) \
	    $(DESTDIR)$(LIBDIR)/libfuturl.so $(DESTDIR)$(PKGCONFIGDIR)/futurl.pc

format:
	clang-format -i include/*.h src/*.c src/*.h test/*.c test/*.h examples/*.c bench/*.c

# API reference from the header's comments (Doxygen, Debian package doxygen).
docs: | $(DEPSOK)
	@sh .ci/deps.sh doxygen
	$(Q)mkdir -p build/docs
	$(Q)doxygen Doxyfile >/dev/null
	@echo "API reference: build/docs/html/index.html"

clean:
	rm -rf build

-include bench/bench.mk
-include examples/examples.mk
