package dev.offkern.tests.fuzz;

import static java.lang.foreign.ValueLayout.JAVA_LONG;

import dev.offkern.ddi.Ex;
import dev.offkern.layout.StructSpec;
import dev.offkern.layout.ex.LOOKASIDE_LIST_EX;
import dev.offkern.layout.ex.SLIST_ENTRY;
import dev.offkern.layout.ke.KEVENT;
import dev.offkern.layout.rtl.LIST_ENTRY;
import dev.offkern.nt.PoolFlags;
import dev.offkern.tests.fuzz.World.Kind;
import java.lang.foreign.MemorySegment;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * SLIST routines on shared and private headers, with entries each thread owns while they are off
 * every list; plus the corruptions of issue 8 case 1 (a listed entry's Next overwritten, a header
 * in recycled pool, an entry freed while listed, a chain whose first entry does not lead to its last).
 */
final class SListOps {
    private SListOps() {
    }

    static final long ENTRY_BLOCK = 32;
    static final long HEADER = 16;

    static List<Op> ops() {
        return List.of(
                Op.of("slist.push", 8, SListOps::push, "InterlockedPushEntrySList", "ExInterlockedPushEntrySList"),
                Op.of("slist.pop", 8, SListOps::pop, "InterlockedPopEntrySList", "ExInterlockedPopEntrySList"),
                Op.of("slist.flush", 2, SListOps::flush, "InterlockedFlushSList", "ExInterlockedFlushSList"),
                Op.of("slist.query", 3, SListOps::query, "ExQueryDepthSList", "RtlFirstEntrySList", "FirstEntrySList"),
                Op.of("slist.initialize", 2, SListOps::initialize, "InitializeSListHead", "ExInitializeSListHead"),
                Op.of("slist.pushList", 3, SListOps::pushList, "InterlockedPushListSListEx"),
                Op.of("slist.corruptListedNext", 1, SListOps::corruptListedNext, "InitializeSListHead",
                        "InterlockedPushEntrySList", "InterlockedPopEntrySList"),
                Op.of("slist.recycledHeader", 1, SListOps::recycledHeader, "InterlockedPopEntrySList",
                        "InterlockedFlushSList", "ExQueryDepthSList", "InterlockedPushEntrySList"),
                Op.of("slist.freedWhileListed", 1, SListOps::freedWhileListed, "InitializeSListHead",
                        "InterlockedPushEntrySList", "InterlockedPopEntrySList", "ExFreePoolWithTag"),
                Op.of("slist.containingRecord", 2, SListOps::containingRecord, "CONTAINING_RECORD"));
    }

    /** An entry this thread owns (allocating new ones when it has none), or a hostile one. */
    static MemorySegment entry(Ctx c, double hostileRate) {
        if (c.p(hostileRate) && !Ctx.NO_SLIST_CORRUPTION) {
            return c.hostile(Kind.SLIST_ENTRY, HEADER, false);
        }
        if (c.entries.isEmpty()) {
            for (int i = 0; i < 4; i++) {
                // No bystander now: bystanders are allocated before any block is freed, so that no
                // stale pointer the fuzzer keeps can name one.
                MemorySegment e = dev.offkern.ddi.Ex.ExAllocatePool2(PoolFlags.POOL_FLAG_NON_PAGED, ENTRY_BLOCK, World.TAG);
                if (e.equals(MemorySegment.NULL)) {
                    return c.anyFuzzBlock();
                }
                c.w.entries.put(e.address(), e);
                c.w.entryOwners.put(e.address(), c.thread);
                c.entries.add(e);
            }
        }
        return c.entries.get(c.n(c.entries.size()));
    }

    static MemorySegment header(Ctx c, double hostileRate) {
        if (Ctx.NO_SLIST_CORRUPTION) {
            // Only pointers that must be refused before anything is followed.
            return c.p(hostileRate) ? c.hostile(Kind.SLIST_HEADER, HEADER, true) : c.live(Kind.SLIST_HEADER);
        }
        return c.arg(Kind.SLIST_HEADER, HEADER, hostileRate);
    }

    /** Takes back an entry a routine returned, if it is one of ours and no thread owns it now. */
    static void reclaim(Ctx c, MemorySegment e) {
        if (e == null || e.equals(MemorySegment.NULL)) {
            return;
        }
        MemorySegment known = c.w.entries.get(e.address());
        if (known != null && c.w.entryOwners.putIfAbsent(e.address(), c.thread) == null) {
            c.entries.add(known);
        }
    }

