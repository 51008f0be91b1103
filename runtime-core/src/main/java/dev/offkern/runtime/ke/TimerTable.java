package dev.offkern.runtime.ke;

import dev.offkern.layout.Field;
import dev.offkern.layout.ke.DISPATCHER_HEADER;
import dev.offkern.layout.ke.KDPC;
import dev.offkern.layout.ke.KTIMER;
import dev.offkern.nt.BugCheck;
import dev.offkern.nt.BugCheckCode;
import dev.offkern.nt.KernelHaltedException;
import dev.offkern.runtime.mm.AddressSpace;
import dev.offkern.runtime.mm.Region;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.concurrent.locks.LockSupport;
import org.agrona.collections.LongHashSet;

/**
 * A kernel's timer table: a hashed timer wheel of {@link #BUCKETS} native LIST_ENTRY heads through
 * which every set KTIMER is linked by its own {@code TimerListEntry}, as Windows' timer table
 * (KiTimerTableListHead) links them — a dump tool walking a bucket sees the real timers. A timer due
 * at interrupt time {@code DueTime} sits in bucket {@code ceil(DueTime / increment) mod BUCKETS};
 * a bucket holds timers of every wheel revolution, so expiry compares each DueTime with the time.
 *
 * <h2>Costs</h2>
 * Set and cancel are O(1): one list insertion or removal (the links resolved through the address
 * space). Expiry of one tick walks one bucket: O(timers in the bucket), about
 * {@code pending / BUCKETS} for timers spread over more than one revolution
 * ({@value #BUCKETS} ticks = 16.4 s at 1 ms). Memory: 16 bytes per bucket (256 KiB), nothing per
 * timer beyond the KTIMER itself, so a million pending timers cost nothing here.
 *
 * <h2>Locking and state</h2>
 * Links, unlinks and expiries run under the table's own lock (a padded test-and-test-and-set word,
 * per kernel), not the global dispatcher lock: set and cancel touch no waiter, so they contend
 * only with each other and the clock thread. An expiry takes the dispatcher lock inside the table
 * lock (order: table, then dispatcher) to set SignalState and satisfy waits in one step, as waits
 * see it. Set writes SignalState 0 under the table lock alone, and only if it is not 0 already: a
 * reset wakes nobody, so a waiter's check under the dispatcher lock sees either value consistently,
 * and no expiry can run between the two (it needs the table lock). {@code Inserted}
 * (DISPATCHER_HEADER.TimerMiscFlags bit 6) is 1 exactly while the timer is linked. Following a link
 * resolves its address through a one-entry region cache (validated by the address space's
 * generation) before the address space's hash table. The clock thread ({@code offkern-clock})
 * processes the ticks up to now, then plans its next wake-up: the first tick within
 * {@link #LOOKAHEAD_TICKS} whose bucket is not empty (or LOOKAHEAD_TICKS ahead if timers are pending
 * further out, or no deadline if none is); a set earlier than the plan unparks it.
 * Progress: blocking (the table lock).
 */
public final class TimerTable {
    /** Buckets of the wheel (a power of two). */
    public static final int BUCKETS = 1 << 14;
    /** How many ticks ahead the clock thread looks for a non-empty bucket before it sleeps. */
    public static final int LOOKAHEAD_TICKS = 64;

    private static final long ENTRY = KTIMER.TIMER_LIST_ENTRY_OFFSET;
    private static final Field INSERTED = DISPATCHER_HEADER.X64.field("Inserted");
    private static final long FLAGS_BYTE = INSERTED.offset();
    private static final int INSERTED_BIT = 1 << INSERTED.bitOffset();
    private static final long NO_WAKE = Long.MAX_VALUE;

