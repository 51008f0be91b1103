package dev.offkern.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.reflect.Field;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * {@link Kernel#current()}: the attached kernel, else the only booted one — whether the answer comes from
 * its fast path (the {@code sole} kernel, kept while one kernel is booted and every attached thread is
 * attached to it) or from the attachment and the booted list. The fast path must never answer for a thread
 * attached to another kernel (a closed one), nor while two kernels are booted, and must come back once the
 * last such attachment ends.
 */
class KernelCurrentTest {
    private final List<Kernel> booted = new ArrayList<>();

    @AfterEach
    void closeAll() {
        Kernel.detach();
        for (Kernel k : booted) {
            k.close();
        }
    }

    private Kernel boot() {
        Kernel k = Kernel.boot();
        booted.add(k);
        return k;
    }

    private static Kernel soleField() throws ReflectiveOperationException {
        Field f = Kernel.class.getDeclaredField("sole");
        f.setAccessible(true);
        return (Kernel) f.get(null);
    }

    @Test
    void shouldAnswerEveryUnattachedThreadWithTheOnlyBootedKernelThroughTheFastPath() throws Exception {
        Kernel k = boot();
        assertSame(k, soleField(), "one kernel, no attachment: the fast path holds it");
        assertSame(k, Kernel.current());
        AtomicReference<Object> other = new AtomicReference<>();
        Thread t = Thread.ofPlatform().start(() -> other.set(Kernel.current()));
        t.join();
        assertSame(k, other.get());
    }

    @Test
    void shouldDropTheFastPathWhileTwoKernelsAreBootedOrAThreadIsAttachedToAnotherKernel() throws Exception {
        Kernel first = boot();
        Kernel second = boot();
        assertNull(soleField(), "two kernels booted");
        IllegalStateException two = assertThrows(IllegalStateException.class, Kernel::current);
        assertTrue(two.getMessage().contains("2 kernels are booted"), two.getMessage());
        second.attach();
        assertSame(second, Kernel.current());
        Thread closer = Thread.ofPlatform().start(second::close); // another thread: this one stays attached
        closer.join();
        booted.remove(second);
        // first is the only booted kernel, but this thread is attached to the closed second: refused, not first
        IllegalStateException closed = assertThrows(IllegalStateException.class, Kernel::current);
        assertTrue(closed.getMessage().contains("closed"), closed.getMessage());
        assertNull(soleField(), "an attachment to another kernel is still live");
        Kernel.detach();
        assertSame(first, soleField(), "the last attachment ended: the fast path is back");
        assertSame(first, Kernel.current());
        first.attach();
        assertSame(first, soleField(), "attached to the only booted kernel: the fast path gives the same answer");
        assertSame(first, Kernel.current());
        Kernel.detach();
        Kernel.detach(); // a second detach changes nothing
        assertSame(first, soleField());
    }

    @Test
    void shouldRefuseACallAfterTheOnlyKernelClosed() throws Exception {
        Kernel k = boot();
        assertSame(k, Kernel.current());
        k.close();
        booted.remove(k);
        assertNull(soleField());
        IllegalStateException e = assertThrows(IllegalStateException.class, Kernel::current);
        assertTrue(e.getMessage().contains("closed"), e.getMessage());
    }

    /**
     * Under contention: one thread attaches and detaches in a loop, another calls unattached, while this one
     * boots and closes a second kernel. The attached thread must always get its own kernel; the unattached one
     * the first kernel or the two-kernels refusal, never the second kernel.
     */
    @Test
    void shouldNeverAnswerForAnAttachedThreadOrWithTheWrongKernelWhileKernelsComeAndGo() throws Exception {
        Kernel first = boot();
        AtomicBoolean stop = new AtomicBoolean();
        AtomicReference<Throwable> failure = new AtomicReference<>();
        AtomicLong attachedCalls = new AtomicLong();
        AtomicLong unattachedAnswers = new AtomicLong();
        AtomicLong twoKernelRefusals = new AtomicLong();
        CountDownLatch started = new CountDownLatch(2);
        Thread attacher = Thread.ofPlatform().start(() -> {
            started.countDown();
            try {
                while (!stop.get()) {
                    first.attach();
                    for (int i = 0; i < 100; i++) {
                        assertSame(first, Kernel.current(), "an attached thread got another kernel");
                        attachedCalls.incrementAndGet();
                    }
                    Kernel.detach();
                }
            } catch (Throwable t) {
                failure.compareAndSet(null, t);
            }
        });
        Thread caller = Thread.ofPlatform().start(() -> {
            started.countDown();
            try {
                while (!stop.get()) {
                    try {
                        Kernel k = Kernel.current();
                        assertSame(first, k, "an unattached thread got a kernel other than the first");
                        unattachedAnswers.incrementAndGet();
                    } catch (IllegalStateException e) {
                        if (!e.getMessage().contains("2 kernels are booted")) {
                            throw e;
                        }
                        twoKernelRefusals.incrementAndGet();
                    }
                }
            } catch (Throwable t) {
                failure.compareAndSet(null, t);
            }
        });
        started.await();
        for (int round = 0; round < 20; round++) {
            Kernel k = Kernel.boot();
            // keep both kernels booted until both threads have made calls meanwhile (progress, not a time window)
            long refused = twoKernelRefusals.get();
            long attachedBefore = attachedCalls.get();
            long deadline = System.nanoTime() + java.util.concurrent.TimeUnit.SECONDS.toNanos(30);
            while ((twoKernelRefusals.get() == refused || attachedCalls.get() == attachedBefore)
                    && failure.get() == null && System.nanoTime() < deadline) {
                Thread.onSpinWait();
            }
            k.close();
        }
        stop.set(true);
        attacher.join();
        caller.join();
        if (failure.get() != null) {
            throw new AssertionError(failure.get());
        }
        assertTrue(attachedCalls.get() > 0 && unattachedAnswers.get() > 0, "both threads ran");
        assertTrue(twoKernelRefusals.get() >= 20, "the unattached thread was refused in every round with two kernels: "
                + twoKernelRefusals.get());
        assertSame(first, soleField(), "no attachment and one kernel left: the fast path is back");
        assertEquals(first, Kernel.current());
    }
}
