/*
 * offkern native shim: only what Java cannot do.
 *
 *   - a true 128-bit compare-and-swap (lock cmpxchg16b);
 *   - whole SLIST operations on a byte-exact Windows x64 SLIST_HEADER, one call each;
 *   - CPUID / XGETBV, XSAVE / XSAVEOPT / XSAVEC / XRSTOR, MXCSR and the x87 control word.
 *
 * Built by the native-shims module's pom with the host gcc (-O2 -mcx16 -Werror), together with
 * offkern_map.c (the granule map), into liboffkern_shim.so, packaged in the jar and bound through
 * FFM by dev.offkern.shim.
 *
 * Conventions
 *   - Addresses cross the boundary as uint64_t/void* and come back as uint64_t (the Java side
 *     binds them as JAVA_LONG so that no MemorySegment is allocated per call).
 *   - Nothing here blocks or calls back into the JVM, so the hot entry points can be bound with
 *     Linker.Option.critical(false), and they must be: the map's grace period relies on it (below).
 *     The only allocation is a thread's reader slot, once, on its first call (offkern_map.c).
 *   - No function here may fault on input the Java side lets through: alignment and CPU support
 *     are checked again here and reported as negative return codes (OFFKERN_E*), and XRSTOR
 *     refuses an area whose header would make the instruction raise #GP.
 *   - Where a dereference happens, the check happens. Every address this file dereferences that
 *     did not arrive as a live JVM segment (SLIST headers and entries, links read from memory, raw
 *     CAS targets) is looked up in the caller's granule map (offkern_map.h) in the same call,
 *     immediately before the access; an address outside the map is reported, never touched.
 *     Removing a range from the map waits until every call that might still use it has returned (a
 *     JVM-wide handshake, which cannot complete while a thread is inside a critical downcall; see
 *     offkern_map.h, "Two kinds of reader"), so a region can be unmapped while other threads are
 *     inside these routines. Every exported routine here that reads the map is a critical call: it
 *     enters no read-side section.
 *
 * SLIST_HEADER (Windows x64, 16 bytes, 16-byte aligned; Windows 8 and later, the only form
 * Windows 10 22H2 uses):
 *
 *     qword 0 (Alignment)                         qword 1 (Region)
 *     63                    16 15       0         63                      4 3    0
 *    +------------------------+----------+       +-------------------------+------+
 *    |  Sequence (48 bits)    | Depth(16)|       | NextEntry (first >> 4)  | Rsvd |
 *    +------------------------+----------+       +-------------------------+------+
 *
 *   Because entries are 16-byte aligned, qword 1 *is* the address of the first entry (its low 4
 *   bits are zero), and an SLIST_ENTRY's first 8 bytes are its Next pointer.
 *
 * Sequence rule (what Windows 10 x64's RtlpInterlockedPushEntrySList/PopEntrySList/FlushSList
 * do, as their public disassembly shows; some descriptions of the SLIST say pop also increments
 * Sequence, which Windows does not):
 *   push       Depth+1, Sequence+1, NextEntry := entry, entry->Next := old first
 *   push list  Depth+count, Sequence+1, NextEntry := first, last->Next := old first
 *   pop        Depth-1, Sequence unchanged, NextEntry := first->Next
 *   flush      Depth := 0, Sequence unchanged, NextEntry := 0
 *   Depth arithmetic stays inside its 16 bits (it never carries into or borrows from Sequence);
 *   Sequence wraps modulo 2^48.
 *
 * The ABA story. Pop reads first = NextEntry, then next = first->Next, then CASes the whole
 * 16 bytes from (seq, depth, first) to (seq, depth-1, next). Between the read and the CAS another
 * thread may pop `first`, pop more, and push `first` back: the first-entry field is equal again but
 * `next` is stale. Every push increments Sequence, and re-pushing `first` is a push, so the
 * 16-byte comparison fails and the pop retries. Pops need not change Sequence: a pop alone never
 * makes an old (first, Sequence) pair reappear, because to make `first` first again somebody must
 * push it. Sequence is 48 bits wide: wrapping it around between a pop's read and its CAS takes
 * 2^48 pushes, which is not a practical concern.
 *   Reading first->Next of an entry that another thread has already popped (and may be reusing)
 * is safe in offkern because `first` is checked against the granule map in the same iteration and
 * the grace period keeps it mapped until the call returns (pool memory stays mapped for the pool's
 * lifetime anyway, as in Windows); the value read may be garbage, and then the CAS fails.
 *
 * Corruption. Windows follows whatever a link says and page-faults on a bad one
 * (PAGE_FAULT_IN_NONPAGED_AREA); winnt.h's FAST_FAIL codes have none for SLISTs
 * (FAST_FAIL_CORRUPT_LIST_ENTRY is for LIST_ENTRY). Here the fault becomes a result: pop reports a
 * first entry outside the map (after confirming the header still holds it), push and push list an
 * entry outside it, and push list also walks the caller's chain, reporting a link that is NULL,
 * unmapped or misaligned before ListEnd, or a chain that does not end at ListEnd after Count
 * entries. The Java side turns those into bug check 0x50 with the address, or an exception.
 */
