package dev.offkern.ddi;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.offkern.layout.ex.SLIST_ENTRY;
import dev.offkern.nt.KernelHaltedException;
import dev.offkern.runtime.Kernel;
import dev.offkern.runtime.KernelConfig;
import dev.offkern.runtime.ex.ChildJvm;
import java.lang.foreign.MemorySegment;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.lang.reflect.Proxy;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * After {@code Kernel.close()}, every DDI routine says so: called with blocks from the closed
 * kernel's pools (and otherwise valid-looking arguments), each fails with an
 * {@link IllegalStateException} (or {@link KernelHaltedException}) whose message says the kernel is
 * closed — never FFM's bare "Already closed", a page-fault bug check (0x50) or "was never in any
 * pool". The routines are found by reflection over every facade class ({@link Ex}, {@link Ke}, {@link Rtl}, {@link Ob}, {@link Zw}, {@link Ps}, {@link Io}, {@link Se}), so a new
 * routine is covered the day it is added.
 */
class ClosedKernelTest {

    /**
     * Routines that neither read kernel memory nor consult a kernel: pure arithmetic on their
     * arguments (Windows' versions are the same macros and inline functions), fine after close.
     */
    private static final Set<String> PURE = Set.of(
            "CONTAINING_RECORD",                      // address arithmetic, no dereference
            "RtlNumberOfSetBitsUlongPtr", "RtlFindMostSignificantBit", "RtlFindLeastSignificantBit",
            "ExSizeOfRundownProtectionCacheAware",    // a size
            "RtlLengthRequiredSid",                   // a size
            "IoSizeOfIrp");                           // a size

    @TempDir
    Path dumps;

    @AfterEach
    void detach() {
        Kernel.detach();
    }

    private Kernel boot() {
        return Kernel.boot(KernelConfig.defaults().withProcessorCount(1).withDumpDirectory(dumps)).leakReportSink(s -> { });
    }

    /** One fresh 256-byte, 64-aligned non-paged block of {@code kernel} per call. */
    private static MemorySegment block(Kernel kernel) {
        return kernel.nonPagedPool().allocate(256, 64);
    }

    private record Outcome(String routine, Throwable thrown, Object returned) {
        boolean saysClosed() {
            return (thrown instanceof IllegalStateException || thrown instanceof KernelHaltedException)
                    && thrown.getMessage() != null && thrown.getMessage().toLowerCase(Locale.ROOT).contains("closed")
                    && thrown.getMessage().contains("kernel");
        }

        @Override
        public String toString() {
            return routine + " -> " + (thrown == null ? "returned " + returned : thrown.getClass().getSimpleName() + ": " + thrown.getMessage());
        }
    }

    /** Every public static routine of the facade, except the pure ones, in a stable order. */
    private static List<Method> routines() {
        List<Method> all = new ArrayList<>();
        for (Class<?> c : List.of(Ex.class, Ke.class, Rtl.class, Ob.class, Zw.class, Ps.class, Io.class, Se.class)) {
            for (Method m : c.getDeclaredMethods()) {
                if (Modifier.isPublic(m.getModifiers()) && Modifier.isStatic(m.getModifiers()) && !PURE.contains(m.getName())) {
                    all.add(m);
                }
            }
        }
        all.sort(Comparator.comparing(Method::getName).thenComparing(m -> Arrays.toString(m.getParameterTypes())));
        return all;
    }

