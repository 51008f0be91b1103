package dev.offkern.runtime.ob;

import static java.lang.foreign.ValueLayout.JAVA_INT;

import dev.offkern.layout.ob.OBJECT_HEADER;
import dev.offkern.layout.ob.OBJECT_TYPE_INITIALIZER;
import dev.offkern.nt.AccessMask;
import dev.offkern.nt.BugCheck;
import dev.offkern.nt.BugCheckCode;
import dev.offkern.nt.KernelHaltedException;
import dev.offkern.nt.NtStatus;
import dev.offkern.nt.OB_SECURITY_METHOD;
import dev.offkern.nt.ObjectAttributes;
import dev.offkern.nt.SeConstants;
import dev.offkern.runtime.mm.Region;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * The object manager's security paths: a new object's descriptor (ObAssignSecurity), the access
 * check when a handle is opened (ObCheckObjectAccess), ObGetObjectSecurity / ObReleaseObjectSecurity
 * and setting a descriptor (ObSetSecurityObjectByPointer).
 *
 * <h2>Where a descriptor lives</h2>
 * An object whose type has no security procedure keeps its descriptor in
 * {@code OBJECT_HEADER.SecurityDescriptor} ({@link HeaderSecurity}: an EX_FAST_REF to a refcounted
 * self-relative copy). A type with a security procedure owns that field: the object manager asks
 * the procedure (AssignSecurityDescriptor with the computed descriptor, which it owns on success;
 * QuerySecurityDescriptor into a paged-pool buffer; SetSecurityDescriptor; DeleteSecurityDescriptor).
 *
 * <h2>Which objects get one</h2>
 * As ObInsertObject decides on Windows: a named object, an object of a type with SecurityRequired
 * (Process, Thread, Token and any type created with the flag), and — offkern's choice, so that a
 * creator's explicit descriptor is never dropped — an unnamed object given
 * {@code OBJECT_ATTRIBUTES.SecurityDescriptor}. The descriptor is SeAssignSecurity's result for the
 * creator's subject context: the explicit descriptor's parts, the rest from the token (its default
 * DACL, owner and primary group); there are no directory objects, so nothing is inherited. An object
 * without a descriptor is unprotected: every open gets the rights it asks for (Windows' rule for
 * objects without security).
 *
 * <h2>The access check</h2>
 * A handle opened for a UserMode caller (or with OBJ_FORCE_ACCESS_CHECK) gets what SeAccessCheck
 * grants the calling thread's subject context against the object's descriptor — MAXIMUM_ALLOWED and
 * generic rights through the type's GENERIC_MAPPING — restricted to the type's valid rights; the
 * handle entry records it and ObReferenceObjectByHandle enforces it for UserMode lookups. KernelMode
 * opens get the mapped rights asked for, unchecked.
 *
 * <p>Progress: the lookups of a descriptor are lock-free on their fast path ({@link HeaderSecurity});
 * assignment, checks and setting allocate pool and run the security reference monitor's code;
 * setters of one object serialize on its stripe lock.
 */
final class ObSecurity {
    private final ObjectManager ob;
    final HeaderSecurity headers;
    /** The security reference monitor (null: none installed, objects carry no descriptors); volatile. */
    private volatile ObjectSecurity srm;

    ObSecurity(ObjectManager ob) {
        this.ob = ob;
        this.headers = new HeaderSecurity(ob.pools.nonPaged(), ob.space);
    }

    void install(ObjectSecurity s) {
        srm = s;
    }

    ObjectSecurity srm() {
        return srm;
    }

    /** Whether a new object of type {@code t} gets a descriptor at insertion. */
    static boolean needsDescriptor(ObjectType t, CallerArgs.Attributes a) {
        return a.name() != null || t.securityRequired || a.securityDescriptor() != 0;
    }

    /**
     * ObAssignSecurity: computes the new object's descriptor and stores it (header or security
     * procedure). Nothing when no security reference monitor is installed.
     *
     * @throws ObFailure SeAssignSecurity's status, the security procedure's, STATUS_INSUFFICIENT_RESOURCES
     */
    void assign(ObjectType t, long body, long explicit, String routine) {
        assign(t, body, explicit, 0, routine);
    }

