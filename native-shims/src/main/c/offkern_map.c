/*
 * offkern granule map: the writer side (create, insert, remove, clear, the sectioned half of the grace
 * period, reclamation) and the registry of per-thread reader slots. The data structure and the read side are described in
 * offkern_map.h.
 */
#define _GNU_SOURCE
#include "offkern_map.h"

#include <linux/membarrier.h>
#include <pthread.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#define OFFKERN_EXPORT __attribute__((visibility("default")))

/* Status codes of the map routines (negative), shared with dev.offkern.shim.GranuleTable. */
#define MAP_OK         0
#define MAP_ENOMEM   (-1) /* the table could not grow */
#define MAP_ERANGE   (-2) /* empty range, or one that wraps around the address space */
#define MAP_ENOENT   (-3) /* remove: no such range in the map */
#define MAP_EBUSY    (-4) /* insert between a *_begin and its reclaim (a caller's protocol error) */

/* ------------------------------------------------------------------------------------------ */
/* Reader slots                                                                                */
/* ------------------------------------------------------------------------------------------ */

int offkern_reader_fence;
__thread struct offkern_reader *offkern_current_reader __attribute__((tls_model("initial-exec")));

static struct offkern_reader *readers; /* atomic: lock-free push-only list; slots are never freed */
static pthread_key_t reader_key;
static pthread_once_t reader_key_once = PTHREAD_ONCE_INIT;

/* Thread exit: the slot is outside any section (state even); hand it to a later thread. */
static void reader_release(void *slot) {
    struct offkern_reader *r = slot;
    __atomic_store_n(&r->owned, 0, __ATOMIC_RELEASE);
}

static void reader_key_create(void) {
    pthread_key_create(&reader_key, reader_release);
}

/* First section of a thread: claim a released slot or add a new one (the only allocation). */
struct offkern_reader *offkern_reader_attach(void) {
    pthread_once(&reader_key_once, reader_key_create);
    struct offkern_reader *r;
    for (r = __atomic_load_n(&readers, __ATOMIC_ACQUIRE); r != NULL; r = r->next) {
        int expected = 0;
        if (__atomic_compare_exchange_n(&r->owned, &expected, 1, 0, __ATOMIC_ACQ_REL, __ATOMIC_RELAXED)) {
            break;
        }
    }
    if (r == NULL) {
        r = aligned_alloc(64, sizeof *r);
        if (r == NULL) {
            abort(); /* 64 bytes once per thread; nothing sensible is left to do */
        }
        memset(r, 0, sizeof *r);
        r->owned = 1;
        struct offkern_reader *head = __atomic_load_n(&readers, __ATOMIC_RELAXED);
        do {
            r->next = head;
        } while (!__atomic_compare_exchange_n(&readers, &head, r, 1, __ATOMIC_RELEASE, __ATOMIC_RELAXED));
    }
    pthread_setspecific(reader_key, r);
    offkern_current_reader = r;
    return r;
}

static int membarrier_expedited;
static uint64_t epoch_source; /* atomic: every epoch any map ever had comes from here, once */

/* Gives m an epoch no map has had (release: after the slots it follows were cleared). */
static void new_epoch(struct offkern_map *m) {
    __atomic_store_n(&m->epoch, __atomic_add_fetch(&epoch_source, 1, __ATOMIC_RELAXED), __ATOMIC_RELEASE);
}
static struct offkern_table *table_new(uint64_t capacity);
/* The table of a new or cleared map, shared by all maps and never written: every lookup misses. */
static struct offkern_table *empty;

__attribute__((constructor)) static void map_init(void) {
    empty = table_new(16);
    if (empty == NULL) {
        abort();
    }
    long cmds = syscall(SYS_membarrier, MEMBARRIER_CMD_QUERY, 0, 0);
    if (cmds > 0 && (cmds & MEMBARRIER_CMD_PRIVATE_EXPEDITED)
            && syscall(SYS_membarrier, MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED, 0, 0) == 0) {
        membarrier_expedited = 1;
    } else {
        offkern_reader_fence = 1; /* readers pay for the store-load fence themselves */
    }
}

