package dev.offkern.ddi;

import dev.offkern.nt.RunOnceInitFunction;
import dev.offkern.runtime.ke.KeExtendedState;
import dev.offkern.runtime.ke.ThreadState;
import dev.offkern.runtime.rtl.RtlBitmap;
import dev.offkern.runtime.rtl.RtlRunOnce;
import dev.offkern.runtime.Kernel;
import dev.offkern.runtime.se.RtlAcl;
import dev.offkern.runtime.se.RtlSecurityDescriptor;
import dev.offkern.runtime.se.SecurityDescriptorForms;
import dev.offkern.runtime.se.RtlSid;
import java.lang.foreign.MemorySegment;

/**
 * Run-time library routines ({@code Rtl*}) under their verbatim names with C parameters in C order.
 * Each is a thin delegation into {@code dev.offkern.runtime.rtl}.
 */
public final class Rtl {

    private Rtl() {
    }

    // ===== RTL_BITMAP =====
    // RTL_BITMAP { ULONG SizeOfBitMap; PULONG Buffer; }, RTL_BITMAP_RUN { ULONG StartingIndex; ULONG NumberOfBits; }.
    // ULONG indices and counts are ints read as unsigned; 0xFFFFFFFF (-1) is the "not found" index.
    // Semantics, including Windows' surprising edges: dev.offkern.runtime.rtl.RtlBitmap.

    /** {@code VOID RtlInitializeBitMap(PRTL_BITMAP BitMapHeader, PULONG BitMapBuffer, ULONG SizeOfBitMap)}. */
    public static void RtlInitializeBitMap(MemorySegment BitMapHeader, MemorySegment BitMapBuffer, int SizeOfBitMap) {
        try {
            RtlBitmap.initialize(BitMapHeader, BitMapBuffer, SizeOfBitMap);
        } catch (IllegalStateException e) {
            throw ClosedDuringCall.check(e);
        }
    }

    /** {@code VOID RtlClearAllBits(PRTL_BITMAP BitMapHeader)}. */
    public static void RtlClearAllBits(MemorySegment BitMapHeader) {
        try {
            RtlBitmap.clearAllBits(BitMapHeader);
        } catch (IllegalStateException e) {
            throw ClosedDuringCall.check(e);
        }
    }

    /** {@code VOID RtlSetAllBits(PRTL_BITMAP BitMapHeader)}. */
    public static void RtlSetAllBits(MemorySegment BitMapHeader) {
        try {
            RtlBitmap.setAllBits(BitMapHeader);
        } catch (IllegalStateException e) {
            throw ClosedDuringCall.check(e);
        }
    }

    /** {@code VOID RtlClearBit(PRTL_BITMAP BitMapHeader, ULONG BitNumber)}. */
    public static void RtlClearBit(MemorySegment BitMapHeader, int BitNumber) {
        try {
            RtlBitmap.clearBit(BitMapHeader, BitNumber);
        } catch (IllegalStateException e) {
            throw ClosedDuringCall.check(e);
        }
    }

    /** {@code VOID RtlClearBits(PRTL_BITMAP BitMapHeader, ULONG StartingIndex, ULONG NumberToClear)}. */
    public static void RtlClearBits(MemorySegment BitMapHeader, int StartingIndex, int NumberToClear) {
        try {
            RtlBitmap.clearBits(BitMapHeader, StartingIndex, NumberToClear);
        } catch (IllegalStateException e) {
            throw ClosedDuringCall.check(e);
        }
    }

    /** {@code VOID RtlSetBit(PRTL_BITMAP BitMapHeader, ULONG BitNumber)}. */
    public static void RtlSetBit(MemorySegment BitMapHeader, int BitNumber) {
        try {
            RtlBitmap.setBit(BitMapHeader, BitNumber);
        } catch (IllegalStateException e) {
            throw ClosedDuringCall.check(e);
        }
    }

    /** {@code VOID RtlSetBits(PRTL_BITMAP BitMapHeader, ULONG StartingIndex, ULONG NumberToSet)}. */
    public static void RtlSetBits(MemorySegment BitMapHeader, int StartingIndex, int NumberToSet) {
        try {
            RtlBitmap.setBits(BitMapHeader, StartingIndex, NumberToSet);
        } catch (IllegalStateException e) {
            throw ClosedDuringCall.check(e);
        }
    }