    private final KernelCore kernel;
    /** The timer-table lock (a padded test-and-test-and-set word, as the dispatcher lock). */
    private final DispatcherLock lock = new DispatcherLock();
    /** The region the last link followed outside the bucket heads, and the address-space generation it was found in; under the lock. */
    private Region linkRegion;
    private long linkRegionGeneration = -1;
    /** The verifier's registry of armed timers, or null (the DPC family is off). */
    private final LiveObjects live;
    private final KeClock clock;
    private final long increment;
    private final Arena arena = Arena.ofShared();
    private final MemorySegment heads;
    private final Region headsRegion;
    /** Timers linked now; under the table lock. */
    private long pending;
    /** The last tick whose bucket was processed; under the table lock. */
    private long processedTick;
    /** The tick the clock thread plans to wake at (NO_WAKE: none); written and read under the table lock. */
    private long plannedTick = NO_WAKE;
    /** Addresses of the live EX_TIMERs (allocated, not yet freed); under the lock. */
    private final LongHashSet exTimers = new LongHashSet();
    /** Expiries delivered (a statistic; under the table lock). */
    private long expiries;
    /** KeSetTimer/KeSetTimerEx/KeSetCoalescableTimer and ExSetTimer calls (a statistic; under the timer-table lock). */
    private long sets;
    /** Expiries whose DPC was still queued from an earlier one (KeInsertQueueDpc FALSE); under the table lock. */
    private long dpcsCoalesced;
    private volatile Thread thread;
    /** The clock thread's kernel state (its IRQL while it expires timers); set before the thread starts. */
    private ThreadState clockState;
    private volatile boolean stopping;

    TimerTable(KernelCore kernel, KeClock clock) {
        this.kernel = kernel;
        this.live = kernel.liveObjects();
        this.clock = clock;
        this.increment = clock.timeIncrement();
        this.heads = arena.allocate((long) BUCKETS * 16, 16);
        for (int i = 0; i < BUCKETS; i++) {
            long h = heads.address() + (long) i * 16;
            heads.set(ValueLayout.JAVA_LONG, (long) i * 16, h);      // Flink = itself
            heads.set(ValueLayout.JAVA_LONG, (long) i * 16 + 8, h);  // Blink = itself
        }
        this.headsRegion = kernel.addressSpace().register(heads, "timer table (" + BUCKETS + " LIST_ENTRY buckets)");
        this.processedTick = clock.interruptTimePrecise() / increment;
    }

    void start() {
        Thread t = Thread.ofPlatform().daemon(true).name("offkern-clock").unstarted(this::run);
        clockState = kernel.processors().newProcessorThreadState(t, 0); // before start(): boot has taken its block
        thread = t;
        t.start();
    }