/*
 * The sectioned half of a grace period: returns once every section that was running when it was
 * called has ended, so nothing removed before the call can still be dereferenced by a sectioned reader.
 * Critical calls (offkern_map.h, "Two kinds of reader") are waited for by the Java side's handshake.
 */
static void synchronize(void) {
    if (membarrier_expedited) {
        /* Every running thread of the process executes a full barrier: a reader whose odd state we
         * do not see below had not loaded the table yet, and will see the tombstones. */
        syscall(SYS_membarrier, MEMBARRIER_CMD_PRIVATE_EXPEDITED, 0, 0);
    }
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
    for (struct offkern_reader *r = __atomic_load_n(&readers, __ATOMIC_ACQUIRE); r != NULL; r = r->next) {
        uint64_t s = __atomic_load_n(&r->state, __ATOMIC_ACQUIRE); /* pairs with offkern_leave's release */
        if ((s & 1) == 0) {
            continue;
        }
        for (unsigned spins = 0; __atomic_load_n(&r->state, __ATOMIC_ACQUIRE) == s; spins++) {
            if (spins < 1000) {
                __builtin_ia32_pause();
            } else {
                sched_yield(); /* a section is a few hundred instructions; its thread was preempted */
            }
        }
    }
}

/* ------------------------------------------------------------------------------------------ */
/* Table                                                                                       */
/* ------------------------------------------------------------------------------------------ */

static struct offkern_table *empty_table(void) {
    return empty;
}

static struct offkern_table *table_new(uint64_t capacity) {
    unsigned bits = 0;
    while ((1ull << bits) < capacity) {
        bits++;
    }
    if (bits < 4) {
        bits = 4;
    }
    struct offkern_table *t = calloc(1, sizeof *t + (sizeof(struct offkern_slot) << bits));
    if (t != NULL) {
        t->mask = (1ull << bits) - 1;
        t->shift = 64 - bits;
    }
    return t;
}

static void table_free(struct offkern_table *t) {
    if (t != empty_table()) {
        free(t);
    }
}

/* Puts the range [lo, hi) into t under granule key (the writer's view: no concurrent writer). */
static void table_put(struct offkern_table *t, uint64_t key, uint64_t lo, uint64_t hi) {
    for (uint64_t i = offkern_slot_index(t, key);; i = (i + 1) & t->mask) {
        struct offkern_slot *s = &t->slots[i];
        uint64_t k = __atomic_load_n(&s->key, __ATOMIC_RELAXED); /* only this writer stores keys */
        if (k == OFFKERN_KEY_EMPTY || k == OFFKERN_KEY_TOMBSTONE) {
            /* A tombstone is reusable: its removal ended with a grace period, so no reader still
             * holds the old key. Fill, then publish the key (release: pairs with readers' acquire). */
            __atomic_store_n(&s->lo, lo, __ATOMIC_RELAXED);
            __atomic_store_n(&s->hi, hi, __ATOMIC_RELAXED);
            __atomic_store_n(&s->key, key, __ATOMIC_RELEASE);
            if (k == OFFKERN_KEY_EMPTY) {
                t->used++;
            }
            t->live++;
            return;
        }
    }
}

static uint64_t granules(uint64_t base, uint64_t end) {
    return ((end - 1) >> OFFKERN_GRANULE_SHIFT) - (base >> OFFKERN_GRANULE_SHIFT) + 1;
}

/* Puts t on m's retired list: freed by a reclaim after the next *_begin (both halves of a grace period). */
static void retire(struct offkern_map *m, struct offkern_table *t) {
    if (t != empty_table()) {
        t->retired_next = m->retired;
        m->retired = t;
    }
}

static void free_list(struct offkern_table *t) {
    while (t != NULL) {
        struct offkern_table *next = t->retired_next;
        table_free(t);
        t = next;
    }
}

/*
 * Makes room for `more` slots: if live + tombstones + more would pass half the capacity, builds a
 * table with the live slots only (at least four times their count), publishes it and retires the old
 * one (calls in flight may still read it; see retire).
 */
