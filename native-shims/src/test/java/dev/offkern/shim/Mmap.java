package dev.offkern.shim;

import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;

/** mmap/munmap through libc, for tests that must unmap memory behind the JVM's back. */
final class Mmap {
    private static final Linker LINKER = Linker.nativeLinker();
    private static final MethodHandle MMAP = LINKER.downcallHandle(LINKER.defaultLookup().find("mmap").orElseThrow(),
            FunctionDescriptor.of(ValueLayout.JAVA_LONG, ValueLayout.JAVA_LONG, ValueLayout.JAVA_LONG,
                    ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.JAVA_LONG));
    private static final MethodHandle MUNMAP = LINKER.downcallHandle(LINKER.defaultLookup().find("munmap").orElseThrow(),
            FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_LONG, ValueLayout.JAVA_LONG));
    private static final int PROT_READ_WRITE = 0x3;
    private static final int MAP_PRIVATE_ANONYMOUS = 0x22;

    private Mmap() {
    }

    /** {@code bytes} of fresh zeroed pages, as a global-scope segment (unmap with {@link #unmap}). */
    static MemorySegment map(long bytes) {
        try {
            long a = (long) MMAP.invokeExact(0L, bytes, PROT_READ_WRITE, MAP_PRIVATE_ANONYMOUS, -1, 0L);
            if (a == -1) {
                throw new OutOfMemoryError("mmap of " + bytes + " bytes failed");
            }
            return MemorySegment.ofAddress(a).reinterpret(bytes);
        } catch (Throwable t) {
            throw new AssertionError(t);
        }
    }

    static void unmap(MemorySegment s) {
        try {
            int rc = (int) MUNMAP.invokeExact(s.address(), s.byteSize());
            if (rc != 0) {
                throw new AssertionError("munmap failed");
            }
        } catch (Throwable t) {
            throw new AssertionError(t);
        }
    }

    /**
     * The stress tests' raw CAS of 0 -> 0 at {@code dst} (witness at {@code witness}) against memory another
     * thread may remove and unmap: whether it succeeded; false when the shim refused an address (fault).
     */
    static boolean casOrRefused(GranuleTable table, long dst, long witness) {
        try {
            return Cas128.compareAndSwap(table, dst, 0, 0, 0, 0, witness);
        } catch (IllegalArgumentException refused) {
            return false;
        }
    }
}
