package dev.offkern.tests.fuzz;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import dev.offkern.ddi.Ex;
import dev.offkern.nt.ALLOCATE_FUNCTION;
import dev.offkern.nt.ALLOCATE_FUNCTION_EX;
import dev.offkern.nt.FREE_FUNCTION;
import dev.offkern.nt.FREE_FUNCTION_EX;
import dev.offkern.nt.PoolFlags;
import dev.offkern.nt.PoolType;
import dev.offkern.tests.fuzz.World.Kind;
import java.lang.foreign.MemorySegment;
import java.util.List;

/**
 * Lookaside lists of the three families: shared lists both threads allocate from and free to at
 * once (with flushes racing them); private lists that go through delete, use after delete,
 * re-initialization, and hostile allocate/free routines; blocks freed to the wrong list (a 16-byte
 * block into a 200-byte list), twice, or written after their free (issue 8 cases 1 and 5).
 */
final class LookasideOps {
    private LookasideOps() {
    }

    static final int KEEP = 24;

    static List<Op> ops() {
        return List.of(
                Op.of("lookaside.allocate", 8, LookasideOps::allocate, "ExAllocateFromLookasideListEx",
                        "ExAllocateFromNPagedLookasideList", "ExAllocateFromPagedLookasideList"),
                Op.of("lookaside.free", 8, LookasideOps::free, "ExFreeToLookasideListEx", "ExFreeToNPagedLookasideList",
                        "ExFreeToPagedLookasideList"),
                Op.of("lookaside.freeHostile", 3, LookasideOps::freeHostile, "ExFreeToLookasideListEx",
                        "ExFreeToNPagedLookasideList", "ExFreeToPagedLookasideList"),
                Op.of("lookaside.flush", 2, LookasideOps::flush, "ExFlushLookasideListEx"),
                Op.of("lookaside.lifecycle", 2, LookasideOps::lifecycle, "ExInitializeLookasideListEx",
                        "ExDeleteLookasideListEx", "ExInitializeNPagedLookasideList", "ExDeleteNPagedLookasideList",
                        "ExInitializePagedLookasideList", "ExDeletePagedLookasideList", "ExAllocateFromLookasideListEx",
                        "ExAllocateFromNPagedLookasideList", "ExAllocateFromPagedLookasideList"),
                Op.of("lookaside.hostileList", 2, LookasideOps::hostileList, "ExAllocateFromLookasideListEx",
                        "ExFreeToLookasideListEx", "ExFlushLookasideListEx", "ExDeleteLookasideListEx",
                        "ExInitializeLookasideListEx", "ExInitializeNPagedLookasideList", "ExDeleteNPagedLookasideList",
                        "ExDeletePagedLookasideList"),
                Op.of("lookaside.writeAfterFree", 1, LookasideOps::writeAfterFree, "ExInitializeLookasideListEx",
                        "ExAllocateFromLookasideListEx", "ExFreeToLookasideListEx", "ExDeleteLookasideListEx"));
    }

    static final Kind[] KINDS = {Kind.LOOKASIDE_EX, Kind.NPAGED_LOOKASIDE, Kind.PAGED_LOOKASIDE};

    static MemorySegment allocateFrom(Kind kind, MemorySegment list) {
        return switch (kind) {
            case LOOKASIDE_EX -> Ex.ExAllocateFromLookasideListEx(list);
            case NPAGED_LOOKASIDE -> Ex.ExAllocateFromNPagedLookasideList(list);
            default -> Ex.ExAllocateFromPagedLookasideList(list);
        };
    }

    static void freeTo(Kind kind, MemorySegment list, MemorySegment block) {
        switch (kind) {
            case LOOKASIDE_EX -> Ex.ExFreeToLookasideListEx(list, block);
            case NPAGED_LOOKASIDE -> Ex.ExFreeToNPagedLookasideList(list, block);
            default -> Ex.ExFreeToPagedLookasideList(list, block);
        }
    }

    static Kind kindOf(Ctx c, MemorySegment list) {
        for (Kind k : KINDS) {
            if (c.w.shared(k).contains(list) || c.w.own(k, c.thread).contains(list)) {
                return k;
            }
        }
        return Kind.LOOKASIDE_EX;
    }