static int reserve(struct offkern_map *m, uint64_t more) {
    struct offkern_table *t = m->table;
    uint64_t capacity = t->mask + 1;
    if (t != empty_table() && (t->used + more) * 2 <= capacity) {
        return MAP_OK;
    }
    struct offkern_table *grown = table_new((t->live + more) * 4);
    if (grown == NULL) {
        return MAP_ENOMEM;
    }
    for (uint64_t i = 0; i <= t->mask && t != empty_table(); i++) {
        uint64_t k = t->slots[i].key;
        if (k != OFFKERN_KEY_EMPTY && k != OFFKERN_KEY_TOMBSTONE) {
            table_put(grown, k, t->slots[i].lo, t->slots[i].hi);
        }
    }
    __atomic_store_n(&m->table, grown, __ATOMIC_RELEASE); /* readers that load it see filled slots */
    retire(m, t);                                         /* calls in flight may still read the old one */
    return MAP_OK;
}

OFFKERN_EXPORT struct offkern_map *offkern_map_create(void) {
    struct offkern_map *m = calloc(1, sizeof *m);
    if (m == NULL) {
        return NULL;
    }
    pthread_mutex_init(&m->lock, NULL);
    m->table = empty_table();
    new_epoch(m);
    return m;
}

/* Adds [base, base + length): published (release) before this returns. */
OFFKERN_EXPORT int offkern_map_insert(struct offkern_map *m, uint64_t base, uint64_t length) {
    uint64_t end = base + length;
    if (length == 0 || end < base) {
        return MAP_ERANGE;
    }
    pthread_mutex_lock(&m->lock);
    int rc = m->grace_pending ? MAP_EBUSY : reserve(m, granules(base, end));
    if (rc == MAP_OK) {
        struct offkern_table *t = m->table;
        for (uint64_t g = base >> OFFKERN_GRANULE_SHIFT; g <= (end - 1) >> OFFKERN_GRANULE_SHIFT; g++) {
            table_put(t, g + 1, base, end); /* every granule's slot holds the whole range */
        }
    }
    pthread_mutex_unlock(&m->lock);
    return rc;
}

/*
 * The first step of a removal (under the lock): tombstones the slots of [base, base + length), exactly
 * as inserted, then replaces the epoch, so that calls that start later neither find the range nor reuse
 * a cached copy of it; the retired tables become pending (freed by the reclaim that ends this grace
 * period).
 */
static int remove_locked(struct offkern_map *m, uint64_t base, uint64_t end) {
    struct offkern_table *t = m->table;
    int rc = MAP_OK;
    for (uint64_t g = base >> OFFKERN_GRANULE_SHIFT; g <= (end - 1) >> OFFKERN_GRANULE_SHIFT; g++) {
        uint64_t lo = base, hi = end;
        int found = 0;
        for (uint64_t i = offkern_slot_index(t, g + 1); t != empty_table(); i = (i + 1) & t->mask) {
            struct offkern_slot *s = &t->slots[i];
            if (s->key == OFFKERN_KEY_EMPTY) {
                break;
            }
            if (s->key == g + 1 && s->lo == lo && s->hi == hi) {
                __atomic_store_n(&s->key, OFFKERN_KEY_TOMBSTONE, __ATOMIC_RELEASE);
                t->live--;
                found = 1;
                break;
            }
        }
        if (!found) {
            rc = MAP_ENOENT;
        }
    }
    new_epoch(m); /* after the tombstones: threads' cached ranges (offkern_check16) stop being reused */
    return rc;
}

/* The first step of a clear (under the lock): publishes the empty table, retires the old one, and
 * replaces the epoch (after the table: see offkern_map.h, "Reuse across calls"). */
static void clear_locked(struct offkern_map *m) {
    struct offkern_table *t = m->table;
    __atomic_store_n(&m->table, empty_table(), __ATOMIC_RELEASE);
    retire(m, t);
    new_epoch(m);
}

/* Starts a grace period (under the lock): what is retired now is freed by its reclaim. */
static void begin_locked(struct offkern_map *m) {
    struct offkern_table *last = m->retired;
    if (last != NULL) {
        while (last->retired_next != NULL) {
            last = last->retired_next;
        }
        last->retired_next = m->pending;
        m->pending = m->retired;
        m->retired = NULL;
    }
    m->grace_pending = 1;
}