#include <stdint.h>
#include <stddef.h>
#include <cpuid.h>

#include "offkern_map.h"

#define OFFKERN_EXPORT __attribute__((visibility("default")))

#define OFFKERN_ABI_VERSION 4u

/* Error codes (negative), shared with dev.offkern.shim.ShimError. */
#define OFFKERN_OK             0
#define OFFKERN_EALIGN        (-1) /* misaligned destination or save area */
#define OFFKERN_EUNSUPPORTED  (-2) /* the CPU (or the OS, for XSAVE) lacks the instruction */
#define OFFKERN_EMASK         (-3) /* the mask names a state component that is not usable here */
#define OFFKERN_EHEADER       (-4) /* the XSAVE header / MXCSR in the area would make XRSTOR fault */
#define OFFKERN_EFAULT        (-5) /* an address is outside the caller's granule map */

/* ------------------------------------------------------------------------------------------ */
/* 128-bit compare-and-swap                                                                    */
/* ------------------------------------------------------------------------------------------ */

/*
 * One lock cmpxchg16b. *lo and *hi hold the expected value on entry and the value the instruction
 * witnessed on exit (unchanged on success). lock cmpxchg16b is a full barrier (locked
 * instruction): sequentially consistent, like every Interlocked routine.
 */
static inline __attribute__((always_inline)) int cas16(volatile void *dst, uint64_t *lo, uint64_t *hi,
                                                      uint64_t new_lo, uint64_t new_hi) {
    int ok;
    __asm__ __volatile__("lock cmpxchg16b %[m]"
                         : [m] "+m"(*(volatile unsigned __int128 *)dst), "=@ccz"(ok), "+a"(*lo), "+d"(*hi)
                         : "b"(new_lo), "c"(new_hi)
                         : "memory");
    return ok;
}

/* Plain snapshot reads of the two halves. They may tear against a concurrent CAS; a torn snapshot
 * only makes the following cmpxchg16b fail, and the failure hands back the true 16 bytes. */
static inline uint64_t load64(const volatile void *p) {
    return __atomic_load_n((const volatile uint64_t *)p, __ATOMIC_RELAXED);
}

/* The segment form: dst and witness come from live JVM segments that the Java side has bounds-checked
 * (and whose arenas the linker keeps alive during the call). Returns 1, 0, OFFKERN_EALIGN, or 2 / 3 for
 * 0 / 1 with a safepoint poll request (offkern_map.h; the reader slot is used only for its counter). */
OFFKERN_EXPORT int offkern_cas128(void *dst, uint64_t cmp_lo, uint64_t cmp_hi, uint64_t new_lo, uint64_t new_hi,
                                  uint64_t *witness) {
    if (((uintptr_t)dst & 15u) != 0) {
        return OFFKERN_EALIGN;
    }
    int poll = offkern_poll_due(offkern_reader()) ? 2 : 0; /* before the locked instruction: see offkern_poll_due */
    uint64_t lo = cmp_lo, hi = cmp_hi;
    int ok = cas16(dst, &lo, &hi, new_lo, new_hi);
    witness[0] = lo;
    witness[1] = hi;
    return (ok ? 1 : 0) + poll;
}

/*
 * The slow path of offkern_cas128_mapped (a critical call, like every routine here: no section):
 * checks with lookups. It takes the routine's own parameters, so that the fast path
 * reaches it with a plain jump and keeps nothing in callee-saved registers.
 */
