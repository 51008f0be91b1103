/*
 * offkern granule map: which memory the shim may dereference, and the grace periods that let a
 * region be removed (and then unmapped) while other threads are inside the shim.
 *
 * The Java side (dev.offkern.shim.GranuleTable, owned by runtime-core's mm.AddressSpace) inserts a
 * range for every region the runtime may dereference and removes it before the memory is unmapped.
 * Every shim routine that dereferences an address it did not get from the JVM as a live segment
 * (an SLIST header, an entry, a link read from memory, a raw CAS target) first asks the map whether
 * the whole access lies in mapped memory, inside the same call (see "Two kinds of reader").
 *
 * Table: open addressing (linear probing) over 32-byte slots, one slot per (range, 64 KiB granule)
 * pair: a range touching k granules has k slots, keyed by the granule, each holding the whole range,
 * so that a lookup is one hash of the address's granule and, almost always, one slot, and the range it
 * finds covers every access inside the range (even one crossing a granule boundary). Several ranges
 * may share a granule (small embedder segments): they are separate slots with the same key and a
 * lookup checks each. Capacity is a power of two and at most half the slots are in use (live or
 * tombstone), so every probe ends at an empty slot.
 *
 *   slot: key (granule + 1; 0 empty; UINT64_MAX tombstone) | lo | hi | (pad)     [lo, hi): the whole range
 *
 * Most checks make no lookup at all: each thread caches the two ranges its lookups found last, valid
 * until the next removal from the map (see "Reuse across calls" and offkern_check16 below); a hit is
 * one subtraction and one compare per range.
 *
 * Publication: a writer fills lo and hi, then stores key with release ordering; a reader loads key
 * with acquire ordering, then lo and hi. Removal stores the tombstone, then waits for a grace period
 * (below) before the memory is unmapped and before the slot or a replaced table is reused or freed, so
 * that no reader can still be looking at the old contents.
 *
 * Two kinds of reader, two halves of the grace period.
 *
 *   Critical calls (every shim routine the Java bindings reach through a Linker.Option.critical
 *   downcall: the SLIST routines and both CAS forms) enter no section: they make no store for it. A
 *   critical downcall does not change the calling thread's state (HotSpot keeps it _thread_in_Java and
 *   the stub has no safepoint poll), so no safepoint and no handshake can complete for that thread while
 *   it is inside one. The Java writer (dev.offkern.shim.GranuleTable) therefore splits a removal:
 *   offkern_map_remove_begin / offkern_map_clear_begin (tombstones or the empty table, then a new
 *   epoch), then a JVM-wide handshake (closing a fresh shared arena), then offkern_map_reclaim (below).
 *   Every critical call that could have seen the old contents was running when the handshake reached
 *   its thread, and the handshake waited for it to return; every later call sees the new epoch and the
 *   tombstones (the ordering argument is at GranuleTable.awaitCriticalCalls).
 *
 *   Sectioned readers (offkern_map_covers, bound as an ordinary downcall, which runs in the
 *   _thread_in_native state and so does not hold off a handshake; and C callers such as the tests'
 *   reader threads) use read-side sections, the "memb" flavour of userspace RCU: every such thread owns
 *   a reader slot whose `state` counter is odd while it is inside a section. Entering is a plain store
 *   plus a compiler barrier; leaving is a release store. offkern_map_reclaim (and the one-step
 *   offkern_map_remove / offkern_map_clear, which only C callers use) waits for them:
 *   membarrier(MEMBARRIER_CMD_PRIVATE_EXPEDITED) makes every running thread of the process execute a
 *   full barrier, which supplies the store-load ordering the readers omit (a reader either saw the
 *   tombstone, or its odd state is visible to the writer); the writer then waits until every slot that
 *   was odd has changed. On a kernel without membarrier, sectioned readers fence themselves
 *   (`offkern_reader_fence`), which costs one locked instruction per section.
 *
 * A table replaced by an insert that grew it (or by a clear) is not freed at once: it goes on the
 * map's retired list, and offkern_map_reclaim frees the tables retired before the last *_begin, after
 * both halves of the grace period.
 *
 * Writers (insert, *_begin, reclaim, remove, clear) are serialized by the map's mutex; reclaim, remove
 * and clear block (grace period). Between a *_begin and its reclaim no insert may run (the Java side
 * holds its writer lock across the three steps; insert refuses with MAP_EBUSY otherwise), so a tombstone
 * is reused only after its grace period.
 */
#ifndef OFFKERN_MAP_H
#define OFFKERN_MAP_H

#include <pthread.h>
#include <stdint.h>
#include <stddef.h>

#define OFFKERN_GRANULE_SHIFT 16
#define OFFKERN_KEY_EMPTY     0ull
#define OFFKERN_KEY_TOMBSTONE UINT64_MAX

