package dev.offkern.shim;

import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;

/**
 * The XSAVE family on the calling thread's extended processor state: XSAVE, XSAVEOPT, XSAVEC and
 * XRSTOR into and out of a caller-supplied, 64-byte aligned save area (and FXSAVE/FXRSTOR for the
 * legacy state where XSAVE is unavailable). The engine behind
 * {@code KeSaveExtendedProcessorState}/{@code KeRestoreExtendedProcessorState}.
 *
 * <p>A {@code mask} selects state components by their XCR0 bit ({@link #LEGACY_FLOATING_POINT},
 * {@link #LEGACY_SSE}, {@link #AVX}, ...); the instruction acts on {@code mask & XCR0}. Only the
 * components in {@link #usableMask()} may be named: XCR0's components minus PKRU (restoring it would
 * change the thread's memory protection keys under the JVM) and AMX tiles (Linux keeps them disabled
 * through XFD until a process asks, and touching them then faults). XSAVES/XRSTORS (supervisor
 * state) are privileged instructions and are deliberately not offered.
 *
 * <p>Save areas: {@link #requiredAreaSize(long)} bytes for the standard form (XSAVE, XSAVEOPT,
 * XRSTOR of a standard area), {@link #requiredCompactedAreaSize(long)} for XSAVEC; both from CPUID
 * leaf 0DH. The area must be native, writable, 64-byte aligned and at least that large. XRSTOR also
 * validates the area's XSAVE header and MXCSR first, so that a corrupted area is reported instead of
 * raising #GP. XSAVEOPT may skip components that are unmodified since the last XRSTOR from the same
 * area, so it is meant for areas that this thread restores from.
 *
 * <p>Every method throws {@link UnsupportedOperationException} on a CPU or OS without the instruction
 * (no instruction is ever executed unsupported), and {@link IllegalArgumentException} for a bad area or
 * mask, before anything is written.
 *
 * <p>Progress: wait-free. Thread safety: per-thread processor state; the area is the caller's.
 */
public final class XState {

    /* Implementation overview
     *
     * The C side re-checks everything (alignment, CPUID support, allowed mask, XRSTOR header) and
     * returns a negative code instead of executing a faulting instruction; the Java side checks first
     * so that it can give sizes and reasons. Downcalls take the area as ADDRESS so that its arena stays
     * alive during the call; they are not critical: this is not a hot path.
     * CPUID leaf 0DH sub-leaf i (i >= 2) gives component i's size (EAX), its standard-form offset (EBX)
     * and, in ECX bit 1, whether the compacted form aligns it to 64 bytes; these are read once.
     */

    /** XSTATE_MASK_LEGACY_FLOATING_POINT: x87 (bit 0). */
    public static final long LEGACY_FLOATING_POINT = 0x1;
    /** XSTATE_MASK_LEGACY_SSE: XMM registers and MXCSR (bit 1). */
    public static final long LEGACY_SSE = 0x2;
    /** XSTATE_MASK_LEGACY: x87 and SSE. */
    public static final long LEGACY = 0x3;
    /** XSTATE_MASK_GSSE / AVX: upper halves of YMM (bit 2). */
    public static final long AVX = 0x4;
    /** XSTATE_MASK_AVX512: opmask, ZMM_Hi256, Hi16_ZMM (bits 5..7). */
    public static final long AVX512 = 0xE0;
    /** Size of the legacy region plus the XSAVE header: the smallest possible area. */
    public static final long MINIMUM_AREA_SIZE = 512 + 64;
    /** Required alignment of a save area. */
    public static final long AREA_ALIGNMENT = 64;
    /** Size of an FXSAVE area (the legacy region of an XSAVE area: x87, MXCSR, XMM registers). */
    public static final long FXSAVE_AREA_SIZE = 512;
    /** Required alignment of an FXSAVE area. */
    public static final long FXSAVE_AREA_ALIGNMENT = 16;

    private static final int OK = 0;
    private static final int E_ALIGN = -1;
    private static final int E_UNSUPPORTED = -2;
    private static final int E_MASK = -3;
    private static final int E_HEADER = -4;