    /**
     * Arguments that would make the routine succeed on a running kernel as far as possible: blocks of
     * the (now closed) kernel for every pointer, 1 for ints (a valid IRQL, count, pool type, tag),
     * POOL_FLAG_NON_PAGED / 64 bytes for longs, callbacks that fail the test if called.
     */
    private static Object[] arguments(Method m, List<MemorySegment> blocks) {
        Class<?>[] types = m.getParameterTypes();
        Object[] args = new Object[types.length];
        int nextBlock = 0;
        for (int i = 0; i < types.length; i++) {
            Class<?> t = types[i];
            if (t == MemorySegment.class) {
                args[i] = blocks.get(nextBlock++);
            } else if (t == int.class) {
                args[i] = 1;
            } else if (t == byte.class) {
                args[i] = (byte) 1;
            } else if (t == long.class) {
                args[i] = 0x40L;   // POOL_FLAG_NON_PAGED; also 64 bytes
            } else if (t == boolean.class) {
                args[i] = false;
            } else if (t == String.class) {
                args[i] = "Next";
            } else if (t == dev.offkern.layout.StructSpec.class) {
                args[i] = SLIST_ENTRY.X64;
            } else if (t == dev.offkern.nt.ObjectTypeProcedures.class) {
                args[i] = dev.offkern.nt.ObjectTypeProcedures.NONE;
            } else if (t.isInterface()) {
                args[i] = Proxy.newProxyInstance(t.getClassLoader(), new Class<?>[] {t}, (p, method, a) -> {
                    throw new AssertionError(m.getName() + " called its " + method.getName() + " callback on a closed kernel");
                });
            } else {
                throw new AssertionError("no argument for " + t + " of " + m);
            }
        }
        return args;
    }

    private static List<Outcome> callEveryRoutine(List<MemorySegment> blocks) {
        List<Outcome> outcomes = new ArrayList<>();
        for (Method m : routines()) {
            Object[] args = arguments(m, blocks);
            try {
                outcomes.add(new Outcome(m.getName(), null, m.invoke(null, args)));
            } catch (InvocationTargetException e) {
                outcomes.add(new Outcome(m.getName(), e.getCause(), null));
            } catch (IllegalAccessException e) {
                throw new AssertionError(e);
            }
        }
        return outcomes;
    }

    private static void assertEverySaysClosed(List<Outcome> outcomes) {
        List<Outcome> bad = outcomes.stream().filter(o -> !o.saysClosed()).toList();
        assertTrue(outcomes.size() > 100, "too few routines found: " + outcomes.size());
        assertTrue(bad.isEmpty(), bad.size() + " of " + outcomes.size() + " routines do not say the kernel is closed:\n  "
                + String.join("\n  ", bad.stream().map(Outcome::toString).toList()));
    }

    private static List<MemorySegment> blocks(Kernel kernel) {
        List<MemorySegment> blocks = new ArrayList<>();
        for (int i = 0; i < 12; i++) {
            blocks.add(block(kernel));
        }
        return blocks;
    }

    @Test
    void shouldSayTheKernelIsClosedFromEveryRoutineOnAThreadAttachedToIt() {
        Kernel kernel = boot().attach();
        List<MemorySegment> blocks = blocks(kernel);
        kernel.close();
        assertEverySaysClosed(callEveryRoutine(blocks));
    }

    @Test
    void shouldSayTheKernelIsClosedFromEveryRoutineGivenItsMemoryWhenNoKernelIsBooted() {
        Kernel kernel = boot();
        List<MemorySegment> blocks = blocks(kernel);
        kernel.close();
        assertEverySaysClosed(callEveryRoutine(blocks));
    }