static __attribute__((noinline)) int cas128_mapped_slow(const struct offkern_map *map, uint64_t dst, uint64_t cmp_lo,
                                                        uint64_t cmp_hi, uint64_t new_lo, uint64_t new_hi, uint64_t witness) {
    struct offkern_call c = offkern_call_critical(map); /* attaches the thread's reader slot on its first call */
    int rc;
    if (!offkern_check16(&c, dst) || !offkern_check16_any(&c, witness)) {
        rc = OFFKERN_EFAULT;
    } else {
        uint64_t lo = cmp_lo, hi = cmp_hi;
        int ok = cas16((void *)(uintptr_t)dst, &lo, &hi, new_lo, new_hi);
        uint64_t *w = (uint64_t *)(uintptr_t)witness;
        w[0] = lo;
        w[1] = hi;
        rc = ok ? 1 : 0;
    }
    return offkern_poll_due(c.r) && rc >= 0 ? rc + 2 : rc; /* 2, 3: as 0, 1, and poll first */
}

/* The raw-address form: dst (16-byte aligned) and the 16-byte witness must lie in the map (checked in
 * the call; usually by the thread's range cache, two compares, else by lookups in the slow path).
 * Returns 1 (swapped), 0 (not), OFFKERN_E*, or 2 / 3 for 0 / 1 with a safepoint poll request. */
OFFKERN_EXPORT int offkern_cas128_mapped(const struct offkern_map *map, uint64_t dst, uint64_t cmp_lo, uint64_t cmp_hi,
                                         uint64_t new_lo, uint64_t new_hi, uint64_t witness) {
    if ((dst & 15u) != 0) {
        return OFFKERN_EALIGN;
    }
    struct offkern_reader *r = offkern_current_reader;
    /* The compiler barrier between the two checks makes the second read the cache from memory again
     * instead of keeping all four cached words in registers, which cost three callee-saved registers
     * (pushed and popped on every call, the slow path's included); measured ~0.3 ns per call. */
    if (__builtin_expect(r != NULL && r->cache_epoch == offkern_map_epoch(map) && offkern_cache_covers16(r, dst)
                                 && (__atomic_signal_fence(__ATOMIC_SEQ_CST), offkern_cache_covers16(r, witness)), 1)) {
        int poll = offkern_poll_due(r) ? 2 : 0; /* before the locked instruction: see offkern_poll_due */
        uint64_t lo = cmp_lo, hi = cmp_hi;
        int ok = cas16((void *)(uintptr_t)dst, &lo, &hi, new_lo, new_hi);
        uint64_t *w = (uint64_t *)(uintptr_t)witness;
        w[0] = lo;
        w[1] = hi;
        return ok + poll;
    }
    return cas128_mapped_slow(map, dst, cmp_lo, cmp_hi, new_lo, new_hi, witness);
}

/* Does nothing: bound as an ordinary (not critical) downcall, its return to Java polls for a safepoint. */
OFFKERN_EXPORT void offkern_safepoint_poll(void) {
}

/* ------------------------------------------------------------------------------------------ */
/* SLIST on a Windows x64 SLIST_HEADER                                                         */
/* ------------------------------------------------------------------------------------------ */

#define SLIST_DEPTH_MASK     0xFFFFull
#define SLIST_SEQUENCE_ONE   0x10000ull
#define SLIST_ENTRY_MASK     (~0xFull)

/*
 * Results of the SLIST routines. Every address they return on success (an entry, or 0) is 16-byte
 * aligned, so the low four bits are free: 0 is a plain result, 15 (SLIST_POLL) a result the Java
 * side must answer with a safepoint poll first, and 1..5 a fault: one of the SLIST_F* codes below,
 * bits 4..63 being the (16-byte aligned) address it concerns. Shared with dev.offkern.shim.SListShim.
 */
#define SLIST_FHEADER   1u /* the header's 16 bytes are not mapped (or not 16-byte aligned): address = header */
#define SLIST_FENTRY    2u /* an entry to dereference is not mapped: address = the entry (pop: the list's first) */
#define SLIST_FLINK     3u /* push list: the Next of the entry at `address` is not a mapped, aligned entry */
#define SLIST_FSHORT    4u /* push list: the Next of the entry at `address` is NULL before ListEnd */
#define SLIST_FMISMATCH 5u /* push list: after Count - 1 links the chain is at `address`, not ListEnd */
#define SLIST_POLL     15u /* not a fault: bits 4..63 are the result; Java should poll for a safepoint
                              first (offkern_map.h, "Safepoint polls") */