    /** Stops the clock thread (kernel close or halt); the table's memory stays until {@link #close}. */
    void stop() {
        stopping = true;
        Thread t = thread;
        if (t != null) {
            LockSupport.unpark(t);
            if (Thread.currentThread() != t) {
                try {
                    t.join(2000);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
        }
    }

    /**
     * Takes the timer-table lock: every link, unlink and expiry, and every EX_TIMER state
     * transition, happens under it. Not re-entrant. Order: the timer-table lock before the
     * dispatcher lock (an expiry signals the timer under both).
     */
    void lock() {
        lock.acquire();
    }

    /** Releases the timer-table lock. */
    void unlock() {
        lock.release();
    }

    /**
     * The addresses of the KTIMERs linked in the table now: a snapshot under the table lock,
     * O(buckets + timers) (the I/O manager's unload check). A bucket whose link leaves kernel memory
     * ends that bucket's walk (the expiry reports the corruption).
     */
    public long[] armedTimers() {
        org.agrona.collections.LongArrayList out = new org.agrona.collections.LongArrayList();
        AddressSpace as = kernel.addressSpace();
        lock();
        try {
            if (pending == 0) {
                return new long[0];
            }
            for (int b = 0; b < BUCKETS; b++) {
                long head = heads.address() + (long) b * 16;
                long entry = heads.get(ValueLayout.JAVA_LONG, (long) b * 16);
                for (long seen = 0; entry != head && seen <= pending; seen++) {
                    Region r = as.find(entry, 16);
                    if (r == null) {
                        break;
                    }
                    out.addLong(entry - ENTRY);
                    entry = r.segment().get(ValueLayout.JAVA_LONG, r.offsetOf(entry));
                }
            }
        } finally {
            unlock();
        }
        return out.toLongArray();
    }

    /** Timers pending now (a consistent value needs the table lock). */
    public long pending() {
        return pending;
    }

    /** Expiries delivered so far (a consistent value needs the table lock). */
    public long expiries() {
        return expiries;
    }

    /** Timer sets so far: KeSetTimer/KeSetTimerEx/KeSetCoalescableTimer and ExSetTimer calls (a consistent value needs the lock). */
    public long sets() {
        return sets;
    }

    /** Counts one set of a timer (KeSetTimer and family, ExSetTimer). Under the timer-table lock. */
    void countSet() {
        sets++;
    }

    /** Expiries whose DPC was already queued, so that one DPC run serves both (as on Windows). */
    public long dpcsCoalesced() {
        return dpcsCoalesced;
    }

    /** The bucket a timer due at interrupt time {@code dueTime} goes to. */
    long bucketOf(long dueTime) {
        return Math.ceilDiv(dueTime, increment) & (BUCKETS - 1);
    }

    /** Whether the timer at {@code off} of {@code seg} is linked (Inserted; under the lock for a consistent answer). */
    static boolean inserted(MemorySegment seg, long off) {
        return (seg.get(ValueLayout.JAVA_BYTE, off + FLAGS_BYTE) & INSERTED_BIT) != 0;
    }

    private static void setInserted(MemorySegment seg, long off, boolean on) {
        byte b = seg.get(ValueLayout.JAVA_BYTE, off + FLAGS_BYTE);
        seg.set(ValueLayout.JAVA_BYTE, off + FLAGS_BYTE, (byte) (on ? b | INSERTED_BIT : b & ~INSERTED_BIT));
    }

    /**
     * Links the timer at {@code off} of {@code seg} (not linked) into the bucket of its DueTime.
     * Under the dispatcher lock. Returns whether the clock thread must be woken (the timer is due
     * before its planned wake-up); the caller unparks it after unlocking ({@link #wakeClock}).
     */
    boolean link(AddressSpace as, MemorySegment seg, long off, long dueTime) {
        return linkAt(as, seg, off, Math.ceilDiv(dueTime, increment));
    }

    /**
     * Links the timer into the bucket of clock tick {@code tick} (at or after its DueTime's tick: a
     * periodic timer whose next due time has already passed goes to the next tick to be processed).
     * Under the lock; returns whether the clock thread must be woken.
     */
    private boolean linkAt(AddressSpace as, MemorySegment seg, long off, long tick) {
        long head = heads.address() + (tick & (BUCKETS - 1)) * 16;
        long entry = seg.address() + off + ENTRY;
        long blink = heads.get(ValueLayout.JAVA_LONG, head - heads.address() + 8);
        seg.set(ValueLayout.JAVA_LONG, off + ENTRY, head);
        seg.set(ValueLayout.JAVA_LONG, off + ENTRY + 8, blink);
        write(as, blink, 0, entry); // Blink.Flink = entry
        heads.set(ValueLayout.JAVA_LONG, head - heads.address() + 8, entry);
        setInserted(seg, off, true);
        if (live != null) {
            live.timerArmed(entry - ENTRY);
        }
        pending++;
        if (tick < plannedTick) {
            plannedTick = tick;
            return true;
        }
        return false;
    }

    /**
     * Arms the (unlinked) timer at {@code off} of {@code seg} for interrupt time {@code due}, as a
     * set does: expires it at once if {@code due} is not after {@code now} (a periodic one is then
     * re-armed), else links it. Under the lock; returns whether the clock thread must be woken
     * ({@link #wakeClock}, after unlocking) — for a link or a re-arm before its planned wake-up.
     */
    boolean arm(ThreadState t, AddressSpace as, MemorySegment seg, long off, long due, long now) {
        if (due <= now) {
            return expire(t, as, seg, off, now, clock.systemTimePrecise());
        }
        return link(as, seg, off, due);
    }

    /** Unlinks the timer if it is linked; returns whether it was. Under the dispatcher lock. */
    boolean unlink(AddressSpace as, MemorySegment seg, long off) {
        if (!inserted(seg, off)) {
            return false;
        }
        long entry = seg.address() + off + ENTRY;
        long flink = seg.get(ValueLayout.JAVA_LONG, off + ENTRY);
        long blink = seg.get(ValueLayout.JAVA_LONG, off + ENTRY + 8);
        if (!linked(as, entry, flink, blink)) { // safe unlinking, as Windows' RemoveEntryList checks
            setInserted(seg, off, false);
            if (live != null) {
                live.timerDisarmed(entry - ENTRY);
            }
            throw corrupt(entry, "KTIMER 0x" + Long.toHexString(entry - ENTRY) + " is marked inserted but its links (0x"
                    + Long.toHexString(flink) + ", 0x" + Long.toHexString(blink) + ") do not point back at it");
        }
        write(as, blink, 0, flink); // Blink.Flink = Flink
        write(as, flink, 8, blink); // Flink.Blink = Blink
        seg.set(ValueLayout.JAVA_LONG, off + ENTRY, entry);
        seg.set(ValueLayout.JAVA_LONG, off + ENTRY + 8, entry);
        setInserted(seg, off, false);
        if (live != null) {
            live.timerDisarmed(entry - ENTRY);
        }
        pending--;
        return true;
    }

    /** Unparks the clock thread (after a {@link #link} that returned true, outside the lock). */
    void wakeClock() {
        Thread t = thread;
        if (t != null) {
            LockSupport.unpark(t);
        }
    }

    // ----- the clock thread -----

    private void run() {
        ThreadState state = clockState; // Thread.start() orders the write before this read
        ThreadState.install(state);
        try {
            while (!stopping) {
                long wakeTick;
                try {
                    wakeTick = tick(state);
                } catch (KernelHaltedException halted) {
                    return;
                } catch (BugCheck processed) {
                    continue; // THROW policy: processed where raised (a timer's bad DPC); keep the clock going
                } catch (RuntimeException unexpected) {
                    if (stopping || kernel.isClosed()) {
                        return; // memory unmapped under a last tick by close()
                    }
                    // Anything else would end the clock thread and every timer with it: the kernel's
                    // bug-check path instead (as a processor's service thread does), then keep going.
                    try {
                        throw kernel.bugCheck(BugCheckCode.KMODE_EXCEPTION_NOT_HANDLED,
                                dev.offkern.nt.NtStatus.STATUS_UNHANDLED_EXCEPTION & 0xFFFFFFFFL, 0, 0, 0,
                                "exception escaped timer expiry on the clock thread: " + unexpected);
                    } catch (KernelHaltedException halted) {
                        return;
                    } catch (BugCheck processed) {
                        continue;
                    }
                }
                if (stopping) {
                    return;
                }
                if (wakeTick == NO_WAKE) {
                    LockSupport.park(this);
                } else {
                    long delay = wakeTick * increment - clock.interruptTimePrecise();
                    if (delay > 0) {
                        LockSupport.parkNanos(this, delay * 100);
                    }
                }
            }
        } finally {
            ThreadState.forget();
        }
    }

    /**
     * Expires every timer due by now, then plans the next wake-up; returns its tick or NO_WAKE.
     * Runs at DISPATCH_LEVEL, under the table lock.
     */
    private long tick(ThreadState state) {
        AddressSpace as = kernel.addressSpace();
        state.irql = Irql.DISPATCH_LEVEL;
        lock();
        try {
            long now = clock.interruptTimePrecise();
            long nowTick = now / increment;
            long from = Math.max(processedTick + 1, nowTick - BUCKETS + 1);
            long systemNow = clock.systemTimePrecise();
            for (long tick = from; tick <= nowTick; tick++) {
                processedTick = tick; // before expiring: a bug check below must not make the clock repeat this tick forever
                expireBucket(state, as, tick & (BUCKETS - 1), now, systemNow);
            }
            plannedTick = pending == 0 ? NO_WAKE : nextTick(nowTick);
            return plannedTick;
        } finally {
            unlock();
            state.irql = Irql.PASSIVE_LEVEL;
        }
    }

    private long nextTick(long nowTick) {
        for (long t = nowTick + 1; t <= nowTick + LOOKAHEAD_TICKS; t++) {
            long off = (t & (BUCKETS - 1)) * 16;
            if (heads.get(ValueLayout.JAVA_LONG, off) != heads.address() + off) {
                return t;
            }
        }
        return nowTick + LOOKAHEAD_TICKS;
    }

    private void expireBucket(ThreadState state, AddressSpace as, long bucket, long now, long systemNow) {
        long head = heads.address() + bucket * 16;
        long entry = heads.get(ValueLayout.JAVA_LONG, bucket * 16);
        long seen = 0;
        long limit = pending + 1;
        while (entry != head) {
            long timer = entry - ENTRY;
            Region r = linkRegion(as, entry);
            if (r != null && !r.contains(timer, KTIMER.X64.size())) {
                r = as.find(timer, KTIMER.X64.size());
            }
            if (++seen > limit || r == null) {
                heads.set(ValueLayout.JAVA_LONG, bucket * 16, head); // empty the corrupt bucket: its timers are lost
                heads.set(ValueLayout.JAVA_LONG, bucket * 16 + 8, head);
                throw corrupt(entry, "bucket " + bucket + (r == null ? " links to 0x" + Long.toHexString(entry)
                        + ", outside kernel memory" : " has more links than pending timers (a cycle)"));
            }
            MemorySegment seg = r.segment();
            long off = r.offsetOf(timer);
            long next = seg.get(ValueLayout.JAVA_LONG, off + ENTRY);
            long due = seg.get(ValueLayout.JAVA_LONG, off + KTIMER.DUE_TIME_OFFSET);
            if (due <= now) {
                unlink(as, seg, off);
                try {
                    expire(state, as, seg, off, now, systemNow); // no wake-up needed: this thread plans its next one after the ticks
                } catch (KernelHaltedException halted) {
                    throw halted;
                } catch (BugCheck raised) {
                    // Raised under the dispatcher lock: its callbacks and dump run at the unlock. Under
                    // HALT stop here (the unlock then halts the kernel); under THROW the timer has
                    // expired (e.g. its DPC pointer faulted) and the other timers of the bucket still do
                    if (kernel.bugCheckPolicy() == dev.offkern.nt.BugCheckPolicy.HALT) {
                        throw raised;
                    }
                }
            }
            entry = next;
        }
    }

    /**
     * Expires the (unlinked) timer at {@code off} of {@code seg}: signals it (waking its waiters),
     * re-links a periodic timer, and queues its DPC with the system time in SystemArgument1 (low 32
     * bits) and 2 (high). Under the lock. Runtime-internal (also a set whose due time has passed).
     *
     * <p>Re-arming: the next due time is one period after this one, so lateness does not
     * accumulate. If that time has passed too (the clock ran late), the expiry is delivered at the
     * next tick the clock processes, still counted from the old phase; periods missed entirely (more
     * than one behind) are skipped, never delivered in a burst. An EX_TIMER's period comes from
     * {@code EX_TIMER.Period} (100 ns), and a disabled (deleted) EX_TIMER is not re-armed.
     *
     * @return whether the re-arm linked the timer before the clock thread's planned wake-up: a
     *         caller other than the clock thread (a set whose due time has passed) must then wake it
     *         ({@link #wakeClock}, after unlocking), or a clock parked with nothing pending would
     *         never expire the re-armed periodic timer
     */
    boolean expire(ThreadState state, AddressSpace as, MemorySegment seg, long off, long now, long systemNow) {
        expiries++;
        Dispatcher.lock(); // the signal and the waits it satisfies are one step for waiters
        try {
            Dispatcher.signalTimer(kernel, seg, off);
        } finally {
            Dispatcher.unlock();
        }
        int period = seg.get(ValueLayout.JAVA_INT, off + KTIMER.PERIOD_OFFSET);
        long step = period * 10_000L;
        long timer = seg.address() + off;
        boolean ex = period == 0 && !exTimers.isEmpty() && exTimers.contains(timer);
        if (ex) {
            step = ExTimerCore.rearmStep(seg, off);
        }
        boolean wake = false;
        if (step > 0) {
            long due = seg.get(ValueLayout.JAVA_LONG, off + KTIMER.DUE_TIME_OFFSET) + step;
            if (due <= now) {
                due += (now - due) / step * step; // skip the periods missed entirely; this one is still delivered
            }
            seg.set(ValueLayout.JAVA_LONG, off + KTIMER.DUE_TIME_OFFSET, due);
            wake = linkAt(as, seg, off, Math.max(Math.ceilDiv(due, increment), now / increment + 1));
        }
        long dpc = seg.get(ValueLayout.JAVA_LONG, off + KTIMER.DPC_OFFSET);
        if (dpc != 0) {
            Region dr = as.regionOf(dpc, KDPC.X64.size());
            int processor = seg.get(ValueLayout.JAVA_SHORT, off + KTIMER.PROCESSOR_OFFSET) & 0xFFFF;
            boolean queued;
            try {
                queued = KeDpc.insert(state, dr.segment(), dr.offsetOf(dpc), systemNow & 0xFFFFFFFFL, systemNow >>> 32,
                        Math.min(processor, kernel.processorCount() - 1), false);
            } catch (IllegalArgumentException notADpc) {
                // The timer's Dpc no longer holds a KDPC (freed, overwritten, re-used): a bug check through the
                // kernel's path, not an exception that would end the clock thread (and every timer with it).
                throw kernel.bugCheck(BugCheckCode.TIMER_OR_DPC_INVALID, 1, dpc, seg.address() + off, 0,
                        "timer 0x" + Long.toHexString(seg.address() + off) + " expired with Dpc 0x" + Long.toHexString(dpc)
                                + ", which is not a KDPC any more: " + notADpc.getMessage());
            }
            if (queued) {
                if (ex) {
                    ExTimerCore.deliveryQueued(seg, off);
                }
            } else {
                dpcsCoalesced++;
            }
        }
        return wake;
    }

    // ----- EX_TIMER registry -----

    /** Makes {@code timer} a live EX_TIMER (ExAllocateTimer). Under the lock. */
    void addExTimer(long timer) {
        exTimers.add(timer);
    }

    /** Whether {@code timer} is a live EX_TIMER. Under the lock. */
    boolean isExTimer(long timer) {
        return exTimers.contains(timer);
    }

    /** Forgets a finalized EX_TIMER; false if it was not live. Under the lock. */
    boolean removeExTimer(long timer) {
        return exTimers.remove(timer);
    }

    /** The live EX_TIMERs' addresses: a snapshot under the table lock (the I/O manager's unload check). */
    public long[] liveExTimers() {
        lock();
        try {
            long[] out = new long[exTimers.size()];
            int i = 0;
            for (org.agrona.collections.LongHashSet.LongIterator it = exTimers.iterator(); it.hasNext(); ) {
                out[i++] = it.nextValue();
            }
            return out;
        } finally {
            unlock();
        }
    }

    /** Live EX_TIMERs (a consistent value needs the lock). */
    public int exTimerCount() {
        return exTimers.size();
    }

    /** Whether Flink.Blink and Blink.Flink both point at {@code entry} (all in kernel memory). */
    static boolean linkedBetween(AddressSpace as, long entry, long flink, long blink) {
        Region f = as.find(flink, 16);
        Region b = as.find(blink, 16);
        return f != null && b != null && f.segment().get(ValueLayout.JAVA_LONG, f.offsetOf(flink) + 8) == entry
                && b.segment().get(ValueLayout.JAVA_LONG, b.offsetOf(blink)) == entry;
    }

    /** KERNEL_SECURITY_CHECK_FAILURE (0x139: 3 FAST_FAIL_CORRUPT_LIST_ENTRY, the link, 0, 0) for a corrupt timer list. */
    private RuntimeException corrupt(long link, String detail) {
        return kernel.bugCheck(dev.offkern.nt.BugCheckCode.KERNEL_SECURITY_CHECK_FAILURE, DpcQueue.FAST_FAIL_CORRUPT_LIST_ENTRY,
                link, 0, 0, "timer table: " + detail);
    }

    /** A region and the address-space generation it was looked up in. */
    private record RegionHint(Region region, long generation) {
    }

    /** The region the last caller's timer was in (see {@link #timerRegion}); volatile: read without the lock. */
    private volatile RegionHint callerHint;

    /**
     * The region holding the timer at {@code [address, address + size)} for a set or cancel, without
     * the lock: the region the previous call's timer was in while the address space is unchanged,
     * else a lookup (PAGE_FAULT_IN_NONPAGED_AREA if none). Allocates a hint only on a miss.
     */
    Region timerRegion(AddressSpace as, long address, long size) {
        long generation = as.generation(); // before the lookup: a change after it invalidates the hint
        RegionHint h = callerHint; // volatile read: a hint published whole by the write below
        if (h != null && h.generation() == generation && h.region().contains(address, size)) {
            return h.region();
        }
        Region r = as.regionOf(address, size);
        callerHint = new RegionHint(r, generation); // volatile write: publishes the immutable hint
        return r;
    }

    /** Whether Flink.Blink and Blink.Flink both point at {@code entry} (through {@link #linkRegion}); under the lock. */
    private boolean linked(AddressSpace as, long entry, long flink, long blink) {
        Region f = linkRegion(as, flink);
        Region b = linkRegion(as, blink);
        return f != null && b != null && f.segment().get(ValueLayout.JAVA_LONG, f.offsetOf(flink) + 8) == entry
                && b.segment().get(ValueLayout.JAVA_LONG, b.offsetOf(blink)) == entry;
    }

    /**
     * Writes the link at {@code field} (0 Flink, 8 Blink) of the LIST_ENTRY at {@code entry} (kernel
     * memory, else PAGE_FAULT_IN_NONPAGED_AREA); under the lock. The region is found for the whole
     * entry, never for {@code entry + 8} with the entry's size: that range runs 8 bytes past an entry
     * at the end of its region (the last bucket head), a fault on a sound list.
     */
    private void write(AddressSpace as, long entry, long field, long value) {
        Region r = linkRegion(as, entry);
        if (r == null) {
            r = as.regionOf(entry, 16); // throws the fault
        }
        r.segment().set(ValueLayout.JAVA_LONG, r.offsetOf(entry) + field, value);
    }

    /**
     * The region holding the LIST_ENTRY at {@code address}, or null: the bucket heads, else the region
     * the previous link was found in while the address space is unchanged (timers are mostly in a
     * few pool chunks), else a lookup. Under the lock. Saves the hash lookups that dominated set and
     * cancel.
     */
    private Region linkRegion(AddressSpace as, long address) {
        if (headsRegion.contains(address, 16)) {
            return headsRegion;
        }
        long generation = as.generation(); // before the lookup: a change after it invalidates the cache
        Region r = linkRegion;
        if (r != null && linkRegionGeneration == generation && r.contains(address, 16)) {
            return r;
        }
        r = as.find(address, 16);
        if (r != null) {
            linkRegion = r;
            linkRegionGeneration = generation;
        }
        return r;
    }

    /** Unregisters and frees the bucket heads (kernel close, after the clock thread stopped). */
    synchronized void close() {
        if (arena.scope().isAlive()) {
            try {
                kernel.addressSpace().unregister(headsRegion);
            } catch (IllegalArgumentException alreadyGone) {
                // the address space may have been cleared first
            }
            arena.close();
        }
    }
}
