package dev.offkern.layout.se;

import dev.offkern.layout.Abi;
import dev.offkern.layout.StructSpec;

import java.lang.foreign.StructLayout;

/**
 * The mandatory integrity label ACE (in a SACL): the SID at SidStart is the integrity level (S-1-16-x).
 * Its body is ACCESS_ALLOWED_ACE's member for member, so that class builds it.
 * <pre>{@code
 * typedef struct _SYSTEM_MANDATORY_LABEL_ACE {
 *   ACE_HEADER Header;
 *   ACCESS_MASK Mask;
 *   ULONG SidStart;
 * } SYSTEM_MANDATORY_LABEL_ACE, *PSYSTEM_MANDATORY_LABEL_ACE;
 * }</pre>
 */
public final class SYSTEM_MANDATORY_LABEL_ACE {
    public static final StructSpec X64 = ACCESS_ALLOWED_ACE.build("SYSTEM_MANDATORY_LABEL_ACE", Abi.X64);
    public static final StructSpec X86 = ACCESS_ALLOWED_ACE.build("SYSTEM_MANDATORY_LABEL_ACE", Abi.X86);
    public static final StructLayout LAYOUT = X64.layout();

    /** ACE_HEADER: type, flags, size. */
    public static final long HEADER_OFFSET = X64.offset("Header");
    /** ACCESS_MASK: the SYSTEM_MANDATORY_LABEL_NO_WRITE_UP/NO_READ_UP/NO_EXECUTE_UP policy. */
    public static final long MASK_OFFSET = X64.offset("Mask");
    /** ULONG: the first bytes of the inline SID. */
    public static final long SID_START_OFFSET = X64.offset("SidStart");

    private SYSTEM_MANDATORY_LABEL_ACE() {
    }

    public static StructSpec of(Abi abi) {
        return abi == Abi.X64 ? X64 : X86;
    }
}