/* Ends a call: counts it (offkern_poll_due); a successful result may carry the poll request. */
static inline uint64_t slist_leave(struct offkern_reader *r, uint64_t rc) {
    return offkern_poll_due(r) && (rc & 15u) == 0 ? rc | SLIST_POLL : rc;
}

/* As slist_leave, for a fast path that counted the call (offkern_poll_due) before its locked instruction. */
static inline uint64_t slist_result(int poll, uint64_t rc) {
    return poll && (rc & 15u) == 0 ? rc | SLIST_POLL : rc;
}

static inline uint64_t slist_fault(uint64_t address, unsigned code) {
    return (address & SLIST_ENTRY_MASK) | code;
}

/* New Alignment qword: Depth changed by delta within its 16 bits, Sequence advanced by seq_inc. */
static inline uint64_t slist_alignment(uint64_t old, uint64_t depth_delta, uint64_t seq_inc) {
    uint64_t depth = (old + depth_delta) & SLIST_DEPTH_MASK;
    uint64_t seq = (old & ~SLIST_DEPTH_MASK) + seq_inc * SLIST_SEQUENCE_ONE; /* wraps mod 2^48 */
    return seq | depth;
}

static inline void store_next(uint64_t entry, uint64_t next) {
    /* Relaxed store: the entry is private to the pusher until the cmpxchg16b (a full barrier)
     * publishes it, so a pop that sees the entry also sees this link. */
    __atomic_store_n((volatile uint64_t *)(uintptr_t)entry, next, __ATOMIC_RELAXED);
}

/*
 * The CAS loop of push and push list, the header already checked. `last` is checked immediately
 * before its Next is written, in every iteration (it cannot change during the call, but the check is what makes the store safe, so it sits next to it; with the thread's range
 * cache it is one compare).
 */
static inline uint64_t slist_push_range(struct offkern_call *c, void *header, uint64_t first, uint64_t last,
                                        uint64_t count) {
    uint64_t lo = load64(header);
    uint64_t hi = load64((char *)header + 8);
    for (;;) {
        uint64_t old_first = hi & SLIST_ENTRY_MASK;
        if (!offkern_check16(c, last)) {
            return slist_fault(last, SLIST_FENTRY);
        }
        store_next(last, old_first);
        if (cas16(header, &lo, &hi, slist_alignment(lo, count, 1), first)) {
            return old_first; /* linearization point: the successful cmpxchg16b */
        }
    }
}

static inline uint64_t slist_pop(struct offkern_call *c, void *header) {
    uint64_t lo = load64(header);
    uint64_t hi = load64((char *)header + 8);
    for (;;) {
        uint64_t first = hi & SLIST_ENTRY_MASK;
        if (first == 0) {
            /* Empty when `hi` was read (linearization point of an empty pop; a torn `lo` does not
             * matter). Full fence so that the call is still a full barrier, as Windows' pop is. */
            __atomic_thread_fence(__ATOMIC_SEQ_CST);
            return 0;
        }
        if (!offkern_check16(c, first)) {
            /* Either the list really links to unmapped memory, or the snapshot is stale (another
             * thread popped `first` and its region was removed since). An atomic 16-byte read (a
             * cmpxchg16b that writes back what it finds) tells them apart: only a header that still
             * holds this snapshot is a fault; otherwise retry with the fresh value. */
            uint64_t now_lo = lo, now_hi = hi;
            if (cas16(header, &now_lo, &now_hi, lo, hi)) {
                return slist_fault(first, SLIST_FENTRY);
            }
            lo = now_lo;
            hi = now_hi;
            continue;
        }
        /* Checked just above, in this iteration: `first` is mapped for the rest of the call. It
         * may be stale or recycled (another thread popped it); then `next` is garbage and the CAS
         * below fails (see the ABA story at the top of this file). */
        uint64_t next = load64((void *)(uintptr_t)first);
        if (cas16(header, &lo, &hi, slist_alignment(lo, (uint64_t)-1, 0), next & SLIST_ENTRY_MASK)) {
            return first; /* linearization point */
        }
    }
}

