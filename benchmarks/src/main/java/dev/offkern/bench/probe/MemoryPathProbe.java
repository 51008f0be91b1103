package dev.offkern.bench.probe;

import dev.offkern.bench.peers.NativeMalloc;
import dev.offkern.ddi.Ex;
import dev.offkern.layout.mm.POOL_HEADER;
import dev.offkern.nt.PoolFlags;
import dev.offkern.nt.PoolTags;
import dev.offkern.runtime.Kernel;
import dev.offkern.runtime.pool.Pool;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.VarHandle;
import java.util.ArrayList;
import java.util.List;

/**
 * A plain-loop probe of the memory paths (pool, DDI pool): each case runs {@code probe.rounds} rounds of
 * {@code probe.ops} operation pairs ({@link ProbeCase}) and reports the fastest round in ns per pair. The minimum over many
 * short rounds filters out the other processes of a shared 2-vCPU machine, which JMH's mean does not;
 * use it to attribute nanoseconds (a case with one step removed against the full case), and JMH for
 * the published figures. Run: {@code java -cp benchmarks/target/benchmarks.jar
 * dev.offkern.bench.probe.MemoryPathProbe [filter]} with the benchmarks' JVM options.
 */
public final class MemoryPathProbe {
    private static final int OPS = ProbeCase.OPS;
    private static final int TAG = PoolTags.tag("Prob");
    private static final VarHandle HEADER_WORD = ValueLayout.JAVA_LONG_UNALIGNED.varHandle();
    private static final VarHandle HEADER_ULONG1 = ValueLayout.JAVA_INT_UNALIGNED.varHandle();
    private static final VarHandle COUNTER = java.lang.invoke.MethodHandles.arrayElementVarHandle(long[].class);
    /** The floor's block: 64 requested bytes after their POOL_HEADER, 16-byte units as the pool's size classes. */
    private static final long FLOOR_BYTES = 64;
    private static final long FLOOR_STRIDE = POOL_HEADER.LAYOUT.byteSize() + FLOOR_BYTES;

    private MemoryPathProbe() {
    }