    /** {@code BOOLEAN RtlTestBit(PRTL_BITMAP BitMapHeader, ULONG BitNumber)}. */
    public static boolean RtlTestBit(MemorySegment BitMapHeader, int BitNumber) {
        try {
            return RtlBitmap.testBit(BitMapHeader, BitNumber);
        } catch (IllegalStateException e) {
            throw ClosedDuringCall.check(e);
        }
    }

    /** {@code RtlCheckBit(BMH, BP)} (a wdm.h macro): the bit's value, no bounds check. */
    public static boolean RtlCheckBit(MemorySegment BitMapHeader, int BitPosition) {
        try {
            return RtlBitmap.checkBit(BitMapHeader, BitPosition);
        } catch (IllegalStateException e) {
            throw ClosedDuringCall.check(e);
        }
    }

    /** {@code BOOLEAN RtlAreBitsClear(PRTL_BITMAP BitMapHeader, ULONG StartingIndex, ULONG Length)}. */
    public static boolean RtlAreBitsClear(MemorySegment BitMapHeader, int StartingIndex, int Length) {
        try {
            return RtlBitmap.areBitsClear(BitMapHeader, StartingIndex, Length);
        } catch (IllegalStateException e) {
            throw ClosedDuringCall.check(e);
        }
    }

    /** {@code BOOLEAN RtlAreBitsSet(PRTL_BITMAP BitMapHeader, ULONG StartingIndex, ULONG Length)}. */
    public static boolean RtlAreBitsSet(MemorySegment BitMapHeader, int StartingIndex, int Length) {
        try {
            return RtlBitmap.areBitsSet(BitMapHeader, StartingIndex, Length);
        } catch (IllegalStateException e) {
            throw ClosedDuringCall.check(e);
        }
    }

    /** {@code ULONG RtlFindClearBits(PRTL_BITMAP BitMapHeader, ULONG NumberToFind, ULONG HintIndex)}. */
    public static int RtlFindClearBits(MemorySegment BitMapHeader, int NumberToFind, int HintIndex) {
        try {
            return RtlBitmap.findClearBits(BitMapHeader, NumberToFind, HintIndex);
        } catch (IllegalStateException e) {
            throw ClosedDuringCall.check(e);
        }
    }

    /** {@code ULONG RtlFindSetBits(PRTL_BITMAP BitMapHeader, ULONG NumberToFind, ULONG HintIndex)}. */
    public static int RtlFindSetBits(MemorySegment BitMapHeader, int NumberToFind, int HintIndex) {
        try {
            return RtlBitmap.findSetBits(BitMapHeader, NumberToFind, HintIndex);
        } catch (IllegalStateException e) {
            throw ClosedDuringCall.check(e);
        }
    }

    /** {@code ULONG RtlFindClearBitsAndSet(PRTL_BITMAP BitMapHeader, ULONG NumberToFind, ULONG HintIndex)}. */
    public static int RtlFindClearBitsAndSet(MemorySegment BitMapHeader, int NumberToFind, int HintIndex) {
        try {
            return RtlBitmap.findClearBitsAndSet(BitMapHeader, NumberToFind, HintIndex);
        } catch (IllegalStateException e) {
            throw ClosedDuringCall.check(e);
        }
    }

    /** {@code ULONG RtlFindSetBitsAndClear(PRTL_BITMAP BitMapHeader, ULONG NumberToFind, ULONG HintIndex)}. */
    public static int RtlFindSetBitsAndClear(MemorySegment BitMapHeader, int NumberToFind, int HintIndex) {
        try {
            return RtlBitmap.findSetBitsAndClear(BitMapHeader, NumberToFind, HintIndex);
        } catch (IllegalStateException e) {
            throw ClosedDuringCall.check(e);
        }
    }

    /**
     * {@code ULONG RtlFindClearRuns(PRTL_BITMAP BitMapHeader, PRTL_BITMAP_RUN RunArray, ULONG SizeOfRunArray,
     * BOOLEAN LocateLongestRuns)}.
     */
    public static int RtlFindClearRuns(MemorySegment BitMapHeader, MemorySegment RunArray, int SizeOfRunArray,
                                       boolean LocateLongestRuns) {
        try {
            return RtlBitmap.findClearRuns(BitMapHeader, RunArray, SizeOfRunArray, LocateLongestRuns);
        } catch (IllegalStateException e) {
            throw ClosedDuringCall.check(e);
        }
    }

    /** {@code ULONG RtlFindLongestRunClear(PRTL_BITMAP BitMapHeader, PULONG StartingIndex)}. */
    public static int RtlFindLongestRunClear(MemorySegment BitMapHeader, MemorySegment StartingIndex) {
        try {
            return RtlBitmap.findLongestRunClear(BitMapHeader, StartingIndex);
        } catch (IllegalStateException e) {
            throw ClosedDuringCall.check(e);
        }
    }