/*
 * Push list: walks the caller's chain (which no other thread may use) from `first`, checking each
 * link before following it, and requires it to reach `last` after exactly count - 1 links.
 */
static inline uint64_t slist_check_chain(struct offkern_call *c, uint64_t first, uint64_t last, uint32_t count) {
    if (count == 0) {
        return slist_fault(first, SLIST_FMISMATCH);
    }
    uint64_t cur = first; /* checked by the caller, then every link before it becomes cur */
    for (uint32_t i = 1; i < count; i++) {
        if (cur == last) {
            return slist_fault(cur, SLIST_FMISMATCH); /* ListEnd after i - 1 links: Count is too large */
        }
        uint64_t link = load64((void *)(uintptr_t)cur);
        if (link == 0) {
            return slist_fault(cur, SLIST_FSHORT);
        }
        if (!offkern_check16(c, link)) {
            return slist_fault(cur, SLIST_FLINK);
        }
        cur = link;
    }
    return cur == last ? 0 : slist_fault(cur, SLIST_FMISMATCH);
}

/*
 * Fast paths. push and pop first try the whole operation with the thread's range cache alone (valid
 * for the epoch the call loaded: offkern_map.h, "Reuse across calls"): each address is
 * checked, in the iteration that dereferences it, with one compare per cached range, and nothing is
 * looked up, so the routine needs few registers and makes no call. Any miss (a header, entry or link
 * outside the cached ranges, a new epoch, the thread's first call) goes to the slow path, which starts
 * the operation over in the same call with offkern_check16 (table lookups; a miss there is a fault result). Nothing
 * is published before the successful cmpxchg16b (push's store into `last` is rewritten by every
 * attempt), so starting over is just another retry. The slow paths take the routines' own parameters
 * (the reader slot comes from the thread-local again, attached there on a thread's first call), so the
 * fast paths reach them with a jump.
 */
static __attribute__((noinline)) uint64_t slist_push_slow(const struct offkern_map *map, void *header, uint64_t entry) {
    struct offkern_call c = offkern_call_critical(map);
    uint64_t rc = offkern_check16(&c, (uintptr_t)header) ? slist_push_range(&c, header, entry, entry, 1)
                                                        : slist_fault((uintptr_t)header, SLIST_FHEADER);
    return slist_leave(c.r, rc);
}

OFFKERN_EXPORT uint64_t offkern_slist_push(const struct offkern_map *map, void *header, uint64_t entry) {
    struct offkern_reader *r = offkern_current_reader;
    if (__builtin_expect(r != NULL && r->cache_epoch == offkern_map_epoch(map)
                                 && offkern_cache_check16(r, (uintptr_t)header), 1)) {
        int poll = offkern_poll_due(r); /* before the locked instruction: see offkern_poll_due */
        uint64_t lo = load64(header);
        uint64_t hi = load64((char *)header + 8);
        while (offkern_cache_check16(r, entry)) { /* checked in every iteration, right before the store */
            uint64_t old_first = hi & SLIST_ENTRY_MASK;
            store_next(entry, old_first);
            if (cas16(header, &lo, &hi, slist_alignment(lo, 1, 1), entry)) {
                return slist_result(poll, old_first); /* linearization point: the successful cmpxchg16b */
            }
        }
    }
    return slist_push_slow(map, header, entry);
}

OFFKERN_EXPORT uint64_t offkern_slist_push_list(const struct offkern_map *map, void *header, uint64_t first,
                                                uint64_t last, uint32_t count) {
    struct offkern_call c = offkern_call_critical(map);
    uint64_t rc;
    if (!offkern_check16(&c, (uintptr_t)header)) {
        rc = slist_fault((uintptr_t)header, SLIST_FHEADER);
    } else if (!offkern_check16(&c, first)) {
        rc = slist_fault(first, SLIST_FENTRY);
    } else {
        rc = slist_check_chain(&c, first, last, count);
        if (rc == 0) {
            rc = slist_push_range(&c, header, first, last, count);
        }
    }
    return slist_leave(c.r, rc);
}