    public static void main(String[] args) {
        String filter = args.length > 0 ? args[0] : "";
        try (Kernel kernel = Kernel.boot()) {
            kernel.attach();
            Pool pool = kernel.nonPagedPool();
            List<ProbeCase> cases = new ArrayList<>();
            cases.add(new ProbeCase("malloc+free 64", () -> loopMalloc(64)));
            cases.add(new ProbeCase("calloc+free 64", () -> loopCalloc(64)));
            cases.add(new ProbeCase("pool.allocate+free 64 uninit", () -> loopPool(pool, 64, PoolFlags.POOL_FLAG_UNINITIALIZED)));
            cases.add(new ProbeCase("pool.allocate+free 64 zeroed", () -> loopPool(pool, 64, 0)));
            cases.add(new ProbeCase("pool.allocate+free 1024 zeroed", () -> loopPool(pool, 1024, 0)));
            cases.add(new ProbeCase("ExAllocatePool2+ExFreePoolWithTag 64 uninit", () -> loopDdi(64,
                    PoolFlags.POOL_FLAG_NON_PAGED | PoolFlags.POOL_FLAG_UNINITIALIZED)));
            cases.add(new ProbeCase("ExAllocatePool2+ExFreePoolWithTag 64 zeroed", () -> loopDdi(64, PoolFlags.POOL_FLAG_NON_PAGED)));
            MemorySegment floorChunk = pool.allocate(4096, 4096);
            cases.add(new ProbeCase("floor pool 64: cache pop/push, POOL_HEADER, tag counts, slice",
                    () -> loopPoolFloor(new FloorCache(floorChunk))));
            // The floor with every step the DDI pair must keep (thread lookup, run state, flag check, class,
            // chunk and block-start checks, header, requested size, tag counts): RequiredPoolWork. Run with
            // -XX:FreqInlineSize=1000 -XX:InlineSmallCode=10000 to fuse it into the loop (it is over the budget).
            java.lang.foreign.Arena modelMemory = java.lang.foreign.Arena.ofShared();
            RequiredPoolWork.setUp(modelMemory, 4, 64, TAG);
            cases.add(new ProbeCase("floor pool DDI 64 uninit: all required work", () -> loopRequired(64,
                    PoolFlags.POOL_FLAG_NON_PAGED | PoolFlags.POOL_FLAG_UNINITIALIZED)));
            cases.add(new ProbeCase("floor pool DDI 64 zeroed: all required work", () -> loopRequired(64,
                    PoolFlags.POOL_FLAG_NON_PAGED)));
            cases.add(new ProbeCase("Kernel.current() x2", MemoryPathProbe::loopCurrent));
            // Attribution of the DDI pair: its one thread lookup per call alone, and the pair without it
            // (the thread's pool record found once, outside the loop).
            cases.add(new ProbeCase("Kernel.callerPools() x2", MemoryPathProbe::loopCallerPools));
            dev.offkern.runtime.pool.ThreadPools record = Kernel.callerPools();
            cases.add(new ProbeCase("ThreadPools.allocatePool2+free 64 uninit (no lookup)", () -> loopRecord(record, 64,
                    PoolFlags.POOL_FLAG_NON_PAGED | PoolFlags.POOL_FLAG_UNINITIALIZED)));
            // SLIST and lookaside, in registered memory of their own.
            java.lang.foreign.Arena lists = java.lang.foreign.Arena.ofShared();
            MemorySegment listMemory = lists.allocate(64 * 1024, 4096);
            dev.offkern.runtime.mm.AddressSpace space = kernel.addressSpace();
            space.register(listMemory, "probe lists");
            MemorySegment sHeader = listMemory.asSlice(0, 16);
            MemorySegment sEntry = listMemory.asSlice(4096, 16);
            Ex.InitializeSListHead(sHeader);
            cases.add(new ProbeCase("SLIST native C loop push+pop", () -> dev.offkern.bench.peers.NativeSListLoop.pushPop(
                    sHeader.address(), sEntry.address(), OPS)));
            cases.add(new ProbeCase("SLIST raw ExSList.push+pop", () -> loopSListRaw(space, sHeader.address(), sEntry.address())));
            // The DDI's additions to the raw tier one at a time (docs/performance.md, "The DDI's dependent loads"):
            cases.add(new ProbeCase("SLIST raw + Kernel.current().addressSpace() per call", () -> loopSListRawSpace(sHeader.address(), sEntry.address())));
            cases.add(new ProbeCase("SLIST raw + the popped entry's segment (resolve)", () -> loopSListRawResolve(space, sHeader.address(), sEntry.address())));
            cases.add(new ProbeCase("SLIST DDI push+pop (entry kept local)", () -> loopSListDdi(sHeader, sEntry)));
            MemorySegment lookaside = listMemory.asSlice(8192, dev.offkern.runtime.ex.ExLookaside.LOOKASIDE_LIST_EX_SIZE);
            int status = Ex.ExInitializeLookasideListEx(lookaside, null, null, dev.offkern.nt.PoolType.NonPagedPool, 0, 64, TAG, 0);
            if (status != 0) {
                throw new IllegalStateException("ExInitializeLookasideListEx: 0x" + Integer.toHexString(status));
            }
            dev.offkern.runtime.ex.LookasideRegistry registry = kernel.lookasideLists();
            cases.add(new ProbeCase("lookaside trusted (segment) alloc+free 64", () -> loopLookasideTrusted(registry, lookaside, false, false)));
            // The DDI's additions to the trusted tier, one at a time: the caller's kernel on each call, and the
            // allocated block's segment.
            cases.add(new ProbeCase("lookaside trusted + Kernel.current().lookasideLists() per call",
                    () -> loopLookasideTrusted(registry, lookaside, true, false)));
            cases.add(new ProbeCase("lookaside trusted + the block's segment (resolve)",
                    () -> loopLookasideTrusted(registry, lookaside, false, true)));
            cases.add(new ProbeCase("lookaside trusted + both (the DDI's work, written out in the loop)",
                    () -> loopLookasideTrusted(registry, lookaside, true, true)));
            cases.add(new ProbeCase("lookaside checked (address) alloc+free 64", () -> loopLookasideRaw(registry, lookaside.address())));
            // Run this case alone ("=lookaside DDI alloc+free 64" with -Xlog:gc): its loop starts cold, the DDI routines
            // get compiled on their own first, over InlineSmallCode, and the block's segment is then allocated per call
            // (docs/performance.md, "A compile-size cliff").
            cases.add(new ProbeCase("lookaside DDI alloc+free 64", () -> loopLookasideDdi(lookaside)));
            // As LookasideAllocFreeBenchmark sets it up: the blocks carved from the list's own region.
            MemorySegment localList = listMemory.asSlice(16384, dev.offkern.runtime.ex.ExLookaside.LOOKASIDE_LIST_EX_SIZE);
            java.util.concurrent.atomic.AtomicLong bump = new java.util.concurrent.atomic.AtomicLong(32768);
            status = Ex.ExInitializeLookasideListEx(localList, (type, bytes, tag, l) -> listMemory.asSlice(bump.getAndAdd(64), bytes),
                    (block, l) -> { }, dev.offkern.nt.PoolType.NonPagedPool, 0, 64, TAG, 0);
            if (status != 0) {
                throw new IllegalStateException("ExInitializeLookasideListEx: 0x" + Integer.toHexString(status));
            }
            cases.add(new ProbeCase("lookaside DDI alloc+free 64, blocks in the list's region", () -> loopLookasideDdi(localList)));
            // Attribution of the lookaside DDI pair: the address-space lookups it makes, alone (the list
            // on allocate and on free, a pool block on allocate and on free).
            MemorySegment poolBlock = Ex.ExAllocatePool2(PoolFlags.POOL_FLAG_NON_PAGED, 64, TAG);
            cases.add(new ProbeCase("lookup AddressSpace.regionOf x4 (list x2, pool block x2)",
                    () -> loopRegionOf(space, lookaside.address(), poolBlock.address())));
            // Bitmaps: per call (the probe's unit is one call here).
            java.lang.foreign.Arena arena = java.lang.foreign.Arena.ofShared();
            int bits = 1 << 20;
            MemorySegment buffer = arena.allocate(bits / 8, 8);
            kernel.addressSpace().register(buffer, "probe bitmap");
            java.util.BitSet bitSet = new java.util.BitSet(bits);
            java.util.SplittableRandom random = new java.util.SplittableRandom(42);
            for (int i = 0; i < bits; i++) {
                if (random.nextBoolean()) {
                    bitSet.set(i);
                }
            }
            long[] words = bitSet.toLongArray();
            for (int i = 0; i < words.length; i++) {
                buffer.setAtIndex(java.lang.foreign.ValueLayout.JAVA_LONG_UNALIGNED, i, words[i]);
            }
            MemorySegment big = arena.allocate(16, 8);
            dev.offkern.ddi.Rtl.RtlInitializeBitMap(big, buffer, bits);
            MemorySegment none = arena.allocate(16, 8);
            dev.offkern.ddi.Rtl.RtlInitializeBitMap(none, buffer, 0);
            MemorySegment word = arena.allocate(16, 8);
            dev.offkern.ddi.Rtl.RtlInitializeBitMap(word, buffer, 64);
            cases.add(new ProbeCase("bitmap RtlNumberOfSetBits 1 Mbit [value = us per call]", () -> loopBits(big, OPS / 1000)));
            cases.add(new ProbeCase("bitmap BitSet.cardinality 1 Mbit [value = us per call]", () -> loopBitSet(bitSet, OPS / 1000)));
            cases.add(new ProbeCase("bitmap RtlNumberOfSetBits 0 bits", () -> loopBits(none, OPS)));
            cases.add(new ProbeCase("bitmap RtlNumberOfSetBits 64 bits", () -> loopBits(word, OPS)));
            ProbeCase.runAll(cases, filter);
        }
    }

