package dev.offkern.tests.fuzz;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT_UNALIGNED;
import static java.lang.foreign.ValueLayout.JAVA_LONG_UNALIGNED;
import static java.lang.foreign.ValueLayout.JAVA_SHORT_UNALIGNED;

import dev.offkern.ddi.Ex;
import dev.offkern.ddi.Ob;
import dev.offkern.ddi.Ps;
import dev.offkern.ddi.Rtl;
import dev.offkern.ddi.Se;
import dev.offkern.ddi.Zw;
import dev.offkern.layout.ob.OBJECT_HANDLE_INFORMATION;
import dev.offkern.layout.rtl.UNICODE_STRING;
import dev.offkern.nt.AccessMask;
import dev.offkern.nt.NtStatus;
import dev.offkern.nt.ObjectAttributes;
import dev.offkern.nt.SeConstants;
import dev.offkern.runtime.Kernel;
import dev.offkern.runtime.ob.ObjectManager;
import java.lang.foreign.MemorySegment;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.function.Supplier;

/**
 * The object manager enforcing security: each step makes an event with one of a set of SDDL
 * descriptors (named or not), maybe impersonates a random token, and opens, duplicates, queries and
 * changes the descriptor through every routine in both modes, checking what must hold whatever the
 * token and descriptor: a KernelMode open is never access-checked, a granted access holds only the
 * type's valid rights (never a generic right or MAXIMUM_ALLOWED), a UserMode reference asking for
 * more than the handle's access is STATUS_ACCESS_DENIED, ObGetObjectSecurity of an object that has
 * one returns a valid descriptor, the query routines report the length they need. Hostile steps
 * give back descriptors ObGetObjectSecurity never returned, garbage descriptors, bad handles and
 * pointers that are no object.
 */
final class ObjectSecurityOps {
    private ObjectSecurityOps() {
    }

    static List<Op> ops() {
        return List.of(
                Op.of("ob.security", 3, ObjectSecurityOps::security, "ZwCreateEvent", "NtCreateEvent", "NtOpenEvent", "ZwOpenEvent",
                        "ObOpenObjectByPointer", "ObReferenceObjectByHandle", "ObDereferenceObject", "ObGetObjectSecurity",
                        "ObReleaseObjectSecurity", "ObSetSecurityObjectByPointer", "ZwSetSecurityObject", "NtSetSecurityObject",
                        "ZwQuerySecurityObject", "NtQuerySecurityObject", "NtDuplicateObject", "ZwClose", "PsImpersonateClient", "ObReferenceObjectByName",
                        "PsRevertToSelf", "InitializeObjectAttributes", "ExEventObjectType", "RtlValidSecurityDescriptor"),
                Op.of("ob.securityHostile", 1, ObjectSecurityOps::hostile, "ObGetObjectSecurity", "ObReleaseObjectSecurity",
                        "ObSetSecurityObjectByPointer", "ZwQuerySecurityObject", "ZwSetSecurityObject", "NtQuerySecurityObject"));
    }

    private static final String[] DESCRIPTORS = {
            "O:BAG:SYD:(A;;0x1f0003;;;WD)",
            "O:BAG:SYD:(D;;0x2;;;BA)(A;;0x1f0003;;;WD)",
            "O:BAG:SYD:(A;;0x1;;;S-1-5-21-7-7-7-1001)",
            "O:BAG:SYD:",
            "O:BAG:SYD:NO_ACCESS_CONTROL",
            "O:S-1-5-21-7-7-7-1001G:SYD:(A;;0x100000;;;WD)", // the owner a SYSTEM creator may not name: STATUS_INVALID_OWNER
            "D:(A;;GR;;;WD)",
            "O:SYG:BA"};
    private static final int[] INFO = {SeConstants.DACL_SECURITY_INFORMATION, SeConstants.OWNER_SECURITY_INFORMATION,
        SeConstants.GROUP_SECURITY_INFORMATION, SeConstants.SACL_SECURITY_INFORMATION, 0x0F, 0};
    private static final int VALID = AccessMask.EVENT_ALL_ACCESS | AccessMask.ACCESS_SYSTEM_SECURITY;

