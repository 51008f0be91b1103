package dev.offkern.layout.se;

import dev.offkern.layout.Abi;
import dev.offkern.layout.CStruct;
import dev.offkern.layout.CType;
import dev.offkern.layout.StructSpec;

import java.lang.foreign.StructLayout;

/**
 * How a server may impersonate a client; ZwCreateToken and ZwDuplicateToken take the new token's impersonation level from the OBJECT_ATTRIBUTES' SecurityQualityOfService.
 * <pre>{@code
 * typedef struct _SECURITY_QUALITY_OF_SERVICE {
 *   ULONG Length;
 *   SECURITY_IMPERSONATION_LEVEL ImpersonationLevel;
 *   SECURITY_CONTEXT_TRACKING_MODE ContextTrackingMode;   // BOOLEAN
 *   BOOLEAN EffectiveOnly;
 * } SECURITY_QUALITY_OF_SERVICE, *PSECURITY_QUALITY_OF_SERVICE;
 * }</pre>
 */
public final class SECURITY_QUALITY_OF_SERVICE {
    public static final StructSpec X64 = build(Abi.X64);
    public static final StructSpec X86 = build(Abi.X86);
    public static final StructLayout LAYOUT = X64.layout();

    /** ULONG, bytes: sizeof(SECURITY_QUALITY_OF_SERVICE). */
    public static final long LENGTH_OFFSET = X64.offset("Length");
    /** SECURITY_IMPERSONATION_LEVEL (enum): SecurityAnonymous 0 .. SecurityDelegation 3. */
    public static final long IMPERSONATION_LEVEL_OFFSET = X64.offset("ImpersonationLevel");
    /** BOOLEAN: SECURITY_DYNAMIC_TRACKING (1) or SECURITY_STATIC_TRACKING (0). */
    public static final long CONTEXT_TRACKING_MODE_OFFSET = X64.offset("ContextTrackingMode");
    /** BOOLEAN: only the enabled parts of the client's token may be used. */
    public static final long EFFECTIVE_ONLY_OFFSET = X64.offset("EffectiveOnly");

    private SECURITY_QUALITY_OF_SERVICE() {
    }

    public static StructSpec of(Abi abi) {
        return abi == Abi.X64 ? X64 : X86;
    }

    private static StructSpec build(Abi abi) {
        return CStruct.struct("SECURITY_QUALITY_OF_SERVICE", abi)
                .field("Length", CType.ULONG)
                .field("ImpersonationLevel", CType.ENUM)
                .field("ContextTrackingMode", CType.BOOLEAN)
                .field("EffectiveOnly", CType.BOOLEAN)
                .build();
    }
}