static __attribute__((noinline)) uint64_t slist_pop_slow(const struct offkern_map *map, void *header) {
    struct offkern_call c = offkern_call_critical(map);
    uint64_t rc = offkern_check16(&c, (uintptr_t)header) ? slist_pop(&c, header)
                                                        : slist_fault((uintptr_t)header, SLIST_FHEADER);
    return slist_leave(c.r, rc);
}

OFFKERN_EXPORT uint64_t offkern_slist_pop(const struct offkern_map *map, void *header) {
    struct offkern_reader *r = offkern_current_reader;
    if (__builtin_expect(r != NULL && r->cache_epoch == offkern_map_epoch(map)
                                 && offkern_cache_check16(r, (uintptr_t)header), 1)) {
        int poll = offkern_poll_due(r); /* before the locked instruction: see offkern_poll_due */
        uint64_t lo = load64(header);
        uint64_t hi = load64((char *)header + 8);
        for (;;) {
            uint64_t first = hi & SLIST_ENTRY_MASK;
            if (first == 0) {
                __atomic_thread_fence(__ATOMIC_SEQ_CST); /* as slist_pop: the empty pop is a full barrier */
                return slist_result(poll, 0);
            }
            if (!offkern_cache_check16(r, first)) {
                break; /* not in a cached range: the slow path looks it up (and confirms a fault) */
            }
            /* Checked just above, in this iteration (see slist_pop). */
            uint64_t next = load64((void *)(uintptr_t)first);
            if (cas16(header, &lo, &hi, slist_alignment(lo, (uint64_t)-1, 0), next & SLIST_ENTRY_MASK)) {
                return slist_result(poll, first); /* linearization point */
            }
        }
    }
    return slist_pop_slow(map, header);
}

OFFKERN_EXPORT uint64_t offkern_slist_flush(const struct offkern_map *map, void *header) {
    struct offkern_call c = offkern_call_critical(map);
    uint64_t rc;
    if (!offkern_check16(&c, (uintptr_t)header)) {
        rc = slist_fault((uintptr_t)header, SLIST_FHEADER);
    } else {
        uint64_t lo = load64(header);
        uint64_t hi = load64((char *)header + 8);
        /* Depth 0, Sequence kept, NextEntry 0 (as RtlpInterlockedFlushSList). Also runs when the
         * list looks empty, so that the return value is linearizable. */
        while (!cas16(header, &lo, &hi, lo & ~SLIST_DEPTH_MASK, 0)) {
        }
        rc = hi & SLIST_ENTRY_MASK;
    }
    return slist_leave(c.r, rc);
}

/* ------------------------------------------------------------------------------------------ */
/* CPUID, XGETBV, XSAVE family                                                                 */
/* ------------------------------------------------------------------------------------------ */

OFFKERN_EXPORT void offkern_cpuid(uint32_t leaf, uint32_t subleaf, uint32_t *out4) {
    uint32_t a, b, c, d;
    __cpuid_count(leaf, subleaf, a, b, c, d);
    out4[0] = a;
    out4[1] = b;
    out4[2] = c;
    out4[3] = d;
}

static inline uint64_t xgetbv_raw(uint32_t xcr) {
    uint32_t lo, hi;
    __asm__ __volatile__("xgetbv" : "=a"(lo), "=d"(hi) : "c"(xcr));
    return ((uint64_t)hi << 32) | lo;
}

/* Feature bits this file needs, read once when the library is loaded (a constructor, so before
 * any other thread can call in; the later init_features() calls only see `ready`). */
static struct {
    int ready;
    int osxsave, xsaveopt, xsavec;
    uint64_t xcr0;
    uint32_t mxcsr_mask;
} features;

static uint32_t compute_mxcsr_mask(void) {
    /* FXSAVE's MXCSR_MASK (bytes 28..31); 0 means the architectural default 0xFFBF. */
    unsigned char area[512] __attribute__((aligned(16))) = {0};
    __asm__ __volatile__("fxsave64 %0" : "=m"(area));
    uint32_t mask = (uint32_t)area[28] | (uint32_t)area[29] << 8 | (uint32_t)area[30] << 16 | (uint32_t)area[31] << 24;
    return mask != 0 ? mask : 0xFFBFu;
}

