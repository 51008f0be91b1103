package dev.offkern.runtime.srm;

import static dev.offkern.runtime.se.SecurityParsers.POINTER;
import static dev.offkern.runtime.se.SecurityParsers.ULONG;

import dev.offkern.layout.se.SECURITY_SUBJECT_CONTEXT;
import dev.offkern.nt.NtStatus;
import dev.offkern.nt.SeConstants;
import dev.offkern.runtime.ob.ObFailure;
import dev.offkern.runtime.ob.ObjectManager;
import dev.offkern.runtime.ob.ObjectSecurity;
import dev.offkern.runtime.se.RtlSecurityDescriptor;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * The security reference monitor's side of the object manager's security paths
 * ({@link ObjectSecurity}): each call captures the calling thread's subject context
 * (SeCaptureSubjectContext), runs SeAssignSecurity / SeAccessCheck (UserMode) /
 * SeSetSecurityDescriptorInfo on it, and releases it. The context, the out pointer and the check's
 * two out values live in a 64-byte per-thread scratch block (native memory, freed with its thread
 * by the GC), so a check allocates no native memory.
 *
 * <p>Thread-safe: no state beyond the per-thread scratch.
 */
public final class ObjectSecurityMethods implements ObjectSecurity {
    private static final long CONTEXT = 0;
    private static final long OUT = SECURITY_SUBJECT_CONTEXT.X64.size();
    private static final long GRANTED = OUT + 8;
    private static final long STATUS = GRANTED + 4;
    private static final ThreadLocal<Scratch> SCRATCH = ThreadLocal.withInitial(Scratch::new);

    /** One thread's scratch block and its slices, cut once. */
    private static final class Scratch {
        final MemorySegment block = Arena.ofAuto().allocate(64, 16);
        final MemorySegment context = block.asSlice(CONTEXT, SECURITY_SUBJECT_CONTEXT.X64.size());
        final MemorySegment out = block.asSlice(OUT, 8);
        final MemorySegment granted = block.asSlice(GRANTED, 4);
        final MemorySegment status = block.asSlice(STATUS, 4);
    }

    private final TokenManager tm;

    public ObjectSecurityMethods(TokenManager tm) {
        this.tm = tm;
    }

    private static MemorySegment sd(long address) {
        return address == 0 ? MemorySegment.NULL : MemorySegment.ofAddress(address);
    }

    @Override
    public long assign(long parentDescriptor, long explicitDescriptor, boolean isDirectoryObject, MemorySegment genericMapping) {
        Scratch s = SCRATCH.get();
        MemorySegment ctx = s.context;
        SubjectContexts.capture(tm, ctx);
        int st;
        try {
            st = AssignSecurity.assign(tm, sd(parentDescriptor), sd(explicitDescriptor), s.out, isDirectoryObject, 0, ctx,
                    genericMapping);
        } finally {
            SubjectContexts.release(tm, ctx);
        }
        if (!NtStatus.NT_SUCCESS(st)) {
            throw new ObFailure(st, "SeAssignSecurity for a new object failed");
        }
        return s.out.get(POINTER, 0);
    }

    @Override
    public long assignForToken(long primaryToken, long explicitDescriptor, MemorySegment genericMapping) {
        // Its own confined scratch, not the thread's: this runs while a thread's kernel state is made,
        // possibly inside another call's use of the per-thread block.
        try (Arena a = Arena.ofConfined()) {
            MemorySegment ctx = a.allocate(SECURITY_SUBJECT_CONTEXT.X64.size(), 8);
            MemorySegment out = a.allocate(8, 8);
            ctx.set(POINTER, SECURITY_SUBJECT_CONTEXT.PRIMARY_TOKEN_OFFSET, primaryToken); // no reference: the caller holds one
            int st = AssignSecurity.assign(tm, MemorySegment.NULL, sd(explicitDescriptor), out, false, 0, ctx, genericMapping,
                    dev.offkern.nt.PoolType.NonPagedPool);
            if (!NtStatus.NT_SUCCESS(st)) {
                throw new ObFailure(st, "SeAssignSecurity for a new process or thread failed");
            }
            return out.get(POINTER, 0);
        }
    }

    @Override
    public long accessCheck(long securityDescriptor, int desiredAccess, int previouslyGrantedAccess, MemorySegment genericMapping) {
        Scratch s = SCRATCH.get();
        MemorySegment ctx = s.context;
        SubjectContexts.capture(tm, ctx);
        boolean granted;
        try {
            granted = AccessCheck.check(tm, sd(securityDescriptor), ctx, false, desiredAccess, previouslyGrantedAccess, MemorySegment.NULL,
                    genericMapping, ObjectManager.UserMode, s.granted, s.status);
        } finally {
            SubjectContexts.release(tm, ctx);
        }
        return granted ? Integer.toUnsignedLong(s.granted.get(ULONG, 0)) : s.status.get(ULONG, 0);
    }

    @Override
    public long merge(long current, int securityInformation, long modification, MemorySegment genericMapping) {
        if ((securityInformation & SeConstants.OWNER_SECURITY_INFORMATION) == 0) {
            return AssignSecurity.compose(tm, current, securityInformation, modification, genericMapping, true);
        }
        Scratch s = SCRATCH.get();
        MemorySegment ctx = s.context;
        SubjectContexts.capture(tm, ctx); // the new owner is checked against the setter's effective token
        try {
            MemorySegment subject = SubjectContexts.effectiveToken(tm, ctx, SeConstants.SecurityAnonymous, "SeSetSecurityDescriptorInfo");
            return AssignSecurity.compose(tm, current, securityInformation, modification, genericMapping, true, subject);
        } finally {
            SubjectContexts.release(tm, ctx);
        }
    }

    @Override
    public long select(long descriptor, int securityInformation) {
        return AssignSecurity.compose(tm, 0, securityInformation, descriptor, null, false);
    }

    @Override
    public int length(long descriptor) {
        return RtlSecurityDescriptor.length(MemorySegment.ofAddress(descriptor));
    }

    @Override
    public void deassign(long descriptor) {
        if (descriptor != 0) {
            tm.pools.free(descriptor, AssignSecurity.TAG);
        }
    }
}