    static void gave(Ctx c, MemorySegment e) {
        if (e != null && c.entries.remove(e)) {
            c.w.entryOwners.remove(e.address());
        }
    }

    static void push(Ctx c) {
        MemorySegment h = header(c, 0.1);
        MemorySegment e = entry(c, 0.1);
        c.note("push " + Ctx.describe(h) + " " + Ctx.describe(e));
        gave(c, e);
        MemorySegment prev = c.p(0.5) ? Ex.InterlockedPushEntrySList(h, e)
                : Ex.ExInterlockedPushEntrySList(h, e, c.p(0.8) ? MemorySegment.NULL : c.live(Kind.SPIN_LOCK));
        if (prev == null) {
            throw new FuzzInvariantException("push returned a Java null");
        }
    }

    static void pop(Ctx c) {
        MemorySegment h = header(c, 0.1);
        c.note("pop " + Ctx.describe(h));
        for (int i = 1 + c.n(3); i > 0; i--) {
            MemorySegment e = c.p(0.5) ? Ex.InterlockedPopEntrySList(h) : Ex.ExInterlockedPopEntrySList(h, MemorySegment.NULL);
            if (e == null) {
                throw new FuzzInvariantException("pop returned a Java null");
            }
            reclaim(c, e);
        }
    }

    static void flush(Ctx c) {
        MemorySegment h = header(c, 0.1);
        c.note("flush " + Ctx.describe(h));
        MemorySegment first = c.p(0.5) ? Ex.InterlockedFlushSList(h) : Ex.ExInterlockedFlushSList(h);
        walk(c, first);
    }

    /** Follows a flushed chain through entries the fuzzer knows (bounded: a corrupted chain may loop). */
    static void walk(Ctx c, MemorySegment first) {
        Set<Long> seen = new HashSet<>();
        long a = first == null ? 0 : first.address();
        while (a != 0 && seen.add(a) && seen.size() < 10_000) {
            MemorySegment known = c.w.entries.get(a);
            if (known == null) {
                return;
            }
            long next;
            c.w.closeLock.readLock().lock();
            try {
                if (c.w.closed) {
                    return;
                }
                next = known.get(JAVA_LONG, 0);
            } finally {
                c.w.closeLock.readLock().unlock();
            }
            reclaim(c, known);
            a = next;
        }
    }

    static void query(Ctx c) {
        MemorySegment h = header(c, 0.25);
        c.note("query " + Ctx.describe(h));
        int depth = Ex.ExQueryDepthSList(h);
        if (depth < 0 || depth > 0xFFFF) {
            throw new FuzzInvariantException("ExQueryDepthSList returned " + depth);
        }
        MemorySegment f = c.p(0.5) ? Ex.RtlFirstEntrySList(h) : Ex.FirstEntrySList(h);
        if (f == null) {
            throw new FuzzInvariantException("RtlFirstEntrySList returned a Java null");
        }
    }

    static void initialize(Ctx c) {
        MemorySegment h = c.p(0.7) ? c.own(Kind.SLIST_HEADER) : c.hostile(Kind.SLIST_HEADER, HEADER, Ctx.NO_SLIST_CORRUPTION);
        c.note("initialize " + Ctx.describe(h));
        if (c.p(0.5)) {
            Ex.InitializeSListHead(h);
        } else {
            Ex.ExInitializeSListHead(h);
        }
    }

    static void pushList(Ctx c) {
        MemorySegment h = header(c, 0.1);
        int k = 1 + c.n(4);
        MemorySegment[] chain = new MemorySegment[k];
        for (int i = 0; i < k; i++) {
            chain[i] = entry(c, 0);
            gave(c, chain[i]);
        }
        boolean linked = Ctx.NO_SLIST_CORRUPTION || c.p(0.75);
        for (int i = 0; i < k - 1; i++) {
            long next = linked ? chain[i + 1].address() : c.pointerValue();
            chain[i].set(JAVA_LONG, 0, next);
        }
        MemorySegment last = Ctx.NO_SLIST_CORRUPTION || c.p(0.85) ? chain[k - 1] : c.p(0.5) ? entry(c, 0) : c.hostile(Kind.SLIST_ENTRY, HEADER, false);
        gave(c, last);
        int count = Ctx.NO_SLIST_CORRUPTION || c.p(0.8) ? k : c.anyInt();
        MemorySegment first = Ctx.NO_SLIST_CORRUPTION || c.p(0.9) ? chain[0] : c.hostile(Kind.SLIST_ENTRY, HEADER, false);
        c.note("pushList k=" + k + " linked=" + linked + " count=" + count);
        Ex.InterlockedPushListSListEx(h, first, last, count);
    }