    private static final FunctionDescriptor OP = FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.ADDRESS,
            ValueLayout.JAVA_LONG);
    private static final MethodHandle XSAVE = NativeShim.downcallOrNull("offkern_xsave", OP);
    private static final MethodHandle XSAVEOPT = NativeShim.downcallOrNull("offkern_xsaveopt", OP);
    private static final MethodHandle XSAVEC = NativeShim.downcallOrNull("offkern_xsavec", OP);
    private static final MethodHandle XRSTOR = NativeShim.downcallOrNull("offkern_xrstor", OP);
    private static final MethodHandle ALLOWED = NativeShim.downcallOrNull("offkern_xsave_allowed_mask",
            FunctionDescriptor.of(ValueLayout.JAVA_LONG));
    private static final FunctionDescriptor FX_OP = FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.ADDRESS);
    private static final MethodHandle FXSAVE = NativeShim.downcallOrNull("offkern_fxsave", FX_OP);
    private static final MethodHandle FXRSTOR = NativeShim.downcallOrNull("offkern_fxrstor", FX_OP);

    /** Per-component CPUID.(0DH, i) data, read once. */
    private static final class Components {
        static final int[] SIZE = new int[63];
        static final int[] OFFSET = new int[63];
        static final boolean[] ALIGN64 = new boolean[63];

        static {
            long xcr0 = Cpu.xgetbv0();
            for (int i = 2; i < 63; i++) {
                if ((xcr0 >>> i & 1) != 0) {
                    int[] r = Cpu.cpuid(0xD, i);
                    SIZE[i] = r[0];
                    OFFSET[i] = r[1];
                    ALIGN64[i] = (r[2] & 2) != 0;
                }
            }
        }
    }

    private XState() {
    }

    /** Whether XSAVE/XRSTOR can be used here (CPU has them and the OS set CR4.OSXSAVE). */
    public static boolean isSupported() {
        return XSAVE != null && Cpu.features().osxsave();
    }

    /** XCR0: the state components the OS enabled (0 without OSXSAVE). */
    public static long enabledFeatures() {
        return Cpu.xgetbv0();
    }

    /** The components this class will save and restore: XCR0 minus PKRU and AMX (see the class doc). */
    public static long usableMask() {
        if (ALLOWED == null) {
            throw NativeShim.unavailable();
        }
        try {
            return (long) ALLOWED.invokeExact();
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new AssertionError(t);
        }
    }

    /** Bytes a standard-form area needs for {@code mask}: the end of the furthest selected component. */
    public static long requiredAreaSize(long mask) {
        checkMask(mask);
        long size = MINIMUM_AREA_SIZE;
        for (int i = 2; i < 63; i++) {
            if ((mask >>> i & 1) != 0) {
                size = Math.max(size, (long) Components.OFFSET[i] + Components.SIZE[i]);
            }
        }
        return size;
    }

    /** Bytes a compacted-form area (XSAVEC) needs for {@code mask}: components packed in bit order. */
    public static long requiredCompactedAreaSize(long mask) {
        checkMask(mask);
        return compactedSize(mask);
    }

    private static long compactedSize(long components) {
        long size = MINIMUM_AREA_SIZE;
        for (int i = 2; i < 63; i++) {
            if ((components >>> i & 1) != 0) {
                if (Components.ALIGN64[i]) {
                    size = (size + 63) & ~63L;
                }
                size += Components.SIZE[i];
            }
        }
        return size;
    }

    /** XSAVE: saves the components in {@code mask} into {@code area} in the standard form. */
    public static void xsave(MemorySegment area, long mask) {
        checkArea(area, requiredAreaSize(mask), "XSAVE");
        run(XSAVE, area, mask, "XSAVE");
    }

    /** XSAVEOPT: like XSAVE, but may skip components unmodified since the last XRSTOR from {@code area}. */
    public static void xsaveopt(MemorySegment area, long mask) {
        if (!Cpu.features().xsaveopt()) {
            throw new UnsupportedOperationException("this CPU has no XSAVEOPT (CPUID.(0DH,1):EAX[0] is 0)");
        }
        checkArea(area, requiredAreaSize(mask), "XSAVEOPT");
        run(XSAVEOPT, area, mask, "XSAVEOPT");
    }

    /** XSAVEC: saves the components in {@code mask} into {@code area} in the compacted form. */
    public static void xsavec(MemorySegment area, long mask) {
        if (!Cpu.features().xsavec()) {
            throw new UnsupportedOperationException("this CPU has no XSAVEC (CPUID.(0DH,1):EAX[1] is 0)");
        }
        checkArea(area, requiredCompactedAreaSize(mask), "XSAVEC");
        run(XSAVEC, area, mask, "XSAVEC");
    }

    /**
     * XRSTOR: restores the components in {@code mask} from {@code area} (standard or compacted form,
     * as its XSAVE header says); components selected but absent from the area get their initial state.
     *
     * @throws IllegalArgumentException also when the area's header or MXCSR would make XRSTOR fault
     */
    public static void xrstor(MemorySegment area, long mask) {
        checkArea(area, MINIMUM_AREA_SIZE, "XRSTOR");
        long xcompBv = area.get(ValueLayout.JAVA_LONG_UNALIGNED, 512 + 8);
        long needed = xcompBv < 0 ? compactedSize(xcompBv & Long.MAX_VALUE & Cpu.xgetbv0())
                : requiredAreaSize(mask);
        checkArea(area, needed, "XRSTOR");
        run(XRSTOR, area, mask, "XRSTOR");
    }

    /**
     * FXSAVE: saves the legacy state (x87 registers and control/status words, MXCSR, XMM0-15) into
     * the first {@link #FXSAVE_AREA_SIZE} bytes of {@code area}, which must be 16-byte aligned. Every
     * x86-64 CPU has the instruction; this is how the legacy components are saved where XSAVE is
     * unavailable (the layout is the legacy region of an XSAVE area).
     *
     * @throws IllegalArgumentException for a heap, read-only, misaligned or short area
     */
    public static void fxsave(MemorySegment area) {
        checkFxArea(area, "FXSAVE");
        runFx(FXSAVE, area, "FXSAVE");
    }

    /**
     * FXRSTOR: restores the legacy state from an FXSAVE image in {@code area}.
     *
     * @throws IllegalArgumentException also when the image's MXCSR sets a bit outside MXCSR_MASK
     *                                  (FXRSTOR would raise #GP); nothing is restored then
     */
    public static void fxrstor(MemorySegment area) {
        checkFxArea(area, "FXRSTOR");
        runFx(FXRSTOR, area, "FXRSTOR");
    }

    private static void checkFxArea(MemorySegment area, String insn) {
        if (FXSAVE == null) {
            throw NativeShim.unavailable();
        }
        if (area == null || !area.isNative()) {
            throw new IllegalArgumentException(insn + " area must be a native segment");
        }
        if (area.isReadOnly()) {
            throw new IllegalArgumentException(insn + " area is read-only");
        }
        if ((area.address() & (FXSAVE_AREA_ALIGNMENT - 1)) != 0) {
            throw new IllegalArgumentException(String.format("%s area 0x%x is not 16-byte aligned", insn,
                    area.address()));
        }
        if (area.byteSize() < FXSAVE_AREA_SIZE) {
            throw new IllegalArgumentException(insn + " area has " + area.byteSize() + " bytes; "
                    + FXSAVE_AREA_SIZE + " are needed");
        }
    }

    private static void runFx(MethodHandle h, MemorySegment area, String insn) {
        int rc;
        try {
            rc = (int) h.invokeExact(area);
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new AssertionError(t);
        }
        switch (rc) {
            case OK -> { }
            case E_ALIGN -> throw new IllegalArgumentException(insn + " area is not 16-byte aligned");
            case E_HEADER -> throw new IllegalArgumentException(insn
                    + " area holds an MXCSR with reserved bits set (FXRSTOR would fault); nothing restored");
            default -> throw new IllegalStateException(insn + " returned unknown code " + rc);
        }
    }

    private static void checkMask(long mask) {
        if (!isSupported()) {
            throw new UnsupportedOperationException(XSAVE == null ? NativeShim.unavailable().getMessage()
                    : "XSAVE is unavailable: CPUID.01H:ECX.XSAVE/OSXSAVE is 0 on " + Cpu.vendor());
        }
        long usable = usableMask();
        if ((mask & ~usable) != 0) {
            throw new IllegalArgumentException(String.format(
                    "mask 0x%x names state components 0x%x that are not usable here (usable: 0x%x, XCR0 0x%x)",
                    mask, mask & ~usable, usable, Cpu.xgetbv0()));
        }
    }

    private static void checkArea(MemorySegment area, long needed, String insn) {
        if (area == null || !area.isNative()) {
            throw new IllegalArgumentException(insn + " area must be a native segment");
        }
        if (area.isReadOnly()) {
            throw new IllegalArgumentException(insn + " area is read-only");
        }
        if ((area.address() & (AREA_ALIGNMENT - 1)) != 0) {
            throw new IllegalArgumentException(String.format("%s area 0x%x is not 64-byte aligned", insn,
                    area.address()));
        }
        if (area.byteSize() < needed) {
            throw new IllegalArgumentException(insn + " area has " + area.byteSize() + " bytes; " + needed
                    + " are needed");
        }
    }

    private static void run(MethodHandle h, MemorySegment area, long mask, String insn) {
        int rc;
        try {
            rc = (int) h.invokeExact(area, mask);
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new AssertionError(t);
        }
        switch (rc) {
            case OK -> { }
            case E_ALIGN -> throw new IllegalArgumentException(insn + " area is not 64-byte aligned");
            case E_UNSUPPORTED -> throw new UnsupportedOperationException(insn + " is not supported on this CPU/OS");
            case E_MASK -> throw new IllegalArgumentException(String.format("%s mask 0x%x is not usable", insn, mask));
            case E_HEADER -> throw new IllegalArgumentException(insn
                    + " area has an invalid XSAVE header or MXCSR (XRSTOR would fault); nothing restored");
            default -> throw new IllegalStateException(insn + " returned unknown code " + rc);
        }
    }
}
