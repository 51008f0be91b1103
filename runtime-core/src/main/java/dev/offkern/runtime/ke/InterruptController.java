package dev.offkern.runtime.ke;

import static java.lang.foreign.ValueLayout.JAVA_BOOLEAN;
import static java.lang.foreign.ValueLayout.JAVA_BYTE;

import dev.offkern.layout.ke.KINTERRUPT;
import java.lang.foreign.MemorySegment;
import java.util.Arrays;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.ReentrantReadWriteLock;

/**
 * A kernel's interrupt controller: what an embedder, an emulator or a test calls to raise a
 * device's interrupt, and what IoConnectInterruptEx connects interrupt objects to.
 *
 * <h2>Lines and messages (the PnP manager's resources)</h2>
 * offkern has no buses: the embedder says which interrupt a device (its PDO, by address) has —
 * {@link #assignLine} (a line-based interrupt: vector and IRQL) or {@link #assignMessages} (message
 * signalled: N messages on consecutive vectors, one IRQL). IoConnectInterruptEx's CONNECT_LINE_BASED
 * and CONNECT_MESSAGE_BASED read these; CONNECT_FULLY_SPECIFIED names the vector itself.
 *
 * <h2>Delivery</h2>
 * {@link #interrupt(int)} delivers one interrupt on a vector, on the calling thread (as a processor
 * takes an interrupt on whatever it runs): each object connected to the vector, in connection order,
 * is serviced ({@link KeInterrupt}: its SynchronizeIrql, its spin lock held) until one routine
 * returns TRUE; if none does (or none is connected) the interrupt is counted as unclaimed. Then the
 * thread's IRQL is restored, which runs the DPCs the routines queued (IoRequestDpc). The calling
 * thread must be below the vector's IRQL (an interrupt at or below the current IRQL is masked: an
 * IllegalStateException says so). {@link #message} delivers message {@code n} of a device.
 * Deliveries on several threads may run at once; an object's lock serialises its own routine.
 *
 * <h2>Connect and disconnect</h2>
 * A vector's chain is an immutable array replaced under the write lock; deliveries walk it under
 * the read lock, so {@link #disconnect} returns only when no delivery is still using the object
 * (its memory may then be freed). A vector already connected refuses a new object unless both the
 * existing objects and the new one share it (ShareVector).
 *
 * <p>Progress: delivery is blocking (the read lock, the objects' spin locks); connect and
 * disconnect take the write lock (PASSIVE_LEVEL callers only).
 */
public final class InterruptController {
    /** A line-based interrupt assigned to a device. */
    public record Line(int vector, int irql) {
    }

    /** A device's message-signalled interrupts: {@code count} messages on vectors {@code firstVector ...}. */
    public record Messages(int count, int firstVector, int irql) {
    }

    private final KernelCore core;
    private final ReentrantReadWriteLock lock = new ReentrantReadWriteLock();
    /** Vector → the connected KINTERRUPTs' addresses, in connection order (replaced whole under the write lock). */
    private final Map<Integer, long[]> chains = new ConcurrentHashMap<>();
    private final Map<Long, Line> lines = new ConcurrentHashMap<>();
    private final Map<Long, Messages> messages = new ConcurrentHashMap<>();
    private final Map<Integer, LongAdder> unclaimedByVector = new ConcurrentHashMap<>();
    private final AtomicLong delivered = new AtomicLong();
    private final AtomicLong unclaimed = new AtomicLong();

    public InterruptController(KernelCore core) {
        this.core = core;
    }

    // ===== resources (the embedder's side) =====

    /**
     * Gives the device whose PDO is {@code pdo} a line-based interrupt on {@code vector} at
     * {@code irql} (a device IRQL: above DISPATCH_LEVEL, at most HIGH_LEVEL).
     */
    public void assignLine(MemorySegment pdo, int vector, int irql) {
        checkIrql(irql);
        lines.put(address(pdo), new Line(vector, irql));
    }

    /** Gives the device {@code count} (1..2048) message-signalled interrupts on vectors {@code firstVector ...} at {@code irql}. */
    public void assignMessages(MemorySegment pdo, int count, int firstVector, int irql) {
        checkIrql(irql);
        if (count < 1 || count > 2048) {
            throw new IllegalArgumentException("a device has 1 to 2048 interrupt messages, not " + count);
        }
        messages.put(address(pdo), new Messages(count, firstVector, irql));
    }

    /** The line-based interrupt assigned to {@code pdo}, or null. */
    public Line lineOf(long pdo) {
        return lines.get(pdo);
    }

    /** The messages assigned to {@code pdo}, or null. */
    public Messages messagesOf(long pdo) {
        return messages.get(pdo);
    }

    private static void checkIrql(int irql) {
        if (irql <= Irql.DISPATCH_LEVEL || irql > Irql.HIGH_LEVEL) {
            throw new IllegalArgumentException("a device interrupt's IRQL is above DISPATCH_LEVEL (2) and at most HIGH_LEVEL (15), not "
                    + irql);
        }
    }

    private static long address(MemorySegment pdo) {
        if (pdo == null || pdo.address() == 0) {
            throw new IllegalArgumentException("the PDO is NULL");
        }
        return pdo.address();
    }

    // ===== delivery =====