    /** Issue 8 case 1: a listed entry's Next overwritten, then pops. */
    static void corruptListedNext(Ctx c) {
        MemorySegment h = c.own(Kind.SLIST_HEADER);
        Ex.InitializeSListHead(h);
        MemorySegment a = entry(c, 0);
        gave(c, a);
        MemorySegment b = entry(c, 0);
        gave(c, b);
        Ex.InterlockedPushEntrySList(h, a);
        Ex.InterlockedPushEntrySList(h, b);
        long v = c.pointerValue();
        b.set(JAVA_LONG, 0, v);
        c.note(String.format("listed entry Next := 0x%x", v));
        try {
            for (int i = 0; i < 3; i++) {
                reclaim(c, Ex.InterlockedPopEntrySList(h));
            }
        } finally {
            c.after.add(x -> Ex.InitializeSListHead(h));
            reclaim(c, a);
            reclaim(c, b);
        }
    }

    /** Issue 8 case 1: a header in uninitialised recycled pool, never passed to InitializeSListHead. */
    static void recycledHeader(Ctx c) {
        MemorySegment h = c.allocateOwned(PoolFlags.POOL_FLAG_NON_PAGED | PoolFlags.POOL_FLAG_UNINITIALIZED, HEADER);
        if (h.equals(MemorySegment.NULL)) {
            return;
        }
        h.set(JAVA_LONG, 0, c.r.nextLong());
        h.set(JAVA_LONG, 8, c.pointerValue() | (c.r.nextLong() & 0xF));
        c.note(String.format("recycled header 0x%x / 0x%x", h.get(JAVA_LONG, 0), h.get(JAVA_LONG, 8)));
        switch (c.n(4)) {
            case 0 -> Ex.InterlockedPopEntrySList(h);
            case 1 -> walk(c, Ex.InterlockedFlushSList(h));
            case 2 -> Ex.ExQueryDepthSList(h);
            default -> {
                MemorySegment e = entry(c, 0);
                gave(c, e);
                Ex.InterlockedPushEntrySList(h, e);
            }
        }
        Ex.InterlockedPopEntrySList(h);
    }

    /** Issue 8 case 1: an entry freed while listed and its block reused, then two pops. */
    static void freedWhileListed(Ctx c) {
        MemorySegment h = c.own(Kind.SLIST_HEADER);
        Ex.InitializeSListHead(h);
        MemorySegment e = Ex.ExAllocatePool2(PoolFlags.POOL_FLAG_NON_PAGED, ENTRY_BLOCK, World.TAG);
        if (e.equals(MemorySegment.NULL)) {
            return;
        }
        Ex.InterlockedPushEntrySList(h, e);
        Ex.ExFreePoolWithTag(e, World.TAG);
        c.bury(e);
        MemorySegment reuse = c.allocateOwned(PoolFlags.POOL_FLAG_NON_PAGED, ENTRY_BLOCK);
        if (!reuse.equals(MemorySegment.NULL)) {
            reuse.set(JAVA_LONG, 0, c.pointerValue());
            c.note("reused=" + (reuse.address() == e.address()));
        }
        try {
            Ex.InterlockedPopEntrySList(h);
            Ex.InterlockedPopEntrySList(h);
        } finally {
            c.after.add(x -> Ex.InitializeSListHead(h));
        }
    }

    static final StructSpec[] SPECS = {SLIST_ENTRY.X64, KEVENT.X64, LIST_ENTRY.X64, LOOKASIDE_LIST_EX.X64};

    static void containingRecord(Ctx c) {
        StructSpec spec = SPECS[c.n(SPECS.length)];
        String field = c.p(0.8) ? spec.fields().get(c.n(spec.fields().size())).name() : "NoSuchField";
        MemorySegment at = c.p(0.7) ? c.live(Kind.SLIST_ENTRY) : c.hostile(Kind.SLIST_ENTRY, 16, false);
        c.note("CONTAINING_RECORD(" + Ctx.describe(at) + ", " + spec.name() + ", " + field + ")");
        MemorySegment r = Ex.CONTAINING_RECORD(at, spec, field);
        if (r.byteSize() != spec.size()) {
            throw new FuzzInvariantException("CONTAINING_RECORD returned " + r.byteSize() + " bytes for " + spec.name());
        }
    }
}