/* Ends a grace period (under the lock): waits for the sections, then frees the pending tables. */
static void reclaim_locked(struct offkern_map *m) {
    synchronize();
    free_list(m->pending);
    m->pending = NULL;
    m->grace_pending = 0;
}

/* Removal or clear under the lock: the first step, and the last one too when `reclaim` is set. A
 * clear when `clear` is set, else the removal of [base, base + length). */
static int remove_steps(struct offkern_map *m, int clear, uint64_t base, uint64_t length, int reclaim) {
    uint64_t end = base + length;
    if (!clear && (length == 0 || end < base)) {
        return MAP_ERANGE;
    }
    pthread_mutex_lock(&m->lock);
    int rc = MAP_OK;
    if (clear) {
        clear_locked(m);
    } else {
        rc = remove_locked(m, base, end);
    }
    begin_locked(m);
    if (reclaim) {
        reclaim_locked(m);
    }
    pthread_mutex_unlock(&m->lock);
    return rc;
}

/*
 * Removal in three steps, for the Java side (dev.offkern.shim.GranuleTable), whose readers are critical
 * downcalls: offkern_map_remove_begin (tombstones, epoch), a JVM-wide handshake that waits for every
 * critical call in flight, then offkern_map_reclaim (the sections, then the retired tables). When
 * reclaim returns, no shim routine is dereferencing the range and the caller may unmap it. No insert
 * may come between begin and reclaim (it is refused with MAP_EBUSY).
 */
OFFKERN_EXPORT int offkern_map_remove_begin(struct offkern_map *m, uint64_t base, uint64_t length) {
    return remove_steps(m, 0, base, length, 0);
}

/* As offkern_map_remove_begin, for every range at once (readers see an empty map). */
OFFKERN_EXPORT void offkern_map_clear_begin(struct offkern_map *m) {
    remove_steps(m, 1, 0, 0, 0);
}

/* The last step of a removal or clear: call after the handshake (see offkern_map_remove_begin). */
OFFKERN_EXPORT void offkern_map_reclaim(struct offkern_map *m) {
    pthread_mutex_lock(&m->lock);
    reclaim_locked(m);
    pthread_mutex_unlock(&m->lock);
}

/*
 * Removes [base, base + length) (exactly as inserted) and waits for the sectioned half of a grace
 * period: for callers whose readers all use sections (C code, such as the tests' reader threads). A
 * map read by critical downcalls must use the three steps above instead.
 */
OFFKERN_EXPORT int offkern_map_remove(struct offkern_map *m, uint64_t base, uint64_t length) {
    return remove_steps(m, 0, base, length, 1);
}

/* Removes everything (readers see an empty map), as offkern_map_remove: for sectioned readers only. */
OFFKERN_EXPORT void offkern_map_clear(struct offkern_map *m) {
    remove_steps(m, 1, 0, 0, 1);
}

/* Frees the map; the caller guarantees nothing can call in with it any more (the Java object is gone,
 * and every call kept it reachable until it returned), so no grace period is needed. */
OFFKERN_EXPORT void offkern_map_destroy(struct offkern_map *m) {
    table_free(m->table);
    free_list(m->retired);
    free_list(m->pending);
    pthread_mutex_destroy(&m->lock);
    free(m);
}

/* Whether [address, address + length) is mapped: the check the SLIST and CAS routines make. A
 * sectioned reader: it is bound as an ordinary downcall, which does not hold off a handshake. */
OFFKERN_EXPORT int offkern_map_covers(const struct offkern_map *m, uint64_t address, uint64_t length) {
    struct offkern_reader *r = offkern_enter();
    int ok = offkern_covers(offkern_map_table(m), address, length);
    offkern_leave(r);
    return ok;
}

/* Live slots (for tests and diagnostics). */
OFFKERN_EXPORT uint64_t offkern_map_slots(struct offkern_map *m) {
    pthread_mutex_lock(&m->lock);
    uint64_t live = m->table->live;
    pthread_mutex_unlock(&m->lock);
    return live;
}

/* Whether grace periods use membarrier (1) or readers fence themselves (0). */
OFFKERN_EXPORT int offkern_map_uses_membarrier(void) {
    return membarrier_expedited;
}
