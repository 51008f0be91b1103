package dev.offkern.layout.se;

import dev.offkern.layout.Abi;
import dev.offkern.layout.CStruct;
import dev.offkern.layout.CType;
import dev.offkern.layout.StructSpec;
import dev.offkern.layout.rtl.GUID;

import java.lang.foreign.StructLayout;

/**
 * An object ACE (directory-service objects): allows Mask to the SID at SidStart for the object type
 * and inherited object type named by GUIDs. Flags (ACE_OBJECT_TYPE_PRESENT 0x1,
 * ACE_INHERITED_OBJECT_TYPE_PRESENT 0x2) say which GUIDs are actually stored: an absent GUID takes no
 * bytes on the wire, so the SID starts earlier than SidStart in that case. The fixed layout below is the
 * C declaration (the user-mode SDK's winnt.h).
 * <pre>{@code
 * typedef struct _ACCESS_ALLOWED_OBJECT_ACE {
 *   ACE_HEADER Header;
 *   ACCESS_MASK Mask;
 *   ULONG Flags;
 *   GUID ObjectType;
 *   GUID InheritedObjectType;
 *   ULONG SidStart;
 * } ACCESS_ALLOWED_OBJECT_ACE, *PACCESS_ALLOWED_OBJECT_ACE;
 * }</pre>
 */
public final class ACCESS_ALLOWED_OBJECT_ACE {
    public static final StructSpec X64 = build(Abi.X64);
    public static final StructSpec X86 = build(Abi.X86);
    public static final StructLayout LAYOUT = X64.layout();

    /** ACE_HEADER: type, flags, size. */
    public static final long HEADER_OFFSET = X64.offset("Header");
    /** ACCESS_MASK: the rights this ACE allows. */
    public static final long MASK_OFFSET = X64.offset("Mask");
    /** ULONG: which of the two GUIDs are present. */
    public static final long FLAGS_OFFSET = X64.offset("Flags");
    /** GUID: the object type (property set, property, extended right, child class). */
    public static final long OBJECT_TYPE_OFFSET = X64.offset("ObjectType");
    /** GUID: the child object type that may inherit the ACE. */
    public static final long INHERITED_OBJECT_TYPE_OFFSET = X64.offset("InheritedObjectType");
    /** ULONG: the first bytes of the inline SID when both GUIDs are present. */
    public static final long SID_START_OFFSET = X64.offset("SidStart");

    private ACCESS_ALLOWED_OBJECT_ACE() {
    }

    public static StructSpec of(Abi abi) {
        return abi == Abi.X64 ? X64 : X86;
    }

    private static StructSpec build(Abi abi) {
        return CStruct.struct("ACCESS_ALLOWED_OBJECT_ACE", abi)
                .field("Header", ACE_HEADER.of(abi))
                .field("Mask", CType.ACCESS_MASK)
                .field("Flags", CType.ULONG)
                .field("ObjectType", GUID.of(abi))
                .field("InheritedObjectType", GUID.of(abi))
                .field("SidStart", CType.ULONG)
                .build();
    }
}
