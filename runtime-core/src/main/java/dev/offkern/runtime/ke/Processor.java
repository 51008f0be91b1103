package dev.offkern.runtime.ke;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * One logical processor of a kernel: its {@link Prcb} block (off-heap) and its service thread.
 *
 * <p>The service thread is a daemon that parks while idle. Work handed to it with
 * {@link #submit(Runnable)} runs on that thread at DISPATCH_LEVEL, on this processor, with
 * {@code DpcRoutineActive} set — the context in which NT runs DPCs. The DPC issue drains the
 * processor's DPC queue ({@link Prcb#DPC_LIST_HEAD_OFFSET}) from the same loop through
 * {@link #setDpcDrain(Runnable)} and {@link #requestDpcDrain()}.
 */
public final class Processor {
    private final KernelCore kernel;
    private final int number;
    private final MemorySegment prcb;
    private final ServiceThread service;

    Processor(KernelCore kernel, int number, MemorySegment prcb, ThreadState serviceState) {
        this.kernel = kernel;
        this.number = number;
        this.prcb = prcb;
        this.service = new ServiceThread(this, serviceState);
    }

    void start() {
        service.start();
    }

    /** Body of the service thread. */
    void serviceLoop() {
        service.run();
    }

    void shutdown() {
        service.shutdown();
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

    /** DPCs queued (from the PRCB). */
    public int dpcQueueDepth() {
        return prcb.get(ValueLayout.JAVA_INT, Prcb.DPC_QUEUE_DEPTH_OFFSET);
    }

    @Override
    public String toString() {
        return "Processor[" + number + "]";
    }
}
