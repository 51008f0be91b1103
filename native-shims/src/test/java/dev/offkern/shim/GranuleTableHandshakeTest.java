package dev.offkern.shim;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/**
 * The fact the granule table's grace period rests on (GranuleTable.awaitCriticalCalls): a JVM-wide
 * handshake cannot complete while a thread is inside a critical downcall (Linker.Option.critical: no
 * thread-state transition, no safepoint poll), and does complete while a thread is inside an ordinary
 * one (the thread is in native code, a safe state). A test-only C function (src/test/c) spins until a
 * flag is set; one thread calls it, another runs the handshake, and the test records whether the call
 * had finished when the handshake returned. Both directions are decided by flags, not by timing: a
 * handshake that waits for the ordinary call would only return when the call times out (10 s), and one
 * that does not wait for the critical call returns while the call is still spinning.
 */
class GranuleTableHandshakeTest {
    private static final Linker LINKER = Linker.nativeLinker();
    private static final SymbolLookup LIB = SymbolLookup.libraryLookup(
            Path.of(System.getProperty("user.dir"), "target", "test-classes", "native", "liboffkern_map_test.so"),
            Arena.global());
    private static final FunctionDescriptor SPIN = FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_LONG,
            ValueLayout.JAVA_LONG, ValueLayout.JAVA_LONG, ValueLayout.JAVA_LONG);
    private static final MethodHandle SPIN_CRITICAL = LINKER.downcallHandle(
            LIB.find("offkern_test_spin_until").orElseThrow(), SPIN, Linker.Option.critical(false));
    private static final MethodHandle SPIN_ORDINARY = LINKER.downcallHandle(
            LIB.find("offkern_test_spin_until").orElseThrow(), SPIN);
    private static final long TIMEOUT_NS = 10_000_000_000L;

    @Test
    void shouldNotReturnFromTheGracePeriodHandshakeWhileAThreadIsInsideACriticalDowncall() throws Exception {
        long doneAtReturn = handshakeDuringCall(SPIN_CRITICAL, GranuleTable::awaitCriticalCalls, true);
        assertEquals(1, doneAtReturn, "the handshake returned while a critical downcall was still running");
    }

    /**
     * The fallback considered: a safepoint operation (Thread.getAllStackTraces) waits for the critical call
     * too, but it stops every Java thread meanwhile, this test's main thread included, so nothing in Java
     * can release the spin: it runs into its timeout (300 ms) instead. The grace period uses the handshake,
     * which holds up only its own thread.
     */
    @Test
    void shouldNotReturnFromASafepointWhileAThreadIsInsideACriticalDowncall() throws Exception {
        try (Arena flags = Arena.ofShared()) {
            MemorySegment release = flags.allocate(8, 8);
            MemorySegment entered = flags.allocate(8, 8);
            MemorySegment done = flags.allocate(8, 8);
            AtomicLong released = new AtomicLong(-1);
            Thread caller = new Thread(() -> {
                try {
                    released.set((int) SPIN_CRITICAL.invokeExact(release.address(), entered.address(), done.address(),
                            300_000_000L));
                } catch (Throwable t) {
                    throw new AssertionError(t);
                }
            });
            caller.start();
            while (entered.get(ValueLayout.JAVA_LONG, 0) == 0) {
                Thread.onSpinWait();
            }
            Thread.getAllStackTraces();
            long doneAtReturn = done.get(ValueLayout.JAVA_LONG, 0);
            caller.join();
            assertEquals(0, released.get(), "nobody released the spin");
            assertEquals(1, doneAtReturn, "the safepoint completed while a critical downcall was still running");
        }
    }

    @Test
    void shouldCompleteTheHandshakeWhileAThreadIsInsideAnOrdinaryDowncall() throws Exception {
        long doneAtReturn = handshakeDuringCall(SPIN_ORDINARY, GranuleTable::awaitCriticalCalls, false);
        assertEquals(0, doneAtReturn, "an ordinary downcall holds off the handshake after all");
    }

    /**
     * Runs {@code call} (the spin) on one thread and {@code handshake} on another once the spin is
     * entered; releases the spin after 200 ms if the handshake is expected to wait, else as soon as
     * the handshake has returned. Returns the spin's done flag as the handshake's thread read it right
     * after the handshake returned.
     */
    private static long handshakeDuringCall(MethodHandle call, Runnable handshake, boolean expectWait) throws Exception {
        try (Arena flags = Arena.ofShared()) {
            MemorySegment release = flags.allocate(8, 8);
            MemorySegment entered = flags.allocate(8, 8);
            MemorySegment done = flags.allocate(8, 8);
            AtomicReference<Throwable> failure = new AtomicReference<>();
            AtomicLong released = new AtomicLong(-1);
            AtomicLong doneAtReturn = new AtomicLong(-1);
            Thread caller = new Thread(() -> {
                try {
                    released.set((int) call.invokeExact(release.address(), entered.address(), done.address(), TIMEOUT_NS));
                } catch (Throwable t) {
                    failure.compareAndSet(null, t);
                }
            });
            caller.start();
            while (entered.get(ValueLayout.JAVA_LONG, 0) == 0) {
                Thread.onSpinWait();
            }
            Thread handshaker = new Thread(() -> {
                handshake.run();
                doneAtReturn.set(done.get(ValueLayout.JAVA_LONG, 0));
            });
            handshaker.start();
            if (expectWait) {
                handshaker.join(200); // a handshake that does not wait has returned by now: the assertion catches it
            } else {
                handshaker.join(); // returns at once, or only when the spin times out (then the assertion fails)
            }
            release.set(ValueLayout.JAVA_LONG, 0, 1);
            caller.join();
            handshaker.join();
            assertNull(failure.get());
            assertEquals(1, released.get(), "the spin was released, not timed out");
            assertTrue(doneAtReturn.get() >= 0, "the handshake returned");
            return doneAtReturn.get();
        }
    }
}