    private static int access(Ctx c) {
        return switch (c.n(7)) {
            case 0 -> AccessMask.MAXIMUM_ALLOWED;
            case 1 -> AccessMask.GENERIC_READ;
            case 2 -> AccessMask.EVENT_QUERY_STATE;
            case 3 -> AccessMask.EVENT_MODIFY_STATE | AccessMask.SYNCHRONIZE;
            case 4 -> AccessMask.ACCESS_SYSTEM_SECURITY;
            case 5 -> 0;
            default -> c.anyInt();
        };
    }

    private static MemorySegment sd(Ctx c, MemorySegment out) {
        String sddl = DESCRIPTORS[c.n(DESCRIPTORS.length)];
        c.note("sddl " + sddl);
        if (!Se.ConvertStringSecurityDescriptorToSecurityDescriptorW(sddl, 1, out, MemorySegment.NULL)) {
            throw new FuzzInvariantException("SDDL refused: " + sddl);
        }
        MemorySegment s = MemorySegment.ofAddress(out.get(JAVA_LONG_UNALIGNED, 0));
        c.after.add(x -> Ex.ExFreePool(s));
        return s;
    }

    /** OBJECT_ATTRIBUTES at b+1100 naming {@code name} (UNICODE_STRING at b+1160, characters at b+1176) with {@code sd}. */
    private static MemorySegment attributes(MemorySegment b, String name, int attributes, MemorySegment sd) {
        MemorySegment us = MemorySegment.NULL;
        if (name != null) {
            byte[] chars = name.getBytes(StandardCharsets.UTF_16LE);
            us = b.asSlice(1160, 16);
            us.set(JAVA_SHORT_UNALIGNED, UNICODE_STRING.LENGTH_OFFSET, (short) chars.length);
            us.set(JAVA_SHORT_UNALIGNED, UNICODE_STRING.MAXIMUM_LENGTH_OFFSET, (short) chars.length);
            us.set(JAVA_LONG_UNALIGNED, UNICODE_STRING.BUFFER_OFFSET, b.address() + 1176);
            MemorySegment.copy(chars, 0, b, JAVA_BYTE, 1176, chars.length);
        }
        MemorySegment oa = b.asSlice(1100, 48);
        Ob.InitializeObjectAttributes(oa, us, attributes, 0, sd);
        return oa;
    }

    private static int user(Supplier<Integer> call) {
        ObjectManager ob = Kernel.current().objects();
        return ob.callFromUserMode(call);
    }

    /** The granted access of an own handle (KernelMode lookup), checked against what any grant may hold. */
    private static int granted(MemorySegment b, long handle, String how) {
        if (Ob.ObReferenceObjectByHandle(handle, 0, Ex.ExEventObjectType(), Ob.KernelMode, b.asSlice(1300, 8), b.asSlice(1308, 8))
                != NtStatus.STATUS_SUCCESS) {
            throw new FuzzInvariantException(how + ": an own handle does not resolve");
        }
        Ob.ObDereferenceObject(MemorySegment.ofAddress(b.get(JAVA_LONG_UNALIGNED, 1300)));
        int g = b.get(JAVA_INT_UNALIGNED, 1308 + OBJECT_HANDLE_INFORMATION.GRANTED_ACCESS_OFFSET);
        if ((g & ~VALID) != 0) {
            throw new FuzzInvariantException(how + " granted 0x" + Integer.toHexString(g) + ", beyond the Event type's valid rights");
        }
        return g;
    }

    /** A UserMode reference asking for a right the handle lacks must be denied. */
    private static void enforce(Ctx c, MemorySegment b, long handle, int g) {
        int missing = ~g & AccessMask.EVENT_ALL_ACCESS;
        if (missing == 0) {
            return;
        }
        int ask = Integer.lowestOneBit(missing);
        int st = Ob.ObReferenceObjectByHandle(handle, ask, Ex.ExEventObjectType(), Ob.UserMode, b.asSlice(1300, 8), MemorySegment.NULL);
        if (st == NtStatus.STATUS_SUCCESS) {
            Ob.ObDereferenceObject(MemorySegment.ofAddress(b.get(JAVA_LONG_UNALIGNED, 1300)));
            throw new FuzzInvariantException("a UserMode reference for 0x" + Integer.toHexString(ask) + " on a handle granted 0x"
                    + Integer.toHexString(g) + " succeeded");
        }
    }

