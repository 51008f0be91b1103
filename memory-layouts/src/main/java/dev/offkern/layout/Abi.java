package dev.offkern.layout;

/**
 * The two Windows ABIs whose layouts offkern describes. {@code X64} is Windows 10 22H2 x64 (LLP64,
 * 8-byte pointers) and {@code X86} Windows 10 22H2 x86 (ILP32, 4-byte pointers); both keep MSVC's
 * natural alignment, under which a 64-bit integer is 8-aligned inside structures on x86 too.
 */
public enum Abi {
    X64("x64", 8),
    X86("x86", 4);

    private final String id;
    private final int pointerSize;

    Abi(String id, int pointerSize) {
        this.id = id;
        this.pointerSize = pointerSize;
    }

    /** The ABI's short name as the command line spells it: {@code x64} or {@code x86}. */
    public String id() {
        return id;
    }

    /** Size in bytes of a pointer, {@code ULONG_PTR}, {@code SIZE_T} and {@code HANDLE}. */
    public int pointerSize() {
        return pointerSize;
    }

    /** Parses {@code x64}/{@code x86} (any case); the error names the valid choices. */
    public static Abi parse(String text) {
        for (Abi abi : values()) {
            if (abi.id.equalsIgnoreCase(text)) {
                return abi;
            }
        }
        throw new IllegalArgumentException("unknown ABI '" + text + "' (valid: x64, x86)");
    }
}