    private static long loopMalloc(int size) {
        long s = 0;
        for (int i = 0; i < OPS; i++) {
            long p = NativeMalloc.malloc(size);
            NativeMalloc.free(p);
            s += p;
        }
        return s;
    }

    private static long loopCalloc(int size) {
        long s = 0;
        for (int i = 0; i < OPS; i++) {
            long p = NativeMalloc.calloc(1, size);
            NativeMalloc.free(p);
            s += p;
        }
        return s;
    }

    private static long loopPool(Pool pool, int size, long flags) {
        long s = 0;
        for (int i = 0; i < OPS; i++) {
            long p = pool.allocate(size, TAG, flags);
            pool.free(p, TAG);
            s += p;
        }
        return s;
    }

    /**
     * A thread's cache of free 64-byte blocks in one chunk (16 of them, {@link #FLOOR_STRIDE} bytes apart
     * with their POOL_HEADER), and one tag's counters: the state the pool's fast path works on, without the thread
     * lookup that finds it.
     */
    private static final class FloorCache {
        final MemorySegment chunk;
        final long[] free = new long[16];
        int count;
        /**
         * The tag's counters (allocations, frees, bytes), in an array that other threads read, updated with
         * opaque stores as the pool's are ({@code ThreadCache}): a reader such as poolmon must see them.
         */
        final long[] counters = new long[3];
        /** The pool's run state, read (volatile) at the start of each call as the pool's open check does. */
        volatile boolean open = true;

