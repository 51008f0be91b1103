package dev.offkern.runtime.srm;

import dev.offkern.runtime.se.SecurityParsers;
import static dev.offkern.runtime.se.SecurityParsers.POINTER;
import static dev.offkern.runtime.se.SecurityParsers.ULONG;

import dev.offkern.layout.ps.ETHREAD;
import dev.offkern.layout.se.LUID_AND_ATTRIBUTES;
import dev.offkern.layout.se.PRIVILEGE_SET;
import dev.offkern.layout.se.SECURITY_SUBJECT_CONTEXT;
import dev.offkern.nt.SeConstants;
import dev.offkern.runtime.ob.ObjectManager;
import java.lang.foreign.MemorySegment;

/**
 * SECURITY_SUBJECT_CONTEXT and the privilege checks: {@code SeCaptureSubjectContext} snapshots the
 * calling thread's impersonation token (with its level) and its process's primary token, each
 * referenced, into the caller's byte-exact structure; {@code SeReleaseSubjectContext} drops those
 * references (and clears the two pointers, so a second release drops nothing);
 * {@code SeLockSubjectContext}/{@code SeUnlockSubjectContext} take and drop the token lock shared
 * (an unlock without its lock is an IllegalStateException). The effective token of a context is the
 * client token if there is one, else the primary token ({@code SeQuerySubjectContextToken}).
 *
 * <p>Progress: capture is lock-free on its fast paths (see {@link PrimaryTokenRef},
 * {@link ClientSecurity}); lock blocks only behind a writer of the token lock (none exists yet).
 */
public final class SubjectContexts {
    /** The pool tag of the PRIVILEGE_SETs SeAccessCheck returns ('SePr'), freed with SeFreePrivileges. */
    public static final int PRIVILEGES_TAG = dev.offkern.nt.PoolTags.tag("SePr");

    private SubjectContexts() {
    }

    static MemorySegment context(MemorySegment ctx, String routine) {
        if (ctx == null || ctx.address() == 0) {
            throw new IllegalArgumentException(routine + ": SubjectContext is NULL");
        }
        return SecurityParsers.out(ctx, SECURITY_SUBJECT_CONTEXT.X64.size(), routine);
    }

    /** {@code SeCaptureSubjectContext(SubjectContext)}. */
    public static void capture(TokenManager tm, MemorySegment ctx) {
        MemorySegment c = context(ctx, "SeCaptureSubjectContext");
        MemorySegment thread = tm.ps.currentThread();
        MemorySegment process = tm.ps.currentProcess();
        long v = tm.client.reference(thread);
        long primary = tm.primary.reference(process);
        c.set(POINTER, SECURITY_SUBJECT_CONTEXT.CLIENT_TOKEN_OFFSET, v & ~7L);
        c.set(ULONG, SECURITY_SUBJECT_CONTEXT.IMPERSONATION_LEVEL_OFFSET, (int) (v & ETHREAD.CLIENT_SECURITY_LEVEL_MASK));
        c.set(POINTER, SECURITY_SUBJECT_CONTEXT.PRIMARY_TOKEN_OFFSET, primary);
        c.set(POINTER, SECURITY_SUBJECT_CONTEXT.PROCESS_AUDIT_ID_OFFSET, tm.ps.currentProcessId());
    }

    /** {@code SeReleaseSubjectContext(SubjectContext)}. */
    public static void release(TokenManager tm, MemorySegment ctx) {
        MemorySegment c = context(ctx, "SeReleaseSubjectContext");
        long client = c.get(POINTER, SECURITY_SUBJECT_CONTEXT.CLIENT_TOKEN_OFFSET);
        long primary = c.get(POINTER, SECURITY_SUBJECT_CONTEXT.PRIMARY_TOKEN_OFFSET);
        c.set(POINTER, SECURITY_SUBJECT_CONTEXT.CLIENT_TOKEN_OFFSET, 0L);
        c.set(POINTER, SECURITY_SUBJECT_CONTEXT.PRIMARY_TOKEN_OFFSET, 0L);
        tm.dereferenceToken(client, "SeReleaseSubjectContext");
        tm.dereferenceToken(primary, "SeReleaseSubjectContext");
    }

    /** {@code SeLockSubjectContext(SubjectContext)}: the token lock, shared (re-entrant; one unlock per lock). */
    public static void lock(TokenManager tm, MemorySegment ctx) {
        context(ctx, "SeLockSubjectContext");
        tm.tokenLock.readLock().lock();
    }

    /** {@code SeUnlockSubjectContext(SubjectContext)}. */
    public static void unlock(TokenManager tm, MemorySegment ctx) {
        context(ctx, "SeUnlockSubjectContext");
        try {
            tm.tokenLock.readLock().unlock();
        } catch (IllegalMonitorStateException e) {
            throw new IllegalStateException("SeUnlockSubjectContext without SeLockSubjectContext on this thread", e);
        }
    }

