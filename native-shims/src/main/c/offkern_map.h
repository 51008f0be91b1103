/*
 * offkern granule map: which memory the shim may dereference, and read-side sections that let a
 * region be removed (and then unmapped) while other threads are inside the shim.
 *
 * The Java side (dev.offkern.shim.GranuleTable, owned by runtime-core's mm.AddressSpace) inserts a
 * range for every region the runtime may dereference and removes it before the memory is unmapped.
 * Every shim routine that dereferences an address it did not get from the JVM as a live segment
 * (an SLIST header, an entry, a link read from memory, a raw CAS target) first asks the map whether
 * the whole access lies in mapped memory, inside a read-side section.
 *
 * Table: open addressing (linear probing) over 32-byte slots, one slot per (range, 64 KiB granule)
 * pair: a range touching k granules has k slots, each holding the range clipped to its granule, so
 * that a lookup of an access that stays inside one granule (every 16-byte aligned access does) is one
 * hash and, almost always, one slot. Several ranges may share a granule (small embedder segments):
 * they are separate slots with the same key and a lookup checks each. Capacity is a power of two and
 * at most half the slots are in use (live or tombstone), so every probe ends at an empty slot.
 *
 *   slot: key (granule + 1; 0 empty; UINT64_MAX tombstone) | lo | hi | (pad)     [lo, hi) in the granule
 *
 * Publication: a writer fills lo and hi, then stores key with release ordering; a reader loads key
 * with acquire ordering, then lo and hi. Removal stores the tombstone, then waits for a grace period
 * (below) before returning, so a slot is reused, and memory unmapped, only once no reader can still
 * be looking at the old contents.
 *
 * Read-side sections and grace periods (the "memb" flavour of userspace RCU): every thread that
 * enters the shim owns a reader slot whose `state` counter is odd while it is inside a section.
 * Entering is a plain store plus a compiler barrier; leaving is a release store. A writer that
 * removed ranges calls offkern_map_synchronize(): membarrier(MEMBARRIER_CMD_PRIVATE_EXPEDITED)
 * makes every running thread of the process execute a full barrier, which supplies the store-load
 * ordering the readers omit (a reader either saw the tombstone, or its odd state is visible to the
 * writer); the writer then waits until every slot that was odd has changed. After that no thread
 * can dereference the removed memory. On a kernel without membarrier, readers fence themselves
 * (`offkern_reader_fence`), which costs one locked instruction per section.
 *
 * Writers (insert, remove, clear) are serialized by the map's mutex; they may block (grace period).
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
    uint64_t used;  /* live + tombstones (writer only) */
    uint64_t live;  /* live slots (writer only) */
    struct offkern_slot slots[];
};

/* A thread's read-side slot: state is odd inside a section. One cache line each. */
struct offkern_reader {
    uint64_t state; /* atomic */
    int owned;      /* atomic: 1 while a live thread owns the slot */
    struct offkern_reader *next;
    /* The range the thread's last call found and the map epoch it was found under (owner only):
     * reusable by a later call that reads the same epoch (see offkern_seed / offkern_keep). */
    uint64_t cache_epoch, cache_lo, cache_hi;
} __attribute__((aligned(64)));

/* The map a Java GranuleTable owns; `table` is replaced when the table grows or is cleared. */
struct offkern_map {
    struct offkern_table *table; /* atomic: release store by writers, acquire load by readers */
    uint64_t epoch;              /* atomic: a process-unique value, replaced after every removal */
    pthread_mutex_t lock;        /* serializes writers */
};

extern int offkern_reader_fence;
extern __thread struct offkern_reader *offkern_current_reader __attribute__((tls_model("initial-exec")));
struct offkern_reader *offkern_reader_attach(void);

/* The current table; call inside a section (the section keeps it from being freed). */
static inline const struct offkern_table *offkern_map_table(const struct offkern_map *map) {
    return __atomic_load_n(&map->table, __ATOMIC_ACQUIRE); /* pairs with the writers' release store */
}

