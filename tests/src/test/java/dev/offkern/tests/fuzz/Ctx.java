package dev.offkern.tests.fuzz;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_LONG_UNALIGNED;

import dev.offkern.ddi.Ex;
import dev.offkern.nt.PoolFlags;
import dev.offkern.tests.fuzz.World.Kind;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * One fuzzing thread's state and the argument generators its operations draw from: live objects
 * of a kind, hostile pointers, boundary integers and sizes, pointer values to scribble into memory.
 *
 * <p>Hostile pointers are made without restricted FFM methods: a raw address travels as a
 * zero-length {@code MemorySegment.ofAddress} segment, as a pointer does in C; anything that
 * touches it must resolve it through the kernel's address space. (An embedder who
 * {@code reinterpret}s a bad pointer has opted out of FFM's safety; the fuzzer does not.)
 */
final class Ctx {

    /** The hostile pointer kinds. */
    enum Hostile {
        /** MemorySegment.NULL. */
        NULL,
        /** An address in no region of the kernel (low, non-canonical, kernel-looking, just past a chunk). */
        UNMAPPED,
        /** A heap segment (not native memory). */
        HEAP,
        /** Native memory the kernel never registered. */
        FOREIGN,
        /** A block this thread freed (possibly reused since). */
        FREED,
        /** A fresh uninitialized pool block never passed to the structure's initializer. */
        UNINIT,
        /** A live object's address plus 1..15. */
        MISALIGNED,
        /** A live object's segment cut shorter than the structure. */
        SHORT,
        /** A structure that starts inside a live block and ends past it (into the next block's header). */
        PAST_END,
        /** A pool block's POOL_HEADER. */
        POOL_HEADER,
        /** A live object of another kind. */
        WRONG_KIND,
        /** A Java null. */
        JAVA_NULL
    }

    /** Hostile kinds a routine that may block forever on a bad state is given: they must be refused before any wait. */
    private static final Hostile[] FOR_BLOCKING = {Hostile.NULL, Hostile.UNMAPPED, Hostile.HEAP, Hostile.MISALIGNED,
            Hostile.SHORT, Hostile.JAVA_NULL};
    private static final Hostile[] ALL = Hostile.values();
    /** Whether inputs that corrupt SLISTs are withheld (a known crash, see {@link KnownFindings#SLIST_CORRUPTION}). */
    static final boolean NO_SLIST_CORRUPTION = KnownFindings.withholding(KnownFindings.SLIST_CORRUPTION) != null;
    /** Whether inputs that make a routine write past its block are withheld ({@link KnownFindings#BLOCK_OVERFLOW}). */
    static final boolean NO_BLOCK_OVERFLOW = KnownFindings.withholding(KnownFindings.BLOCK_OVERFLOW) != null;
    private static final Hostile[] GENERAL = java.util.Arrays.stream(Hostile.values())
            .filter(h -> !(NO_SLIST_CORRUPTION && h == Hostile.FREED))
            // Another kind's object, or recycled pool, read as a structure with a size or buffer
            // pointer in it (an RTL_BITMAP, a wait-block array) makes today's routines write past it.
            .filter(h -> !(NO_BLOCK_OVERFLOW && (h == Hostile.PAST_END || h == Hostile.POOL_HEADER
                    || h == Hostile.WRONG_KIND || h == Hostile.UNINIT)))
            .toArray(Hostile[]::new);
    private static final java.util.Set<Kind> BLOCKING_KINDS = java.util.EnumSet.of(Kind.SPIN_LOCK, Kind.QUEUE_HANDLE,
            Kind.FAST_MUTEX, Kind.GUARDED_MUTEX, Kind.RUNDOWN, Kind.RUNDOWN_CACHE_AWARE, Kind.RUN_ONCE, Kind.LOOKASIDE_EX,
            Kind.NPAGED_LOOKASIDE, Kind.PAGED_LOOKASIDE);
    private static final Kind[] WRONG_KINDS = {Kind.SLIST_HEADER, Kind.EVENT, Kind.SEMAPHORE, Kind.BITMAP, Kind.BLOCK};

