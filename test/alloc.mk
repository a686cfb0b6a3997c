# test/alloc.mk — the failing-allocator sweep (included by the Makefile).
#
# Binaries that link test/alloc_fail.c are linked with --wrap for every
# allocator the library calls, so its own allocations (in libfuturl.a) go
# through the counting wrappers; libcurl's go there through
# curl_global_init_mem and cJSON's through cJSON_InitHooks (alloc_fail.h).
#   make alloc-sweep            ASan+UBSan build, LSan on: every N from 1
#                               until a run ends without an injected
#                               failure, two runs at a time; one line out
#   make alloc-sweep-valgrind   the same, plain build, each run under
#                               valgrind memcheck (slower: minutes)
# test/test_alloc.c (in make test) checks the machinery itself.

ALLOC_WRAP := -Wl,--wrap=malloc,--wrap=calloc,--wrap=realloc,--wrap=strdup \
              -Wl,--wrap=aligned_alloc,--wrap=mmap,--wrap=curl_easy_init
ALLOC_JOBS ?= 2

.PHONY: alloc-sweep alloc-sweep-valgrind

$(B)/test/alloc_sweep: test/alloc_sweep.c test/alloc_fail.c test/alloc_fail.h \
                       $(TESTSUP) test/support.h $(STATIC) | $(DEPSOK)
	@mkdir -p $(@D)
	@echo "  CC      $@"
	$(Q)$(CC) $(CFLAGS_ALL) $(CHECK_CFLAGS) -DFUTURL_SRCDIR='"$(CURDIR)"' \
	    -DFUTURL_BUILDDIR='"$(CURDIR)/$(B)"' -Isrc $< test/alloc_fail.c $(TESTSUP) \
	    $(STATIC) -o $@ $(ALLOC_WRAP) $(CHECK_LIBS) $(LDLIBS_ALL) -ldl

# test_alloc is in make test like every test/test_*.c; this rule (explicit,
# so it wins over the pattern rule) adds the wrapped allocator.
$(B)/test/test_alloc: test/test_alloc.c test/alloc_fail.c test/alloc_fail.h \
                      $(TESTSUP) test/support.h $(STATIC) | $(DEPSOK)
	@mkdir -p $(@D)
	@echo "  CC      $@"
	$(Q)$(CC) $(CFLAGS_ALL) $(CHECK_CFLAGS) -DFUTURL_SRCDIR='"$(CURDIR)"' \
	    -DFUTURL_BUILDDIR='"$(CURDIR)/$(B)"' -Isrc $< test/alloc_fail.c $(TESTSUP) \
	    $(STATIC) -o $@ $(ALLOC_WRAP) $(CHECK_LIBS) $(LDLIBS_ALL) -ldl

alloc-sweep:
	@$(MAKE) --no-print-directory -s BUILD=asan build/asan/test/alloc_sweep >/dev/null
	@ASAN_OPTIONS="detect_leaks=1 $$ASAN_OPTIONS" build/asan/test/alloc_sweep --jobs $(ALLOC_JOBS)

alloc-sweep-valgrind:
	@$(MAKE) --no-print-directory -s BUILD=plain build/plain/test/alloc_sweep >/dev/null
	@build/plain/test/alloc_sweep --valgrind --jobs $(ALLOC_JOBS)