        FloorCache(MemorySegment chunk) {
            this.chunk = chunk;
            for (int i = 0; i < free.length; i++) {
                free[count++] = POOL_HEADER.LAYOUT.byteSize() + i * FLOOR_STRIDE; // payload offsets in the chunk
            }
        }
    }

    /**
     * What a pool with Windows' POOL_HEADER and its always-on free checks must do per uninitialized 64-byte
     * alloc+free that hits the thread's cache, with the cache already found: pop a block, write its header
     * (Ulong1: BlockSize the stride in 16-byte units, PoolType non-paged; PoolTag) through the chunk's checked segment, count the
     * allocation for the tag, and hand out a segment of the requested bytes; then read the header back,
     * compare its Ulong1 and tag, mark it free, count the free and push the block. Each side starts with the
     * pool's open check (a volatile read), which also keeps C2 from carrying the allocation's header store
     * into the free's read. Measures the floor of the pool DDI pair: add the one thread lookup per call
     * (`Kernel.callerPools()` x2).
     */
    private static long loopPoolFloor(FloorCache c) {
        long headerSize = POOL_HEADER.LAYOUT.byteSize();
        int freeUlong1 = (int) (FLOOR_STRIDE / 16) << POOL_HEADER.BLOCK_SIZE_SHIFT;
        int usedUlong1 = freeUlong1 | 1 << POOL_HEADER.POOL_TYPE_SHIFT;
        // Ulong1 and PoolTag in one little-endian word, at their layout offsets
        long usedWord = (usedUlong1 & 0xFFFF_FFFFL) << (8 * POOL_HEADER.ULONG1_OFFSET)
                | (TAG & 0xFFFF_FFFFL) << (8 * POOL_HEADER.POOL_TAG_OFFSET);
        long s = 0;
        for (int i = 0; i < OPS; i++) {
            if (!c.open) {
                throw new IllegalStateException("closed");
            }
            long off = c.free[--c.count];
            HEADER_WORD.set(c.chunk, off - headerSize, usedWord);
            COUNTER.setOpaque(c.counters, 0, c.counters[0] + 1); // opaque: single writer, racy readers
            COUNTER.setOpaque(c.counters, 2, c.counters[2] + FLOOR_STRIDE);
            MemorySegment block = c.chunk.asSlice(off, FLOOR_BYTES);
            s += block.address();
            if (!c.open) { // the free's open check: a volatile read, so nothing of the allocation is reused
                throw new IllegalStateException("closed");
            }
            long word = (long) HEADER_WORD.get(c.chunk, off - headerSize);
            if (word != usedWord) {
                throw new IllegalStateException("the floor's header changed");
            }
            HEADER_ULONG1.set(c.chunk, off - headerSize + POOL_HEADER.ULONG1_OFFSET, freeUlong1);
            COUNTER.setOpaque(c.counters, 1, c.counters[1] + 1);
            COUNTER.setOpaque(c.counters, 2, c.counters[2] - FLOOR_STRIDE);
            c.free[c.count++] = off;
        }
        return s;
    }

    /** {@link RequiredPoolWork}'s pair: the pool DDI pair's required work, with nothing else. */
    private static long loopRequired(long size, long flags) {
        long s = 0;
        for (int i = 0; i < OPS; i++) {
            MemorySegment b = RequiredPoolWork.allocate(flags, size, TAG);
            RequiredPoolWork.free(b, TAG);
            s += b.address();
        }
        return s;
    }

    private static long loopDdi(int size, long flags) {
        long s = 0;
        for (int i = 0; i < OPS; i++) {
            MemorySegment p = Ex.ExAllocatePool2(flags, size, TAG);
            Ex.ExFreePoolWithTag(p, TAG);
            s += p.address();
        }
        return s;
    }

    /** The raw tier: ExSList on addresses (the shim checks each dereferenced address), no DDI facade. */
    static long loopSListRaw(dev.offkern.runtime.mm.AddressSpace space, long header, long entry) {
        long s = 0;
        for (int i = 0; i < OPS; i++) {
            dev.offkern.runtime.ex.ExSList.push(space, header, entry);
            s += dev.offkern.runtime.ex.ExSList.pop(space, header);
        }
        return s;
    }

