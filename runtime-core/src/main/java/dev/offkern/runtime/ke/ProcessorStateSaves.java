package dev.offkern.runtime.ke;

import java.util.Arrays;

/**
 * One thread's live processor-state saves, as the kernel recorded them:
 * <ul>
 *   <li>its {@code XSTATE_SAVE} chain — the head is what NT keeps in {@code KTHREAD.XStateSave}; the
 *       chain is also linked through the callers' blocks by their {@code Prev} fields, and each entry
 *       remembers the mask, area and length the save wrote into its block, so that a block changed
 *       before its restore is caught instead of freeing or loading memory that is not its own;</li>
 *   <li>its live x64 {@code KFLOATING_SAVE} blocks with the IRQL each was saved at and the MXCSR it
 *       stored (the 4-byte block has no room for the first; the second tells a block the caller
 *       overwrote).</li>
 * </ul>
 *
 * <p>Threading: confined to its thread (reached through {@link ThreadState#stateSaves()}); plain
 * fields, no fences.
 */
final class ProcessorStateSaves {
    private long[] xstateBlocks = new long[4];
    private long[] xstateMasks = new long[4];
    private long[] xstateLengths = new long[4];
    private long[] xstateAreas = new long[4];
    private int xstateDepth;

    private long[] floatBlocks = new long[4];
    private int[] floatIrqls = new int[4];
    private int[] floatMxcsrs = new int[4];
    private int floatDepth;

    /** Address of the thread's innermost live XSTATE_SAVE, 0 when none (KTHREAD.XStateSave). */
    long xstateHead() {
        return xstateDepth == 0 ? 0 : xstateBlocks[xstateDepth - 1];
    }

    /** The save before the innermost one (what the innermost block's Prev must hold), 0 when none. */
    long xstatePrevious() {
        return xstateDepth < 2 ? 0 : xstateBlocks[xstateDepth - 2];
    }

    /** Live XSTATE_SAVE blocks of this thread. */
    int xstateDepth() {
        return xstateDepth;
    }

    /** Records a save into {@code block} of {@code mask} in the {@code length}-byte area at {@code area} as the innermost one. */
    void pushXState(long block, long mask, long length, long area) {
        if (xstateDepth == xstateBlocks.length) {
            int n = xstateDepth * 2;
            xstateBlocks = Arrays.copyOf(xstateBlocks, n);
            xstateMasks = Arrays.copyOf(xstateMasks, n);
            xstateLengths = Arrays.copyOf(xstateLengths, n);
            xstateAreas = Arrays.copyOf(xstateAreas, n);
        }
        xstateBlocks[xstateDepth] = block;
        xstateMasks[xstateDepth] = mask;
        xstateLengths[xstateDepth] = length;
        xstateAreas[xstateDepth] = area;
        xstateDepth++;
    }

    /** The innermost save's mask; only when {@link #xstateDepth()} &gt; 0. */
    long innermostXStateMask() {
        return xstateMasks[xstateDepth - 1];
    }

    /** The innermost save's area length. */
    long innermostXStateLength() {
        return xstateLengths[xstateDepth - 1];
    }

    /** The innermost save's area (= its pool block; 0 for an empty mask). */
    long innermostXStateArea() {
        return xstateAreas[xstateDepth - 1];
    }

    /** Forgets the innermost live XSTATE_SAVE: its Prev becomes the head. */
    void popXState() {
        xstateDepth--;
    }

    /** Records a live KFLOATING_SAVE at {@code block}, saved at {@code irql} with {@code mxcsr}, as the innermost one. */
    void pushFloat(long block, int irql, int mxcsr) {
        if (floatDepth == floatBlocks.length) {
            floatBlocks = Arrays.copyOf(floatBlocks, floatDepth * 2);
            floatIrqls = Arrays.copyOf(floatIrqls, floatDepth * 2);
            floatMxcsrs = Arrays.copyOf(floatMxcsrs, floatDepth * 2);
        }
        floatBlocks[floatDepth] = block;
        floatIrqls[floatDepth] = irql;
        floatMxcsrs[floatDepth] = mxcsr;
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

    /** The MXCSR the innermost live KFLOATING_SAVE stored in its Dummy; only when {@link #floatDepth()} &gt; 0. */
    int innermostFloatMxcsr() {
        return floatMxcsrs[floatDepth - 1];
    }

    /** Forgets the innermost live KFLOATING_SAVE. */
    void popFloat() {
        floatDepth--;
    }
}