    /** {@code ULONG RtlFindFirstRunClear(PRTL_BITMAP BitMapHeader, PULONG StartingIndex)}. */
    public static int RtlFindFirstRunClear(MemorySegment BitMapHeader, MemorySegment StartingIndex) {
        try {
            return RtlBitmap.findFirstRunClear(BitMapHeader, StartingIndex);
        } catch (IllegalStateException e) {
            throw ClosedDuringCall.check(e);
        }
    }

    /** {@code ULONG RtlFindNextForwardRunClear(PRTL_BITMAP BitMapHeader, ULONG FromIndex, PULONG StartingRunIndex)}. */
    public static int RtlFindNextForwardRunClear(MemorySegment BitMapHeader, int FromIndex, MemorySegment StartingRunIndex) {
        try {
            return RtlBitmap.findNextForwardRunClear(BitMapHeader, FromIndex, StartingRunIndex);
        } catch (IllegalStateException e) {
            throw ClosedDuringCall.check(e);
        }
    }

    /** {@code ULONG RtlFindLastBackwardRunClear(PRTL_BITMAP BitMapHeader, ULONG FromIndex, PULONG StartingRunIndex)}. */
    public static int RtlFindLastBackwardRunClear(MemorySegment BitMapHeader, int FromIndex, MemorySegment StartingRunIndex) {
        try {
            return RtlBitmap.findLastBackwardRunClear(BitMapHeader, FromIndex, StartingRunIndex);
        } catch (IllegalStateException e) {
            throw ClosedDuringCall.check(e);
        }
    }

    /** {@code ULONG RtlNumberOfClearBits(PRTL_BITMAP BitMapHeader)}. */
    public static int RtlNumberOfClearBits(MemorySegment BitMapHeader) {
        try {
            return RtlBitmap.numberOfClearBits(BitMapHeader);
        } catch (IllegalStateException e) {
            throw ClosedDuringCall.check(e);
        }
    }

    /** {@code ULONG RtlNumberOfSetBits(PRTL_BITMAP BitMapHeader)}. */
    public static int RtlNumberOfSetBits(MemorySegment BitMapHeader) {
        try {
            return RtlBitmap.numberOfSetBits(BitMapHeader);
        } catch (IllegalStateException e) {
            throw ClosedDuringCall.check(e);
        }
    }

    /** {@code ULONG RtlNumberOfSetBitsUlongPtr(ULONG_PTR Target)}. */
    public static int RtlNumberOfSetBitsUlongPtr(long Target) {
        try {
            return RtlBitmap.numberOfSetBitsUlongPtr(Target);
        } catch (IllegalStateException e) {
            throw ClosedDuringCall.check(e);
        }
    }

    /** {@code ULONG RtlNumberOfClearBitsInRange(PRTL_BITMAP BitMapHeader, ULONG StartingIndex, ULONG Length)}. */
    public static int RtlNumberOfClearBitsInRange(MemorySegment BitMapHeader, int StartingIndex, int Length) {
        try {
            return RtlBitmap.numberOfClearBitsInRange(BitMapHeader, StartingIndex, Length);
        } catch (IllegalStateException e) {
            throw ClosedDuringCall.check(e);
        }
    }

    /** {@code ULONG RtlNumberOfSetBitsInRange(PRTL_BITMAP BitMapHeader, ULONG StartingIndex, ULONG Length)}. */
    public static int RtlNumberOfSetBitsInRange(MemorySegment BitMapHeader, int StartingIndex, int Length) {
        try {
            return RtlBitmap.numberOfSetBitsInRange(BitMapHeader, StartingIndex, Length);
        } catch (IllegalStateException e) {
            throw ClosedDuringCall.check(e);
        }
    }

    /** {@code CCHAR RtlFindMostSignificantBit(ULONGLONG Set)}: 0..63, or -1 for 0. */
    public static int RtlFindMostSignificantBit(long Set) {
        try {
            return RtlBitmap.findMostSignificantBit(Set);
        } catch (IllegalStateException e) {
            throw ClosedDuringCall.check(e);
        }
    }

    /** {@code CCHAR RtlFindLeastSignificantBit(ULONGLONG Set)}: 0..63, or -1 for 0. */
    public static int RtlFindLeastSignificantBit(long Set) {
        try {
            return RtlBitmap.findLeastSignificantBit(Set);
        } catch (IllegalStateException e) {
            throw ClosedDuringCall.check(e);
        }
    }