    final World w;
    final int thread;
    final SplittableRandom r;
    /** What the current step did (arguments, values), for the finding report. */
    final StringBuilder log = new StringBuilder();
    /** Whether the current step passed a Java null. */
    boolean javaNull;
    /** Pool blocks this thread allocated and still owns (segment, tag in {@link #ownedTags}). */
    final List<MemorySegment> owned = new ArrayList<>();
    final List<Integer> ownedTags = new ArrayList<>();
    /** Blocks this thread freed (their segments stay valid while the kernel is open). */
    final List<MemorySegment> graveyard = new ArrayList<>();
    /** SLIST entries this thread owns (not on any list). */
    final List<MemorySegment> entries = new ArrayList<>();
    /** Blocks this thread took from lookaside lists: {list, block}. */
    final List<MemorySegment[]> lookasideBlocks = new ArrayList<>();
    /** EX_TIMERs this thread allocated and has not deleted. */
    final List<MemorySegment> exTimers = new ArrayList<>();
    /** Cleanups to run after the step, once the thread state is reset. */
    final List<Op.Body> after = new ArrayList<>();
    /** Set by an operation that leaves the thread's kernel state (IRQL, regions, held locks) unbalanced. */
    boolean dirty;

    Ctx(World w, int thread, long seed) {
        this.w = w;
        this.thread = thread;
        this.r = new SplittableRandom(seed);
    }

    // ===== randomness =====

    boolean p(double probability) {
        return r.nextDouble() < probability;
    }

    int n(int bound) {
        return r.nextInt(bound);
    }

    <T> T pick(List<T> list) {
        return list.get(r.nextInt(list.size()));
    }

    void note(String s) {
        if (log.length() < 2000) {
            log.append(s).append("; ");
        }
    }

    /** An int for a ULONG/LONG parameter: mostly small, often a boundary. */
    int anyInt() {
        return switch (r.nextInt(10)) {
            case 0 -> 0;
            case 1 -> -1;
            case 2 -> Integer.MAX_VALUE;
            case 3 -> Integer.MIN_VALUE;
            case 4 -> 1;
            case 5 -> r.nextInt();
            case 6 -> 1 << r.nextInt(31);
            default -> r.nextInt(300);
        };
    }

    /** An int in [0, bound) mostly, sometimes just outside or a boundary. */
    int index(int bound) {
        return switch (r.nextInt(12)) {
            case 0 -> bound;
            case 1 -> bound + 1;
            case 2 -> -1;
            case 3 -> Integer.MAX_VALUE;
            case 4 -> bound - 1;
            case 5 -> 0;
            default -> bound <= 0 ? 0 : r.nextInt(bound);
        };
    }

    /** A SIZE_T: mostly small, sometimes 0, huge, negative or near an overflow. */
    long anySize() {
        return switch (r.nextInt(14)) {
            case 0 -> 0;
            case 1 -> Long.MAX_VALUE;
            case 2 -> -1L;
            case 3 -> 1L << (40 + r.nextInt(23));
            case 4 -> Long.MAX_VALUE - r.nextInt(8192);
            case 5 -> 4096 - 16 + r.nextInt(64);
            case 6 -> 8L << 20;
            case 7 -> 4096L * (1 + r.nextInt(40));
            default -> 1 + r.nextInt(600);
        };
    }

    /** An IRQL: mostly valid, sometimes above HIGH_LEVEL or negative. */
    int anyIrql() {
        return switch (r.nextInt(10)) {
            case 0 -> 16 + r.nextInt(300);
            case 1 -> -1 - r.nextInt(3);
            default -> r.nextInt(16);
        };
    }

    // ===== objects =====

    MemorySegment shared(Kind kind) {
        return pick(w.shared(kind));
    }

    MemorySegment own(Kind kind) {
        return pick(w.own(kind, thread));
    }

