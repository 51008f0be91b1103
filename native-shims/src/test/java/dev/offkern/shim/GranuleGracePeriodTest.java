package dev.offkern.shim;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * The grace period, made deterministic: a test build of the granule map (offkern_map.c plus the
 * test hook in src/test/c) holds a read-side section open for a while, as a slow shim call would.
 * Removing the range it reads must not return before that section has ended; a remove that did
 * would let its caller unmap memory the call is still about to read.
 */
class GranuleGracePeriodTest {
    private static final Linker LINKER = Linker.nativeLinker();
    private static final SymbolLookup LIB = SymbolLookup.libraryLookup(
            Path.of(System.getProperty("user.dir"), "target", "test-classes", "native", "liboffkern_map_test.so"),
            Arena.global());
    private static final MethodHandle CREATE = handle("offkern_map_create", FunctionDescriptor.of(ValueLayout.JAVA_LONG));
    private static final MethodHandle INSERT = handle("offkern_map_insert", FunctionDescriptor.of(ValueLayout.JAVA_INT,
            ValueLayout.JAVA_LONG, ValueLayout.JAVA_LONG, ValueLayout.JAVA_LONG));
    private static final MethodHandle REMOVE = handle("offkern_map_remove", FunctionDescriptor.of(ValueLayout.JAVA_INT,
            ValueLayout.JAVA_LONG, ValueLayout.JAVA_LONG, ValueLayout.JAVA_LONG));
    private static final MethodHandle HOLD = handle("offkern_test_hold_section", FunctionDescriptor.of(
            ValueLayout.JAVA_INT, ValueLayout.JAVA_LONG, ValueLayout.JAVA_LONG, ValueLayout.JAVA_LONG,
            ValueLayout.JAVA_LONG, ValueLayout.JAVA_LONG));

    private static MethodHandle handle(String name, FunctionDescriptor d) {
        return LINKER.downcallHandle(LIB.find(name).orElseThrow(), d);
    }

    @Test
    void shouldNotReturnFromRemoveWhileASectionThatPassedTheCheckIsStillRunning() throws Throwable {
        long map = (long) CREATE.invokeExact();
        MemorySegment memory = Mmap.map(1 << 16);
        try (Arena flags = Arena.ofShared()) {
            MemorySegment entered = flags.allocate(8, 8);
            MemorySegment done = flags.allocate(8, 8);
            assertEquals(0, (int) INSERT.invokeExact(map, memory.address(), memory.byteSize()));
            AtomicInteger checked = new AtomicInteger(-1);
            Thread reader = new Thread(() -> {
                try {
                    checked.set((int) HOLD.invokeExact(map, memory.address() + 64, 200_000_000L, entered.address(),
                            done.address()));
                } catch (Throwable t) {
                    throw new AssertionError(t);
                }
            });
            reader.start();
            while (entered.get(ValueLayout.JAVA_LONG, 0) == 0) {
                Thread.onSpinWait();
            }
            assertEquals(0, (int) REMOVE.invokeExact(map, memory.address(), memory.byteSize()));
            long doneWhenRemoveReturned = done.get(ValueLayout.JAVA_LONG, 0);
            reader.join();
            assertEquals(1, checked.get(), "the section's check ran before the remove");
            assertEquals(1, doneWhenRemoveReturned, "remove returned while a section could still read the range");
        } finally {
            Mmap.unmap(memory);
        }
    }

    @Test
    void shouldFailTheCheckOfASectionThatStartsAfterTheRemove() throws Throwable {
        long map = (long) CREATE.invokeExact();
        MemorySegment memory = Mmap.map(1 << 16);
        try (Arena flags = Arena.ofConfined()) {
            MemorySegment entered = flags.allocate(8, 8);
            MemorySegment done = flags.allocate(8, 8);
            assertEquals(0, (int) INSERT.invokeExact(map, memory.address(), memory.byteSize()));
            assertEquals(0, (int) REMOVE.invokeExact(map, memory.address(), memory.byteSize()));
            Mmap.unmap(memory);
            int ok = (int) HOLD.invokeExact(map, memory.address(), 0L, entered.address(), done.address());
            assertEquals(0, ok, "the removed range is refused, so the unmapped memory is never read");
            assertTrue(done.get(ValueLayout.JAVA_LONG, 0) == 1);
        }
    }
}