    // ===== end RTL_BITMAP =====

    // ===== RTL_RUN_ONCE =====

    /** {@code VOID RtlRunOnceInitialize(PRTL_RUN_ONCE RunOnce)}. IRQL &le; APC_LEVEL. */
    public static void RtlRunOnceInitialize(MemorySegment RunOnce) {
        try {
            RtlRunOnce.initialize(RunOnce);
        } catch (IllegalStateException e) {
            throw ClosedDuringCall.check(e);
        }
    }

    /**
     * {@code NTSTATUS RtlRunOnceBeginInitialize(PRTL_RUN_ONCE RunOnce, ULONG Flags, PVOID *Context)}:
     * STATUS_SUCCESS (done, {@code *Context} filled), STATUS_PENDING (caller initializes),
     * STATUS_UNSUCCESSFUL (CHECK_ONLY, not done), STATUS_INVALID_PARAMETER. IRQL &le; APC_LEVEL.
     */
    public static int RtlRunOnceBeginInitialize(MemorySegment RunOnce, int Flags, MemorySegment Context) {
        try {
            return RtlRunOnce.beginInitialize(RunOnce, Flags, Context);
        } catch (IllegalStateException e) {
            throw ClosedDuringCall.check(e);
        }
    }

    /** {@code NTSTATUS RtlRunOnceComplete(PRTL_RUN_ONCE RunOnce, ULONG Flags, PVOID Context)}. IRQL &le; APC_LEVEL. */
    public static int RtlRunOnceComplete(MemorySegment RunOnce, int Flags, MemorySegment Context) {
        try {
            return RtlRunOnce.complete(RunOnce, Flags, Context);
        } catch (IllegalStateException e) {
            throw ClosedDuringCall.check(e);
        }
    }

    /**
     * {@code NTSTATUS RtlRunOnceExecuteOnce(PRTL_RUN_ONCE RunOnce, PRTL_RUN_ONCE_INIT_FN InitFn, PVOID Parameter,
     * PVOID *Context)}. IRQL &le; APC_LEVEL.
     */
    public static int RtlRunOnceExecuteOnce(MemorySegment RunOnce, RunOnceInitFunction InitFn, MemorySegment Parameter,
            MemorySegment Context) {
        try {
            return RtlRunOnce.executeOnce(RunOnce, InitFn, Parameter, Context);
        } catch (IllegalStateException e) {
            throw ClosedDuringCall.check(e);
        }
    }

    // ===== end RTL_RUN_ONCE =====

    // ===== Extended processor features =====

    /**
     * {@code ULONG64 RtlGetEnabledExtendedFeatures(ULONG64 FeatureMask)}: FeatureMask ∩ the XSAVE
     * components the system enabled; 0 without XSAVE. IRQL: PASSIVE_LEVEL. See {@link KeExtendedState}.
     */
    public static long RtlGetEnabledExtendedFeatures(long FeatureMask) {
        try {
            return KeExtendedState.enabledFeatures(FeatureMask);
        } catch (IllegalStateException e) {
            throw ClosedDuringCall.check(e);
        }
    }

    // ===== end Extended processor features =====

    // ===== SID =====
    // SID { UCHAR Revision; UCHAR SubAuthorityCount; SID_IDENTIFIER_AUTHORITY IdentifierAuthority; ULONG SubAuthority[]; }.
    // A SID is read only inside the buffer passed (a sized segment, or a raw pointer's region): a lying
    // SubAuthorityCount is FALSE / STATUS_INVALID_SID. Semantics: dev.offkern.runtime.se.RtlSid.

    /** {@code BOOLEAN RtlValidSid(PSID Sid)}. Any IRQL for non-paged memory. */
    public static boolean RtlValidSid(MemorySegment Sid) {
        try {
            return RtlSid.validSid(Sid);
        } catch (IllegalStateException e) {
            throw ClosedDuringCall.check(e);
        }
    }

    /** {@code ULONG RtlLengthSid(PSID Sid)}: 8 + 4 * SubAuthorityCount (not validated). */
    public static int RtlLengthSid(MemorySegment Sid) {
        try {
            return RtlSid.lengthSid(Sid);
        } catch (IllegalStateException e) {
            throw ClosedDuringCall.check(e);
        }
    }

    /** {@code ULONG RtlLengthRequiredSid(ULONG SubAuthorityCount)}. */
    public static int RtlLengthRequiredSid(int SubAuthorityCount) {
        try {
            return RtlSid.lengthRequiredSid(SubAuthorityCount);
        } catch (IllegalStateException e) {
            throw ClosedDuringCall.check(e);
        }
    }

