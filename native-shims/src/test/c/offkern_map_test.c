/*
 * Test-only hooks for the granule map, linked with offkern_map.c into liboffkern_map_test.so (built
 * by the native-shims pom for its tests only; the shipped shim does not contain this file).
 */
/* The pause of offkern_test_arm_begin_pause, between a call's epoch load (offkern_call_open) and its
 * table load (offkern_lookup16). */
struct offkern_map;
static void test_begin_hook(const struct offkern_map *map);
#define OFFKERN_MAP_BEGIN_HOOK(map) test_begin_hook(map)

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
    struct offkern_call c = offkern_call_begin(map);
    int ok = offkern_check16(&c, address);
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
    offkern_leave(c.r);
    return ok;
}

static int begin_armed;          /* atomic */
static uint64_t begin_armed_epoch;
static uint64_t begin_paused;   /* atomic: set while the armed call waits */

/* Armed: waits (at most 5 s) until the map's epoch differs from the one seen when armed, then disarms. */
static void test_begin_hook(const struct offkern_map *map) {
    if (!__atomic_load_n(&begin_armed, __ATOMIC_SEQ_CST)) {
        return;
    }
    __atomic_store_n(&begin_armed, 0, __ATOMIC_SEQ_CST);
    __atomic_store_n(&begin_paused, 1, __ATOMIC_SEQ_CST);
    uint64_t until = now_ns() + 5000000000ull;
    while (__atomic_load_n(&map->epoch, __ATOMIC_SEQ_CST) == begin_armed_epoch && now_ns() < until) {
        __builtin_ia32_pause();
    }
    __atomic_store_n(&begin_paused, 0, __ATOMIC_SEQ_CST);
}

/* The next lookup of a call (any thread) pauses between the call's epoch load and its table load until a
 * writer replaces the epoch. */
OFFKERN_EXPORT void offkern_test_arm_begin_pause(const struct offkern_map *map) {
    begin_armed_epoch = __atomic_load_n(&map->epoch, __ATOMIC_SEQ_CST);
    __atomic_store_n(&begin_armed, 1, __ATOMIC_SEQ_CST);
}

/* Whether an armed lookup is waiting now. */
OFFKERN_EXPORT int offkern_test_begin_paused(void) {
    return (int)__atomic_load_n(&begin_paused, __ATOMIC_SEQ_CST);
}

/* The check of the SLIST routines, with the thread's range cache: whether the 16 bytes at address pass. */
OFFKERN_EXPORT int offkern_test_cached_covers16(const struct offkern_map *map, uint64_t address) {
    struct offkern_call c = offkern_call_begin(map);
    int ok = offkern_check16(&c, address);
    offkern_leave(c.r);
    return ok;
}

/*
 * A call that runs until told to stop: sets *entered, spins until *release is non-zero (or timeout_ns
 * passed), then sets *done. Returns whether it was released (not timed out). Bound critically, it is a
 * critical downcall that a JVM handshake must wait for; bound as an ordinary downcall, one it need not.
 */
OFFKERN_EXPORT int offkern_test_spin_until(const uint64_t *release, uint64_t *entered, uint64_t *done,
                                           uint64_t timeout_ns) {
    __atomic_store_n(entered, 1, __ATOMIC_SEQ_CST);
    uint64_t until = now_ns() + timeout_ns;
    int released = 0;
    while (!(released = __atomic_load_n(release, __ATOMIC_SEQ_CST) != 0) && now_ns() < until) {
        __builtin_ia32_pause();
    }
    __atomic_store_n(done, 1, __ATOMIC_SEQ_CST);
    return released;
}