struct offkern_slot {
    uint64_t key; /* atomic: release store by the writer, acquire load by readers */
    uint64_t lo;  /* atomic relaxed; written before key is published */
    uint64_t hi;  /* atomic relaxed; exclusive end */
    uint64_t pad;
};

struct offkern_table {
    uint64_t mask;  /* capacity - 1 */
    uint32_t shift; /* 64 - log2(capacity): the hash keeps the top bits */
    uint32_t unused;
    struct offkern_table *retired_next; /* writer only: the map's retired list */
    uint64_t used;  /* live + tombstones (writer only) */
    uint64_t live;  /* live slots (writer only) */
    struct offkern_slot slots[];
};

/*
 * A thread's read-side slot: state is odd inside a section. One cache line each, written only by its
 * thread (the writers read `state`).
 *
 * The range cache (owner only). Two ranges the thread's lookups found, and the map epoch they were
 * found under (see "Reuse across calls" below). A 16-byte access at a is inside entry i iff
 * a - lo[i] <= span[i] (unsigned), with span = hi - lo - 16: one subtraction and one compare, and it
 * also rejects a == 0 and every a < lo (the difference wraps to a huge value). An empty entry has
 * lo = OFFKERN_CACHE_EMPTY_LO and span 0, which only a == UINT64_MAX could pass, and that is neither
 * 16-byte aligned nor inside any 16-byte access. Ranges shorter than 16 bytes are never cached.
 */
#define OFFKERN_CACHE_EMPTY_LO UINT64_MAX

struct offkern_reader {
    uint64_t state; /* atomic: sections only (sectioned readers); critical calls never write it */
    int owned;      /* atomic: 1 while a live thread owns the slot */
    uint32_t cache_victim; /* owner only: the entry the next cached range replaces */
    uint32_t calls;        /* owner only: critical calls made, for the safepoint-poll request */
    struct offkern_reader *next;
    uint64_t cache_epoch;   /* owner only */
    uint64_t cache_lo[2];   /* owner only */
    uint64_t cache_span[2]; /* owner only */
} __attribute__((aligned(64)));

/* The map a Java GranuleTable owns; `table` is replaced when the table grows or is cleared. */
struct offkern_map {
    struct offkern_table *table; /* atomic: release store by writers, acquire load by readers */
    uint64_t epoch;              /* atomic: a process-unique value, replaced after every removal */
    pthread_mutex_t lock;        /* serializes writers */
    struct offkern_table *retired; /* writer only: replaced tables, not yet in a grace period */
    struct offkern_table *pending; /* writer only: retired before the last *_begin; freed by reclaim */
    int grace_pending;             /* writer only: a *_begin awaits its reclaim */
};

extern int offkern_reader_fence;
extern __thread struct offkern_reader *offkern_current_reader __attribute__((tls_model("initial-exec")));
struct offkern_reader *offkern_reader_attach(void);

/* The current table; call inside a critical call or a section (either keeps it from being freed). */
static inline const struct offkern_table *offkern_map_table(const struct offkern_map *map) {
    return __atomic_load_n(&map->table, __ATOMIC_ACQUIRE); /* pairs with the writers' release store */
}

/* Enters a section on the calling thread's (attached) reader slot. */
static inline __attribute__((always_inline)) void offkern_enter_reader(struct offkern_reader *r) {
    /* Plain (relaxed) store: the odd state announces the section. The store-load ordering against
     * the loads that follow (epoch, table) comes from the writer's membarrier (or, without it, the fence). */
    __atomic_store_n(&r->state, __atomic_load_n(&r->state, __ATOMIC_RELAXED) + 1, __ATOMIC_RELAXED);
    if (__builtin_expect(offkern_reader_fence, 0)) {
        __atomic_thread_fence(__ATOMIC_SEQ_CST);
    } else {
        __atomic_signal_fence(__ATOMIC_SEQ_CST); /* compiler barrier: no epoch or table load moves above */
    }
}

static inline struct offkern_reader *offkern_enter(void) {
    struct offkern_reader *r = offkern_current_reader;
    if (__builtin_expect(r == NULL, 0)) {
        r = offkern_reader_attach();
    }
    offkern_enter_reader(r);
    return r;
}

/* The calling thread's reader slot, attached on its first call; no section (critical calls). */
static inline __attribute__((always_inline)) struct offkern_reader *offkern_reader(void) {
    struct offkern_reader *r = offkern_current_reader;
    if (__builtin_expect(r == NULL, 0)) {
        r = offkern_reader_attach();
    }
    return r;
}

static inline void offkern_leave(struct offkern_reader *r) {
    /* Release: every access made in the section happens-before a writer's acquire load that sees the
     * even state, so the writer frees or unmaps only after them. */
    __atomic_store_n(&r->state, __atomic_load_n(&r->state, __ATOMIC_RELAXED) + 1, __ATOMIC_RELEASE);
}

