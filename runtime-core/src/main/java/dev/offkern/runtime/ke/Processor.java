package dev.offkern.runtime.ke;

import java.lang.foreign.MemorySegment;

/**
 * One logical processor of a kernel: its {@link Prcb} block (off-heap) and its service thread.
 *
 * <p>The service thread is a daemon that parks while idle. Work handed to it with
 * {@link #submit(Runnable)} runs on that thread at DISPATCH_LEVEL, on this processor, with
 * {@code DpcRoutineActive} set — the context in which NT runs DPCs. The same loop drains the
 * processor's normal DPC queue ({@link KeDpc}) when {@link #requestDpcDrain()} asks it to; threaded
 * DPCs run on a second thread, started on first use ({@link ThreadedDpcThread}).
 */
public final class Processor {
    private final KernelCore kernel;
    private final int number;
    private final MemorySegment prcb;
    private final ServiceThread service;

    /** The threaded-DPC thread, created on the first threaded DPC; guarded by this object. */
    private ThreadedDpcThread threadedDpcs;
    private boolean stopped;

    Processor(KernelCore kernel, int number, MemorySegment prcb, ThreadState serviceState) {
        this.kernel = kernel;
        this.number = number;
        this.prcb = prcb;
        this.service = new ServiceThread(this, serviceState);
        this.service.setDpcDrain(() -> KeDpc.drainOnServiceThread(this));
    }

    void start() {
        service.start();
    }

    /** Body of the service thread. */
    void serviceLoop() {
        service.run();
    }

    void shutdown() {
        ThreadedDpcThread td;
        synchronized (this) {
            stopped = true;
            td = threadedDpcs;
        }
        if (td != null && Thread.currentThread() != td.thread()) {
            td.shutdown();
        }
        service.shutdown();
    }

    /** Wakes the threaded-DPC thread (starting it on first use) to run the threaded DPC queue. */
    void signalThreadedDpcs() {
        ThreadedDpcThread td;
        synchronized (this) {
            if (stopped) {
                return;
            }
            td = threadedDpcs;
            if (td == null) {
                ThreadedDpcThread[] holder = new ThreadedDpcThread[1];
                Thread t = ThreadedDpcThread.newThread(() -> holder[0].run(), number);
                td = new ThreadedDpcThread(this, t, kernel.processors().newProcessorThreadState(t, number));
                holder[0] = td;
                threadedDpcs = td;
                td.start();
            }
        }
        td.signal();
    }

    public KernelCore kernel() {
        return kernel;
    }

    /** The processor number (0-based). */
    public int number() {
        return number;
    }

    /** This processor's PRCB block ({@link Prcb#STRIDE} bytes). */
    public MemorySegment prcb() {
        return prcb;
    }

    /** Waits (bounded) until the service thread has its KTHREAD. */
    void awaitServiceThreadBound() {
        service.awaitBound();
    }

    /** The service thread's Java thread. */
    public Thread serviceThread() {
        return service.thread();
    }

    /** The service thread's kernel state. */
    public ThreadState serviceThreadState() {
        return service.state();
    }

    /**
     * Queues {@code request} to run on this processor's service thread at DISPATCH_LEVEL.
     * Runtime-internal (the DPC and timer machinery use it); IRQL: any. Progress: lock-free
     * (an MPSC queue offer and an unpark).
     *
     * @return false if the processor is shut down (the kernel closed or halted)
     */
    public boolean submit(Runnable request) {
        return service.submit(request);
    }

    /** Sets the routine the service thread runs to drain this processor's DPC queue (DPC issue). */
    public void setDpcDrain(Runnable drain) {
        service.setDpcDrain(drain);
    }

    /** Asks the service thread to run the DPC drain routine soon. IRQL: any. */
    public void requestDpcDrain() {
        service.requestDpcDrain();
    }

    /** Whether the service thread is running a request or DPC now. */
    public boolean dpcRoutineActive() {
        return Prcb.dpcRoutineActive(prcb) != 0;
    }

    /** Service requests run so far. */
    public long serviceCount() {
        return Prcb.serviceCount(prcb);
    }

    /** Normal DPCs queued now (DpcData[DPC_NORMAL].DpcQueueDepth). */
    public int dpcQueueDepth() {
        return DpcQueue.depth(prcb, dev.offkern.layout.ke.KDPC_DATA.DPC_NORMAL);
    }

    /** Threaded DPCs queued now (DpcData[DPC_THREADED].DpcQueueDepth). */
    public int threadedDpcQueueDepth() {
        return DpcQueue.depth(prcb, dev.offkern.layout.ke.KDPC_DATA.DPC_THREADED);
    }

    /** DPCs run from the normal queue (DpcData[DPC_NORMAL].DpcCount). */
    public int dpcCount() {
        return DpcQueue.dpcCount(prcb, dev.offkern.layout.ke.KDPC_DATA.DPC_NORMAL);
    }

    /** DPCs inserted into the normal queue (the PRCB's DpcQueuedCount[DPC_NORMAL]; unsigned 32-bit, wraps). */
    public int dpcQueuedCount() {
        return DpcQueue.queuedCount(prcb, dev.offkern.layout.ke.KDPC_DATA.DPC_NORMAL);
    }

    /** DPCs inserted into the threaded queue (DpcQueuedCount[DPC_THREADED]; unsigned 32-bit, wraps). */
    public int threadedDpcQueuedCount() {
        return DpcQueue.queuedCount(prcb, dev.offkern.layout.ke.KDPC_DATA.DPC_THREADED);
    }

    /** DPCs run from the threaded queue (DpcData[DPC_THREADED].DpcCount). */
    public int threadedDpcCount() {
        return DpcQueue.dpcCount(prcb, dev.offkern.layout.ke.KDPC_DATA.DPC_THREADED);
    }

    @Override
    public String toString() {
        return "Processor[" + number + "]";
    }
}