    static void allocate(Ctx c) {
        Kind kind = KINDS[c.n(3)];
        MemorySegment list = c.p(0.7) ? c.shared(kind) : c.own(kind);
        Long size = c.w.lookasideSizes.get(list.address());
        c.note("allocate from " + kind + " " + Ctx.describe(list) + " size " + size);
        MemorySegment b = allocateFrom(kind, list);
        if (b.equals(MemorySegment.NULL)) {
            return;
        }
        if (size != null && b.byteSize() != size) {
            throw new FuzzInvariantException("a " + size + "-byte lookaside list handed out a " + b.byteSize() + "-byte segment");
        }
        if (c.w.touchesBystander(b.address(), b.byteSize())) {
            throw new FuzzInvariantException("lookaside list handed out 0x" + Long.toHexString(b.address())
                    + ", overlapping a live bystander block");
        }
        for (int i = 0; i < Math.min(64, b.byteSize()); i++) {
            b.set(JAVA_BYTE, i, (byte) (0xB0 + c.thread));
        }
        c.lookasideBlocks.add(new MemorySegment[] {list, b});
        if (c.lookasideBlocks.size() > KEEP) {
            giveBack(c, c.n(c.lookasideBlocks.size()), true);
        }
    }

    static void giveBack(Ctx c, int i, boolean right) {
        MemorySegment[] lb = c.lookasideBlocks.remove(i);
        MemorySegment list = right ? lb[0] : c.live(KINDS[c.n(3)]);
        c.note("free " + Ctx.describe(lb[1]) + " to " + Ctx.describe(list) + (right ? "" : " (maybe the wrong list)"));
        c.bury(lb[1]);
        freeTo(kindOf(c, list), list, lb[1]);
    }

    static void free(Ctx c) {
        if (c.lookasideBlocks.isEmpty()) {
            allocate(c);
            return;
        }
        giveBack(c, c.n(c.lookasideBlocks.size()), Ctx.NO_SLIST_CORRUPTION || c.p(0.85));
    }

    static void freeHostile(Ctx c) {
        Kind kind = KINDS[c.n(3)];
        MemorySegment list = c.p(0.7) ? c.shared(kind) : c.own(kind);
        MemorySegment block;
        switch (c.n(3)) {
            case 0 -> {
                // Issue 8 case 5: a small pool block into a larger list.
                block = c.allocateOwned(PoolFlags.POOL_FLAG_NON_PAGED, 16);
                if (!block.equals(MemorySegment.NULL)) {
                    c.disown(c.owned.size() - 1);
                }
            }
            case 1 -> block = c.graveyard.isEmpty() ? MemorySegment.NULL : c.pick(c.graveyard); // double free
            default -> block = c.forFree(32);
        }
        c.note("free hostile " + Ctx.describe(block) + " to " + kind + " " + Ctx.describe(list));
        freeTo(kind, list, block);
    }

    static void flush(Ctx c) {
        MemorySegment list = c.p(0.85) ? (c.p(0.7) ? c.shared(Kind.LOOKASIDE_EX) : c.own(Kind.LOOKASIDE_EX))
                : c.hostile(Kind.LOOKASIDE_EX, 0x60, Ctx.NO_SLIST_CORRUPTION);
        c.note("flush " + Ctx.describe(list));
        Ex.ExFlushLookasideListEx(list);
    }

    static ALLOCATE_FUNCTION_EX allocateEx(Ctx c, int mode, long size) {
        return switch (mode) {
            case 0 -> null;
            case 1 -> (t, n, g, l) -> Ex.ExAllocatePoolWithTag(t, n, g);
            case 2 -> (t, n, g, l) -> MemorySegment.NULL;
            case 3 -> (t, n, g, l) -> c.w.foreign.get(0);
            case 4 -> (t, n, g, l) -> MemorySegment.ofArray(new byte[(int) Math.min(n, 4096)]);
            case 5 -> (t, n, g, l) -> Ex.ExAllocatePoolWithTag(t, 16, g); // too small
            case 6 -> (t, n, g, l) -> {
                MemorySegment b = Ex.ExAllocatePoolWithTag(t, n + 16, g);
                return b.equals(MemorySegment.NULL) ? b : b.asSlice(8); // misaligned
            };
            case 7 -> (t, n, g, l) -> null;
            default -> (t, n, g, l) -> {
                throw new FuzzCallbackException("allocate routine fails");
            };
        };
    }