    /** A live object of {@code kind}: shared or this thread's own. */
    MemorySegment live(Kind kind) {
        if (kind == Kind.SLIST_ENTRY) {
            return entries.isEmpty() ? anyFuzzBlock() : pick(entries);
        }
        List<MemorySegment> s = w.shared(kind);
        List<MemorySegment> o = w.own(kind, thread);
        if (s.isEmpty() && o.isEmpty()) {
            return anyFuzzBlock();
        }
        if (o.isEmpty() || (!s.isEmpty() && p(0.5))) {
            return pick(s);
        }
        return pick(o);
    }

    /** A live object of {@code kind} (probability 1 - hostileRate) or a hostile pointer standing in for one. */
    MemorySegment arg(Kind kind, long size, double hostileRate) {
        return p(hostileRate) ? hostile(kind, size, false) : live(kind);
    }

    /** As {@link #arg} for a routine that may block forever on a bad object: only hostile kinds it must refuse at once. */
    MemorySegment blockingArg(MemorySegment liveObject, Kind kind, long size, double hostileRate) {
        return p(hostileRate) ? hostile(kind, size, true, liveObject) : liveObject;
    }

    MemorySegment hostile(Kind kind, long size, boolean blocking) {
        return hostile(kind, size, blocking, null);
    }

    MemorySegment hostile(Kind kind, long size, boolean blocking, MemorySegment base) {
        Hostile[] kinds = blocking ? FOR_BLOCKING : GENERAL;
        Hostile h = kinds[n(kinds.length)];
        MemorySegment s = make(h, kind, size, base);
        note("hostile " + h + "=" + describe(s));
        return s;
    }

    private MemorySegment make(Hostile h, Kind kind, long size, MemorySegment base) {
        // Pointers derived from a lock-like object (SHORT keeps its address) come from this thread's
        // own objects: re-initializing or try-acquiring a shared one through an alias could leave
        // it held for ever, and the other thread waiting on it (caller deadlock, not a finding).
        MemorySegment liveObj = base != null ? base
                : kind == null ? anyFuzzBlock()
                : BLOCKING_KINDS.contains(kind) && !w.own(kind, thread).isEmpty() ? own(kind) : live(kind);
        switch (h) {
            case NULL:
                return MemorySegment.NULL;
            case UNMAPPED:
                return MemorySegment.ofAddress(unmappedAddress());
            case HEAP:
                return MemorySegment.ofArray(new long[(int) Math.min(64, (size + 15) / 8)]);
            case FOREIGN:
                return pick(w.foreign).asSlice(0, Math.min(256, Math.max(1, size)));
            case FREED:
                return graveyard.isEmpty() ? MemorySegment.NULL : pick(graveyard);
            case UNINIT: {
                MemorySegment b = allocateOwned(PoolFlags.POOL_FLAG_NON_PAGED | PoolFlags.POOL_FLAG_UNINITIALIZED,
                        Math.max(1, size));
                return b.equals(MemorySegment.NULL) ? MemorySegment.NULL : b;
            }
            case MISALIGNED: {
                long off = 1 + n(Math.min(15, (int) Math.max(1, liveObj.byteSize() - 1)));
                return off < liveObj.byteSize() ? liveObj.asSlice(off) : MemorySegment.ofAddress(liveObj.address() + off);
            }
            case SHORT:
                return liveObj.byteSize() <= 1 ? liveObj.asSlice(0, 0) : liveObj.asSlice(0, 1 + n((int) Math.min(liveObj.byteSize() - 1, 1 << 20)));
            case PAST_END: {
                MemorySegment blk = anyFuzzBlock();
                long keep = Math.max(1, Math.min(blk.byteSize(), 1 + n(16)));
                return blk.asSlice(blk.byteSize() - keep);
            }
            case POOL_HEADER: {
                // Only a small block has a POOL_HEADER: the 16 bytes before a page-sized block are the
                // end of the bystander before it, a live block's interior (no routine can tell that
                // from a good pointer).
                MemorySegment blk = smallFuzzBlock();
                if (blk == null) {
                    return MemorySegment.ofAddress(unmappedAddress());
                }
                try {
                    return w.kernel.addressSpace().resolve(blk.address() - World.POOL_HEADER_SIZE, World.POOL_HEADER_SIZE);
                } catch (RuntimeException closing) { // a concurrent close unmapped it: the raw pointer then
                    return MemorySegment.ofAddress(blk.address() - World.POOL_HEADER_SIZE);
                }
            }
            case WRONG_KIND: {
                // Only kinds no routine can block forever on: a spin lock or mutex overwritten with
                // another structure would make the next correct acquire wait forever, as on Windows.
                Kind other = WRONG_KINDS[n(WRONG_KINDS.length)];
                List<MemorySegment> l = w.shared(other);
                return l.isEmpty() ? liveObj : pick(l);
            }
            case JAVA_NULL:
            default:
                javaNull = true;
                return null;
        }
    }

