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
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/**
 * The per-thread cached range against a clear, made deterministic: the test build of the granule map
 * (src/test/c) pauses a call between the two loads at its start (offkern_map_begin) while another
 * thread clears the map. Whatever that call saw, the same thread's next call must not reuse a range of
 * the cleared map: the memory behind it is unmapped as soon as the clear returns. (Loading the table
 * before the epoch let the paused call find the range in the old table and cache it under the new
 * epoch; the next call then skipped the lookup and dereferenced unmapped pool memory: the SIGSEGV in
 * offkern_slist_pop seen in ExSListSpinTest.)
 */
class GranuleCacheEpochTest {
    private static final Linker LINKER = Linker.nativeLinker();
    private static final SymbolLookup LIB = SymbolLookup.libraryLookup(
            Path.of(System.getProperty("user.dir"), "target", "test-classes", "native", "liboffkern_map_test.so"),
            Arena.global());
    private static final MethodHandle CREATE = handle("offkern_map_create", FunctionDescriptor.of(ValueLayout.JAVA_LONG));
    private static final MethodHandle INSERT = handle("offkern_map_insert", FunctionDescriptor.of(ValueLayout.JAVA_INT,
            ValueLayout.JAVA_LONG, ValueLayout.JAVA_LONG, ValueLayout.JAVA_LONG));
    private static final MethodHandle CLEAR = handle("offkern_map_clear", FunctionDescriptor.ofVoid(ValueLayout.JAVA_LONG));
    private static final MethodHandle ARM = handle("offkern_test_arm_begin_pause",
            FunctionDescriptor.ofVoid(ValueLayout.JAVA_LONG));
    private static final MethodHandle PAUSED = handle("offkern_test_begin_paused", FunctionDescriptor.of(ValueLayout.JAVA_INT));
    private static final MethodHandle CHECK = handle("offkern_test_cached_covers16", FunctionDescriptor.of(
            ValueLayout.JAVA_INT, ValueLayout.JAVA_LONG, ValueLayout.JAVA_LONG));

    private static MethodHandle handle(String name, FunctionDescriptor d) {
        return LINKER.downcallHandle(LIB.find(name).orElseThrow(), d);
    }

    @Test
    void shouldNotReuseACachedRangeAfterAClearThatRacedTheCallThatCachedIt() throws Throwable {
        long map = (long) CREATE.invokeExact();
        MemorySegment memory = Mmap.map(1 << 16);
        try {
            long address = memory.address() + 64;
            assertEquals(0, (int) INSERT.invokeExact(map, memory.address(), memory.byteSize()));
            AtomicInteger racing = new AtomicInteger(-1);
            AtomicInteger after = new AtomicInteger(-1);
            AtomicReference<Throwable> failure = new AtomicReference<>();
            ARM.invokeExact(map);
            Thread reader = new Thread(() -> {
                try {
                    racing.set((int) CHECK.invokeExact(map, address)); // pauses until the clear replaced the epoch
                    after.set((int) CHECK.invokeExact(map, address));  // same thread: its cache is in play
                } catch (Throwable t) {
                    failure.set(t);
                }
            });
            reader.start();
            while ((int) PAUSED.invokeExact() == 0 && reader.isAlive()) {
                Thread.onSpinWait();
            }
            CLEAR.invokeExact(map); // waits for the paused call's section
            reader.join();
            assertEquals(null, failure.get());
            assertTrue(racing.get() == 0 || racing.get() == 1, "the racing call ran: " + racing.get());
            assertEquals(0, after.get(), "a call after the clear passed the check of a range the clear removed");
        } finally {
            Mmap.unmap(memory);
        }
    }
}
