package dev.offkern.shim;

import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;

/**
 * The calling thread's floating-point control registers: MXCSR (SSE/AVX rounding, exception masks,
 * flush-to-zero, denormals-are-zero, sticky exception flags) and the x87 control word (precision,
 * rounding, exception masks). What {@code KeSaveFloatingPointState} preserves on x86 and what
 * {@code KeSaveExtendedProcessorState} captures with the legacy components.
 *
 * <p><b>Handle with care.</b> These registers belong to the JVM thread that runs the call. Java's
 * floating-point semantics assume the defaults ({@link #MXCSR_DEFAULT}, {@link #X87_CONTROL_WORD_DEFAULT});
 * a changed rounding mode or flush-to-zero silently changes the results of Java arithmetic executed
 * by compiled code on that thread until restored. Restore what you change in a {@code finally}.
 * The System V ABI also makes the control bits callee-saved, so native code may rely on them.
 *
 * <p>Progress: wait-free. Thread safety: per-thread state; no shared memory is touched.
 */
public final class FloatingPointControl {

    /** MXCSR at reset and as Java expects it: all exceptions masked, round to nearest, no FTZ/DAZ. */
    public static final int MXCSR_DEFAULT = 0x1F80;
    /** x87 control word at FNINIT: all exceptions masked, 64-bit precision, round to nearest. */
    public static final int X87_CONTROL_WORD_DEFAULT = 0x037F;
    /** MXCSR bits 0..5: sticky exception flags (IE, DE, ZE, OE, UE, PE). */
    public static final int MXCSR_EXCEPTION_FLAGS = 0x3F;
    /** MXCSR bit 15: flush to zero. */
    public static final int MXCSR_FLUSH_TO_ZERO = 0x8000;
    /** MXCSR bits 13..14: rounding control (00 nearest, 01 down, 10 up, 11 toward zero). */
    public static final int MXCSR_ROUNDING_MASK = 0x6000;

    private static final Linker.Option CRITICAL = Linker.Option.critical(false);
    private static final MethodHandle STMXCSR = NativeShim.downcallOrNull("offkern_stmxcsr",
            FunctionDescriptor.of(ValueLayout.JAVA_INT), CRITICAL);
    private static final MethodHandle LDMXCSR = NativeShim.downcallOrNull("offkern_ldmxcsr",
            FunctionDescriptor.ofVoid(ValueLayout.JAVA_INT), CRITICAL);
    private static final MethodHandle MXCSR_MASK = NativeShim.downcallOrNull("offkern_mxcsr_mask",
            FunctionDescriptor.of(ValueLayout.JAVA_INT));
    private static final MethodHandle FNSTCW = NativeShim.downcallOrNull("offkern_fnstcw",
            FunctionDescriptor.of(ValueLayout.JAVA_SHORT), CRITICAL);
    private static final MethodHandle FLDCW = NativeShim.downcallOrNull("offkern_fldcw",
            FunctionDescriptor.ofVoid(ValueLayout.JAVA_SHORT), CRITICAL);

    private FloatingPointControl() {
    }

    /** The calling thread's MXCSR (STMXCSR). */
    public static int mxcsr() {
        require();
        try {
            return (int) STMXCSR.invokeExact();
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new AssertionError(t);
        }
    }

    /** The bits of MXCSR this CPU lets software set (FXSAVE's MXCSR_MASK; 0xFFBF when it reports 0). */
    public static int mxcsrMask() {
        require();
        try {
            return (int) MXCSR_MASK.invokeExact();
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new AssertionError(t);
        }
    }

    /**
     * Loads MXCSR (LDMXCSR) on the calling thread.
     *
     * @throws IllegalArgumentException if {@code value} sets a bit outside {@link #mxcsrMask()}
     *                                  (the instruction would raise #GP)
     */
    public static void setMxcsr(int value) {
        int mask = mxcsrMask();
        if ((value & ~mask) != 0) {
            throw new IllegalArgumentException(String.format(
                    "MXCSR 0x%x sets reserved bits 0x%x (MXCSR_MASK is 0x%x)", value, value & ~mask, mask));
        }
        try {
            LDMXCSR.invokeExact(value);
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new AssertionError(t);
        }
    }

    /** The calling thread's x87 control word (FNSTCW), 0..0xFFFF. */
    public static int x87ControlWord() {
        require();
        try {
            return Short.toUnsignedInt((short) FNSTCW.invokeExact());
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new AssertionError(t);
        }
    }

    /**
     * Loads the x87 control word (FLDCW) on the calling thread.
     *
     * @throws IllegalArgumentException if {@code value} does not fit in 16 bits
     */
    public static void setX87ControlWord(int value) {
        if ((value & ~0xFFFF) != 0) {
            throw new IllegalArgumentException(String.format("x87 control word 0x%x does not fit in 16 bits", value));
        }
        require();
        try {
            FLDCW.invokeExact((short) value);
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new AssertionError(t);
        }
    }

    private static void require() {
        if (STMXCSR == null) {
            throw NativeShim.unavailable();
        }
    }
}
