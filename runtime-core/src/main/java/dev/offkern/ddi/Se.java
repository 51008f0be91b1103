package dev.offkern.ddi;

import dev.offkern.runtime.Kernel;
import dev.offkern.runtime.se.Sddl;
import java.lang.foreign.MemorySegment;

/**
 * Security routines: the {@code Se*} kernel routines and, as their family, advapi32's SDDL conversions
 * under their verbatim names with C parameters in C order. The SDDL routines keep Win32 semantics: a
 * BOOL result and, on failure, the Win32 error in {@link Rtl#RtlGetLastWin32Error()}; their results are
 * allocated in paged pool and freed with {@link Ex#ExFreePool}. PASSIVE_LEVEL. Semantics:
 * {@code dev.offkern.runtime.se.Sddl}.
 */
public final class Se {

    private Se() {
    }

    // ===== SDDL =====
    // LPCWSTR: a NUL-terminated UTF-16LE string in native memory (a String overload is offered);
    // PSECURITY_DESCRIPTOR*, PSID*, LPWSTR*: 8-byte segments receiving the pool address; PULONG: 4 bytes.

    /**
     * {@code BOOL ConvertStringSecurityDescriptorToSecurityDescriptorW(LPCWSTR StringSecurityDescriptor,
     * DWORD StringSDRevision, PSECURITY_DESCRIPTOR *SecurityDescriptor, PULONG SecurityDescriptorSize)}:
     * a self-relative descriptor; SecurityDescriptorSize may be NULL.
     */
    public static boolean ConvertStringSecurityDescriptorToSecurityDescriptorW(MemorySegment StringSecurityDescriptor,
            int StringSDRevision, MemorySegment SecurityDescriptor, MemorySegment SecurityDescriptorSize) {
        try {
            return Sddl.stringToDescriptor(StringSecurityDescriptor, StringSDRevision, SecurityDescriptor,
                    SecurityDescriptorSize, Kernel.current().pools());
        } catch (IllegalStateException e) {
            throw ClosedDuringCall.check(e);
        }
    }

    /** {@link #ConvertStringSecurityDescriptorToSecurityDescriptorW(MemorySegment, int, MemorySegment, MemorySegment)} from a Java string. */
    public static boolean ConvertStringSecurityDescriptorToSecurityDescriptorW(String StringSecurityDescriptor,
            int StringSDRevision, MemorySegment SecurityDescriptor, MemorySegment SecurityDescriptorSize) {
        try {
            return Sddl.stringToDescriptor(StringSecurityDescriptor, StringSDRevision, SecurityDescriptor,
                    SecurityDescriptorSize, Kernel.current().pools());
        } catch (IllegalStateException e) {
            throw ClosedDuringCall.check(e);
        }
    }

    /**
     * {@code BOOL ConvertSecurityDescriptorToStringSecurityDescriptorW(PSECURITY_DESCRIPTOR SecurityDescriptor,
     * DWORD RequestedStringSDRevision, SECURITY_INFORMATION SecurityInformation, LPWSTR *StringSecurityDescriptor,
     * PULONG StringSecurityDescriptorLen)}: either form in; the length (WCHARs with the NUL) may be NULL.
     */
    public static boolean ConvertSecurityDescriptorToStringSecurityDescriptorW(MemorySegment SecurityDescriptor,
            int RequestedStringSDRevision, int SecurityInformation, MemorySegment StringSecurityDescriptor,
            MemorySegment StringSecurityDescriptorLen) {
        try {
            return Sddl.descriptorToString(SecurityDescriptor, RequestedStringSDRevision, SecurityInformation,
                    StringSecurityDescriptor, StringSecurityDescriptorLen, Kernel.current().pools());
        } catch (IllegalStateException e) {
            throw ClosedDuringCall.check(e);
        }
    }

    /** {@code BOOL ConvertStringSidToSidW(LPCWSTR StringSid, PSID *Sid)}: "S-1-..." or a two-letter alias. */
    public static boolean ConvertStringSidToSidW(MemorySegment StringSid, MemorySegment Sid) {
        try {
            return Sddl.stringToSid(StringSid, Sid, Kernel.current().pools());
        } catch (IllegalStateException e) {
            throw ClosedDuringCall.check(e);
        }
    }

    /** {@link #ConvertStringSidToSidW(MemorySegment, MemorySegment)} from a Java string. */
    public static boolean ConvertStringSidToSidW(String StringSid, MemorySegment Sid) {
        try {
            return Sddl.stringToSid(StringSid, Sid, Kernel.current().pools());
        } catch (IllegalStateException e) {
            throw ClosedDuringCall.check(e);
        }
    }

    /** {@code BOOL ConvertSidToStringSidW(PSID Sid, LPWSTR *StringSid)}: "S-1-...", never an alias. */
    public static boolean ConvertSidToStringSidW(MemorySegment Sid, MemorySegment StringSid) {
        try {
            return Sddl.sidToString(Sid, StringSid, Kernel.current().pools());
        } catch (IllegalStateException e) {
            throw ClosedDuringCall.check(e);
        }
    }

    // ===== end SDDL =====

    // ===== Object types =====

    /** {@code *SeTokenObjectType}: the Token object type (C passes {@code *SeTokenObjectType}). IRQL: any. */
    public static MemorySegment SeTokenObjectType() {
        try {
            return Ob.objects().tokenType().segment();
        } catch (IllegalStateException e) {
            throw ClosedDuringCall.check(e);
        }
    }

    // ===== end Object types =====
}