__attribute__((constructor)) static void init_features(void) {
    if (__atomic_load_n(&features.ready, __ATOMIC_ACQUIRE)) {
        return;
    }
    uint32_t a, b, c, d;
    __cpuid_count(1, 0, a, b, c, d);
    int osxsave = (c >> 27) & 1;
    int xsave = (c >> 26) & 1;
    features.osxsave = osxsave && xsave;
    features.xcr0 = features.osxsave ? xgetbv_raw(0) : 0;
    uint32_t max_leaf = __get_cpuid_max(0, NULL);
    if (features.osxsave && max_leaf >= 0xD) {
        __cpuid_count(0xD, 1, a, b, c, d);
        features.xsaveopt = a & 1;
        features.xsavec = (a >> 1) & 1;
    }
    features.mxcsr_mask = compute_mxcsr_mask();
    __atomic_store_n(&features.ready, 1, __ATOMIC_RELEASE);
}

OFFKERN_EXPORT uint64_t offkern_xgetbv(uint32_t xcr) {
    init_features();
    if (!features.osxsave) {
        return 0; /* XGETBV would raise #UD; the Java side never calls it in that case */
    }
    return xgetbv_raw(xcr);
}

/*
 * State components XSAVE/XRSTOR may touch from here: those enabled in XCR0, minus
 *   PKRU (bit 9): restoring it would change the thread's memory protection keys under the JVM;
 *   AMX TILECFG/TILEDATA (bits 17, 18): Linux arms XFD for them until the process asks for
 *   permission, and then touching them raises #NM.
 * The supervisor components (IA32_XSS: CET, PT, ...) are reachable only through XSAVES/XRSTORS,
 * which are privileged (CPL0) and therefore not exposed at all.
 */
#define XSTATE_FORBIDDEN ((1ull << 9) | (1ull << 17) | (1ull << 18))

OFFKERN_EXPORT uint64_t offkern_xsave_allowed_mask(void) {
    init_features();
    return features.xcr0 & ~XSTATE_FORBIDDEN;
}

enum xsave_kind { KIND_XSAVE, KIND_XSAVEOPT, KIND_XSAVEC };

static int xstate_check(const void *area, uint64_t mask, enum xsave_kind kind) {
    init_features();
    if (((uintptr_t)area & 63u) != 0) {
        return OFFKERN_EALIGN;
    }
    int present = kind == KIND_XSAVE ? 1 : kind == KIND_XSAVEOPT ? features.xsaveopt : features.xsavec;
    if (!features.osxsave || !present) {
        return OFFKERN_EUNSUPPORTED;
    }
    if ((mask & ~(features.xcr0 & ~XSTATE_FORBIDDEN)) != 0) {
        return OFFKERN_EMASK;
    }
    return OFFKERN_OK;
}

#define XSAVE_OP(name, insn, kind)                                                                   \
    OFFKERN_EXPORT int name(void *area, uint64_t mask) {                                             \
        int rc = xstate_check(area, mask, kind);                                                     \
        if (rc != OFFKERN_OK) {                                                                      \
            return rc;                                                                               \
        }                                                                                            \
        __asm__ __volatile__(insn " (%0)" : : "r"(area), "a"((uint32_t)mask), "d"((uint32_t)(mask >> 32)) \
                             : "memory");                                                            \
        return OFFKERN_OK;                                                                           \
    }

XSAVE_OP(offkern_xsave, "xsave64", KIND_XSAVE)
XSAVE_OP(offkern_xsaveopt, "xsaveopt64", KIND_XSAVEOPT)
XSAVE_OP(offkern_xsavec, "xsavec64", KIND_XSAVEC)

/*
 * XRSTOR raises #GP (a crash here) on a malformed area; refuse those instead:
 *   - MXCSR (bytes 24..27) with a bit outside MXCSR_MASK, when SSE or AVX state is requested;
 *   - standard form (XCOMP_BV bit 63 clear): XSTATE_BV naming a component not in XCR0, or
 *     header bytes 8..63 not zero;
 *   - compacted form: no XSAVEC support, XCOMP_BV naming a component not in XCR0, XSTATE_BV not
 *     a subset of XCOMP_BV, or header bytes 16..63 not zero.
 * The header is the 64 bytes at offset 512.
 */