    /** {@code SeQuerySubjectContextToken(SubjectContext)}: the client token, else the primary token (no reference taken). */
    public static long queryToken(MemorySegment ctx) {
        MemorySegment c = context(ctx, "SeQuerySubjectContextToken");
        long client = c.get(POINTER, SECURITY_SUBJECT_CONTEXT.CLIENT_TOKEN_OFFSET);
        return client != 0 ? client : c.get(POINTER, SECURITY_SUBJECT_CONTEXT.PRIMARY_TOKEN_OFFSET);
    }

    /**
     * The body of the context's effective token for a check: the client token (null when its level
     * is below {@code minimumLevel}: the check fails then), else the primary token.
     */
    static MemorySegment effectiveToken(TokenManager tm, MemorySegment c, int minimumLevel, String routine) {
        long client = c.get(POINTER, SECURITY_SUBJECT_CONTEXT.CLIENT_TOKEN_OFFSET);
        if (client != 0) {
            if (c.get(ULONG, SECURITY_SUBJECT_CONTEXT.IMPERSONATION_LEVEL_OFFSET) < minimumLevel) {
                return null;
            }
            return tm.body(client, routine);
        }
        return tm.body(c.get(POINTER, SECURITY_SUBJECT_CONTEXT.PRIMARY_TOKEN_OFFSET), routine);
    }

    /**
     * {@code SePrivilegeCheck(RequiredPrivileges, SubjectContext, AccessMode)}: KernelMode TRUE; else
     * each privilege the effective token has enabled gets SE_PRIVILEGE_USED_FOR_ACCESS, and the result
     * is whether all (PRIVILEGE_SET_ALL_NECESSARY) or any of them are. A client token below
     * SecurityIdentification holds none.
     */
    public static boolean privilegeCheck(TokenManager tm, MemorySegment required, MemorySegment ctx, int accessMode) {
        String routine = "SePrivilegeCheck";
        MemorySegment c = context(ctx, routine);
        MemorySegment head = SecurityParsers.out(required, PRIVILEGE_SET.PRIVILEGE_OFFSET, routine);
        long count = Integer.toUnsignedLong(head.get(ULONG, PRIVILEGE_SET.PRIVILEGE_COUNT_OFFSET));
        long entry = LUID_AND_ATTRIBUTES.X64.size();
        if (count > 0x10000) {
            throw new IllegalArgumentException(routine + ": PrivilegeCount " + count + " is implausible");
        }
        MemorySegment set = SecurityParsers.out(required, PRIVILEGE_SET.PRIVILEGE_OFFSET + count * entry, routine);
        if (accessMode == ObjectManager.KernelMode) {
            return true;
        }
        MemorySegment tb = effectiveToken(tm, c, SeConstants.SecurityIdentification, routine);
        long enabled = tb == null ? 0 : TokenView.enabledPrivileges(tb);
        boolean all = (set.get(ULONG, PRIVILEGE_SET.CONTROL_OFFSET) & SeConstants.PRIVILEGE_SET_ALL_NECESSARY) != 0;
        int held = 0;
        for (long i = 0; i < count; i++) {
            long e = PRIVILEGE_SET.PRIVILEGE_OFFSET + i * entry;
            long luid = set.get(POINTER, e + LUID_AND_ATTRIBUTES.LUID_OFFSET);
            boolean has = luid >= 0 && luid < 64 && (enabled & (1L << luid)) != 0;
            int a = set.get(ULONG, e + LUID_AND_ATTRIBUTES.ATTRIBUTES_OFFSET);
            set.set(ULONG, e + LUID_AND_ATTRIBUTES.ATTRIBUTES_OFFSET,
                    has ? a | SeConstants.SE_PRIVILEGE_USED_FOR_ACCESS : a & ~SeConstants.SE_PRIVILEGE_USED_FOR_ACCESS);
            if (has) {
                held++;
            }
        }
        return all ? held == count : held > 0;
    }

    /**
     * {@code SeSinglePrivilegeCheck(PrivilegeValue, PreviousMode)}: KernelMode TRUE; else whether the
     * calling thread's effective token (its impersonation token at SecurityIdentification or above,
     * else its process's) has the privilege enabled.
     */
    public static boolean singlePrivilegeCheck(TokenManager tm, long luid, int previousMode) {
        if (previousMode == ObjectManager.KernelMode) {
            return true;
        }
        long v = tm.client.reference(tm.ps.currentThread());
        long token;
        if (v != 0) {
            token = v & ~7L;
            if ((v & ETHREAD.CLIENT_SECURITY_LEVEL_MASK) < SeConstants.SecurityIdentification) {
                tm.ob.dereference(token);
                return false;
            }
        } else {
            token = tm.primary.reference(tm.ps.currentProcess());
        }
        try {
            long enabled = TokenView.enabledPrivileges(tm.body(token, "SeSinglePrivilegeCheck"));
            return luid >= 0 && luid < 64 && (enabled & (1L << luid)) != 0;
        } finally {
            tm.ob.dereference(token);
        }
    }
}