    /** As {@link #assign(ObjectType, long, long, String)}; a non-zero {@code token} is the subject's primary token ({@link ObjectSecurity#assignForToken}). */
    void assign(ObjectType t, long body, long explicit, long token, String routine) {
        ObjectSecurity s = srm; // volatile read
        if (s == null) {
            return;
        }
        long sd = token == 0 ? s.assign(0, explicit, false, t.genericMapping()) : s.assignForToken(token, explicit, t.genericMapping());
        Region r = ob.headerRegion(body);
        MemorySegment seg = r.segment();
        long off = r.offsetOf(body - ObjectManager.HEADER_SIZE);
        OB_SECURITY_METHOD proc = t.procedures.SecurityProcedure();
        if (proc != null) {
            int st = callProcedure(t, body, proc, OB_SECURITY_METHOD.AssignSecurityDescriptor, MemorySegment.NULL, sd, MemorySegment.NULL,
                    seg, off, () -> s.deassign(sd));
            if (!NtStatus.NT_SUCCESS(st)) {
                s.deassign(sd);
                throw new ObFailure(st, routine + ": the " + t.name + " type's security procedure refused the descriptor");
            }
            return; // the procedure owns sd now
        }
        try {
            install(seg, off, body, s, sd, routine);
        } finally {
            s.deassign(sd);
        }
    }

    private void install(MemorySegment seg, long off, long body, ObjectSecurity s, long sd, String routine) {
        int length = s.length(sd);
        long word = headers.newWord(ob.space.resolve(sd, length), length);
        if (word == 0) {
            throw new ObFailure(NtStatus.STATUS_INSUFFICIENT_RESOURCES, routine + ": no pool for the object's security descriptor");
        }
        headers.replace(seg, off, body - ObjectManager.HEADER_SIZE, word);
    }

    /**
     * The bytes of the object's descriptor block (header word's) when only the header holds it (no
     * reference handed out), else 0: for the process manager's account of what the kernel alone holds
     * at close.
     */
    long blockHeldByHeaderOnly(long body) {
        Region r = ob.headerRegion(body);
        return headers.blockHeldByWordOnly(r.segment(), r.offsetOf(body - ObjectManager.HEADER_SIZE));
    }

    /** The object is being deleted: its descriptor goes (the header's; a security procedure's is deleted by the caller). */
    void deleted(MemorySegment seg, long off, long header) {
        if (HeaderSecurity.peek(seg, off) != 0) {
            headers.replace(seg, off, header, 0);
        }
    }

    /**
     * The access a new handle to the object at {@code body} gets for a caller in {@code mode}
     * (ObpIncrementHandleCount's ObCheckObjectAccess): KernelMode without OBJ_FORCE_ACCESS_CHECK, or
     * an object without a descriptor: {@code desired} mapped; else SeAccessCheck's grant.
     *
     * @throws ObFailure SeAccessCheck's status (STATUS_ACCESS_DENIED, STATUS_PRIVILEGE_NOT_HELD, ...)
     */
    int openAccess(ObjectType t, long body, int desired, int mode, int attributes, String routine) {
        return openAccess(t, body, desired, mode, attributes, false, routine);
    }