    static FREE_FUNCTION_EX freeEx(int mode) {
        return switch (mode) {
            case 0 -> null;
            case 1 -> (b, l) -> Ex.ExFreePool(b);
            case 2 -> (b, l) -> { };
            default -> (b, l) -> {
                throw new FuzzCallbackException("free routine fails");
            };
        };
    }

    static int anyLookasidePoolType(Ctx c) {
        return switch (c.n(6)) {
            case 0 -> PoolType.PagedPool;
            case 1 -> PoolType.NonPagedPoolNx;
            case 2 -> c.anyInt();
            case 3 -> PoolType.NonPagedPoolMustSucceed;
            default -> PoolType.NonPagedPool;
        };
    }

    /** Initializes {@code list} of {@code kind} (hostile parameters sometimes); returns the block size it asked for. */
    static long initialize(Ctx c, Kind kind, MemorySegment list, boolean hostileParams) {
        long size = hostileParams && c.p(0.5) ? c.anySize() : 16 + 8L * c.n(40);
        int tag = hostileParams && c.p(0.2) ? 0 : World.TAG;
        int am = hostileParams && !Ctx.NO_SLIST_CORRUPTION ? c.n(9) : c.n(2);
        int fm = hostileParams ? c.n(4) : c.n(2);
        c.note("initialize " + kind + " " + Ctx.describe(list) + " size " + size + " allocate#" + am + " free#" + fm);
        switch (kind) {
            case LOOKASIDE_EX -> {
                int flags = hostileParams && c.p(0.3) ? c.anyInt() : c.n(2);
                int st = Ex.ExInitializeLookasideListEx(list, allocateEx(c, am, size), freeEx(fm),
                        hostileParams ? anyLookasidePoolType(c) : PoolType.NonPagedPool, flags, size, tag, c.anyInt());
                if (st != 0) {
                    return -1;
                }
            }
            case NPAGED_LOOKASIDE -> {
                ALLOCATE_FUNCTION_EX a = allocateEx(c, am, size);
                FREE_FUNCTION_EX f = freeEx(fm);
                Ex.ExInitializeNPagedLookasideList(list, a == null ? null : (ALLOCATE_FUNCTION) (t, n, g) -> a.allocate(t, n, g, list),
                        f == null ? null : (FREE_FUNCTION) b -> f.free(b, list),
                        hostileParams && c.p(0.3) ? c.anyInt() : 0, size, tag, 0);
            }
            default -> Ex.ExInitializePagedLookasideList(list, null, null,
                    hostileParams && c.p(0.3) ? c.anyInt() : 0, size, tag, 0);
        }
        return size;
    }

    static void delete(Kind kind, MemorySegment list) {
        switch (kind) {
            case LOOKASIDE_EX -> Ex.ExDeleteLookasideListEx(list);
            case NPAGED_LOOKASIDE -> Ex.ExDeleteNPagedLookasideList(list);
            default -> Ex.ExDeletePagedLookasideList(list);
        }
    }

    /** Forgets the blocks this thread took from {@code list} (they stay allocated: leaked, never touched again). */
    static void forgetBlocksOf(Ctx c, MemorySegment list) {
        c.lookasideBlocks.removeIf(lb -> lb[0].equals(list));
    }

    /** A private list: delete, use after delete, delete twice, re-initialize (sometimes while live), then back to a good state. */
    static void lifecycle(Ctx c) {
        Kind kind = KINDS[c.n(3)];
        MemorySegment list = c.own(kind);
        forgetBlocksOf(c, list);
        c.after.add(x -> restore(c, kind, list));
        switch (c.n(4)) {
            case 0 -> {
                delete(kind, list);
                c.w.lookasideSizes.remove(list.address());
                allocateFrom(kind, list); // use after delete
            }
            case 1 -> {
                delete(kind, list);
                c.w.lookasideSizes.remove(list.address());
                delete(kind, list); // delete twice
            }
            case 2 -> initialize(c, kind, list, true); // initialized twice (0xCA) or bad parameters
            default -> {
                delete(kind, list);
                c.w.lookasideSizes.remove(list.address());
                long size = initialize(c, kind, list, true);
                if (size > 0) {
                    c.w.lookasideSizes.put(list.address(), size);
                }
                for (int i = 0; i < 3; i++) {
                    MemorySegment b = allocateFrom(kind, list);
                    if (!b.equals(MemorySegment.NULL) && c.p(0.7)) {
                        freeTo(kind, list, b);
                    }
                }
            }
        }
    }

