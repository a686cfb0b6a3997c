/*
 * src/memcheck.h — valgrind memcheck's client requests for memory the
 * library carves itself (response and future slabs), when valgrind's
 * headers are there: no-ops unless the program runs under valgrind. Not
 * installed.
 */
#ifndef FUTURL_SRC_MEMCHECK_H
#define FUTURL_SRC_MEMCHECK_H

#if defined(__has_include)
#if __has_include(<valgrind/memcheck.h>)
#include <valgrind/memcheck.h>
#endif
#endif
#ifndef VALGRIND_MALLOCLIKE_BLOCK
#define VALGRIND_MALLOCLIKE_BLOCK(addr, size, rz, zeroed) ((void)0)
#define VALGRIND_FREELIKE_BLOCK(addr, rz) ((void)0)
#endif

#endif
