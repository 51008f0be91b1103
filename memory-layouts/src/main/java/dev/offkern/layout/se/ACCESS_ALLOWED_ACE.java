package dev.offkern.layout.se;

import dev.offkern.layout.Abi;
import dev.offkern.layout.CStruct;
import dev.offkern.layout.CType;
import dev.offkern.layout.StructSpec;

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
    public static final StructSpec X64 = build("ACCESS_ALLOWED_ACE", Abi.X64);
    public static final StructSpec X86 = build("ACCESS_ALLOWED_ACE", Abi.X86);
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

    /**
     * The ACE body (Header, Mask, SidStart) under typedef {@code name}: the WDK declares
     * ACCESS_DENIED_ACE (and the other mask ACEs) with exactly these members.
     */
    static StructSpec build(String name, Abi abi) {
        return CStruct.struct(name, abi)
                .field("Header", ACE_HEADER.of(abi))
                .field("Mask", CType.ACCESS_MASK)
                .field("SidStart", CType.ULONG)
                .build();
    }
}