    /** The raw tier with the DDI's address-space lookup on each call. */
    private static long loopSListRawSpace(long header, long entry) {
        long s = 0;
        for (int i = 0; i < OPS; i++) {
            dev.offkern.runtime.ex.ExSList.push(Kernel.current().addressSpace(), header, entry);
            s += dev.offkern.runtime.ex.ExSList.pop(Kernel.current().addressSpace(), header);
        }
        return s;
    }

    /** The raw tier with the popped entry resolved to a segment of its region, as the DDI returns it (kept local). */
    private static long loopSListRawResolve(dev.offkern.runtime.mm.AddressSpace space, long header, long entry) {
        long s = 0;
        for (int i = 0; i < OPS; i++) {
            dev.offkern.runtime.ex.ExSList.push(space, header, entry);
            long popped = dev.offkern.runtime.ex.ExSList.pop(space, header);
            s += popped == 0 ? 0 : space.resolve(popped, dev.offkern.runtime.ex.ExSList.ENTRY_SIZE).address();
        }
        return s;
    }

    private static long loopSListDdi(MemorySegment header, MemorySegment entry) {
        return DdiLookupProbe.loopSList(header, entry); // one loop for both probes
    }

    /**
     * The lookaside's trusted tier (the caller's list segment, the block's address), and with {@code current} the
     * caller's kernel looked up on each call, with {@code resolve} the allocated block's segment of the list's Size
     * bytes, as the DDI makes them. Run a case alone ({@code =name}): the cases share this loop.
     */
    private static long loopLookasideTrusted(dev.offkern.runtime.ex.LookasideRegistry registry, MemorySegment list,
            boolean current, boolean resolve) {
        long s = 0;
        for (int i = 0; i < OPS; i++) {
            dev.offkern.runtime.ex.LookasideRegistry reg = current ? Kernel.current().lookasideLists() : registry;
            long b = dev.offkern.runtime.ex.ExLookaside.allocate(reg, list);
            if (resolve) {
                b = reg.addressSpace().resolve(b, list.get(ValueLayout.JAVA_INT,
                        dev.offkern.layout.ex.GENERAL_LOOKASIDE.SIZE_OFFSET)).address();
            }
            dev.offkern.runtime.ex.ExLookaside.free(current ? Kernel.current().lookasideLists() : registry, list, b);
            s += b;
        }
        return s;
    }

    private static long loopLookasideRaw(dev.offkern.runtime.ex.LookasideRegistry reg, long list) {
        long s = 0;
        for (int i = 0; i < OPS; i++) {
            long b = dev.offkern.runtime.ex.ExLookaside.allocate(reg, list);
            dev.offkern.runtime.ex.ExLookaside.free(reg, list, b);
            s += b;
        }
        return s;
    }

    private static long loopLookasideDdi(MemorySegment list) {
        return DdiLookupProbe.loopLookaside(list); // one loop for both probes
    }

    private static long loopRegionOf(dev.offkern.runtime.mm.AddressSpace space, long list, long block) {
        long s = 0;
        for (int i = 0; i < OPS; i++) {
            s += space.regionOf(list + i % 8, dev.offkern.runtime.ex.ExLookaside.LOOKASIDE_LIST_EX_SIZE).base();
            s += space.regionOf(block, 64).base();
            s += space.regionOf(list, dev.offkern.runtime.ex.ExLookaside.LOOKASIDE_LIST_EX_SIZE).base();
            s += space.regionOf(block + i % 8, 16).base();
        }
        return s;
    }

    private static long loopBits(MemorySegment header, int n) {
        long s = 0;
        for (int i = 0; i < n; i++) {
            s += dev.offkern.ddi.Rtl.RtlNumberOfSetBits(header);
        }
        return s;
    }

    private static long loopBitSet(java.util.BitSet bits, int n) {
        long s = 0;
        for (int i = 0; i < n; i++) {
            s += bits.cardinality();
        }
        return s;
    }

    private static long loopCallerPools() {
        long s = 0;
        for (int i = 0; i < OPS; i++) {
            s += Kernel.callerPools().hashCode();
            s += Kernel.callerPools().hashCode();
        }
        return s;
    }

    private static long loopRecord(dev.offkern.runtime.pool.ThreadPools record, int size, long flags) {
        long s = 0;
        for (int i = 0; i < OPS; i++) {
            MemorySegment p = record.allocatePool2(flags, size, TAG);
            record.free(p.address(), TAG);
            s += p.address();
        }
        return s;
    }

    private static long loopCurrent() {
        return DdiLookupProbe.loopCurrent(); // one loop for both probes
    }
}