    /** {@code BOOLEAN RtlEqualSid(PSID Sid1, PSID Sid2)}. IRQL &le; APC_LEVEL. */
    public static boolean RtlEqualSid(MemorySegment Sid1, MemorySegment Sid2) {
        try {
            return RtlSid.equalSid(Sid1, Sid2);
        } catch (IllegalStateException e) {
            throw ClosedDuringCall.check(e);
        }
    }

    /** {@code NTSTATUS RtlCopySid(ULONG DestinationSidLength, PSID DestinationSid, PSID SourceSid)}. */
    public static int RtlCopySid(int DestinationSidLength, MemorySegment DestinationSid, MemorySegment SourceSid) {
        try {
            return RtlSid.copySid(DestinationSidLength, DestinationSid, SourceSid);
        } catch (IllegalStateException e) {
            throw ClosedDuringCall.check(e);
        }
    }

    /** {@code NTSTATUS RtlInitializeSid(PSID Sid, PSID_IDENTIFIER_AUTHORITY IdentifierAuthority, UCHAR SubAuthorityCount)}. */
    public static int RtlInitializeSid(MemorySegment Sid, MemorySegment IdentifierAuthority, byte SubAuthorityCount) {
        try {
            return RtlSid.initializeSid(Sid, IdentifierAuthority, SubAuthorityCount);
        } catch (IllegalStateException e) {
            throw ClosedDuringCall.check(e);
        }
    }

    /** {@code PULONG RtlSubAuthoritySid(PSID Sid, ULONG SubAuthority)} (not validated, as in Windows). */
    public static MemorySegment RtlSubAuthoritySid(MemorySegment Sid, int SubAuthority) {
        try {
            return RtlSid.subAuthoritySid(Sid, SubAuthority);
        } catch (IllegalStateException e) {
            throw ClosedDuringCall.check(e);
        }
    }

    /**
     * {@code NTSTATUS RtlConvertSidToUnicodeString(PUNICODE_STRING UnicodeString, PSID Sid, BOOLEAN
     * AllocateDestinationString)}: "S-1-5-32-544"; free an allocated string with {@link #RtlFreeUnicodeString}.
     * IRQL &le; APC_LEVEL.
     */
    public static int RtlConvertSidToUnicodeString(MemorySegment UnicodeString, MemorySegment Sid,
            boolean AllocateDestinationString) {
        try {
            return RtlSid.convertSidToUnicodeString(UnicodeString, Sid, AllocateDestinationString, Kernel.current().pools());
        } catch (IllegalStateException e) {
            throw ClosedDuringCall.check(e);
        }
    }

    /** {@code VOID RtlFreeUnicodeString(PUNICODE_STRING UnicodeString)} for strings offkern's Rtl routines allocated. */
    public static void RtlFreeUnicodeString(MemorySegment UnicodeString) {
        try {
            RtlSid.freeUnicodeString(UnicodeString, Kernel.current().pools());
        } catch (IllegalStateException e) {
            throw ClosedDuringCall.check(e);
        }
    }

    // ===== end SID =====

    // ===== ACL =====
    // ACL { UCHAR AclRevision; UCHAR Sbz1; USHORT AclSize; USHORT AceCount; USHORT Sbz2; } then AceCount ACEs.
    // Walks are bounded by min(AclSize, the buffer passed): a lying AclSize/AceCount/AceSize is FALSE or
    // the routine's documented status. Semantics: dev.offkern.runtime.se.RtlAcl.

    /** {@code NTSTATUS RtlCreateAcl(PACL Acl, ULONG AclLength, ULONG AclRevision)}. */
    public static int RtlCreateAcl(MemorySegment Acl, int AclLength, int AclRevision) {
        try {
            return RtlAcl.createAcl(Acl, AclLength, AclRevision);
        } catch (IllegalStateException e) {
            throw ClosedDuringCall.check(e);
        }
    }

    /** {@code BOOLEAN RtlValidAcl(PACL Acl)}. */
    public static boolean RtlValidAcl(MemorySegment Acl) {
        try {
            return RtlAcl.validAcl(Acl);
        } catch (IllegalStateException e) {
            throw ClosedDuringCall.check(e);
        }
    }

