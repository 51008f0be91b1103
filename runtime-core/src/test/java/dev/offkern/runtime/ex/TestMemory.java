package dev.offkern.runtime.ex;

import dev.offkern.runtime.Kernel;
import dev.offkern.runtime.mm.Region;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/** Native memory for a test: page-aligned, registered in the kernel's address space, freed at close. */
final class TestMemory implements AutoCloseable {
    final Kernel kernel;
    final Arena arena = Arena.ofShared();
    final MemorySegment segment;
    final Region region;

    TestMemory(Kernel kernel, long bytes) {
        this.kernel = kernel;
        this.segment = arena.allocate(bytes, 4096);
        this.region = kernel.addressSpace().register(segment, "test memory");
    }

    long base() {
        return segment.address();
    }

    /** A slice at {@code offset} of {@code size} bytes. */
    MemorySegment at(long offset, long size) {
        return segment.asSlice(offset, size);
    }

    @Override
    public void close() {
        kernel.addressSpace().unregister(region);
        arena.close();
    }
}
