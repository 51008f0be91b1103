package dev.offkern.layout.se;

import dev.offkern.layout.Abi;
import dev.offkern.layout.StructSpec;

import java.lang.foreign.StructLayout;

/**
 * An ACE (in a SACL) that audits attempts to use Mask by the SID starting at SidStart (inline, variable length).
 * Its body is ACCESS_ALLOWED_ACE's member for member, so that class builds it.
 * <pre>{@code
 * typedef struct _SYSTEM_AUDIT_ACE {
 *   ACE_HEADER Header;
 *   ACCESS_MASK Mask;
 *   ULONG SidStart;
 * } SYSTEM_AUDIT_ACE, *PSYSTEM_AUDIT_ACE;
 * }</pre>
 */
public final class SYSTEM_AUDIT_ACE {
    public static final StructSpec X64 = ACCESS_ALLOWED_ACE.build("SYSTEM_AUDIT_ACE", Abi.X64);
    public static final StructSpec X86 = ACCESS_ALLOWED_ACE.build("SYSTEM_AUDIT_ACE", Abi.X86);
    public static final StructLayout LAYOUT = X64.layout();

    /** ACE_HEADER: type, flags, size. */
    public static final long HEADER_OFFSET = X64.offset("Header");
    /** ACCESS_MASK: the rights whose use is audited. */
    public static final long MASK_OFFSET = X64.offset("Mask");
    /** ULONG: the first bytes of the inline SID. */
    public static final long SID_START_OFFSET = X64.offset("SidStart");

    private SYSTEM_AUDIT_ACE() {
    }

    public static StructSpec of(Abi abi) {
        return abi == Abi.X64 ? X64 : X86;
    }
}