    /**
     * Delivers one interrupt on {@code vector} on the calling thread; returns whether a service
     * routine claimed it. Pending DPCs the routines queued have run when it returns.
     *
     * @throws IllegalStateException if the calling thread's IRQL masks the interrupt
     */
    public boolean interrupt(int vector) {
        ThreadState t = ThreadState.current();
        int saved = t.irql;
        delivered.incrementAndGet();
        boolean claimed = false;
        boolean serviced = false;
        lock.readLock().lock();
        try {
            long[] chain = chains.get(vector);
            if (chain != null && chain.length > 0) {
                MemorySegment first = core.addressSpace().resolve(chain[0], KeInterrupt.KINTERRUPT_SIZE);
                int irql = first.get(JAVA_BYTE, KINTERRUPT.IRQL_OFFSET) & 0xFF;
                if (saved >= irql) {
                    throw new IllegalStateException("an interrupt on vector 0x" + Integer.toHexString(vector) + " (IRQL " + irql
                            + ") is masked on a thread at IRQL " + saved + ": deliver it from a thread below its IRQL");
                }
                serviced = true;
                for (long k : chain) {
                    if (KeInterrupt.service(t, core, k)) {
                        claimed = true;
                        break;
                    }
                }
            }
        } finally {
            lock.readLock().unlock();
            if (serviced) {
                Irql.lowerUnchecked(t, saved); // back to the thread's IRQL: the DPCs the routines queued run now
            }
        }
        if (!claimed) {
            countUnclaimed(vector);
        }
        return claimed;
    }

    private void countUnclaimed(int vector) {
        unclaimed.incrementAndGet();
        unclaimedByVector.computeIfAbsent(vector, v -> new LongAdder()).increment();
    }

    /** Delivers message {@code messageId} of the device whose PDO is {@code pdo}; returns whether it was claimed. */
    public boolean message(MemorySegment pdo, int messageId) {
        Messages m = messages.get(address(pdo));
        if (m == null) {
            throw new IllegalArgumentException("the device 0x" + Long.toHexString(pdo.address()) + " has no interrupt messages (assignMessages)");
        }
        if (messageId < 0 || messageId >= m.count()) {
            throw new IllegalArgumentException("message " + messageId + " of a device with " + m.count() + " messages");
        }
        return interrupt(m.firstVector() + messageId);
    }

    /** Interrupts delivered (claimed or not). */
    public long deliveredCount() {
        return delivered.get();
    }

    /** Interrupts no service routine claimed. */
    public long unclaimedCount() {
        return unclaimed.get();
    }

    /** Interrupts on {@code vector} no service routine claimed. */
    public long unclaimedCount(int vector) {
        LongAdder a = unclaimedByVector.get(vector);
        return a == null ? 0 : a.sum();
    }

    // ===== connection (IoConnectInterruptEx's side) =====

    /**
     * Connects the initialized KINTERRUPT {@code k} to its vector; false if the vector is taken by an
     * object that does not share it (or {@code k} does not share it). Sets Connected.
     */
    public boolean connect(MemorySegment k) {
        int vector = k.get(java.lang.foreign.ValueLayout.JAVA_INT, KINTERRUPT.VECTOR_OFFSET);
        boolean share = k.get(JAVA_BOOLEAN, KINTERRUPT.SHARE_VECTOR_OFFSET);
        lock.writeLock().lock();
        try {
            long[] chain = chains.get(vector);
            if (chain != null && chain.length > 0) {
                if (!share) {
                    return false;
                }
                for (long other : chain) {
                    if (!core.addressSpace().resolve(other, KeInterrupt.KINTERRUPT_SIZE).get(JAVA_BOOLEAN, KINTERRUPT.SHARE_VECTOR_OFFSET)) {
                        return false;
                    }
                }
            }
            long[] next = chain == null ? new long[1] : Arrays.copyOf(chain, chain.length + 1);
            next[next.length - 1] = k.address();
            chains.put(vector, next);
            KeInterrupt.setConnected(k, true);
            return true;
        } finally {
            lock.writeLock().unlock();
        }
    }

    /**
     * Disconnects {@code k}: when this returns no delivery uses it any more. Returns false if it was
     * not connected.
     */
    public boolean disconnect(MemorySegment k) {
        int vector = k.get(java.lang.foreign.ValueLayout.JAVA_INT, KINTERRUPT.VECTOR_OFFSET);
        lock.writeLock().lock();
        try {
            long[] chain = chains.get(vector);
            if (chain == null) {
                return false;
            }
            int at = -1;
            for (int i = 0; i < chain.length; i++) {
                if (chain[i] == k.address()) {
                    at = i;
                }
            }
            if (at < 0) {
                return false;
            }
            long[] next = new long[chain.length - 1];
            System.arraycopy(chain, 0, next, 0, at);
            System.arraycopy(chain, at + 1, next, at, chain.length - at - 1);
            if (next.length == 0) {
                chains.remove(vector);
            } else {
                chains.put(vector, next);
            }
            KeInterrupt.setConnected(k, false);
            return true;
        } finally {
            lock.writeLock().unlock();
        }
    }

    /** Whether {@code k} is connected now. */
    public boolean isConnected(long k) {
        lock.readLock().lock();
        try {
            for (long[] chain : chains.values()) {
                for (long x : chain) {
                    if (x == k) {
                        return true;
                    }
                }
            }
            return false;
        } finally {
            lock.readLock().unlock();
        }
    }

    /** Objects connected to {@code vector}. */
    public int connectedCount(int vector) {
        long[] chain = chains.get(vector);
        return chain == null ? 0 : chain.length;
    }
}
