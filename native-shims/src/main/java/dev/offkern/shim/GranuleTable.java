package dev.offkern.shim;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.lang.ref.Cleaner;

/**
 * The native granule map: the ranges of memory the shim may dereference. The shim's routines that
 * follow raw addresses ({@link SListShim}, {@link Cas128}'s raw form) take a table and look up every
 * address they are about to dereference in it, immediately before the access; an address outside it
 * is reported to the caller, never touched. runtime-core's address space owns one table and mirrors
 * every region into it; other users (tests, the CLI's self-test) insert the memory they hand the shim.
 *
 * <p>Contract:
 * <ul>
 *   <li>{@link #insert}: the range is visible to every shim call that starts after {@code insert}
 *       returns (published with release ordering; hand out addresses in it only afterwards).</li>
 *   <li>{@link #remove}: when it returns, no shim call is still dereferencing the range and none will:
 *       the caller may unmap the memory. It waits for every shim call in flight (a grace period, see
 *       below: a JVM-wide handshake, about as long as closing a shared arena, plus a scan of the
 *       threads' reader slots), and must not be called from inside one (nothing in the shim calls back
 *       into Java, so this cannot happen).</li>
 *   <li>{@link #close}: removes every range, as {@code remove} does; the table stays usable (empty).</li>
 * </ul>
 *
 * <p>Costs: most checks make no lookup: each thread remembers the two ranges its last lookups found,
 * valid until the next removal from the table, and an address inside one of them is accepted with one
 * compare. A lookup is one multiply-shift hash and usually one 32-byte slot (a range has one slot per
 * 64 KiB granule it touches, each holding the whole range). The SLIST and CAS routines enter no
 * read-side section (they are critical downcalls, which a handshake waits for); each counts its call in
 * a per-thread word, for the safepoint-poll request. {@code insert} and {@code remove} are slow-path
 * operations (a lock, and for {@code remove} a JVM-wide handshake, a {@code membarrier} system call and
 * a scan of the per-thread slots: tens of microseconds).
 *
 * <p>On a host where the shim is not loaded the table tracks nothing ({@link #isNative()} false):
 * the shim routines that need it are unavailable there anyway.
 *
 * <p>Thread safety: all methods may be called from any thread; writers are serialized.
 * Progress: {@link #covers} wait-free; {@link #insert}, {@link #remove} and {@link #close} blocking.
 */
public final class GranuleTable implements AutoCloseable {

    /* Implementation overview
     *
     * The structure lives in C (offkern_map.h / offkern_map.c, which describe the table, the
     * publication order and the grace period in detail); this class owns its handle. The handle is
     * freed by a Cleaner once this object is unreachable: no thread can then pass it to the shim
     * (callers keep the table reachable across each downcall with Reference.reachabilityFence).
     * close() empties the table early, waiting for a grace period, so memory can be unmapped
     * deterministically; the handle itself stays valid until the Cleaner runs.
     *
     * Grace periods (offkern_map.h, "Two kinds of reader"). The shim's SLIST and CAS routines are bound
     * as critical downcalls and enter no read-side section. A critical downcall leaves the thread in the
     * _thread_in_Java state with no safepoint poll until it has returned to Java, so a handshake cannot
     * complete for a thread inside one. remove() and close() therefore run in three steps: the C map
     * tombstones the range (or publishes the empty table) and replaces its epoch (*_begin); then
     * awaitCriticalCalls() performs a JVM-wide handshake, waiting for every critical call in flight;
     * then offkern_map_reclaim waits for the read-side sections of the readers that do use them
     * (covers(), an ordinary downcall, which runs in the _thread_in_native state that a handshake does not
     * wait for) and frees the tables an insert or clear replaced. The writer lock keeps inserts out
     * between the first and the last step (the C map refuses them), so a tombstone is reused only after
     * its grace period. GranuleTableHandshakeTest shows that the handshake waits for a critical call and
     * not for an ordinary one.
     */

    /** Granule size in bytes: a range has one slot per 64 KiB granule it touches. */
    public static final long GRANULE_SIZE = 1L << 16;

    private static final int OK = 0;
    private static final int E_NOMEM = -1;
    private static final int E_RANGE = -2;
    private static final int E_NOENT = -3;

