package dev.offkern.jcstress;

import dev.offkern.runtime.Kernel;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * Shared setup for the litmus tests: the one kernel of a jcstress fork (blocking slow paths resolve
 * wait blocks through its address space) and off-heap memory for test states. jcstress creates
 * states in bulk, so their memory comes from an automatic arena (freed by the GC).
 */
final class Litmus {
    /** The fork's kernel, booted once per JVM (jcstress runs many tests in one fork). */
    static final Kernel KERNEL = Kernel.boot();

    private Litmus() {
    }

    /** {@code bytes} of zeroed native memory aligned to {@code alignment}. */
    static MemorySegment allocate(long bytes, long alignment) {
        return Arena.ofAuto().allocate(bytes, alignment);
    }
}