    static void security(Ctx c) {
        MemorySegment b = TokenOps.scratch(c, 2048);
        boolean named = c.p(0.7);
        String name = named ? "\\Fuzz\\Sec" + Thread.currentThread().threadId() + "_" + c.n(3) : null;
        MemorySegment given = c.p(0.8) ? sd(c, b.asSlice(1400, 8)) : MemorySegment.NULL;
        int st = Zw.ZwCreateEvent(b.asSlice(1408, 8), AccessMask.EVENT_ALL_ACCESS, attributes(b, name, ObjectAttributes.OBJ_KERNEL_HANDLE
                | ObjectAttributes.OBJ_OPENIF, given), 0, false);
        if (st == NtStatus.STATUS_INVALID_OWNER) {
            return; // the descriptor names an owner the SYSTEM creator may not be
        }
        if (!NtStatus.NT_SUCCESS(st)) {
            throw new FuzzInvariantException("ZwCreateEvent with a valid descriptor returned 0x" + Integer.toHexString(st));
        }
        long h = b.get(JAVA_LONG_UNALIGNED, 1408);
        c.after.add(x -> Zw.ZwClose(h));
        if (Ob.ObReferenceObjectByHandle(h, 0, Ex.ExEventObjectType(), Ob.KernelMode, b.asSlice(1416, 8), MemorySegment.NULL)
                != NtStatus.STATUS_SUCCESS) {
            throw new FuzzInvariantException("a new event's handle does not resolve");
        }
        MemorySegment event = MemorySegment.ofAddress(b.get(JAVA_LONG_UNALIGNED, 1416));
        c.after.add(x -> Ob.ObDereferenceObject(event));
        if (c.p(0.7)) {
            long token = TokenOps.createToken(c, b, SeConstants.TokenImpersonation, c.n(4));
            if (Ob.ObReferenceObjectByHandle(token, 0, Se.SeTokenObjectType(), Ob.KernelMode, b.asSlice(1424, 8), MemorySegment.NULL)
                    != NtStatus.STATUS_SUCCESS) {
                throw new FuzzInvariantException("the new token's handle does not resolve");
            }
            MemorySegment t = MemorySegment.ofAddress(b.get(JAVA_LONG_UNALIGNED, 1424));
            c.after.add(x -> Ob.ObDereferenceObject(t));
            Ps.PsImpersonateClient(Ps.PsGetCurrentThread(), t, false, false, c.n(4));
            c.after.add(x -> Ps.PsRevertToSelf());
        }
        for (int i = 0; i < 1 + c.n(8); i++) {
            switch (c.n(9)) {
                case 0 -> {
                    int mode = c.n(2);
                    int desired = access(c);
                    int s = Ob.ObOpenObjectByPointer(event, 0, MemorySegment.NULL, desired, Ex.ExEventObjectType(), mode, b.asSlice(1432, 8));
                    if (mode == Ob.KernelMode && s != NtStatus.STATUS_SUCCESS) {
                        throw new FuzzInvariantException("a KernelMode open of 0x" + Integer.toHexString(desired) + " returned 0x"
                                + Integer.toHexString(s));
                    }
                    if (s == NtStatus.STATUS_SUCCESS) {
                        long hu = b.get(JAVA_LONG_UNALIGNED, 1432);
                        enforce(c, b, hu, granted(b, hu, "ObOpenObjectByPointer"));
                        Zw.ZwClose(hu);
                    }
                }
                case 1 -> {
                    if (name != null) {
                        int desired = access(c);
                        MemorySegment oa = attributes(b, name, (c.p(0.5) ? ObjectAttributes.OBJ_KERNEL_HANDLE : 0) | ObjectAttributes.OBJ_OPENIF,
                                MemorySegment.NULL);
                        int s = c.p(0.5) ? user(() -> Zw.NtOpenEvent(b.asSlice(1440, 8), desired, oa))
                                : user(() -> Zw.NtCreateEvent(b.asSlice(1440, 8), desired, oa, 0, false));
                        if (NtStatus.NT_SUCCESS(s)) {
                            long hu = b.get(JAVA_LONG_UNALIGNED, 1440);
                            enforce(c, b, hu, granted(b, hu, "NtOpenEvent"));
                            Zw.ZwClose(hu);
                        }
                    }
                }
                case 2 -> {
                    if (name != null && c.p(0.5)) {
                        attributes(b, name, 0, MemorySegment.NULL); // the UNICODE_STRING at b+1160
                        int s = Ob.ObReferenceObjectByName(b.asSlice(1160, 16), 0, MemorySegment.NULL, access(c), Ex.ExEventObjectType(),
                                c.n(2), MemorySegment.NULL, b.asSlice(1440, 8));
                        if (s == NtStatus.STATUS_SUCCESS) {
                            Ob.ObDereferenceObject(MemorySegment.ofAddress(b.get(JAVA_LONG_UNALIGNED, 1440)));
                        }
                    } else if (name != null) {
                        MemorySegment oa = attributes(b, name, ObjectAttributes.OBJ_KERNEL_HANDLE | ObjectAttributes.OBJ_FORCE_ACCESS_CHECK,
                                MemorySegment.NULL);
                        if (Zw.ZwOpenEvent(b.asSlice(1440, 8), access(c), oa) == NtStatus.STATUS_SUCCESS) {
                            long hu = b.get(JAVA_LONG_UNALIGNED, 1440);
                            granted(b, hu, "ZwOpenEvent");
                            Zw.ZwClose(hu);
                        }
                    }
                }
                case 3 -> {
                    if (Ob.ObGetObjectSecurity(event, b.asSlice(1448, 8), b.asSlice(1456, 1)) != NtStatus.STATUS_SUCCESS) {
                        throw new FuzzInvariantException("ObGetObjectSecurity of an event failed");
                    }
                    MemorySegment sd = MemorySegment.ofAddress(b.get(JAVA_LONG_UNALIGNED, 1448));
                    if (sd.address() != 0 && !Rtl.RtlValidSecurityDescriptor(sd)) {
                        throw new FuzzInvariantException("ObGetObjectSecurity returned an invalid descriptor");
                    }
                    if ((name != null || given.address() != 0) && sd.address() == 0) {
                        throw new FuzzInvariantException("a named event or one given a descriptor has none");
                    }
                    Ob.ObReleaseObjectSecurity(sd, b.get(JAVA_BYTE, 1456) != 0);
                }
                case 4 -> {
                    int s = Ob.ObSetSecurityObjectByPointer(event, INFO[c.n(INFO.length)], sd(c, b.asSlice(1464, 8)));
                    if (s != NtStatus.STATUS_SUCCESS && s != NtStatus.STATUS_INVALID_OWNER && s != NtStatus.STATUS_INVALID_PRIMARY_GROUP
                            && s != NtStatus.STATUS_NO_SECURITY_ON_OBJECT) {
                        throw new FuzzInvariantException("ObSetSecurityObjectByPointer returned 0x" + Integer.toHexString(s));
                    }
                }
                case 5 -> {
                    int info = INFO[c.n(INFO.length)];
                    MemorySegment sd = sd(c, b.asSlice(1464, 8));
                    int s = c.p(0.5) ? Zw.ZwSetSecurityObject(h, info, sd) : Zw.NtSetSecurityObject(h, info, sd);
                    if (s != NtStatus.STATUS_SUCCESS && s != NtStatus.STATUS_INVALID_OWNER && s != NtStatus.STATUS_INVALID_PRIMARY_GROUP
                            && s != NtStatus.STATUS_NO_SECURITY_ON_OBJECT) {
                        throw new FuzzInvariantException("ZwSetSecurityObject returned 0x" + Integer.toHexString(s));
                    }
                }
                case 6 -> {
                    int info = INFO[c.n(INFO.length)];
                    int length = c.p(0.5) ? 256 : c.n(64);
                    int s = c.p(0.5) ? Zw.ZwQuerySecurityObject(h, info, b.asSlice(1500, 256), length, b.asSlice(1472, 4))
                            : Zw.NtQuerySecurityObject(h, info, b.asSlice(1500, 256), length, b.asSlice(1472, 4));
                    int needed = b.get(JAVA_INT_UNALIGNED, 1472);
                    if (s == NtStatus.STATUS_BUFFER_TOO_SMALL ? needed <= length : s != NtStatus.STATUS_SUCCESS || needed > length) {
                        throw new FuzzInvariantException("ZwQuerySecurityObject: 0x" + Integer.toHexString(s) + " with Length " + length
                                + " and LengthNeeded " + needed);
                    }
                    if (s == NtStatus.STATUS_SUCCESS && !Rtl.RtlValidSecurityDescriptor(b.asSlice(1500, 256))) {
                        throw new FuzzInvariantException("ZwQuerySecurityObject wrote an invalid descriptor");
                    }
                }
                case 7 -> {
                    int s = Ob.ObOpenObjectByPointer(event, 0, MemorySegment.NULL, AccessMask.EVENT_QUERY_STATE, Ex.ExEventObjectType(),
                            Ob.KernelMode, b.asSlice(1480, 8));
                    if (s != NtStatus.STATUS_SUCCESS) {
                        throw new FuzzInvariantException("a KernelMode open returned 0x" + Integer.toHexString(s));
                    }
                    long source = b.get(JAVA_LONG_UNALIGNED, 1480);
                    int desired = access(c);
                    int d = user(() -> Zw.NtDuplicateObject(Zw.NtCurrentProcess, source, Zw.NtCurrentProcess, b.asSlice(1488, 8), desired,
                            0, c.p(0.3) ? ObjectAttributes.DUPLICATE_SAME_ACCESS : 0));
                    if (d == NtStatus.STATUS_SUCCESS) {
                        long copy = b.get(JAVA_LONG_UNALIGNED, 1488);
                        enforce(c, b, copy, granted(b, copy, "NtDuplicateObject"));
                        Zw.ZwClose(copy);
                    }
                    Zw.ZwClose(source);
                }
                default -> {
                    int s = user(() -> Zw.NtQuerySecurityObject(h, SeConstants.DACL_SECURITY_INFORMATION, b.asSlice(1500, 256), 256,
                            b.asSlice(1472, 4)));
                    if (s != NtStatus.STATUS_INVALID_HANDLE) {
                        throw new FuzzInvariantException("a kernel handle used from user mode returned 0x" + Integer.toHexString(s));
                    }
                }
            }
        }
    }