    /** After a lifecycle step: make the private list a plain, live, pool-backed list again. */
    static void restore(Ctx c, Kind kind, MemorySegment list) throws Throwable {
        forgetBlocksOf(c, list);
        c.tolerate(x -> delete(kind, list)); // the step may have left it deleted already
        long size = 16 + 8L * c.n(40);
        switch (kind) {
            case LOOKASIDE_EX -> {
                int st = Ex.ExInitializeLookasideListEx(list, null, null, PoolType.NonPagedPool, 0, size, World.TAG, 0);
                if (st != 0) {
                    throw new FuzzInvariantException("ExInitializeLookasideListEx of a deleted list with good parameters returned 0x"
                            + Integer.toHexString(st));
                }
            }
            case NPAGED_LOOKASIDE -> Ex.ExInitializeNPagedLookasideList(list, null, null, 0, size, World.TAG, 0);
            default -> Ex.ExInitializePagedLookasideList(list, null, null, 0, size, World.TAG, 0);
        }
        c.w.lookasideSizes.put(list.address(), size);
    }

    /** Every lookaside routine given a pointer that is no list (uninitialized pool, misaligned, unmapped, ...). */
    static void hostileList(Ctx c) throws Throwable {
        // A SHORT pointer keeps the address of this thread's own list, so the step may delete or
        // re-initialize it: put both private lists back in order afterwards.
        for (Kind k : new Kind[] {Kind.LOOKASIDE_EX, Kind.NPAGED_LOOKASIDE}) {
            MemorySegment own = c.own(k);
            c.after.add(x -> restore(c, k, own));
        }
        MemorySegment list = c.hostile(Kind.LOOKASIDE_EX, 0x80, Ctx.NO_SLIST_CORRUPTION);
        switch (c.n(8)) {
            case 0 -> Ex.ExAllocateFromLookasideListEx(list);
            case 1 -> Ex.ExFreeToLookasideListEx(list, Ctx.NO_SLIST_CORRUPTION ? MemorySegment.NULL : c.forFree(32));
            case 2 -> Ex.ExFlushLookasideListEx(list);
            case 3 -> Ex.ExDeleteLookasideListEx(list);
            case 4 -> Ex.ExDeleteNPagedLookasideList(list);
            case 5 -> Ex.ExDeletePagedLookasideList(list);
            // An NPAGED_LOOKASIDE_LIST is 0x80 bytes, a LOOKASIDE_LIST_EX 0x60: initializing the
            // one in the other's block writes past it (block-exact checks; withheld while known).
            case 6 -> Ex.ExInitializeNPagedLookasideList(Ctx.NO_BLOCK_OVERFLOW ? c.hostile(Kind.NPAGED_LOOKASIDE, 0x80, true) : list,
                    null, null, 0, 64, World.TAG, 0);
            default -> Ex.ExInitializeLookasideListEx(list, null, null, 0, 0, 64, World.TAG, 0);
        }
    }

    /**
     * Issue 8 case 1: a block written after ExFreeToLookasideListEx, then two allocations. The list's
     * free routine parks blocks instead of freeing them, so the write never reaches the pool's own
     * free lists (that would be the fuzzer corrupting the pool, not a routine).
     */
    static void writeAfterFree(Ctx c) {
        MemorySegment list = c.allocateOwned(PoolFlags.POOL_FLAG_NON_PAGED, 0x80);
        if (list.equals(MemorySegment.NULL)) {
            return;
        }
        int st = Ex.ExInitializeLookasideListEx(list, null, (b, l) -> { }, PoolType.NonPagedPool, 0, 48, World.TAG, 0);
        if (st != 0) {
            throw new FuzzInvariantException("ExInitializeLookasideListEx of a good list returned 0x" + Integer.toHexString(st));
        }
        c.after.add(x -> Ex.ExDeleteLookasideListEx(list));
        MemorySegment b = Ex.ExAllocateFromLookasideListEx(list);
        if (b.equals(MemorySegment.NULL)) {
            return;
        }
        Ex.ExFreeToLookasideListEx(list, b);
        long v = c.pointerValue();
        b.set(JAVA_LONG, 0, v);
        c.note(String.format("freed lookaside block's link := 0x%x", v));
        Ex.ExAllocateFromLookasideListEx(list);
        Ex.ExAllocateFromLookasideListEx(list);
    }
}
