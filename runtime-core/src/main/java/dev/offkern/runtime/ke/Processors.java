package dev.offkern.runtime.ke;

import dev.offkern.layout.ke.OFFKERN_THREAD_BLOCK;
import dev.offkern.runtime.mm.Region;
import dev.offkern.runtime.verifier.VerifierCheck;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.ref.Cleaner;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A kernel's logical processors and the per-thread states of the threads that call into it.
 *
 * <p>Owns one long-lived shared arena holding the PRCB array ({@link Prcb}: processor count ×
 * {@link Prcb#STRIDE} bytes, 128-byte aligned) and the slabs of thread identity blocks
 * ({@link OFFKERN_THREAD_BLOCK}, 256 bytes each); both are registered in the kernel's address space
 * so that pointers into them (DPC list heads, wait blocks) resolve like any kernel memory.
 * The arena is closed when the kernel closes.
 *
 * <p>Processor assignment of caller threads: {@code Thread.threadId() mod processorCount}.
 */
public final class Processors {
    /*
     * Implementation overview.
     * Thread blocks: slabs of SLAB_BLOCKS blocks; a free list (FreeBlocks: an ArrayDeque of the
     * blocks' segments under its own monitor). A state's block returns to the free list through a
     * Cleaner when the state becomes unreachable (its thread died, or forgot the kernel). The
     * cleaning action holds only the block segment and the FreeBlocks, never the state nor this
     * object: the Cleaner is static, so whatever an action holds stays reachable until the action
     * runs, and this object holds the service threads' states (through the Processors), which
     * become unreachable only with the kernel itself — an action holding this object would keep
     * every closed kernel on the heap for ever. Allocation is on the slow path of
     * ThreadState.current() (first call of a thread), never on a hot path.
     */
    private static final Cleaner CLEANER = Cleaner.create(Thread.ofPlatform().daemon(true).name("offkern-thread-cleaner").factory());
    private static final int SLAB_BLOCKS = 64;
    /** Bytes of one thread block. */
    private static final long BLOCK_SIZE = OFFKERN_THREAD_BLOCK.LAYOUT.byteSize();

    private final KernelCore kernel;
    private final Arena arena = Arena.ofShared();
    private final Processor[] processors;
    private final MemorySegment prcbArray;
    private final int verifierMask;
    private final AtomicLong nextThreadId = new AtomicLong(1);
    /** Recycled thread blocks; what the Cleaner's actions hold (never this object). */
    private final FreeBlocks freeBlocks = new FreeBlocks();
    private final List<Region> regions = new ArrayList<>();
    /** The thread-block slabs' regions; replaced whole when a slab is added (read without the monitor). */
    private volatile Region[] slabs = new Region[0];
    private boolean closed;

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
    }

    /** Stops the service threads and unmaps the PRCBs and thread blocks. */
    public void close() {
        for (Processor p : processors) {
            p.shutdown();
        }
        synchronized (this) {
            closed = true;
            for (Region r : regions) {
                try {
                    kernel.addressSpace().unregister(r);
                } catch (IllegalArgumentException alreadyGone) {
                    // the address space may have been cleared first
                }
            }
            regions.clear();
            freeBlocks.close();
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

    /** A new state for a runtime thread bound to processor {@code processor} (a threaded-DPC thread). */
    ThreadState newProcessorThreadState(Thread thread, int processor) {
        return newState(thread, processor, false);
    }

    /** A new state for a caller thread (slow path of {@link ThreadState#current()}). */
    ThreadState newCallerState(Thread thread) {
        return newState(thread, processorFor(thread), false);
    }

    private ThreadState newState(Thread thread, int processor, boolean service) {
        MemorySegment block = allocateBlock();
        ThreadState s = new ThreadState(kernel, thread, nextThreadId.getAndIncrement(), processor, service, verifierMask, block);
        FreeBlocks free = freeBlocks; // the action must capture neither this object nor the state
        CLEANER.register(s, () -> free.add(block));
        return s;
    }

    private synchronized MemorySegment allocateBlock() {
        if (closed) {
            throw new IllegalStateException("this offkern kernel is closed");
        }
        MemorySegment b = freeBlocks.poll();
        if (b == null) {
            MemorySegment slab = arena.allocate(SLAB_BLOCKS * BLOCK_SIZE, OFFKERN_THREAD_BLOCK.LAYOUT.byteAlignment());
            Region region = kernel.addressSpace().register(slab, "thread blocks");
            regions.add(region);
            Region[] grown = java.util.Arrays.copyOf(slabs, slabs.length + 1);
            grown[slabs.length] = region;
            slabs = grown; // volatile write: publishes the slab to isWakeBlock's readers
            for (int i = 1; i < SLAB_BLOCKS; i++) {
                freeBlocks.add(slab.asSlice(i * BLOCK_SIZE, BLOCK_SIZE));
            }
            b = slab.asSlice(0, BLOCK_SIZE);
        }
        b.fill((byte) 0);
        return b;
    }

    /**
     * Whether {@code address}, in region {@code r}, is the WakeBlock of a thread block of this kernel
     * (what a rundown or run-once word may point at). Wait-free.
     */
    boolean isWakeBlock(Region r, long address) {
        for (Region slab : slabs) { // volatile read of the array
            if (slab == r) {
                return Long.remainderUnsigned(r.offsetOf(address), BLOCK_SIZE) == OFFKERN_THREAD_BLOCK.WAKE_BLOCK_OFFSET;
            }
        }
        return false;
    }

    /** Thread blocks currently free (for tests of the recycling). */
    public int freeBlockCount() {
        return freeBlocks.size();
    }

    /**
     * The free thread blocks of one kernel: a queue under its own monitor, which refuses blocks
     * once the kernel has closed (their memory is unmapped). Holds no reference to the kernel.
     */
    private static final class FreeBlocks {
        private final ArrayDeque<MemorySegment> blocks = new ArrayDeque<>();
        private boolean closed;

        synchronized void add(MemorySegment block) {
            if (!closed) {
                blocks.add(block);
            }
        }

        synchronized MemorySegment poll() {
            return blocks.poll();
        }

        synchronized void close() {
            closed = true;
            blocks.clear();
        }

        synchronized int size() {
            return blocks.size();
        }
    }
}
