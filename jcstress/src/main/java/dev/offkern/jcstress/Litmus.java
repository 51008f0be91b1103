package dev.offkern.jcstress;

import dev.offkern.runtime.Kernel;
import dev.offkern.runtime.mm.AddressSpace;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Shared setup for the litmus tests: the one kernel of a jcstress fork (blocking slow paths resolve
 * wait blocks through its address space) and off-heap memory for test states. jcstress creates
 * states in bulk, so their memory comes from an automatic arena (freed by the GC), except for states
 * whose memory the shim dereferences (SLIST headers and entries): the shim follows only addresses in
 * the kernel's address space, so those come from one registered slab, handed out round robin.
 */
final class Litmus {
    /** The fork's kernel, booted once per JVM (jcstress runs many tests in one fork). */
    static final Kernel KERNEL = Kernel.boot();

    /** Bytes of the registered slab: far more than the states jcstress keeps alive at once (a stride). */
    private static final long SLAB_BYTES = 64L << 20;
    private static final MemorySegment SLAB = Arena.ofShared().allocate(SLAB_BYTES, 4096);
    private static final AtomicLong CURSOR = new AtomicLong();

    static {
        KERNEL.addressSpace().register(SLAB, "jcstress state slab");
    }

    private Litmus() {
    }

    /** The fork's kernel's address space, in which {@link #registered} memory lies. */
    static AddressSpace space() {
        return KERNEL.addressSpace();
    }

    /**
     * {@code bytes} of zeroed native memory aligned to {@code alignment} inside the kernel's address
     * space, from a slab reused round robin (a state's memory is reused only after some 64 MiB of later
     * states, long after jcstress dropped it).
     */
    static MemorySegment registered(long bytes, long alignment) {
        long size = (bytes + alignment - 1) & -alignment;
        for (;;) {
            long start = CURSOR.getAndAdd(size);
            long offset = ((start + alignment - 1) & -alignment) % SLAB_BYTES;
            if (offset + size <= SLAB_BYTES) {
                MemorySegment s = SLAB.asSlice(offset, size);
                s.fill((byte) 0);
                return s;
            }
        }
    }

    /** {@code bytes} of zeroed native memory aligned to {@code alignment}. */
    static MemorySegment allocate(long bytes, long alignment) {
        return Arena.ofAuto().allocate(bytes, alignment);
    }
}
