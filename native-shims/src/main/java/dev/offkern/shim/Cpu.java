package dev.offkern.shim;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.nio.charset.StandardCharsets;

/**
 * The host CPU as CPUID and XGETBV describe it: vendor, brand string, and the feature bits offkern
 * cares about (cmpxchg16b for SLIST and 128-bit CAS, the XSAVE family for extended state).
 *
 * <p>The features are read once, on first use, and cached: CPUID answers do not change while a
 * process runs. {@link #cpuid(int, int)} gives raw access for anything else. All methods throw
 * {@link UnsupportedOperationException} when the native shim is not available.
 *
 * <p>Thread safety: immutable after class initialisation; every method may be called from any thread.
 */
public final class Cpu {

    /**
     * CPUID feature bits. The bits are what the CPU reports; whether the OS enabled a state
     * component (AVX, AVX-512) is in {@link #xcr0()} (bit 1 SSE, bit 2 AVX, bits 5..7 AVX-512).
     *
     * @param maxLeaf         CPUID.00H:EAX, highest basic leaf
     * @param maxExtendedLeaf CPUID.80000000H:EAX
     * @param cx16            CPUID.01H:ECX[13], {@code cmpxchg16b}
     * @param sse2            CPUID.01H:EDX[26]
     * @param fxsr            CPUID.01H:EDX[24], FXSAVE/FXRSTOR
     * @param sse3            CPUID.01H:ECX[0]
     * @param ssse3           CPUID.01H:ECX[9]
     * @param sse41           CPUID.01H:ECX[19]
     * @param sse42           CPUID.01H:ECX[20]
     * @param popcnt          CPUID.01H:ECX[23]
     * @param xsave           CPUID.01H:ECX[26], XSAVE/XRSTOR/XGETBV exist
     * @param osxsave         CPUID.01H:ECX[27], the OS set CR4.OSXSAVE (XGETBV/XSAVE usable)
     * @param avx             CPUID.01H:ECX[28]
     * @param hypervisor      CPUID.01H:ECX[31]
     * @param avx2            CPUID.(07H,0):EBX[5]
     * @param avx512f         CPUID.(07H,0):EBX[16]
     * @param xsaveopt        CPUID.(0DH,1):EAX[0]
     * @param xsavec          CPUID.(0DH,1):EAX[1]
     * @param xgetbvEcx1      CPUID.(0DH,1):EAX[2], XGETBV with ECX=1 (XINUSE)
     * @param xsaves          CPUID.(0DH,1):EAX[3] (privileged: not callable from offkern)
     * @param xcr0            XCR0 read with XGETBV(0) when {@code osxsave}, else 0
     */
    public record Features(int maxLeaf, int maxExtendedLeaf, boolean cx16, boolean sse2, boolean fxsr, boolean sse3,
                           boolean ssse3, boolean sse41, boolean sse42, boolean popcnt, boolean xsave, boolean osxsave,
                           boolean avx, boolean hypervisor, boolean avx2, boolean avx512f, boolean xsaveopt,
                           boolean xsavec, boolean xgetbvEcx1, boolean xsaves, long xcr0) {
    }

    private static final MethodHandle CPUID = NativeShim.downcallOrNull("offkern_cpuid",
            FunctionDescriptor.ofVoid(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.ADDRESS));
    private static final MethodHandle XGETBV = NativeShim.downcallOrNull("offkern_xgetbv",
            FunctionDescriptor.of(ValueLayout.JAVA_LONG, ValueLayout.JAVA_INT));

    /** Lazily computed, then immutable (holder idiom: class initialisation is the publication). */
    private static final class Holder {
        static final Features FEATURES = readFeatures();
        static final String VENDOR = readVendor();
        static final String BRAND = readBrand();
    }

    private Cpu() {
    }

    /** The cached feature bits. */
    public static Features features() {
        return Holder.FEATURES;
    }

    /** The 12-character vendor id from CPUID.00H (e.g. {@code GenuineIntel}, {@code AuthenticAMD}). */
    public static String vendor() {
        return Holder.VENDOR;
    }

