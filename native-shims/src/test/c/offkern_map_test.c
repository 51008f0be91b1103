/*
 * Test-only hooks for the granule map, linked with offkern_map.c into liboffkern_map_test.so (built
 * by the native-shims pom for its tests only; the shipped shim does not contain this file).
 */
#include "../../main/c/offkern_map.h"

#include <time.h>

#define OFFKERN_EXPORT __attribute__((visibility("default")))

static uint64_t now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/*
 * A shim call that takes its time: enters a section, checks the 16 bytes at address, sets *entered,
 * spins for hold_ns, then (if the check passed) reads the 16 bytes, sets *done and leaves. Returns
 * whether the check passed. A remove of the range that returns while *done is still 0 would let the
 * caller unmap memory this "call" is about to read.
 */
OFFKERN_EXPORT int offkern_test_hold_section(const struct offkern_map *map, uint64_t address, uint64_t hold_ns,
                                             uint64_t *entered, uint64_t *done) {
    struct offkern_reader *r = offkern_enter();
    int ok = offkern_covers16(offkern_map_table(map), address);
    __atomic_store_n(entered, 1, __ATOMIC_SEQ_CST);
    uint64_t until = now_ns() + hold_ns;
    while (now_ns() < until) {
        __builtin_ia32_pause();
    }
    if (ok) {
        volatile uint64_t *p = (volatile uint64_t *)(uintptr_t)address;
        (void)p[0];
        (void)p[1];
    }
    __atomic_store_n(done, 1, __ATOMIC_SEQ_CST);
    offkern_leave(r);
    return ok;
}
