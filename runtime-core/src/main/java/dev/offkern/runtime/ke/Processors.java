package dev.offkern.runtime.ke;

import dev.offkern.layout.ke.OFFKERN_THREAD_BLOCK;
import dev.offkern.runtime.mm.Region;
import dev.offkern.runtime.verifier.VerifierCheck;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.ref.Cleaner;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A kernel's logical processors and the per-thread states of the threads that call into it.
 *
 * <p>Owns one long-lived shared arena holding the PRCB array ({@link Prcb}: processor count ×
 * {@link Prcb#STRIDE} bytes, 128-byte aligned), registered in the kernel's address space so that
 * pointers into it (DPC list heads) resolve like any kernel memory. The arena is closed when the
 * kernel closes. A thread state's KTHREAD is a Thread object from the kernel's {@link ThreadObjects}
 * (in nonpaged pool).
 *
 * <p>Processor assignment of caller threads: {@code Thread.threadId() mod processorCount}.
 */
public final class Processors {
    /*
     * Implementation overview.
     * Thread states: a caller's state is made on the slow path of ThreadState.current() (its first
     * call), installed, then given its KTHREAD by ThreadObjects.create (so the making may call into
     * the kernel: it finds the new state, not a recursion), then ThreadObjects.installed runs. A
     * Cleaner registered on the state runs ThreadObjects.collected's action when the state becomes
     * unreachable: it drops the state's reference on its Thread object. The action holds neither the
     * state nor this object (the Cleaner is static: whatever an action holds stays reachable until it
     * runs). Service and threaded-DPC threads are bound by the thread itself when its loop starts.
     */
    private static final Cleaner CLEANER = Cleaner.create(Thread.ofPlatform().daemon(true).name("offkern-thread-cleaner").factory());

    private final KernelCore kernel;
    private final Arena arena = Arena.ofShared();
    private final Processor[] processors;
    private final MemorySegment prcbArray;
    private final int verifierMask;
    private final AtomicLong nextThreadId = new AtomicLong(1);
    private final List<Region> regions = new ArrayList<>();

    public Processors(KernelCore kernel) {
        this.kernel = kernel;
        int n = kernel.processorCount();
        int mask = 0;
        for (VerifierCheck c : kernel.verifierChecks()) {
            mask |= c.bit();
        }
        this.verifierMask = mask;
        this.prcbArray = arena.allocate((long) n * Prcb.STRIDE, Prcb.STRIDE);
        regions.add(kernel.addressSpace().register(prcbArray, "PRCB array"));
        this.processors = new Processor[n];
        for (int i = 0; i < n; i++) {
            MemorySegment prcb = prcbArray.asSlice((long) i * Prcb.STRIDE, Prcb.STRIDE);
            Prcb.initialize(prcb, i, kernel.threadedDpcs());
            Processor[] holder = new Processor[1];
            Thread t = ServiceThread.newThread(() -> holder[0].serviceLoop(), i);
            ThreadState st = newState(t, i, true);
            processors[i] = new Processor(kernel, i, prcb, st);
            holder[0] = processors[i];
        }
    }

    /** Starts every service thread (after the kernel is fully built). */
    public void start() {
        for (Processor p : processors) {
            p.start();
        }
        for (Processor p : processors) {
            p.awaitServiceThreadBound(); // their ETHREADs (and the System process) exist when the boot returns
        }
    }

    /** Stops the service threads and unmaps the PRCBs. */
    public void close() {
        for (Processor p : processors) {
            p.shutdown();
        }
        synchronized (this) {
            for (Region r : regions) {
                try {
                    kernel.addressSpace().unregister(r);
                } catch (IllegalArgumentException alreadyGone) {
                    // the address space may have been cleared first
                }
            }
            regions.clear();
        }
        arena.close();
    }

    /** Stops the service threads without unmapping anything (HALT: memory stays for inspection). */
    public void stopServiceThreads() {
        for (Processor p : processors) {
            if (Thread.currentThread() != p.serviceThread()) {
                p.shutdown();
            }
        }
    }

    /** Number of logical processors. */
    public int count() {
        return processors.length;
    }

    /** Processor {@code number}. */
    public Processor get(int number) {
        return processors[number];
    }

    /** The PRCB array (count × {@link Prcb#STRIDE} bytes). */
    public MemorySegment prcbArray() {
        return prcbArray;
    }

    /** The processor a caller thread is assigned to: {@code threadId mod count}. */
    public int processorFor(Thread thread) {
        return (int) Long.remainderUnsigned(thread.threadId(), processors.length);
    }

    /** A new state for a runtime thread bound to processor {@code processor} (a threaded-DPC thread); bound when it starts. */
    ThreadState newProcessorThreadState(Thread thread, int processor) {
        return newState(thread, processor, false);
    }

    /**
     * A new state for the calling caller thread (slow path of {@link ThreadState#current()}): made,
     * installed as the thread's state, then given its KTHREAD.
     */
    ThreadState newCallerState(Thread thread) {
        ThreadState s = newState(thread, processorFor(thread), false);
        ThreadState.install(s);
        try {
            bind(s, false);
        } catch (RuntimeException | Error e) {
            ThreadState.forget();
            throw e;
        }
        kernel.threadObjects().installed(s);
        return s;
    }

    /**
     * Gives {@code s} its KTHREAD (a Thread object body from the kernel's {@link ThreadObjects}) and
     * registers the Cleaner that drops the state's reference on it and its pin on the memory. On the
     * state's own thread. A bind that fails runs that action at once.
     */
    void bind(ThreadState s, boolean systemThread) {
        ThreadObjects objects = kernel.threadObjects();
        MemorySegment body = objects.create(s.thread(), systemThread);
        Runnable collected = objects.collected(body, s.ownedMutexCounter());
        try {
            s.bind(body);
        } catch (RuntimeException | Error e) {
            collected.run();
            throw e;
        }
        CLEANER.register(s, collected);
    }

    private ThreadState newState(Thread thread, int processor, boolean service) {
        return new ThreadState(kernel, thread, nextThreadId.getAndIncrement(), processor, service, verifierMask);
    }

    /**
     * Whether {@code address}, in region {@code r}, is the WakeBlock of a live thread of this kernel
     * (what a rundown or run-once word may point at).
     */
    boolean isWakeBlock(Region r, long address) {
        long kthread = address - WakeBlock.IN_KTHREAD;
        return r.contains(kthread, OFFKERN_THREAD_BLOCK.THREAD_OBJECT_BODY_SIZE) && kernel.threadObjects().isThread(kthread);
    }
}
