package dev.offkern.layout;

import java.lang.foreign.StructLayout;

/**
 * An ACE that allows Mask to the SID starting at SidStart (the SID is inline, variable length).
 * <pre>{@code
 * typedef struct _ACCESS_ALLOWED_ACE {
 *   ACE_HEADER Header;
 *   ACCESS_MASK Mask;
 *   ULONG SidStart;
 * } ACCESS_ALLOWED_ACE, *PACCESS_ALLOWED_ACE;
 * }</pre>
 */
public final class ACCESS_ALLOWED_ACE {
    public static final StructSpec X64 = build(Abi.X64);
    public static final StructSpec X86 = build(Abi.X86);
    public static final StructLayout LAYOUT = X64.layout();

    /** ACE_HEADER: type, flags, size. */
    public static final long HEADER_OFFSET = X64.offset("Header");
    /** ACCESS_MASK: the rights this ACE allows. */
    public static final long MASK_OFFSET = X64.offset("Mask");
    /** ULONG: the first bytes of the inline SID. */
    public static final long SID_START_OFFSET = X64.offset("SidStart");

    private ACCESS_ALLOWED_ACE() {
    }

    public static StructSpec of(Abi abi) {
        return abi == Abi.X64 ? X64 : X86;
    }

    private static StructSpec build(Abi abi) {
        return CStruct.struct("ACCESS_ALLOWED_ACE", abi)
                .field("Header", ACE_HEADER.of(abi))
                .field("Mask", CType.ACCESS_MASK)
                .field("SidStart", CType.ULONG)
                .build();
    }
}