static inline struct offkern_reader *offkern_enter(void) {
    struct offkern_reader *r = offkern_current_reader;
    if (__builtin_expect(r == NULL, 0)) {
        r = offkern_reader_attach();
    }
    /* Plain (relaxed) store: the odd state announces the section. The store-load ordering against
     * the table loads that follow comes from the writer's membarrier (or, without it, the fence). */
    __atomic_store_n(&r->state, __atomic_load_n(&r->state, __ATOMIC_RELAXED) + 1, __ATOMIC_RELAXED);
    if (__builtin_expect(offkern_reader_fence, 0)) {
        __atomic_thread_fence(__ATOMIC_SEQ_CST);
    } else {
        __atomic_signal_fence(__ATOMIC_SEQ_CST); /* compiler barrier: no table load moves above */
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
 * hold off every safepoint and handshake (GC, closing a shared arena: Kernel.close()) for as long as
 * it spins. So every OFFKERN_POLL_PERIOD-th section of a thread returns a poll request to the Java
 * binding, which answers it with an ordinary (transitioning, hence polling) downcall.
 */
#define OFFKERN_POLL_PERIOD 64u

/* offkern_leave, returning whether this section should ask Java for a safepoint poll. */
static inline int offkern_leave_poll(struct offkern_reader *r) {
    uint64_t s = __atomic_load_n(&r->state, __ATOMIC_RELAXED) + 1;
    __atomic_store_n(&r->state, s, __ATOMIC_RELEASE); /* as offkern_leave */
    return (s & (2 * OFFKERN_POLL_PERIOD - 1)) == 0;  /* two state steps per section */
}

static inline uint64_t offkern_slot_index(const struct offkern_table *t, uint64_t key) {
    return (key * 0x9E3779B97F4A7C15ull) >> t->shift;
}

/*
 * The range of the slot a section's last successful lookup found. It stays mapped until the section
 * ends (a removal waits for the section), so later checks in the same section that fall inside it
 * (an entry in the header's granule, the next entry of a chain) need no lookup. Start at {0, 0}.
 */
struct offkern_hit {
    uint64_t lo, hi;
};

/*
 * Reuse across calls. A range a call found stays valid for later calls of the same thread as long as
 * nothing was removed from the map since. Writers replace the map's epoch (with a value no map ever
 * had) after clearing slots and before the grace period; a call loads the epoch inside its section,
 * before the table (offkern_map_begin), and starts from the thread's cached range only if it was
 * found under that same epoch. Either the
 * call sees the new epoch (and so, by acquire/release, the cleared slots), or its section began
 * before the grace period's barrier and the writer waits for it to end before anything is unmapped.
 */
static inline uint64_t offkern_map_epoch(const struct offkern_map *map) {
    return __atomic_load_n(&map->epoch, __ATOMIC_ACQUIRE); /* pairs with the writers' release store */
}

static inline void offkern_seed(const struct offkern_reader *r, uint64_t epoch, struct offkern_hit *hit) {
    if (r->cache_epoch == epoch) {
        hit->lo = r->cache_lo;
        hit->hi = r->cache_hi;
    }
}

/* Test builds define this to widen the window between the two loads of offkern_map_begin. */
#ifndef OFFKERN_MAP_BEGIN_HOOK
#define OFFKERN_MAP_BEGIN_HOOK(map) ((void)(map))
#endif

/*
 * Start of a call that caches ranges (inside its section): loads the epoch, THEN the table, and seeds
 * `hit` from the thread's cache. The order matters. offkern_map_clear publishes the empty table and
 * then the new epoch (release); a call that loaded the table first could get the old table and the
 * new epoch, find a range in the old table, and offkern_keep it under the new epoch: the next call
 * would reuse a range of the cleared map after the memory was unmapped. Loading the epoch first
 * (acquire) means a call that sees the new epoch also sees the new table and the cleared slots, and
 * a call that sees the old epoch caches under an epoch that never comes back.
 */
static inline const struct offkern_table *offkern_map_begin(const struct offkern_map *map,
                                                             const struct offkern_reader *r, uint64_t *epoch,
                                                             struct offkern_hit *hit) {
    *epoch = offkern_map_epoch(map); /* acquire, before the table load: see above */
    OFFKERN_MAP_BEGIN_HOOK(map);
    const struct offkern_table *t = offkern_map_table(map);
    offkern_seed(r, *epoch, hit);
    return t;
}

static inline void offkern_keep(struct offkern_reader *r, uint64_t epoch, const struct offkern_hit *hit) {
    if (hit->hi != 0) {
        r->cache_epoch = epoch;
        r->cache_lo = hit->lo;
        r->cache_hi = hit->hi;
    }
}

/* Whether [a, a + n) lies inside one slot of a's granule (n >= 1, the access in one granule). */
static inline int offkern_table_covers_in_granule(const struct offkern_table *t, uint64_t a, uint64_t n,
                                                  struct offkern_hit *hit) {
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
                hit->lo = lo;
                hit->hi = hi;
                return 1;
            }
        }
        i = (i + 1) & t->mask;
    }
}

/* Whether the 16 bytes at a are 16-byte aligned and mapped (an SLIST header or entry, a CAS target). */
static inline int offkern_covers16(const struct offkern_table *t, uint64_t a, struct offkern_hit *hit) {
    if ((a & 15u) != 0 || a == 0) {
        return 0;
    }
    if (a >= hit->lo && a < hit->hi && hit->hi - a >= 16) {
        return 1; /* inside the range this section already found */
    }
    return offkern_table_covers_in_granule(t, a, 16, hit);
}

/* Whether [a, a + n) is mapped, piecewise per granule (n >= 1). */
static inline int offkern_covers(const struct offkern_table *t, uint64_t a, uint64_t n) {
    if (n == 0 || a + n < a) {
        return 0;
    }
    for (;;) {
        uint64_t granule_end = ((a >> OFFKERN_GRANULE_SHIFT) + 1) << OFFKERN_GRANULE_SHIFT; /* 0 at the top */
        uint64_t piece = granule_end == 0 || granule_end - a >= n ? n : granule_end - a;
        struct offkern_hit hit = {0, 0};
        if (!offkern_table_covers_in_granule(t, a, piece, &hit)) {
            return 0;
        }
        if (piece == n) {
            return 1;
        }
        a += piece;
        n -= piece;
    }
}

#endif
