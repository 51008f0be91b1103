package dev.offkern.layout.se;

import dev.offkern.layout.Abi;
import dev.offkern.layout.StructSpec;

import java.lang.foreign.StructLayout;

/**
 * An ACE that allows Mask to the SID at SidStart when the resource manager's callback agrees; application data may follow the SID up to AceSize. Declared by the user-mode SDK's winnt.h.
 * Its body is ACCESS_ALLOWED_ACE's member for member, so that class builds it.
 * <pre>{@code
 * typedef struct _ACCESS_ALLOWED_CALLBACK_ACE {
 *   ACE_HEADER Header;
 *   ACCESS_MASK Mask;
 *   ULONG SidStart;
 * } ACCESS_ALLOWED_CALLBACK_ACE, *PACCESS_ALLOWED_CALLBACK_ACE;
 * }</pre>
 */
public final class ACCESS_ALLOWED_CALLBACK_ACE {
    public static final StructSpec X64 = ACCESS_ALLOWED_ACE.build("ACCESS_ALLOWED_CALLBACK_ACE", Abi.X64);
    public static final StructSpec X86 = ACCESS_ALLOWED_ACE.build("ACCESS_ALLOWED_CALLBACK_ACE", Abi.X86);
    public static final StructLayout LAYOUT = X64.layout();

    /** ACE_HEADER: type, flags, size. */
    public static final long HEADER_OFFSET = X64.offset("Header");
    /** ACCESS_MASK: the rights this ACE allows. */
    public static final long MASK_OFFSET = X64.offset("Mask");
    /** ULONG: the first bytes of the inline SID. */
    public static final long SID_START_OFFSET = X64.offset("SidStart");

    private ACCESS_ALLOWED_CALLBACK_ACE() {
    }

    public static StructSpec of(Abi abi) {
        return abi == Abi.X64 ? X64 : X86;
    }
}
