/*
 * offkern native shim: population count of a caller's bitmap buffer.
 *
 * Why native: C2 compiles a Java loop of Long.bitCount over a MemorySegment into one popcnt and one
 * add per 8 bytes, a single dependency chain (~1 cycle per word on this class of CPU), and it does
 * not break that chain for segment accesses (a hand-unrolled loop with four sums stops being a
 * counted loop and keeps a check per access). Four independent sums let the CPU retire several
 * popcnts per cycle, so the loop runs at the speed the buffer can be read.
 *
 * Safety: where the dereference happens, the check happens (offkern_shim.c's rule). The whole range
 * is looked up in the caller's granule map inside a read-side section (offkern_map.h) before any
 * load, and the section keeps it mapped until the count ends: a writer removing the range waits for
 * it (a count is bounded: ~20 ms for a gigabit on the machines offkern is measured on). The buffer
 * is only 4-byte aligned (an RTL_BITMAP's ULONGs), so words are read with memcpy (an unaligned load
 * on x86-64, no undefined behaviour). Nothing here blocks or calls back into the JVM.
 */
#include "offkern_map.h"

#include <stdint.h>
#include <string.h>

#define OFFKERN_EXPORT __attribute__((visibility("default")))

/* The result for a range that is not mapped, or wraps around (no valid count is negative). */
#define BITS_EFAULT (-1)

static inline uint64_t load64(const unsigned char *p) {
    uint64_t v;
    memcpy(&v, p, sizeof v);
    return v;
}

/*
 * The counting loop, compiled twice by GCC (target_clones): with POPCNT, and portable for CPUs
 * without it; the dynamic loader picks one when the library loads (an ifunc).
 */
__attribute__((target_clones("popcnt", "default"))) static uint64_t count_words(const unsigned char *p,
                                                                               uint64_t words) {
    uint64_t c0 = 0, c1 = 0, c2 = 0, c3 = 0;
    uint64_t i = 0;
    for (; i + 4 <= words; i += 4) {
        c0 += (uint64_t)__builtin_popcountll(load64(p + 8 * i));
        c1 += (uint64_t)__builtin_popcountll(load64(p + 8 * i + 8));
        c2 += (uint64_t)__builtin_popcountll(load64(p + 8 * i + 16));
        c3 += (uint64_t)__builtin_popcountll(load64(p + 8 * i + 24));
    }
    for (; i < words; i++) {
        c0 += (uint64_t)__builtin_popcountll(load64(p + 8 * i));
    }
    return c0 + c1 + c2 + c3;
}

/*
 * The number of 1 bits in the `words` 8-byte words at `address`, or BITS_EFAULT when
 * [address, address + 8 * words) is not mapped in `map` (checked inside the section that reads it).
 */
OFFKERN_EXPORT int64_t offkern_popcount64(const struct offkern_map *map, uint64_t address, uint64_t words) {
    if (words == 0) {
        return 0; /* nothing is read, so nothing needs to be mapped */
    }
    if (words > (UINT64_MAX - address) / 8) {
        return BITS_EFAULT;
    }
    struct offkern_reader *r = offkern_enter();
    int64_t n = BITS_EFAULT;
    if (address != 0 && offkern_covers(offkern_map_table(map), address, 8 * words)) {
        n = (int64_t)count_words((const unsigned char *)(uintptr_t)address, words);
    }
    offkern_leave(r);
    return n;
}