    /**
     * As {@link #openAccess(ObjectType, long, int, int, int, String)}; {@code privileged}: the caller's
     * privilege (SeDebugPrivilege for processes and threads) already granted what it asks, so no check
     * runs (Windows moves the rights into the access state's PreviouslyGrantedAccess).
     */
    int openAccess(ObjectType t, long body, int desired, int mode, int attributes, boolean privileged, String routine) {
        if (privileged || (mode == ObjectManager.KernelMode && (attributes & ObjectAttributes.OBJ_FORCE_ACCESS_CHECK) == 0)) {
            return t.mapAccess(desired);
        }
        ObjectSecurity s = srm; // volatile read
        if (s == null) {
            return t.mapAccess(desired);
        }
        boolean allocated = false;
        long sd;
        if (t.procedures.SecurityProcedure() == null) {
            Region r = ob.headerRegion(body);
            sd = headers.reference(r.segment(), r.offsetOf(body - ObjectManager.HEADER_SIZE), body - ObjectManager.HEADER_SIZE);
        } else {
            boolean[] copy = new boolean[1];
            sd = get(t, body, copy, routine);
            allocated = copy[0];
        }
        if (sd == 0) {
            return t.mapAccess(desired);
        }
        try {
            long g = s.accessCheck(sd, desired, 0, t.genericMapping);
            if (g < 0) {
                throw new ObFailure((int) g, routine + ": the access check denied 0x" + Integer.toHexString(desired) + " on a " + t.name);
            }
            return (int) g & (t.validAccessMask | AccessMask.ACCESS_SYSTEM_SECURITY);
        } finally {
            if (allocated) {
                release(sd, true);
            } else {
                headers.release(sd);
            }
        }
    }

    /**
     * ObGetObjectSecurity: the object's descriptor, referenced ({@code allocated[0]} false) or, for a
     * type with a security procedure, a paged-pool copy the procedure filled ({@code allocated[0]}
     * true); 0 when it has none.
     */
    long get(ObjectType t, long body, boolean[] allocated, String routine) {
        Region r = ob.headerRegion(body);
        MemorySegment seg = r.segment();
        long off = r.offsetOf(body - ObjectManager.HEADER_SIZE);
        OB_SECURITY_METHOD proc = t.procedures.SecurityProcedure();
        allocated[0] = false;
        if (proc == null) {
            return headers.reference(seg, off, body - ObjectManager.HEADER_SIZE);
        }
        if (seg.get(java.lang.foreign.ValueLayout.JAVA_LONG, off + OBJECT_HEADER.SECURITY_DESCRIPTOR_OFFSET) == 0) {
            return 0;
        }
        long length = 4096; // Windows starts with a page
        for (int attempt = 0; attempt < 2; attempt++) {
            long buffer = ob.pools.paged().allocate(length, QUERY_TAG, 0);
            if (buffer == 0) {
                throw new ObFailure(NtStatus.STATUS_INSUFFICIENT_RESOURCES, routine + ": no pool for the descriptor's copy");
            }
            int st;
            long needed;
            try (Arena a = Arena.ofConfined()) {
                MemorySegment info = a.allocate(JAVA_INT);
                info.set(JAVA_INT, 0, SeConstants.OWNER_SECURITY_INFORMATION | SeConstants.GROUP_SECURITY_INFORMATION
                        | SeConstants.DACL_SECURITY_INFORMATION | SeConstants.SACL_SECURITY_INFORMATION);
                MemorySegment len = a.allocate(JAVA_INT);
                len.set(JAVA_INT, 0, (int) length);
                st = callProcedure(t, body, proc, OB_SECURITY_METHOD.QuerySecurityDescriptor, info, buffer, len, seg, off,
                        () -> ob.pools.paged().free(buffer, QUERY_TAG));
                needed = Integer.toUnsignedLong(len.get(JAVA_INT, 0));
            }
            if (NtStatus.NT_SUCCESS(st)) {
                allocated[0] = true;
                return buffer;
            }
            ob.pools.paged().free(buffer, QUERY_TAG);
            if (st != NtStatus.STATUS_BUFFER_TOO_SMALL || needed <= length || needed > 0x10000) {
                throw new ObFailure(st, routine + ": the " + t.name + " type's security procedure could not return the descriptor");
            }
            length = needed;
        }
        throw new ObFailure(NtStatus.STATUS_BUFFER_TOO_SMALL, routine + ": the " + t.name + " type's security procedure keeps asking for more");
    }

    /** The pool tag of ObGetObjectSecurity's copies ('ObSq'; ObReleaseObjectSecurity frees them). */
    static final int QUERY_TAG = dev.offkern.nt.PoolTags.tag("ObSq");

