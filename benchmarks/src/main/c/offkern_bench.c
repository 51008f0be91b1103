/*
 * Native peers for the offkern benchmarks (not shipped with the runtime): the floor a Java SLIST
 * benchmark is compared with, i.e. what the same Windows x64 SLIST push+pop costs in C with no
 * downcall, no address checks and no safepoint polls, as a driver's own code would do it.
 *
 * Built by the benchmarks module's pom into liboffkern_bench.so (inside the benchmarks jar) and bound
 * by dev.offkern.bench.peers.NativeSListLoop. The header layout and the Sequence/Depth rule are the
 * shipped shim's (native-shims/src/main/c/offkern_shim.c): push Depth+1 Sequence+1, pop Depth-1.
 */
#include <stdint.h>

#define EXPORT __attribute__((visibility("default")))

#define DEPTH_MASK   0xFFFFull
#define SEQUENCE_ONE 0x10000ull
#define ENTRY_MASK   (~0xFull)

static inline int cas16(volatile void *dst, uint64_t *lo, uint64_t *hi, uint64_t new_lo, uint64_t new_hi) {
    int ok;
    __asm__ __volatile__("lock cmpxchg16b %[m]"
                         : [m] "+m"(*(volatile unsigned __int128 *)dst), "=@ccz"(ok), "+a"(*lo), "+d"(*hi)
                         : "b"(new_lo), "c"(new_hi)
                         : "memory");
    return ok;
}

static inline uint64_t load64(const volatile void *p) {
    return __atomic_load_n((const volatile uint64_t *)p, __ATOMIC_RELAXED);
}

static inline uint64_t push(void *header, uint64_t entry) {
    uint64_t lo = load64(header), hi = load64((char *)header + 8);
    for (;;) {
        uint64_t first = hi & ENTRY_MASK;
        __atomic_store_n((volatile uint64_t *)(uintptr_t)entry, first, __ATOMIC_RELAXED);
        uint64_t next_lo = ((lo & ~DEPTH_MASK) + SEQUENCE_ONE) | ((lo + 1) & DEPTH_MASK);
        if (cas16(header, &lo, &hi, next_lo, entry)) {
            return first;
        }
    }
}

static inline uint64_t pop(void *header) {
    uint64_t lo = load64(header), hi = load64((char *)header + 8);
    for (;;) {
        uint64_t first = hi & ENTRY_MASK;
        if (first == 0) {
            return 0;
        }
        uint64_t next = load64((void *)(uintptr_t)first);
        uint64_t next_lo = (lo & ~DEPTH_MASK) | ((lo - 1) & DEPTH_MASK);
        if (cas16(header, &lo, &hi, next_lo, next & ENTRY_MASK)) {
            return first;
        }
    }
}

/* Push+pop of one entry, `iterations` times, all in C. The list must not be used concurrently by
 * anything but other calls of this function on their own entries. */
EXPORT uint64_t offkern_bench_slist_push_pop(void *header, uint64_t entry, uint64_t iterations) {
    uint64_t checksum = 0;
    for (uint64_t i = 0; i < iterations; i++) {
        checksum += push(header, entry);
        checksum ^= pop(header);
    }
    return checksum;
}

/* One push, one call: with offkern_bench_slist_pop, the per-call native floor — the same C operations as
 * the loop above, each behind its own critical downcall, with no address check (what the FFM call itself
 * costs, measured apart from the shim's checks). */
EXPORT uint64_t offkern_bench_slist_push(void *header, uint64_t entry) {
    return push(header, entry);
}

/* One pop, one call (see offkern_bench_slist_push). */
EXPORT uint64_t offkern_bench_slist_pop(void *header) {
    return pop(header);
}
