package dev.offkern.runtime.ke;

/**
 * IRQL levels and the calling thread's current IRQL. Until the IRQL model (processors, raise and
 * lower) exists every thread runs at {@link #PASSIVE_LEVEL}; routines that must check the IRQL call
 * {@link #current()} so that the model slots in without touching them.
 */
public final class Irql {
    public static final int PASSIVE_LEVEL = 0;
    public static final int LOW_LEVEL = 0;
    public static final int APC_LEVEL = 1;
    public static final int DISPATCH_LEVEL = 2;
    public static final int CMCI_LEVEL = 5;
    public static final int CLOCK_LEVEL = 13;
    public static final int IPI_LEVEL = 14;
    public static final int DRS_LEVEL = 14;
    public static final int POWER_LEVEL = 14;
    public static final int PROFILE_LEVEL = 15;
    public static final int HIGH_LEVEL = 15;

    private Irql() {
    }

    /** The calling thread's IRQL. */
    public static int current() {
        return PASSIVE_LEVEL;
    }
}