static int xrstor_header_ok(const unsigned char *area, uint64_t mask) {
    const uint64_t *hdr = (const uint64_t *)(area + 512);
    uint64_t xstate_bv = hdr[0], xcomp_bv = hdr[1];
    if ((mask & 0x6) != 0) {
        uint32_t mxcsr = *(const uint32_t *)(area + 24);
        if ((mxcsr & ~features.mxcsr_mask) != 0) {
            return 0;
        }
    }
    for (int i = 2; i < 8; i++) {
        if (hdr[i] != 0) {
            return 0;
        }
    }
    if ((xcomp_bv >> 63) == 0) {
        return xcomp_bv == 0 && (xstate_bv & ~features.xcr0) == 0;
    }
    uint64_t comp = xcomp_bv & ~(1ull << 63);
    return features.xsavec && (comp & ~features.xcr0) == 0 && (xstate_bv & ~comp) == 0;
}

OFFKERN_EXPORT int offkern_xrstor(void *area, uint64_t mask) {
    int rc = xstate_check(area, mask, KIND_XSAVE);
    if (rc != OFFKERN_OK) {
        return rc;
    }
    if (!xrstor_header_ok(area, mask)) {
        return OFFKERN_EHEADER;
    }
    __asm__ __volatile__("xrstor64 (%0)" : : "r"(area), "a"((uint32_t)mask), "d"((uint32_t)(mask >> 32)) : "memory");
    return OFFKERN_OK;
}

/* ------------------------------------------------------------------------------------------ */
/* FXSAVE / FXRSTOR: the legacy (x87 + SSE) state where XSAVE is unavailable                  */
/* ------------------------------------------------------------------------------------------ */

/*
 * FXSAVE/FXRSTOR are part of every x86-64 CPU (CPUID.01H:EDX.FXSR is architectural there), so
 * only the area is checked: 16-byte aligned (else #GP), and for FXRSTOR an MXCSR (bytes 24..27)
 * inside MXCSR_MASK (else #GP). The area is 512 bytes; the Java side checks its size and
 * writability before calling.
 */
OFFKERN_EXPORT int offkern_fxsave(void *area) {
    init_features();
    if (((uintptr_t)area & 15u) != 0) {
        return OFFKERN_EALIGN;
    }
    __asm__ __volatile__("fxsave64 (%0)" : : "r"(area) : "memory");
    return OFFKERN_OK;
}

OFFKERN_EXPORT int offkern_fxrstor(void *area) {
    init_features();
    if (((uintptr_t)area & 15u) != 0) {
        return OFFKERN_EALIGN;
    }
    uint32_t mxcsr = *(const uint32_t *)((const unsigned char *)area + 24);
    if ((mxcsr & ~features.mxcsr_mask) != 0) {
        return OFFKERN_EHEADER;
    }
    __asm__ __volatile__("fxrstor64 (%0)" : : "r"(area) : "memory");
    return OFFKERN_OK;
}

/* ------------------------------------------------------------------------------------------ */
/* MXCSR and the x87 control word                                                              */
/* ------------------------------------------------------------------------------------------ */

OFFKERN_EXPORT uint32_t offkern_stmxcsr(void) {
    uint32_t v;
    __asm__ __volatile__("stmxcsr %0" : "=m"(v));
    return v;
}

OFFKERN_EXPORT uint32_t offkern_mxcsr_mask(void) {
    init_features();
    return features.mxcsr_mask;
}

/* LDMXCSR raises #GP for a bit outside MXCSR_MASK: such a value is ignored (the Java side rejects
 * it before calling, with a message). */
OFFKERN_EXPORT void offkern_ldmxcsr(uint32_t v) {
    init_features();
    if ((v & ~features.mxcsr_mask) != 0) {
        return;
    }
    __asm__ __volatile__("ldmxcsr %0" : : "m"(v));
}

OFFKERN_EXPORT uint16_t offkern_fnstcw(void) {
    uint16_t v;
    __asm__ __volatile__("fnstcw %0" : "=m"(v));
    return v;
}

OFFKERN_EXPORT void offkern_fldcw(uint16_t v) {
    __asm__ __volatile__("fldcw %0" : : "m"(v));
}

OFFKERN_EXPORT uint32_t offkern_shim_abi_version(void) {
    return OFFKERN_ABI_VERSION;
}
