package dev.offkern.nt;

/**
 * IoConnectInterruptEx / IoDisconnectInterruptEx versions (wdm.h) and the KINTERRUPT_MODE and
 * KINTERRUPT_POLARITY values.
 */
public final class InterruptConnect {
    public static final int CONNECT_FULLY_SPECIFIED = 0x1;
    public static final int CONNECT_LINE_BASED = 0x2;
    public static final int CONNECT_MESSAGE_BASED = 0x3;
    public static final int CONNECT_FULLY_SPECIFIED_GROUP = 0x4;
    public static final int CONNECT_MESSAGE_BASED_PASSIVE = 0x5;
    /** The highest version IoConnectInterruptEx knows. */
    public static final int CONNECT_CURRENT_VERSION = 0x5;

    /** KINTERRUPT_MODE LevelSensitive. */
    public static final int LevelSensitive = 0;
    /** KINTERRUPT_MODE Latched (edge). */
    public static final int Latched = 1;

    /** KINTERRUPT_POLARITY InterruptPolarityUnknown. */
    public static final int InterruptPolarityUnknown = 0;
    public static final int InterruptActiveHigh = 1;
    public static final int InterruptActiveLow = 2;

    private InterruptConnect() {
    }
}