    /** A pointer that is no object: unmapped, or inside the scratch block where the TypeIndex byte names no type (0 or 1). */
    private static MemorySegment notAnObject(Ctx c, MemorySegment b) {
        if (c.p(0.5)) {
            return MemorySegment.ofAddress(c.unmappedAddress());
        }
        b.asSlice(1800, 0x40).fill((byte) c.n(2));
        return MemorySegment.ofAddress(b.address() + 1800 + 0x30);
    }

    static void hostile(Ctx c) {
        MemorySegment b = TokenOps.scratch(c, 2048);
        switch (c.n(5)) {
            case 0 -> Ob.ObReleaseObjectSecurity(notAnObject(c, b), false); // IllegalArgumentException: not one ObGetObjectSecurity returned
            case 1 -> {
                MemorySegment garbage = b.asSlice(1500, 128);
                for (long i = 0; i < 128; i += 4) {
                    garbage.set(JAVA_INT_UNALIGNED, i, c.anyInt());
                }
                int st = Zw.ZwCreateEvent(b.asSlice(1408, 8), 0, attributes(b, null, ObjectAttributes.OBJ_KERNEL_HANDLE, MemorySegment.NULL),
                        0, false);
                if (st != NtStatus.STATUS_SUCCESS) {
                    throw new FuzzInvariantException("ZwCreateEvent returned 0x" + Integer.toHexString(st));
                }
                long h = b.get(JAVA_LONG_UNALIGNED, 1408);
                c.after.add(x -> Zw.ZwClose(h));
                Zw.ZwSetSecurityObject(h, c.anyInt(), garbage);
            }
            case 2 -> {
                long handle = c.p(0.5) ? c.anyInt() & ~3L : 0x7FFC;
                int st = Zw.ZwQuerySecurityObject(handle, c.anyInt(), b.asSlice(1500, 256), 256, b.asSlice(1472, 4));
                if (st == NtStatus.STATUS_SUCCESS && !Rtl.RtlValidSecurityDescriptor(b.asSlice(1500, 256))) {
                    throw new FuzzInvariantException("ZwQuerySecurityObject of a random handle wrote an invalid descriptor");
                }
                Zw.NtQuerySecurityObject(handle, c.anyInt(), b.asSlice(1500, 256), c.anyInt(), b.asSlice(1472, 4));
            }
            case 3 -> Ob.ObGetObjectSecurity(notAnObject(c, b), b.asSlice(1448, 8), b.asSlice(1456, 1)); // 0x50 / 0x18
            default -> Ob.ObSetSecurityObjectByPointer(notAnObject(c, b), SeConstants.DACL_SECURITY_INFORMATION, b.asSlice(1500, 64));
        }
    }
}