    /**
     * A pointer for a routine that frees what it is given (ExFreePool, a lookaside free, ...): a
     * hostile kind that never names a live object of the world (freeing one would make the
     * fuzzer's own later writes to it use-after-free).
     */
    MemorySegment forFree(long size) {
        Hostile[] kinds = NO_SLIST_CORRUPTION || NO_BLOCK_OVERFLOW
                ? new Hostile[] {Hostile.NULL, Hostile.UNMAPPED, Hostile.HEAP, Hostile.FOREIGN, Hostile.MISALIGNED,
                    Hostile.JAVA_NULL}
                : new Hostile[] {Hostile.NULL, Hostile.UNMAPPED, Hostile.HEAP, Hostile.FOREIGN, Hostile.FREED, Hostile.MISALIGNED,
                    Hostile.PAST_END, Hostile.POOL_HEADER, Hostile.UNINIT, Hostile.JAVA_NULL};
        Hostile h = kinds[n(kinds.length)];
        MemorySegment s = make(h, null, size, null);
        if (h == Hostile.UNINIT && s != null && !s.equals(MemorySegment.NULL)) {
            disown(owned.size() - 1); // the routine frees it: never free it again later
        }
        note("free-hostile " + h + "=" + describe(s));
        return s;
    }

    /** A live fuzzer block (any kind), never a bystander. */
    MemorySegment anyFuzzBlock() {
        List<MemorySegment> l = w.shared(Kind.BLOCK);
        return pick(l);
    }

    /**
     * A live fuzzer block small enough to have a POOL_HEADER (at most 4064 bytes), or null. Its
     * header and one-past-its-end (the next block's header) are pointers a block-exact check can
     * refuse; for a page-sized block those addresses are inside or at the start of the bystander
     * next to it, indistinguishable from a good pointer.
     */
    MemorySegment smallFuzzBlock() {
        List<MemorySegment> l = w.shared(Kind.BLOCK);
        for (int tries = 0; tries < 8; tries++) {
            MemorySegment b = pick(l);
            if (b.byteSize() <= 4064) {
                return b;
            }
        }
        for (MemorySegment b : l) {
            if (b.byteSize() <= 4064) {
                return b;
            }
        }
        return null;
    }

    /** An address no region of the kernel holds (and so no bystander). */
    long unmappedAddress() {
        long a = switch (n(8)) {
            case 0 -> 0x10L * (1 + n(255));
            case 1 -> 0xFFFF_8000_0000_0000L + 16L * n(1 << 20);
            case 2 -> 0x0000_7FFF_FFFF_F000L;
            case 3 -> 0xDEAD_BEEF_0000L + 16L * n(4096);
            case 4 -> anyFuzzBlock().address() + (64L << 20) + 16L * n(4096);
            case 5 -> anyFuzzBlock().address() - (64L << 20);
            case 6 -> -16L;
            default -> r.nextLong() & ~0xFL;
        };
        return w.kernel.addressSpace().find(a, 16) == null ? a : 0x10;
    }

