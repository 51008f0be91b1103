package dev.offkern.nt;

/**
 * {@code WORK_QUEUE_TYPE} values (wdm.h) for {@code ExQueueWorkItem} and {@code IoQueueWorkItem}.
 * offkern serves three queues: the critical one (CriticalWorkQueue, and RealTimeWorkQueue and
 * SuperCriticalWorkQueue, which Windows runs at higher priorities), the delayed one
 * (DelayedWorkQueue, and NormalWorkQueue and BackgroundWorkQueue) and the hyper-critical one.
 */
public final class WorkQueueType {
    public static final int CriticalWorkQueue = 0;
    public static final int DelayedWorkQueue = 1;
    public static final int HyperCriticalWorkQueue = 2;
    public static final int NormalWorkQueue = 3;
    public static final int BackgroundWorkQueue = 4;
    public static final int RealTimeWorkQueue = 5;
    public static final int SuperCriticalWorkQueue = 6;
    /** One past the last queue type. */
    public static final int MaximumWorkQueue = 7;

    private WorkQueueType() {
    }
}
