package dev.offkern.runtime.ke;

/**
 * The logical processors as the runtime sees them, until the processor model exists.
 *
 * <p>offkern has no processors of its own yet (a later issue adds them, each with its DPC queue and
 * DPC thread). Structures that are striped per processor, such as the cache-aware rundown reference,
 * ask {@link #currentIndex()} which stripe to touch; today that is a stable per-thread index, so a
 * thread keeps hitting the same cache line. <b>This class is the hook the processor model replaces</b>:
 * {@code currentIndex()} becomes {@code KeGetCurrentProcessorNumberEx} of the calling thread's
 * processor, and {@link #count()} becomes {@code KeQueryActiveProcessorCountEx}.
 *
 * <p>Progress: wait-free. {@link #currentIndex()} allocates nothing after a thread's first call.
 */
public final class Processors {

    /** {@code KeNumberProcessors}: the JVM's available processors when this class loaded. */
    private static final int COUNT = Math.max(1, Runtime.getRuntime().availableProcessors());

    /**
     * {@code KeGetRecommendedSharedDataAlignment()}: the stride that keeps per-processor data on
     * separate cache lines. 128 bytes, as Windows reports on current x64 parts (two 64-byte lines:
     * the adjacent-line prefetcher pulls lines in pairs).
     */
    public static final int RECOMMENDED_SHARED_DATA_ALIGNMENT = 128;

    /**
     * The calling thread's stripe: its thread id modulo the processor count, fixed for the thread's
     * lifetime. Cached in a field of a per-thread holder so that the hot path is one ThreadLocal
     * read.
     */
    private static final ThreadLocal<int[]> INDEX = ThreadLocal.withInitial(
            () -> new int[] {(int) Long.remainderUnsigned(Thread.currentThread().threadId(), COUNT)});

    private Processors() {
    }

    /** {@code KeNumberProcessors}: how many logical processors the kernel has. */
    public static int count() {
        return COUNT;
    }

    /**
     * The calling thread's current processor index in {@code [0, count())}. Today a stable per-thread
     * value (see the class comment); callers must not rely on it staying fixed once the processor
     * model exists, and must tolerate two threads sharing an index.
     */
    public static int currentIndex() {
        return INDEX.get()[0];
    }
}