    @Test
    void shouldSayTheKernelIsClosedFromEveryRoutineOnAnotherThreadStillAttachedToIt() throws Exception {
        Kernel kernel = boot();
        List<MemorySegment> blocks = blocks(kernel);
        CountDownLatch attached = new CountDownLatch(1);
        CountDownLatch closed = new CountDownLatch(1);
        List<Outcome> outcomes = new ArrayList<>();
        Thread caller = Thread.ofPlatform().start(() -> {
            kernel.attach();
            attached.countDown();
            try {
                closed.await();
            } catch (InterruptedException e) {
                throw new AssertionError(e);
            }
            outcomes.addAll(callEveryRoutine(blocks));
        });
        attached.await();
        kernel.close();
        closed.countDown();
        caller.join();
        assertEverySaysClosed(outcomes);
    }
    /**
     * A call already inside a routine when another thread closes the kernel (here: spinning on a spin
     * lock, or a queued spin lock, that the closing thread holds) meets unmapped memory at its next
     * access: it must say the kernel was closed, not FFM's bare "Already closed".
     */
    @Test
    void shouldSayTheKernelIsClosedToACallSpinningInsideARoutineWhenAnotherThreadClosesIt() throws Exception {
        for (boolean queued : new boolean[] {false, true}) {
            Kernel kernel = boot().attach();
            MemorySegment lock = block(kernel);
            MemorySegment mine = block(kernel);
            MemorySegment theirs = block(kernel);
            Ke.KeInitializeSpinLock(lock);
            if (queued) {
                Ke.KeAcquireInStackQueuedSpinLock(lock, mine);
            } else {
                Ke.KeAcquireSpinLock(lock);
            }
            Object[] outcome = new Object[1];
            CountDownLatch started = new CountDownLatch(1);
            Thread spinner = Thread.ofPlatform().daemon().start(() -> {
                kernel.attach();
                started.countDown();
                try {
                    if (queued) {
                        Ke.KeAcquireInStackQueuedSpinLock(lock, theirs);
                    } else {
                        Ke.KeAcquireSpinLock(lock);
                    }
                    outcome[0] = "acquired";
                } catch (Throwable t) {
                    outcome[0] = t;
                } finally {
                    Kernel.detach();
                }
            });
            started.await();
            Thread.sleep(50); // not an assertion: lets the spinner reach its spin (it says closed either way)
            dev.offkern.runtime.ke.ThreadState.current().setIrql(0); // the closing thread holds the lock at DISPATCH_LEVEL
            kernel.close();
            Kernel.detach();
            spinner.join(20_000);
            assertTrue(!spinner.isAlive(), "the spinning thread is still spinning after close");
            Outcome o = new Outcome(queued ? "KeAcquireInStackQueuedSpinLock" : "KeAcquireSpinLock",
                    outcome[0] instanceof Throwable t ? t : null, outcome[0]);
            assertTrue(o.saysClosed(), o.toString());
        }
    }

    /**
     * The same with the verifier compiled out ({@code -Doffkern.verifier=false}, in a child JVM:
     * the switch is read once per JVM): the closed-kernel check is not a verifier check, so
     * routines whose other argument checks are verifier checks (KeClearEvent, KeReadStateEvent,
     * KeTestSpinLock, ...) must still say the kernel was closed rather than FFM's "Already closed".
     */
    @Test
    void shouldSayTheKernelIsClosedFromEveryRoutineWithTheVerifierOff() throws Exception {
        ChildJvm child = ChildJvm.run(Duration.ofMinutes(2), List.of("-Doffkern.verifier=false"), ClosedKernelTest.class);
        assertEquals(0, child.exitStatus(), () -> "child JVM ended with status " + child.exitStatus() + ":\n" + child.output());
        assertEquals("CLOSED-OK verifier=false", child.resultLine("CLOSED-"), child::output);
    }

    /** The child JVM of {@link #shouldSayTheKernelIsClosedFromEveryRoutineWithTheVerifierOff}. */
    public static void main(String[] args) throws Exception {
        ClosedKernelTest test = new ClosedKernelTest();
        test.dumps = java.nio.file.Files.createTempDirectory("offkern-closed-kernel");
        List<String> failures = new ArrayList<>();
        for (boolean attach : new boolean[] {true, false}) {
            Kernel kernel = attach ? test.boot().attach() : test.boot();
            List<MemorySegment> blocks = blocks(kernel);
            kernel.close();
            try {
                assertEverySaysClosed(callEveryRoutine(blocks));
            } catch (AssertionError e) {
                failures.add((attach ? "attached: " : "not attached: ") + e.getMessage());
            } finally {
                Kernel.detach();
            }
        }
        System.out.println(failures.isEmpty() ? "CLOSED-OK verifier=" + dev.offkern.runtime.verifier.Verifier.ENABLED
                : "CLOSED-BAD verifier=" + dev.offkern.runtime.verifier.Verifier.ENABLED + "\n" + String.join("\n", failures));
        System.exit(0);
    }
}