    /**
     * A pointer value to scribble into a structure: garbage, an unmapped or misaligned address, a
     * fuzzer block's interior, its POOL_HEADER or one-past-its-end, a freed block. Never the
     * interior of a bystander (a routine cannot tell a wild pointer into a live block from a good one).
     */
    long pointerValue() {
        MemorySegment b = anyFuzzBlock();
        MemorySegment small = smallFuzzBlock(); // header and one-past-end only of a block that has a header
        return switch (n(NO_SLIST_CORRUPTION ? 8 : 9)) {
            case 0 -> 0L;
            case 1 -> unmappedAddress();
            case 2 -> b.address() + 16L * n((int) Math.max(1, b.byteSize() / 16));
            case 3 -> NO_BLOCK_OVERFLOW || small == null ? unmappedAddress() : small.address() - World.POOL_HEADER_SIZE;
            case 4 -> NO_BLOCK_OVERFLOW || small == null ? b.address() : small.address() + ((small.byteSize() + 15) & ~15L);
            case 5 -> graveyard.isEmpty() || NO_SLIST_CORRUPTION ? 0 : pick(graveyard).address();
            case 6 -> b.address() + 1 + n(15);
            case 7 -> r.nextLong();
            default -> entries.isEmpty() ? b.address() : pick(entries).address();
        };
    }

    /** Overwrites 1..3 random 8-byte words of {@code s} (within its bounds) with pointer values or garbage. */
    void scribble(MemorySegment s) {
        if (s == null || s.byteSize() < 8 || !s.isNative()) {
            return;
        }
        int words = 1 + n(3);
        for (int i = 0; i < words; i++) {
            long off = 8L * n((int) (s.byteSize() / 8));
            long v = p(0.6) ? pointerValue() : r.nextLong();
            s.set(JAVA_LONG_UNALIGNED, off, v);
            note(String.format("scribble +0x%x := 0x%x", off, v));
        }
    }

    /** Fills {@code s} with random bytes. */
    void randomize(MemorySegment s) {
        byte[] b = new byte[(int) Math.min(s.byteSize(), 1 << 16)];
        r.nextBytes(b);
        MemorySegment.copy(b, 0, s, JAVA_BYTE, 0, b.length);
    }

    // ===== pool blocks this thread owns =====

    MemorySegment allocateOwned(long flags, long size) {
        MemorySegment b = Ex.ExAllocatePool2(flags, size, World.TAG);
        if (!b.equals(MemorySegment.NULL)) {
            adopt(b, World.TAG);
        }
        return b;
    }

    void adopt(MemorySegment block, int tag) {
        owned.add(block);
        ownedTags.add(tag);
        w.fuzzBlocks.put(block.address(), block.byteSize());
    }

    /** Removes and returns the index of an owned block (or -1). */
    int takeOwned() {
        if (owned.isEmpty()) {
            return -1;
        }
        return n(owned.size());
    }

    void disown(int i) {
        MemorySegment b = owned.remove(i);
        ownedTags.remove(i);
        w.fuzzBlocks.remove(b.address());
        bury(b);
    }

    void bury(MemorySegment b) {
        if (graveyard.size() >= 64) {
            graveyard.remove(n(graveyard.size()));
        }
        graveyard.add(b);
    }

    /** Runs {@code body}, swallowing an allowed outcome (rethrowing anything that would be a finding). */
    void tolerate(Op.Body body) throws Throwable {
        try {
            body.run(this);
        } catch (Throwable t) {
            if (!Outcome.classify(t, javaNull).allowed()) {
                throw t;
            }
        }
    }

    static String describe(MemorySegment s) {
        if (s == null) {
            return "null";
        }
        return String.format("%s0x%x+%d", s.isNative() ? "" : "heap:", s.address(), s.byteSize());
    }

    void beginStep() {
        log.setLength(0);
        javaNull = false;
        dirty = false;
        after.clear();
    }
}
