package dev.offkern.runtime.ex;

import dev.offkern.nt.ALLOCATE_FUNCTION;
import dev.offkern.nt.ALLOCATE_FUNCTION_EX;
import dev.offkern.nt.FREE_FUNCTION;
import dev.offkern.nt.FREE_FUNCTION_EX;
import java.lang.foreign.MemorySegment;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A thread-safe block allocator for custom lookaside routines: carves 16-byte aligned blocks from a
 * test region, reuses freed ones, and counts calls so that tests can reconcile them with the
 * lookaside counters.
 */
final class TestBlocks {
    final TestMemory mem;
    final long start;
    final long blockSize;
    final AtomicLong bump;
    final ConcurrentLinkedQueue<Long> freed = new ConcurrentLinkedQueue<>();
    final AtomicInteger allocations = new AtomicInteger();
    final AtomicInteger frees = new AtomicInteger();
    final AtomicInteger lastPoolType = new AtomicInteger(-1);
    final AtomicLong lastLookaside = new AtomicLong();
    volatile boolean fail;

    TestBlocks(TestMemory mem, long start, long blockSize) {
        this.mem = mem;
        this.start = start;
        this.blockSize = (blockSize + 15) & ~15L;
        this.bump = new AtomicLong(start);
    }

    /** A block address, or 0 when told to fail or out of room. */
    long allocate(int poolType, long bytes, int tag, long lookaside) {
        lastPoolType.set(poolType);
        lastLookaside.set(lookaside);
        if (fail) {
            return 0;
        }
        allocations.incrementAndGet();
        Long reuse = freed.poll();
        if (reuse != null) {
            return reuse;
        }
        long off = bump.getAndAdd(blockSize);
        if (off + blockSize > mem.segment.byteSize()) {
            throw new IllegalStateException("test region exhausted");
        }
        return mem.base() + off;
    }

    void free(long block) {
        frees.incrementAndGet();
        freed.add(block);
    }

    MemorySegment segment(long address) {
        return address == 0 ? MemorySegment.NULL : mem.at(address - mem.base(), blockSize);
    }

    ALLOCATE_FUNCTION_EX allocateEx() {
        return (type, bytes, tag, lookaside) -> segment(allocate(type, bytes, tag, lookaside.address()));
    }

    FREE_FUNCTION_EX freeEx() {
        return (buffer, lookaside) -> free(buffer.address());
    }

    ALLOCATE_FUNCTION allocateLegacy() {
        return (type, bytes, tag) -> segment(allocate(type, bytes, tag, 0));
    }

    FREE_FUNCTION freeLegacy() {
        return buffer -> free(buffer.address());
    }
}