    private static final MethodHandle CREATE = NativeShim.downcallOrNull("offkern_map_create",
            FunctionDescriptor.of(ValueLayout.JAVA_LONG));
    private static final MethodHandle INSERT = NativeShim.downcallOrNull("offkern_map_insert",
            FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_LONG, ValueLayout.JAVA_LONG, ValueLayout.JAVA_LONG));
    private static final int E_BUSY = -4;

    private static final MethodHandle REMOVE_BEGIN = NativeShim.downcallOrNull("offkern_map_remove_begin",
            FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_LONG, ValueLayout.JAVA_LONG, ValueLayout.JAVA_LONG));
    private static final MethodHandle CLEAR_BEGIN = NativeShim.downcallOrNull("offkern_map_clear_begin",
            FunctionDescriptor.ofVoid(ValueLayout.JAVA_LONG));
    private static final MethodHandle RECLAIM = NativeShim.downcallOrNull("offkern_map_reclaim",
            FunctionDescriptor.ofVoid(ValueLayout.JAVA_LONG));
    private static final MethodHandle DESTROY = NativeShim.downcallOrNull("offkern_map_destroy",
            FunctionDescriptor.ofVoid(ValueLayout.JAVA_LONG));
    private static final MethodHandle COVERS = NativeShim.downcallOrNull("offkern_map_covers",
            FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_LONG, ValueLayout.JAVA_LONG, ValueLayout.JAVA_LONG));
    private static final MethodHandle SLOTS = NativeShim.downcallOrNull("offkern_map_slots",
            FunctionDescriptor.of(ValueLayout.JAVA_LONG, ValueLayout.JAVA_LONG));
    private static final MethodHandle USES_MEMBARRIER = NativeShim.downcallOrNull("offkern_map_uses_membarrier",
            FunctionDescriptor.of(ValueLayout.JAVA_INT));

    private static final Cleaner CLEANER = Cleaner.create();

    /** The C map (struct offkern_map *), or 0 when the shim is not loaded. */
    private final long handle;
    /** Serializes the writers, and keeps inserts out of a removal's three steps (see the overview). */
    private final Object writers = new Object();

    /** Creates an empty table (tracking nothing, if the shim is not loaded). */
    public GranuleTable() {
        if (CREATE == null) {
            handle = 0;
            return;
        }
        long h = (long) call(() -> (long) CREATE.invokeExact());
        if (h == 0) {
            throw new OutOfMemoryError("offkern_map_create: no native memory for a granule map");
        }
        handle = h;
        CLEANER.register(this, () -> destroy(h)); // must not capture `this`
    }

    /** Whether the table is backed by the shim (false on a host without it: it then tracks nothing). */
    public boolean isNative() {
        return handle != 0;
    }

    /**
     * Adds {@code [base, base + length)}; shim calls that start after this returns may dereference it.
     *
     * @throws IllegalArgumentException if the range is empty or wraps around the address space
     * @throws OutOfMemoryError         if the table cannot grow
     */
    public void insert(long base, long length) {
        if (handle == 0) {
            return;
        }
        int rc;
        synchronized (writers) {
            rc = (int) call(() -> (int) INSERT.invokeExact(handle, base, length));
        }
        check(rc, "insert", base, length);
    }

    /**
     * Removes {@code [base, base + length)}, exactly as inserted, and waits until no shim call can still
     * be dereferencing it: afterwards the memory may be unmapped.
     *
     * @throws IllegalArgumentException if that range is not in the table
     */
    public void remove(long base, long length) {
        if (handle == 0) {
            return;
        }
        int rc;
        synchronized (writers) {
            rc = (int) call(() -> (int) REMOVE_BEGIN.invokeExact(handle, base, length));
            endGracePeriod();
        }
        check(rc, "remove", base, length);
    }

    /**
     * Whether every byte of {@code [address, address + length)} is in the table (checked range by range:
     * an access may run from one inserted range into an adjacent one).
     */
    public boolean covers(long address, long length) {
        if (handle == 0) {
            return false;
        }
        return (int) call(() -> (int) COVERS.invokeExact(handle, address, length)) != 0;
    }

    /** Live slots: one per (range, granule) pair. */
    public long slots() {
        if (handle == 0) {
            return 0;
        }
        return (long) call(() -> (long) SLOTS.invokeExact(handle));
    }

    /** Removes every range (waiting as {@link #remove} does). The table stays usable. */
    @Override
    public void close() {
        if (handle == 0) {
            return;
        }
        synchronized (writers) {
            call(() -> {
                CLEAR_BEGIN.invokeExact(handle);
                return null;
            });
            endGracePeriod();
        }
    }

    /** The second and third steps of a removal (see the overview); under the writer lock. */
    private void endGracePeriod() {
        awaitCriticalCalls();
        call(() -> {
            RECLAIM.invokeExact(handle);
            return null;
        });
    }

    /**
     * Returns once every critical downcall that was in flight when it was called has returned: a
     * JVM-wide handshake, made by closing a fresh shared arena (the JDK closes one with a handshake
     * with every Java thread; nobody ever accessed this one, so no thread's handshake finds anything to
     * do). A thread inside a critical downcall is in the _thread_in_Java state and has no safepoint
     * poll until it is back in Java, so its part of the handshake waits for the call to return (proved
     * by GranuleTableHandshakeTest).
     *
     * <p>Memory ordering: why a critical call that starts after the handshake sees what the writer did
     * before it (the tombstones, the empty table, the new epoch, all published by the C map with
     * release stores before this is called). For each thread, the handshake is processed at one point
     * of its execution that is never inside a critical downcall: either by the thread itself at a
     * safepoint poll, which takes the handshake's per-thread lock that the handshaking thread released
     * after installing the operation (acquire/release: the writer's stores happen-before everything the
     * thread does afterwards), or, for a thread in a safe state (blocked, in native code), by the
     * handshaking thread, and then the thread's way back to Java is a state transition with a full
     * fence followed by a read of its poll word: the HotSpot safepoint protocol's Dekker pair (the
     * handshaker stores the operation then reads the state, the thread stores the state then reads the
     * poll word), whose fences also order the writer's earlier stores before the thread's later loads.
     * And the shim is x86-64 only (cmpxchg16b), whose stores become visible in program order (TSO): a
     * load that follows, in real time, the locked instructions of the writer's mutex release and of the
     * handshake sees the epoch. So every critical call either overlapped the handshake's point in its
     * thread, and the handshake waited for it, or follows it, and loads the new epoch first (then the
     * new table and the tombstones, by acquire/release in the C map), and cannot reuse or find the
     * removed range.
     */
    static void awaitCriticalCalls() {
        Arena.ofShared().close();
    }

    /**
     * Whether grace periods use {@code membarrier(MEMBARRIER_CMD_PRIVATE_EXPEDITED)} (true on Linux 4.14+
     * unless a seccomp filter forbids it); otherwise every shim call pays one extra fence.
     */
    public static boolean usesMembarrier() {
        if (USES_MEMBARRIER == null) {
            return false;
        }
        return (int) call(() -> (int) USES_MEMBARRIER.invokeExact()) != 0;
    }

    /** The C handle for the shim's bindings; 0 if the shim is not loaded. */
    long handle() {
        return handle;
    }

    private static void destroy(long h) {
        call(() -> {
            DESTROY.invokeExact(h);
            return null;
        });
    }

    private static void check(int rc, String op, long base, long length) {
        switch (rc) {
            case OK -> { }
            case E_NOMEM -> throw new OutOfMemoryError("granule table " + op + ": no native memory to grow the table");
            case E_RANGE -> throw new IllegalArgumentException(String.format(
                    "granule table %s: [0x%x, +0x%x) is empty or wraps around the address space", op, base, length));
            case E_NOENT -> throw new IllegalArgumentException(String.format(
                    "granule table %s: [0x%x, +0x%x) was not inserted (or not with these bounds)", op, base, length));
            case E_BUSY -> throw new IllegalStateException("granule table " + op + " during a removal's grace period");
            default -> throw new IllegalStateException("offkern_map_" + op + " returned unknown code " + rc);
        }
    }

    @FunctionalInterface
    private interface Call {
        Object run() throws Throwable;
    }

    private static Object call(Call c) {
        try {
            return c.run();
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new AssertionError(t);
        }
    }
}