/*
 * Safepoint polls. HotSpot's C2 treats a critical downcall as a call that polls for safepoints on
 * return, and removes the poll of a loop whose every iteration makes one; the critical stub does not
 * poll. A Java loop that does nothing but call these routines (a spin on an empty SLIST) would then
 * hold off every safepoint and handshake (GC, closing a shared arena: Kernel.close(), and the
 * handshake of every GranuleTable removal, see above) for as long as it spins. So every
 * OFFKERN_POLL_PERIOD-th critical call of a thread returns a poll request to the Java binding, which
 * answers it with an ordinary (transitioning, hence polling) downcall. This has nothing to do with the
 * sections (it used to count them); it counts the thread's critical calls in `calls`, one load and one
 * plain store. The fast paths count before their locked instruction: a load after a locked instruction
 * waits for it, and the result would then wait for that load (measured: ~0.35 ns per call less than
 * counting after the cmpxchg16b).
 */
#define OFFKERN_POLL_PERIOD 64u

/* Counts one critical call of r's thread; whether it should ask Java for a safepoint poll. */
static inline __attribute__((always_inline)) int offkern_poll_due(struct offkern_reader *r) {
    uint32_t n = r->calls + 1;
    r->calls = n; /* owner only: plain */
    return (n & (OFFKERN_POLL_PERIOD - 1)) == 0;
}

static inline uint64_t offkern_slot_index(const struct offkern_table *t, uint64_t key) {
    return (key * 0x9E3779B97F4A7C15ull) >> t->shift;
}

/*
 * Reuse across calls. A range a lookup found stays mapped for later calls of the same thread as long as
 * nothing was removed from the map since. Writers replace the map's epoch (with a value no map ever
 * had) after clearing slots and before the grace period. A call loads the epoch first, before any table
 * load (offkern_call_open), and uses the thread's cached ranges only if they were found under that same
 * epoch; it empties the cache otherwise. Either the call sees the new epoch (and so, by
 * acquire/release, the cleared slots and the new table), or it started before the writer's epoch store
 * and the grace period waits for it to end before anything is unmapped (a critical call: the
 * handshake; a sectioned one: its section began before the barrier).
 *
 * The order matters. offkern_map_clear_begin publishes the empty table and then the new epoch
 * (release); a call that loaded the table before the epoch could get the old table and the new epoch,
 * find a range in the old table and cache it under the new epoch: the next call would reuse a range of
 * the cleared map after the memory was unmapped. Loading the epoch first (acquire) means a call that
 * sees the new epoch also sees the new table and the cleared slots, and a call that sees the old epoch
 * caches under an epoch that never comes back. Every table load of a call (offkern_lookup16) follows
 * its epoch load.
 *
 * Since epochs are process-unique, a cache filled under one map's epoch is never used with another map.
 */
static inline uint64_t offkern_map_epoch(const struct offkern_map *map) {
    return __atomic_load_n(&map->epoch, __ATOMIC_ACQUIRE); /* pairs with the writers' release store */
}

/* Test builds define this to widen the window between a call's epoch load and its table load. */
#ifndef OFFKERN_MAP_BEGIN_HOOK
#define OFFKERN_MAP_BEGIN_HOOK(map) ((void)(map))
#endif

/* One shim call: its reader slot (a section entered only for sectioned readers), the map, and the
 * epoch it loaded. */
struct offkern_call {
    struct offkern_reader *r;
    const struct offkern_map *map;
    uint64_t epoch;
};

/* Loads the map's epoch (inside the section for a sectioned reader; before any table load: see above)
 * and empties the thread's cache if it was filled under another epoch. */
static inline __attribute__((always_inline)) struct offkern_call offkern_call_open(struct offkern_reader *r,
                                                                                 const struct offkern_map *map) {
    struct offkern_call c;
    c.r = r;
    c.map = map;
    c.epoch = offkern_map_epoch(map); /* acquire, after a section's entry, before every table load */
    if (__builtin_expect(r->cache_epoch != c.epoch, 0)) {
        r->cache_epoch = c.epoch;
        r->cache_lo[0] = r->cache_lo[1] = OFFKERN_CACHE_EMPTY_LO;
        r->cache_span[0] = r->cache_span[1] = 0;
    }
    return c;
}

/* A sectioned reader's call: enters a section and opens a call on map (offkern_call_open). */
static inline __attribute__((always_inline)) struct offkern_call offkern_call_begin(const struct offkern_map *map) {
    return offkern_call_open(offkern_enter(), map);
}

/* A critical call (see "Two kinds of reader"): opens a call on map without a section. */
static inline __attribute__((always_inline)) struct offkern_call offkern_call_critical(const struct offkern_map *map) {
    return offkern_call_open(offkern_reader(), map);
}

