package dev.offkern.runtime.ke;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/**
 * The dispatcher lock word: one test-and-test-and-set lock (0 free, 1 held) alone on its cache
 * lines, the hottest shared line of the dispatcher.
 *
 * <h2>Padding</h2>
 * HotSpot reorders the fields declared in one class freely (it put {@code held} at offset 12, before
 * pad longs declared beside it), and since JDK 15 it also places a subclass's small fields into
 * holes of its superclasses' layout (the 4 bytes between a 12-byte header and the first long). So
 * the padding is a superclass chain of <em>byte</em> fields, as JCTools pads its queue indices:
 * {@code DispatcherLockPad0} (128 bytes) ← {@code DispatcherLockField} ({@code held}) ←
 * {@code DispatcherLockPad1} (128 bytes) ← {@code DispatcherLock}: no hole for {@code held} to fall
 * into, so it sits at least 128 bytes after the object's start and 128 bytes before its end, and no
 * other object's fields share its line or the adjacent line the prefetcher pairs with it. {@code @Contended} would do the same
 * but needs {@code -XX:-RestrictContended}, which embedders will not set. DispatcherLockTest reads
 * the offsets with {@code Unsafe.objectFieldOffset}.
 *
 * <p>Progress: {@link #acquire} is blocking (spins, then yields: {@link Backoff#spinOrYield});
 * {@link #release} is wait-free. Memory consistency: a release happens-before the next acquire.
 */
final class DispatcherLock extends DispatcherLockPad1 {
    /** The one dispatcher lock of the process. */
    static final DispatcherLock LOCK = new DispatcherLock();

    /** A lock of the same kind for another hot shared structure (each kernel's timer table has one). */
    DispatcherLock() {
    }

    /**
     * Acquires the lock: one CAS when free, else spin on reads, then CAS again.
     *
     * @throws IllegalStateException if the calling thread holds the lock already (not re-entrant:
     *     only a bug-check callback run by a bug check raised under the lock can get here, and it
     *     gets this error instead of spinning for ever)
     */
    final void acquire() {
        if (!HELD.compareAndSet(this, 0, 1)) { // volatile CAS: the acquire edge for everything under the lock
            acquireSlow();
        }
        owner = Thread.currentThread(); // plain: read only by this thread (re-entrance checks)
    }

    private void acquireSlow() {
        if (owner == Thread.currentThread()) { // plain read: only this thread ever writes its own Thread here
            throw new IllegalStateException((this == LOCK ? "the dispatcher lock" : "the timer-table lock")
                    + " is already held by this thread: a routine that needs it was called from a bug-check callback raised under it");
        }
        int round = 0;
        for (;;) {
            while (held != 0) { // volatile read (a plain load on x64): test before test-and-set
                round = Backoff.spinOrYield(round);
            }
            if (HELD.compareAndSet(this, 0, 1)) { // volatile CAS: linearization point of a contended acquire
                return;
            }
        }
    }

    /** Releases the lock. */
    void release() {
        owner = null; // plain: ordered before the release store below
        HELD.setRelease(this, 0); // release: pairs with the next acquire's CAS
    }

    /** Whether the calling thread holds the lock (a bug check raised under it that halts the kernel). */
    boolean isHeldByCurrentThread() {
        return owner == Thread.currentThread() && held != 0;
    }

    /** Whether the lock is held now (diagnostics, tests). */
    boolean isHeld() {
        return held != 0; // volatile read
    }

    // ----- VarHandle mechanics -----
    private static final VarHandle HELD;

    static {
        try {
            HELD = MethodHandles.lookup().findVarHandle(DispatcherLockField.class, "held", int.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }
}

/** 128 bytes of padding before {@code held} (bytes: no hole for a subclass field to fill). */
@SuppressWarnings("unused")
abstract class DispatcherLockPad0 {
    private byte p000, p001, p002, p003, p004, p005, p006, p007, p008, p009, p010, p011, p012, p013, p014, p015;
    private byte p016, p017, p018, p019, p020, p021, p022, p023, p024, p025, p026, p027, p028, p029, p030, p031;
    private byte p032, p033, p034, p035, p036, p037, p038, p039, p040, p041, p042, p043, p044, p045, p046, p047;
    private byte p048, p049, p050, p051, p052, p053, p054, p055, p056, p057, p058, p059, p060, p061, p062, p063;
    private byte p064, p065, p066, p067, p068, p069, p070, p071, p072, p073, p074, p075, p076, p077, p078, p079;
    private byte p080, p081, p082, p083, p084, p085, p086, p087, p088, p089, p090, p091, p092, p093, p094, p095;
    private byte p096, p097, p098, p099, p100, p101, p102, p103, p104, p105, p106, p107, p108, p109, p110, p111;
    private byte p112, p113, p114, p115, p116, p117, p118, p119, p120, p121, p122, p123, p124, p125, p126, p127;
}

/** The lock word itself, after {@link DispatcherLockPad0}'s fields. */
abstract class DispatcherLockField extends DispatcherLockPad0 {
    /** 0 free, 1 held. */
    volatile int held;
    /** The holder (set after acquiring, cleared before releasing); written and compared by the holder only. */
    Thread owner;
}

/** 128 bytes of padding after {@code held}. */
@SuppressWarnings("unused")
abstract class DispatcherLockPad1 extends DispatcherLockField {
    private byte q000, q001, q002, q003, q004, q005, q006, q007, q008, q009, q010, q011, q012, q013, q014, q015;
    private byte q016, q017, q018, q019, q020, q021, q022, q023, q024, q025, q026, q027, q028, q029, q030, q031;
    private byte q032, q033, q034, q035, q036, q037, q038, q039, q040, q041, q042, q043, q044, q045, q046, q047;
    private byte q048, q049, q050, q051, q052, q053, q054, q055, q056, q057, q058, q059, q060, q061, q062, q063;
    private byte q064, q065, q066, q067, q068, q069, q070, q071, q072, q073, q074, q075, q076, q077, q078, q079;
    private byte q080, q081, q082, q083, q084, q085, q086, q087, q088, q089, q090, q091, q092, q093, q094, q095;
    private byte q096, q097, q098, q099, q100, q101, q102, q103, q104, q105, q106, q107, q108, q109, q110, q111;
    private byte q112, q113, q114, q115, q116, q117, q118, q119, q120, q121, q122, q123, q124, q125, q126, q127;
}