    /** ObReleaseObjectSecurity: gives back what {@link #get} returned (0: nothing). */
    void release(long sd, boolean allocated) {
        if (sd == 0) {
            return;
        }
        if (allocated) {
            ob.pools.paged().free(sd, QUERY_TAG);
            return;
        }
        if (!headers.isDescriptor(sd)) {
            throw new IllegalArgumentException("ObReleaseObjectSecurity: 0x" + Long.toHexString(sd)
                    + " is no object's security descriptor (not one ObGetObjectSecurity returned)");
        }
        headers.release(sd);
    }

    /**
     * ObSetSecurityObjectByPointer / NtSetSecurityObject: replaces the parts {@code information} names
     * with {@code given}'s (SeSetSecurityDescriptorInfo); a type's security procedure does it itself.
     * Setters of one object serialize.
     *
     * @throws ObFailure STATUS_NO_SECURITY_ON_OBJECT (an object without a descriptor, as
     *         SeSetSecurityDescriptorInfo answers), STATUS_INVALID_SECURITY_DESCR, STATUS_INVALID_OWNER,
     *         STATUS_INVALID_PRIMARY_GROUP, STATUS_INSUFFICIENT_RESOURCES, the procedure's status
     */
    void set(ObjectType t, long body, int information, long given, String routine) {
        ObjectSecurity s = srm; // volatile read
        if (s == null) {
            throw new ObFailure(NtStatus.STATUS_INVALID_PARAMETER, routine + ": this kernel has no security reference monitor");
        }
        Region r = ob.headerRegion(body);
        MemorySegment seg = r.segment();
        long off = r.offsetOf(body - ObjectManager.HEADER_SIZE);
        long header = body - ObjectManager.HEADER_SIZE;
        OB_SECURITY_METHOD proc = t.procedures.SecurityProcedure();
        if (proc != null) {
            int st;
            try (Arena a = Arena.ofConfined()) {
                MemorySegment info = a.allocate(JAVA_INT);
                info.set(JAVA_INT, 0, information);
                st = callProcedure(t, body, proc, OB_SECURITY_METHOD.SetSecurityDescriptor, info, given, MemorySegment.NULL, seg, off,
                        () -> { });
            }
            if (!NtStatus.NT_SUCCESS(st)) {
                throw new ObFailure(st, routine + ": the " + t.name + " type's security procedure refused the descriptor");
            }
            return;
        }
        synchronized (headers.setterLock(header)) {
            long current = headers.reference(seg, off, header);
            if (current == 0) {
                throw new ObFailure(NtStatus.STATUS_NO_SECURITY_ON_OBJECT, routine + ": the " + t.name + " has no security descriptor");
            }
            long merged;
            try {
                merged = s.merge(current, information, given, t.genericMapping());
            } finally {
                headers.release(current);
            }
            try {
                install(seg, off, body, s, merged, routine);
            } finally {
                s.deassign(merged);
            }
        }
    }

    /** Calls a type's security procedure; an exception escaping it is KMODE_EXCEPTION_NOT_HANDLED (0x1E) after {@code cleanup}. */
    private int callProcedure(ObjectType t, long body, OB_SECURITY_METHOD proc, int operation, MemorySegment info, long sd,
                              MemorySegment length, MemorySegment seg, long off, Runnable cleanup) {
        try {
            return proc.call(ob.body(body, 0), operation, info, MemorySegment.ofAddress(sd), length,
                    seg.asSlice(off + OBJECT_HEADER.SECURITY_DESCRIPTOR_OFFSET, 8), t.poolType, t.genericMapping());
        } catch (BugCheck | KernelHaltedException processed) {
            cleanup.run();
            throw processed;
        } catch (RuntimeException e) {
            cleanup.run();
            throw ob.core.bugCheck(BugCheckCode.KMODE_EXCEPTION_NOT_HANDLED, NtStatus.STATUS_UNHANDLED_EXCEPTION & 0xFFFFFFFFL,
                    ob.procAddress(t, OBJECT_TYPE_INITIALIZER.SECURITY_PROCEDURE_OFFSET), body, 0,
                    "exception escaped the " + t.name + " type's security procedure: " + e);
        }
    }
}
