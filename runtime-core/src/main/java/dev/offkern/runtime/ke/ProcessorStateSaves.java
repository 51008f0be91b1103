package dev.offkern.runtime.ke;

import java.util.Arrays;

/**
 * One thread's live processor-state saves: the head of its {@code XSTATE_SAVE} chain (what NT keeps
 * in {@code KTHREAD.XStateSave}; the chain itself is linked through the callers' blocks by their
 * {@code Prev} fields) and the stack of its live x64 {@code KFLOATING_SAVE} blocks with the IRQL each
 * was saved at (the 4-byte x64 block has no room for them, so they are kept here).
 *
 * <p>Threading: confined to its thread (reached through {@link ThreadState#stateSaves()}); plain
 * fields, no fences.
 */
final class ProcessorStateSaves {
    /** Address of the thread's innermost live XSTATE_SAVE, 0 when none (KTHREAD.XStateSave). */
    long xstateHead;

    private long[] floatBlocks = new long[4];
    private int[] floatIrqls = new int[4];
    private int floatDepth;

    /** Records a live KFLOATING_SAVE at {@code block}, saved at {@code irql}, as the innermost one. */
    void pushFloat(long block, int irql) {
        if (floatDepth == floatBlocks.length) {
            floatBlocks = Arrays.copyOf(floatBlocks, floatDepth * 2);
            floatIrqls = Arrays.copyOf(floatIrqls, floatDepth * 2);
        }
        floatBlocks[floatDepth] = block;
        floatIrqls[floatDepth] = irql;
        floatDepth++;
    }

    /** Live KFLOATING_SAVE blocks of this thread. */
    int floatDepth() {
        return floatDepth;
    }

    /** The innermost live KFLOATING_SAVE (0 when none). */
    long innermostFloat() {
        return floatDepth == 0 ? 0 : floatBlocks[floatDepth - 1];
    }

    /** The IRQL the innermost live KFLOATING_SAVE was saved at; only when {@link #floatDepth()} &gt; 0. */
    int innermostFloatIrql() {
        return floatIrqls[floatDepth - 1];
    }

    /** Forgets the innermost live KFLOATING_SAVE. */
    void popFloat() {
        floatDepth--;
    }
}