    /** The processor brand string from CPUID.80000002H..80000004H, trimmed; empty if the CPU has none. */
    public static String brand() {
        return Holder.BRAND;
    }

    /** XCR0 (the state components the OS enabled), or 0 when OSXSAVE is clear and XGETBV would fault. */
    public static long xgetbv0() {
        return features().xcr0();
    }

    /**
     * Executes CPUID with EAX={@code leaf}, ECX={@code subleaf}.
     *
     * @return {EAX, EBX, ECX, EDX}
     */
    public static int[] cpuid(int leaf, int subleaf) {
        if (CPUID == null) {
            throw NativeShim.unavailable();
        }
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment out = arena.allocate(ValueLayout.JAVA_INT, 4);
            CPUID.invokeExact(leaf, subleaf, out);
            return out.toArray(ValueLayout.JAVA_INT);
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new AssertionError(t);
        }
    }

    /** A one-line summary: vendor, brand, and the flags offkern uses. */
    public static String describe() {
        Features f = features();
        return vendor() + " \"" + brand() + "\" cx16=" + f.cx16() + " xsave=" + f.xsave() + " osxsave=" + f.osxsave()
                + " xsaveopt=" + f.xsaveopt() + " xsavec=" + f.xsavec() + " xsaves=" + f.xsaves()
                + String.format(" xcr0=0x%x", f.xcr0());
    }

    private static boolean bit(int word, int bit) {
        return (word >>> bit & 1) != 0;
    }

    private static Features readFeatures() {
        int[] l0 = cpuid(0, 0);
        int maxLeaf = l0[0];
        int maxExt = cpuid(0x8000_0000, 0)[0];
        int[] l1 = maxLeaf >= 1 ? cpuid(1, 0) : new int[4];
        int[] l7 = maxLeaf >= 7 ? cpuid(7, 0) : new int[4];
        boolean xsave = bit(l1[2], 26);
        boolean osxsave = xsave && bit(l1[2], 27);
        int[] ld1 = osxsave && maxLeaf >= 0xD ? cpuid(0xD, 1) : new int[4];
        long xcr0 = osxsave ? xgetbv(0) : 0L;
        return new Features(maxLeaf, maxExt, bit(l1[2], 13), bit(l1[3], 26), bit(l1[3], 24), bit(l1[2], 0),
                bit(l1[2], 9), bit(l1[2], 19), bit(l1[2], 20), bit(l1[2], 23), xsave, osxsave, bit(l1[2], 28),
                bit(l1[2], 31), bit(l7[1], 5), bit(l7[1], 16), bit(ld1[0], 0), bit(ld1[0], 1), bit(ld1[0], 2),
                bit(ld1[0], 3), xcr0);
    }

    private static long xgetbv(int xcr) {
        if (XGETBV == null) {
            throw NativeShim.unavailable();
        }
        try {
            return (long) XGETBV.invokeExact(xcr);
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new AssertionError(t);
        }
    }

    private static String readVendor() {
        int[] l0 = cpuid(0, 0);
        return ascii(new int[] {l0[1], l0[3], l0[2]});
    }

    private static String readBrand() {
        if (Integer.compareUnsigned(cpuid(0x8000_0000, 0)[0], 0x8000_0004) < 0) {
            return "";
        }
        int[] words = new int[12];
        for (int i = 0; i < 3; i++) {
            System.arraycopy(cpuid(0x8000_0002 + i, 0), 0, words, 4 * i, 4);
        }
        return ascii(words).trim();
    }

    private static String ascii(int[] words) {
        byte[] bytes = new byte[words.length * 4];
        int n = 0;
        for (int w : words) {
            for (int b = 0; b < 4; b++) {
                byte c = (byte) (w >>> 8 * b);
                if (c != 0) {
                    bytes[n++] = c;
                }
            }
        }
        return new String(bytes, 0, n, StandardCharsets.US_ASCII);
    }
}