/* Whether [a, a + 16) lies inside one of the thread's cached ranges (any alignment). */
static inline __attribute__((always_inline)) int offkern_cache_covers16(const struct offkern_reader *r, uint64_t a) {
    return (a - r->cache_lo[0] <= r->cache_span[0]) | (a - r->cache_lo[1] <= r->cache_span[1]);
}

/*
 * The slot of a's granule whose range holds [a, a + n) (n >= 1): its bounds in *lo, *hi. A slot holds
 * a whole inserted range (each granule the range touches has a slot with the same bounds), so an
 * access that crosses a granule boundary inside one range is found with one lookup.
 */
static inline int offkern_table_find(const struct offkern_table *t, uint64_t a, uint64_t n, uint64_t *lo_out,
                                     uint64_t *hi_out) {
    uint64_t key = (a >> OFFKERN_GRANULE_SHIFT) + 1;
    uint64_t i = offkern_slot_index(t, key);
    for (;;) {
        const struct offkern_slot *s = &t->slots[i];
        uint64_t k = __atomic_load_n(&s->key, __ATOMIC_ACQUIRE); /* pairs with the writer's release */
        if (k == OFFKERN_KEY_EMPTY) {
            return 0;
        }
        if (k == key) {
            uint64_t lo = __atomic_load_n(&s->lo, __ATOMIC_RELAXED);
            uint64_t hi = __atomic_load_n(&s->hi, __ATOMIC_RELAXED);
            if (a >= lo && a < hi && hi - a >= n) {
                *lo_out = lo;
                *hi_out = hi;
                return 1;
            }
        }
        i = (i + 1) & t->mask;
    }
}

/*
 * The slow path of offkern_check16 / offkern_check16_any: a table lookup (the table loaded now, after
 * the call's epoch load in offkern_call_open), and on success the range goes into the thread's cache,
 * under that epoch (offkern_call_open stored it). Kept out of line so that the hot path stays small.
 */
static __attribute__((noinline, unused)) int offkern_lookup16(struct offkern_reader *r, const struct offkern_map *map,
                                                              uint64_t a) {
    OFFKERN_MAP_BEGIN_HOOK(map);
    const struct offkern_table *t = offkern_map_table(map); /* acquire; after the call's epoch load */
    uint64_t lo, hi;
    if (a == 0 || !offkern_table_find(t, a, 16, &lo, &hi)) {
        return 0;
    }
    uint32_t v = r->cache_victim;
    r->cache_lo[v] = lo;
    r->cache_span[v] = hi - lo - 16; /* hi - lo >= 16: the range holds [a, a + 16) */
    r->cache_victim = v ^ 1u;
    return 1;
}

/*
 * The fast paths' check (no lookup): whether the thread's cache, valid for the map's current epoch
 * (the caller compared r->cache_epoch with an epoch it loaded in this call), holds the 16 bytes
 * at a, 16-byte aligned. A miss sends the caller to its slow path, which starts the operation over
 * with offkern_check16.
 */
static inline __attribute__((always_inline)) int offkern_cache_check16(const struct offkern_reader *r, uint64_t a) {
    return ((a & 15u) == 0) & offkern_cache_covers16(r, a);
}

/* Whether the 16 bytes at a are 16-byte aligned and mapped (an SLIST header or entry, a CAS target). */
static inline __attribute__((always_inline)) int offkern_check16(struct offkern_call *c, uint64_t a) {
    if (__builtin_expect((a & 15u) != 0, 0)) {
        return 0;
    }
    if (__builtin_expect(offkern_cache_covers16(c->r, a), 1)) {
        return 1; /* inside a range found since the last removal: still mapped (see above) */
    }
    return offkern_lookup16(c->r, c->map, a);
}

/* Whether the 16 bytes at a (any alignment) are mapped (the CAS's witness). */
static inline __attribute__((always_inline)) int offkern_check16_any(struct offkern_call *c, uint64_t a) {
    if (__builtin_expect(offkern_cache_covers16(c->r, a), 1)) {
        return 1;
    }
    return offkern_lookup16(c->r, c->map, a);
}

/* Whether [a, a + n) is mapped (n >= 1), range by range (adjacent ranges may share the access). */
static inline int offkern_covers(const struct offkern_table *t, uint64_t a, uint64_t n) {
    if (n == 0 || a + n < a) {
        return 0;
    }
    for (;;) {
        /* The range holding a, whatever its end: first the whole rest, else as much as the range has. */
        uint64_t lo, hi;
        if (offkern_table_find(t, a, n, &lo, &hi)) {
            return 1;
        }
        if (!offkern_table_find(t, a, 1, &lo, &hi)) {
            return 0;
        }
        n -= hi - a; /* hi - a < n: the access continues at hi */
        a = hi;
    }
}

#endif
