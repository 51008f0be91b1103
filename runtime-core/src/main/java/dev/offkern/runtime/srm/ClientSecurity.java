package dev.offkern.runtime.srm;

import static java.lang.foreign.ValueLayout.JAVA_LONG;

import dev.offkern.layout.ps.ETHREAD;
import dev.offkern.runtime.ob.ObjectManager;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.VarHandle;

/**
 * {@code ETHREAD.ClientSecurity} (PS_CLIENT_SECURITY_CONTEXT): the impersonation token of a thread
 * with its level (bits 0-1) and EffectiveOnly (bit 2); 0 when the thread is not impersonating. The
 * word holds one reference on the token.
 *
 * <p>Changes ({@link #set}, {@link #clear}) and reference-taking readers ({@link #reference}) of one
 * thread serialize on one of 64 stripe locks chosen by the ETHREAD's address (the ThreadLock's role),
 * so a reader never references a token whose reference the word already gave up. A reader first
 * looks at the word lock-free (volatile read) and takes no lock when it is 0, the common case.
 *
 * <p>Progress: {@link #isImpersonating} wait-free; the rest blocking (one short critical section).
 */
final class ClientSecurity {
    private final ObjectManager ob;
    private final Object[] stripes = new Object[64];

    ClientSecurity(ObjectManager ob) {
        this.ob = ob;
        for (int i = 0; i < stripes.length; i++) {
            stripes[i] = new Object();
        }
    }

    private Object stripe(MemorySegment ethread) {
        return stripes[(int) ((ethread.address() >>> 4) * 0x9E3779B97F4A7C15L >>> 58)];
    }

    /** The raw word (token | flags), 0 if not impersonating. */
    static long word(MemorySegment ethread) {
        return (long) WORD.getVolatile(ethread, ETHREAD.CLIENT_SECURITY_OFFSET); // volatile: pairs with set/clear
    }

    static boolean isImpersonating(MemorySegment ethread) {
        return word(ethread) != 0;
    }

    /** Makes {@code token} (referenced here) the thread's impersonation token; drops the previous one's reference. */
    void set(MemorySegment ethread, long token, int level, boolean effectiveOnly) {
        ob.reference(token);
        long value = token | (level & ETHREAD.CLIENT_SECURITY_LEVEL_MASK) | (effectiveOnly ? ETHREAD.CLIENT_SECURITY_EFFECTIVE_ONLY : 0);
        long old;
        synchronized (stripe(ethread)) {
            old = (long) WORD.getAndSet(ethread, ETHREAD.CLIENT_SECURITY_OFFSET, value); // volatile swap: publishes the new token
        }
        drop(old);
    }

    /** Ends impersonation (PsRevertToSelf, thread deletion); drops the token's reference. */
    void clear(MemorySegment ethread) {
        if (word(ethread) == 0) {
            return;
        }
        long old;
        synchronized (stripe(ethread)) {
            old = (long) WORD.getAndSet(ethread, ETHREAD.CLIENT_SECURITY_OFFSET, 0L); // volatile swap
        }
        drop(old);
    }

    private void drop(long old) {
        long token = old & ~7L;
        if (token != 0) {
            ob.dereference(token);
        }
    }

    /** A new reference on the impersonation token, and its flags: {token | flags}, or 0 if not impersonating. */
    long reference(MemorySegment ethread) {
        if (word(ethread) == 0) {
            return 0;
        }
        synchronized (stripe(ethread)) {
            long v = (long) WORD.getVolatile(ethread, ETHREAD.CLIENT_SECURITY_OFFSET); // volatile: changes only under this lock
            if (v != 0) {
                ob.reference(v & ~7L); // alive: the word's reference is dropped only after a swap under this lock
            }
            return v;
        }
    }

    // ===== VarHandle mechanics =====
    /** ETHREAD.ClientSecurity: owned here; changed by volatile swaps under the thread's stripe lock. */
    private static final VarHandle WORD = JAVA_LONG.varHandle();
}