    /** {@code NTSTATUS RtlGetAce(PACL Acl, ULONG AceIndex, PVOID *Ace)}. */
    public static int RtlGetAce(MemorySegment Acl, int AceIndex, MemorySegment Ace) {
        try {
            return RtlAcl.getAce(Acl, AceIndex, Ace);
        } catch (IllegalStateException e) {
            throw ClosedDuringCall.check(e);
        }
    }

    /** {@code NTSTATUS RtlAddAce(PACL Acl, ULONG AceRevision, ULONG StartingAceIndex, PVOID AceList, ULONG AceListLength)}. */
    public static int RtlAddAce(MemorySegment Acl, int AceRevision, int StartingAceIndex, MemorySegment AceList,
            int AceListLength) {
        try {
            return RtlAcl.addAce(Acl, AceRevision, StartingAceIndex, AceList, AceListLength);
        } catch (IllegalStateException e) {
            throw ClosedDuringCall.check(e);
        }
    }

    /** {@code NTSTATUS RtlDeleteAce(PACL Acl, ULONG AceIndex)}. */
    public static int RtlDeleteAce(MemorySegment Acl, int AceIndex) {
        try {
            return RtlAcl.deleteAce(Acl, AceIndex);
        } catch (IllegalStateException e) {
            throw ClosedDuringCall.check(e);
        }
    }

    /** {@code NTSTATUS RtlAddAccessAllowedAce(PACL Acl, ULONG AceRevision, ACCESS_MASK AccessMask, PSID Sid)}. */
    public static int RtlAddAccessAllowedAce(MemorySegment Acl, int AceRevision, int AccessMask, MemorySegment Sid) {
        try {
            return RtlAcl.addAccessAce("RtlAddAccessAllowedAce", Acl, AceRevision, 0, AccessMask, Sid,
                    RtlAcl.ACCESS_ALLOWED_ACE_TYPE);
        } catch (IllegalStateException e) {
            throw ClosedDuringCall.check(e);
        }
    }

    /** {@code NTSTATUS RtlAddAccessAllowedAceEx(PACL Acl, ULONG AceRevision, ULONG AceFlags, ACCESS_MASK AccessMask, PSID Sid)}. */
    public static int RtlAddAccessAllowedAceEx(MemorySegment Acl, int AceRevision, int AceFlags, int AccessMask,
            MemorySegment Sid) {
        try {
            return RtlAcl.addAccessAce("RtlAddAccessAllowedAceEx", Acl, AceRevision, AceFlags, AccessMask, Sid,
                    RtlAcl.ACCESS_ALLOWED_ACE_TYPE);
        } catch (IllegalStateException e) {
            throw ClosedDuringCall.check(e);
        }
    }

    /** {@code NTSTATUS RtlAddAccessDeniedAce(PACL Acl, ULONG AceRevision, ACCESS_MASK AccessMask, PSID Sid)}. */
    public static int RtlAddAccessDeniedAce(MemorySegment Acl, int AceRevision, int AccessMask, MemorySegment Sid) {
        try {
            return RtlAcl.addAccessAce("RtlAddAccessDeniedAce", Acl, AceRevision, 0, AccessMask, Sid,
                    RtlAcl.ACCESS_DENIED_ACE_TYPE);
        } catch (IllegalStateException e) {
            throw ClosedDuringCall.check(e);
        }
    }

    /** {@code NTSTATUS RtlAddAccessDeniedAceEx(PACL Acl, ULONG AceRevision, ULONG AceFlags, ACCESS_MASK AccessMask, PSID Sid)}. */
    public static int RtlAddAccessDeniedAceEx(MemorySegment Acl, int AceRevision, int AceFlags, int AccessMask,
            MemorySegment Sid) {
        try {
            return RtlAcl.addAccessAce("RtlAddAccessDeniedAceEx", Acl, AceRevision, AceFlags, AccessMask, Sid,
                    RtlAcl.ACCESS_DENIED_ACE_TYPE);
        } catch (IllegalStateException e) {
            throw ClosedDuringCall.check(e);
        }
    }

    // ===== end ACL =====

    // ===== Security descriptors =====
    // SECURITY_DESCRIPTOR (absolute: pointers) and SECURITY_DESCRIPTOR_RELATIVE (SE_SELF_RELATIVE: offsets).
    // PBOOLEAN and PSID*/PACL* out-parameters are segments of 1 and 8 bytes. Semantics:
    // dev.offkern.runtime.se.RtlSecurityDescriptor.

