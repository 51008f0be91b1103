package dev.offkern.runtime.srm;

import static java.lang.foreign.ValueLayout.JAVA_LONG;

import dev.offkern.layout.ps.EPROCESS;
import dev.offkern.runtime.ob.ObjectManager;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.VarHandle;

/**
 * {@code EPROCESS.Token}, an EX_FAST_REF: the primary token's address with, in its low 4 bits (x64's
 * MAX_FAST_REFS = 15), a count of references the word holds in reserve for lock-free takers.
 * <pre>
 *  63                                                 4 3        0
 * +---------------------------------------------------+----------+
 * |          PACCESS_TOKEN (16-aligned body)          | RefCnt   |
 * +---------------------------------------------------+----------+
 * </pre>
 *
 * <p><b>Invariant.</b> While the word names a token, the token's PointerCount includes 1 (the word's
 * own reference) + RefCnt (the reserve). A taker that decrements RefCnt by CAS owns one of the
 * reserve's references (its linearization point is that CAS). When RefCnt is 0 the taker goes to the
 * slow path: under this class's lock it references the token normally (the word's own reference
 * keeps it alive, and only {@link #release} — under the same lock — drops that) and refills the
 * reserve with 15 fresh references if the word is still {@code token|0}. {@link #release} swaps the
 * word to 0 and drops 1 + the RefCnt it found. Dereferences are plain ObDereferenceObject, as
 * Windows' PsDereferencePrimaryToken is; a reference taken from the reserve is not given back to it.
 *
 * <p>Progress: {@link #reference} is lock-free while the reserve lasts (one CAS), blocking on the
 * slow path once in 16 takes; {@link #assign} and {@link #release} take the lock.
 */
final class PrimaryTokenRef {
    /** MAX_FAST_REFS on x64: the low 4 bits. */
    static final long MAX_FAST_REFS = 15;
    private static final long COUNT_MASK = MAX_FAST_REFS;

    private final ObjectManager ob;
    /** The slow path's lock (PspTokenLock's role): guards refills against release. */
    private final Object lock = new Object();

    PrimaryTokenRef(ObjectManager ob) {
        this.ob = ob;
    }

    /** Stores {@code token} (whose creation reference the word takes over) with a full reserve. */
    void assign(MemorySegment eprocess, long token) {
        for (long i = 0; i < MAX_FAST_REFS; i++) {
            ob.reference(token);
        }
        synchronized (lock) {
            WORD.setVolatile(eprocess, EPROCESS.TOKEN_OFFSET, token | MAX_FAST_REFS); // volatile: publishes the token to lock-free takers
        }
    }

    /** The token's address without a reference (0 for none). */
    static long peek(MemorySegment eprocess) {
        return (long) WORD.getVolatile(eprocess, EPROCESS.TOKEN_OFFSET) & ~COUNT_MASK; // volatile: pairs with assign/refill
    }

    /** {@code PsReferencePrimaryToken}: a new reference on the process's token, or 0 if it has none. */
    long reference(MemorySegment eprocess) {
        while (true) {
            long v = (long) WORD.getVolatile(eprocess, EPROCESS.TOKEN_OFFSET); // volatile: pairs with the CASes and the publishing write
            long token = v & ~COUNT_MASK;
            if (token == 0) {
                return 0;
            }
            if ((v & COUNT_MASK) == 0) {
                return referenceSlow(eprocess);
            }
            if (WORD.compareAndSet(eprocess, EPROCESS.TOKEN_OFFSET, v, v - 1)) { // volatile CAS: linearization point, one reserve reference is now the caller's
                return token;
            }
        }
    }

    private long referenceSlow(MemorySegment eprocess) {
        synchronized (lock) {
            long v = (long) WORD.getVolatile(eprocess, EPROCESS.TOKEN_OFFSET); // volatile: release/assign change it under this lock only
            long token = v & ~COUNT_MASK;
            if (token == 0) {
                return 0;
            }
            ob.reference(token); // alive: the word's own reference is dropped only under this lock
            if ((v & COUNT_MASK) == 0) {
                for (long i = 0; i < MAX_FAST_REFS; i++) {
                    ob.reference(token);
                }
                if (!WORD.compareAndSet(eprocess, EPROCESS.TOKEN_OFFSET, v, token | MAX_FAST_REFS)) { // volatile CAS: refill
                    for (long i = 0; i < MAX_FAST_REFS; i++) { // cannot happen while v's count is 0 (takers need a count > 0), kept for safety
                        ob.dereference(token);
                    }
                }
            }
            return token;
        }
    }

    /** Empties the word (process deletion) and drops the references it held; returns the token (0 for none). */
    long release(MemorySegment eprocess) {
        long v;
        synchronized (lock) {
            v = (long) WORD.getAndSet(eprocess, EPROCESS.TOKEN_OFFSET, 0L); // volatile swap: no taker finds the token after this
        }
        long token = v & ~COUNT_MASK;
        if (token != 0) {
            for (long i = 0; i <= (v & COUNT_MASK); i++) {
                ob.dereference(token);
            }
        }
        return token;
    }

    /** The reserve count (tests, leak accounting). */
    static long reserve(MemorySegment eprocess) {
        return (long) WORD.getVolatile(eprocess, EPROCESS.TOKEN_OFFSET) & COUNT_MASK; // volatile read
    }

    // ===== VarHandle mechanics =====
    /** EPROCESS.Token (EX_FAST_REF): owned here; every change is a volatile CAS/swap or a volatile write under the lock. */
    private static final VarHandle WORD = JAVA_LONG.varHandle();
}