    /** {@code NTSTATUS RtlCreateSecurityDescriptor(PSECURITY_DESCRIPTOR SecurityDescriptor, ULONG Revision)}. */
    public static int RtlCreateSecurityDescriptor(MemorySegment SecurityDescriptor, int Revision) {
        try {
            return RtlSecurityDescriptor.create(SecurityDescriptor, Revision);
        } catch (IllegalStateException e) {
            throw ClosedDuringCall.check(e);
        }
    }

    /** {@code NTSTATUS RtlSetDaclSecurityDescriptor(PSECURITY_DESCRIPTOR SecurityDescriptor, BOOLEAN DaclPresent, PACL Dacl, BOOLEAN DaclDefaulted)}. */
    public static int RtlSetDaclSecurityDescriptor(MemorySegment SecurityDescriptor, boolean DaclPresent, MemorySegment Dacl,
            boolean DaclDefaulted) {
        try {
            return RtlSecurityDescriptor.setDacl(SecurityDescriptor, DaclPresent, Dacl, DaclDefaulted);
        } catch (IllegalStateException e) {
            throw ClosedDuringCall.check(e);
        }
    }

    /** {@code NTSTATUS RtlGetDaclSecurityDescriptor(PSECURITY_DESCRIPTOR SecurityDescriptor, PBOOLEAN DaclPresent, PACL *Dacl, PBOOLEAN DaclDefaulted)}. */
    public static int RtlGetDaclSecurityDescriptor(MemorySegment SecurityDescriptor, MemorySegment DaclPresent,
            MemorySegment Dacl, MemorySegment DaclDefaulted) {
        try {
            return RtlSecurityDescriptor.getDacl(SecurityDescriptor, DaclPresent, Dacl, DaclDefaulted);
        } catch (IllegalStateException e) {
            throw ClosedDuringCall.check(e);
        }
    }

    /** {@code NTSTATUS RtlSetOwnerSecurityDescriptor(PSECURITY_DESCRIPTOR SecurityDescriptor, PSID Owner, BOOLEAN OwnerDefaulted)}. */
    public static int RtlSetOwnerSecurityDescriptor(MemorySegment SecurityDescriptor, MemorySegment Owner,
            boolean OwnerDefaulted) {
        try {
            return RtlSecurityDescriptor.setOwner(SecurityDescriptor, Owner, OwnerDefaulted);
        } catch (IllegalStateException e) {
            throw ClosedDuringCall.check(e);
        }
    }

    /** {@code NTSTATUS RtlGetOwnerSecurityDescriptor(PSECURITY_DESCRIPTOR SecurityDescriptor, PSID *Owner, PBOOLEAN OwnerDefaulted)}. */
    public static int RtlGetOwnerSecurityDescriptor(MemorySegment SecurityDescriptor, MemorySegment Owner,
            MemorySegment OwnerDefaulted) {
        try {
            return RtlSecurityDescriptor.getOwner(SecurityDescriptor, Owner, OwnerDefaulted);
        } catch (IllegalStateException e) {
            throw ClosedDuringCall.check(e);
        }
    }

    /** {@code NTSTATUS RtlSetGroupSecurityDescriptor(PSECURITY_DESCRIPTOR SecurityDescriptor, PSID Group, BOOLEAN GroupDefaulted)}. */
    public static int RtlSetGroupSecurityDescriptor(MemorySegment SecurityDescriptor, MemorySegment Group,
            boolean GroupDefaulted) {
        try {
            return RtlSecurityDescriptor.setGroup(SecurityDescriptor, Group, GroupDefaulted);
        } catch (IllegalStateException e) {
            throw ClosedDuringCall.check(e);
        }
    }

    /** {@code NTSTATUS RtlGetGroupSecurityDescriptor(PSECURITY_DESCRIPTOR SecurityDescriptor, PSID *Group, PBOOLEAN GroupDefaulted)}. */
    public static int RtlGetGroupSecurityDescriptor(MemorySegment SecurityDescriptor, MemorySegment Group,
            MemorySegment GroupDefaulted) {
        try {
            return RtlSecurityDescriptor.getGroup(SecurityDescriptor, Group, GroupDefaulted);
        } catch (IllegalStateException e) {
            throw ClosedDuringCall.check(e);
        }
    }

    /** {@code ULONG RtlLengthSecurityDescriptor(PSECURITY_DESCRIPTOR SecurityDescriptor)}. */
    public static int RtlLengthSecurityDescriptor(MemorySegment SecurityDescriptor) {
        try {
            return RtlSecurityDescriptor.length(SecurityDescriptor);
        } catch (IllegalStateException e) {
            throw ClosedDuringCall.check(e);
        }
    }

    /**
     * {@code BOOLEAN RtlValidRelativeSecurityDescriptor(PSECURITY_DESCRIPTOR SecurityDescriptorInput, ULONG
     * SecurityDescriptorLength, SECURITY_INFORMATION RequiredInformation)}: never reads outside the buffer.
     */
    public static boolean RtlValidRelativeSecurityDescriptor(MemorySegment SecurityDescriptorInput,
            int SecurityDescriptorLength, int RequiredInformation) {
        return RtlSecurityDescriptor.validRelative(SecurityDescriptorInput, SecurityDescriptorLength, RequiredInformation);
    }

    /** {@code VOID RtlMapGenericMask(PACCESS_MASK AccessMask, PGENERIC_MAPPING GenericMapping)}. */
    public static void RtlMapGenericMask(MemorySegment AccessMask, MemorySegment GenericMapping) {
        try {
            RtlSecurityDescriptor.mapGenericMask(AccessMask, GenericMapping);
        } catch (IllegalStateException e) {
            throw ClosedDuringCall.check(e);
        }
    }

    /**
     * {@code BOOLEAN RtlValidSecurityDescriptor(PSECURITY_DESCRIPTOR SecurityDescriptor)}: either form;
     * FALSE (never a fault) for NULL, unmapped memory or a component that runs past its memory.
     */
    public static boolean RtlValidSecurityDescriptor(MemorySegment SecurityDescriptor) {
        try {
            return SecurityDescriptorForms.valid(SecurityDescriptor);
        } catch (IllegalStateException e) {
            throw ClosedDuringCall.check(e);
        }
    }

    /**
     * {@code NTSTATUS RtlAbsoluteToSelfRelativeSD(PSECURITY_DESCRIPTOR AbsoluteSecurityDescriptor,
     * PSECURITY_DESCRIPTOR SelfRelativeSecurityDescriptor, PULONG BufferLength)}; BufferLength is a 4-byte segment.
     */
    public static int RtlAbsoluteToSelfRelativeSD(MemorySegment AbsoluteSecurityDescriptor,
            MemorySegment SelfRelativeSecurityDescriptor, MemorySegment BufferLength) {
        try {
            return SecurityDescriptorForms.absoluteToSelfRelative(AbsoluteSecurityDescriptor, SelfRelativeSecurityDescriptor,
                    BufferLength);
        } catch (IllegalStateException e) {
            throw ClosedDuringCall.check(e);
        }
    }

    /**
     * {@code NTSTATUS RtlSelfRelativeToAbsoluteSD(PSECURITY_DESCRIPTOR SelfRelativeSecurityDescriptor,
     * PSECURITY_DESCRIPTOR AbsoluteSecurityDescriptor, PULONG AbsoluteSecurityDescriptorSize, PACL Dacl,
     * PULONG DaclSize, PACL Sacl, PULONG SaclSize, PSID Owner, PULONG OwnerSize, PSID PrimaryGroup,
     * PULONG PrimaryGroupSize)}; each PULONG is a 4-byte segment.
     */
    public static int RtlSelfRelativeToAbsoluteSD(MemorySegment SelfRelativeSecurityDescriptor,
            MemorySegment AbsoluteSecurityDescriptor, MemorySegment AbsoluteSecurityDescriptorSize, MemorySegment Dacl,
            MemorySegment DaclSize, MemorySegment Sacl, MemorySegment SaclSize, MemorySegment Owner,
            MemorySegment OwnerSize, MemorySegment PrimaryGroup, MemorySegment PrimaryGroupSize) {
        try {
            return SecurityDescriptorForms.selfRelativeToAbsolute(SelfRelativeSecurityDescriptor, AbsoluteSecurityDescriptor,
                    AbsoluteSecurityDescriptorSize, Dacl, DaclSize, Sacl, SaclSize, Owner, OwnerSize, PrimaryGroup,
                    PrimaryGroupSize);
        } catch (IllegalStateException e) {
            throw ClosedDuringCall.check(e);
        }
    }

    // ===== end Security descriptors =====

    // ===== Win32 last error =====

    /** {@code DWORD RtlGetLastWin32Error(void)}: the Win32 error the thread's last failing SDDL routine left (0 at first). */
    public static int RtlGetLastWin32Error() {
        return ThreadState.current().lastWin32Error();
    }

    /** {@code VOID RtlSetLastWin32Error(DWORD Win32Error)}. */
    public static void RtlSetLastWin32Error(int Win32Error) {
        ThreadState.current().setLastWin32Error(Win32Error);
    }
}
