package dev.offkern.runtime.ex;

import dev.offkern.nt.ALLOCATE_FUNCTION;
import dev.offkern.nt.ALLOCATE_FUNCTION_EX;
import dev.offkern.nt.FREE_FUNCTION;
import dev.offkern.nt.FREE_FUNCTION_EX;
import dev.offkern.layout.ex.GENERAL_LOOKASIDE;
import dev.offkern.layout.rtl.LIST_ENTRY;
import dev.offkern.runtime.ke.KernelCore;
import dev.offkern.runtime.verifier.VerifierCheck;
import dev.offkern.runtime.mm.AddressSpace;
import dev.offkern.runtime.mm.Region;
import dev.offkern.runtime.pool.Pools;
import dev.offkern.runtime.verifier.BugCheckSink;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import org.agrona.collections.Long2ObjectHashMap;

/**
 * A kernel's set of live lookaside lists: the system-wide lists Windows keeps
 * ({@code ExNPagedLookasideListHead}, {@code ExPagedLookasideListHead}), the routine table that maps
 * the function pointers stored in {@code AllocateEx}/{@code FreeEx} back to their Java routines, and
 * the periodic depth scan.
 *
 * <p><b>System-wide lists.</b> Two native {@code LIST_ENTRY} heads (nonpaged, paged; chosen by the
 * list's pool type) in a region of the kernel's address space; every initialized lookaside list is
 * linked in through its {@code GENERAL_LOOKASIDE.ListEntry}, with real addresses, exactly as Windows
 * links them, and the scan walks those links (resolving each through the address space) and turns
 * each {@code ListEntry} back into its lookaside with CONTAINING_RECORD. Guarded by this object's
 * monitor (the {@code ExNPagedLookasideLock} of this kernel).
 *
 * <p><b>Ownership.</b> One registry per kernel, created at boot and closed by {@code Kernel.close()}
 * before the pools unmap. It holds what the lookaside routines need from their kernel: the address
 * space, the pools (the default routines), the bug-check path and the run state; the DDI passes it
 * to {@link ExLookaside}, so no lookaside code looks the kernel up.
 *
 * <p><b>Routine pointers.</b> {@code AllocateEx}/{@code FreeEx} hold real function pointers: for a
 * Java routine, an upcall stub (so native code reading the structure can call it); for the
 * default routines (NULL at initialisation), one pair of stubs per kernel that call its pools. Java
 * dispatch never calls through the stub: it looks the pointer up in the kernel's one routine table
 * ({@code ke.RoutineTable}, read wait-free; it also serves DPCs, timers and bug-check callbacks)
 * and calls the Java routine directly. A pointer not in
 * the table (the structure was never initialized, or was overwritten) is refused with a clear error.
 * A Java routine's stub lives until its list is deleted (its arena is then dropped; the GC frees it).
 * An exception thrown by a Java routine called natively through its stub would end the JVM (FFM's
 * rule for upcalls); Java dispatch propagates it normally.
 *
 * <p><b>Depth scan.</b> {@link #scanAll} applies {@link ExLookaside#computeDepth} to every list. A
 * daemon thread (started lazily with the first list, one per kernel) calls it every
 * {@link #SCAN_PERIOD_SECONDS} seconds, which is Windows' cadence for general lookaside lists (its
 * balance-set manager runs ExAdjustLookasideDepth once a second, rotating over the nonpaged, paged
 * and system lists, so each general list is scanned every third second with ScanPeriod 3). The
 * thread polls the run state four times a second and exits once the registry or its kernel is
 * closed. The property {@code offkern.lookaside.autoScan=false} turns the thread off
 * (tests call {@link #scanAll} themselves).
 */
public final class LookasideRegistry implements AutoCloseable {

    /** Seconds between two scans of a list, and the ScanPeriod passed to the depth rule. */
    static final int SCAN_PERIOD_SECONDS = 3;

    private static final boolean AUTO_SCAN = !"false".equalsIgnoreCase(System.getProperty("offkern.lookaside.autoScan", "true"));
    /** Bytes of one system-wide list head (a LIST_ENTRY). */
    private static final long HEAD_SIZE = LIST_ENTRY.X64.size();

    /** A routine as Java dispatch calls it: addresses as longs. */
    interface Allocator {
        long allocate(int poolType, long bytes, int tag, long lookaside);
    }

    /** A free routine as Java dispatch calls it. */
    interface Freer {
        void free(long block, long lookaside);
    }

    /** One live list: where it is, what it is, and what keeps its stubs alive. */
    /** A live list; {@code owner} is the owner id of the driver whose code initialized it (0: none; docs/io.md "Attribution"). */
    record Live(long address, long structSize, boolean paged, Arena arena, long allocateStub, long freeStub, int owner) {
    }

    private final KernelCore core;
    /**
     * The kernel runs a verifier family the list routines check (IRQL or SPECIAL_POOL), the JVM switch on.
     * Fixed at boot, as every thread's verifier mask is: when false the allocate and free skip the
     * verifier's path, and with it the thread-state lookup its checks need (~10 ns per pair with the JVM
     * switch on and the kernel's verifier off).
     */
    private final boolean listChecks;
    private final AddressSpace addressSpace;
    private final Pools pools;
    private final Arena heads = Arena.ofAuto();
    /**
     * The default routines' upcall stubs. Closed with the kernel: a stub holds its target (a lambda
     * over this registry) through a global handle until its arena closes, so an automatic arena here
     * would keep every closed kernel reachable for ever.
     */
    private final Arena stubs = Arena.ofShared();
    private final long nonPagedHead;
    private final long pagedHead;
    private final Long2ObjectHashMap<Live> live = new Long2ObjectHashMap<>();
    private long defaultAllocateStub;
    private long defaultFreeStub;
    /** The default routines as Java dispatch calls them (and as the default stubs call them for native callers). */
    private final Allocator defaultAllocate;
    private final Freer defaultFree;
    private Thread scanner;
    private volatile boolean autoScan = AUTO_SCAN;
    /** Set by {@link #close()}; volatile: the scan thread polls it. */
    private volatile boolean closed;

    /**
     * The registry of the kernel whose core is {@code core} and whose pools are {@code pools} (the
     * kernel creates it at boot): registers the two system-wide list heads in the address space.
     */
    public LookasideRegistry(KernelCore core, Pools pools) {
        this.core = core;
        this.listChecks = core.verifies(VerifierCheck.IRQL) || core.verifies(VerifierCheck.SPECIAL_POOL);
        this.addressSpace = core.addressSpace();
        this.pools = pools;
        MemorySegment both = heads.allocate(2 * HEAD_SIZE, LIST_ENTRY.X64.align());
        addressSpace.register(both, "lookaside list heads (ExNPagedLookasideListHead, ExPagedLookasideListHead)");
        nonPagedHead = both.address();
        pagedHead = both.address() + HEAD_SIZE;
        for (long h : new long[] {nonPagedHead, pagedHead}) {
            both.set(ValueLayout.JAVA_LONG, h - both.address() + LIST_ENTRY.FLINK_OFFSET, h); // Flink = self
            both.set(ValueLayout.JAVA_LONG, h - both.address() + LIST_ENTRY.BLINK_OFFSET, h); // Blink = self
        }
        this.defaultAllocate = LookasideDefaults.allocator(pools);
        this.defaultFree = LookasideDefaults.freer(pools, addressSpace);
    }

    /** Whether the list routines run the verifier's checks for this kernel (see {@link #listChecks}). */
    boolean listChecks() {
        return listChecks;
    }

    /** The kernel's address space (every list, block and routine result is resolved there). */
    public AddressSpace addressSpace() {
        return addressSpace;
    }

    /** The kernel's pools: what the default allocate and free routines use. */
    public Pools pools() {
        return pools;
    }

    /** The kernel's one bug-check path. */
    public BugCheckSink bugChecks() {
        return core;
    }

    /** Fails fast if the kernel (or this registry) is closed or halted. */
    void ensureOpen() {
        core.ensureRunning();
        if (closed) { // volatile read: pairs with close()
            throw KernelCore.closedException();
        }
    }

    /** Stops the scan thread; later initialisations fail. The kernel calls it at close, before the pools unmap. Idempotent. */
    @Override
    public void close() {
        Thread t;
        synchronized (this) {
            closed = true; // volatile write: the scan thread exits at its next poll
            t = scanner;
            // Free the upcall stubs (lists still live and the defaults): each holds its target through a
            // global handle, and the targets reach this registry and so the whole kernel.
            for (Live l : live.values()) {
                closeStubs(l.arena());
            }
            closeStubs(stubs);
        }
        if (t != null) {
            LockSupport.unpark(t);
        }
    }

    // ----- routines -----

    /** The Java allocate routine behind function pointer {@code stub}. */
    Allocator allocator(long stub, long lookaside) {
        return routine(stub, lookaside, Allocator.class, "AllocateEx");
    }

    /** The Java free routine behind function pointer {@code stub}. */
    Freer freer(long stub, long lookaside) {
        return routine(stub, lookaside, Freer.class, "FreeEx");
    }

    /**
     * The routine of {@code kind} registered for function pointer {@code stub}, which the list at
     * {@code lookaside} holds in its member {@code member}; an IllegalStateException naming both if
     * the pointer is no such routine of this kernel.
     */
    private <T> T routine(long stub, long lookaside, Class<T> kind, String member) {
        Object o = core.routines().routineAt(stub); // the kernel's one routine table (wait-free read)
        if (kind.isInstance(o)) {
            return kind.cast(o);
        }
        throw new IllegalStateException("lookaside list at 0x" + Long.toHexString(lookaside) + " has " + member + " 0x"
                + Long.toHexString(stub) + ", which is no routine of this kernel: the list is not initialized "
                + "(or was deleted, or its memory overwritten)");
    }

    /** Stub for a Java ALLOCATE_FUNCTION_EX, registered for dispatch; lives as long as {@code arena}. */
    synchronized long stubAllocateEx(ALLOCATE_FUNCTION_EX fn, Allocator dispatch, Arena arena) {
        return publish(upcall(ALLOCATE_EX_TARGET.bindTo(fn), ALLOCATE_EX_DESC, arena), dispatch);
    }

    synchronized long stubFreeEx(FREE_FUNCTION_EX fn, Freer dispatch, Arena arena) {
        return publish(upcall(FREE_EX_TARGET.bindTo(fn), FREE_EX_DESC, arena), dispatch);
    }

    synchronized long stubAllocate(ALLOCATE_FUNCTION fn, Allocator dispatch, Arena arena) {
        return publish(upcall(ALLOCATE_TARGET.bindTo(fn), ALLOCATE_DESC, arena), dispatch);
    }

    synchronized long stubFree(FREE_FUNCTION fn, Freer dispatch, Arena arena) {
        return publish(upcall(FREE_TARGET.bindTo(fn), FREE_DESC, arena), dispatch);
    }

    /** The kernel's default allocate routine (its pools), created once. */
    synchronized long defaultAllocateStub() {
        if (defaultAllocateStub == 0) {
            // What native code calling the stub gets; Java dispatch calls defaultAllocate directly.
            ALLOCATE_FUNCTION_EX fn = (type, bytes, tag, lookaside) -> {
                long a = defaultAllocate.allocate(type, bytes, tag, lookaside.address());
                return a == 0 ? MemorySegment.NULL : addressSpace.resolve(a, bytes);
            };
            defaultAllocateStub = stubAllocateEx(fn, defaultAllocate, stubs);
        }
        return defaultAllocateStub;
    }

    /** The kernel's default free routine (its pools), created once. */
    synchronized long defaultFreeStub() {
        if (defaultFreeStub == 0) {
            FREE_FUNCTION_EX fn = (buffer, lookaside) -> defaultFree.free(buffer.address(), lookaside.address());
            defaultFreeStub = stubFreeEx(fn, defaultFree, stubs);
        }
        return defaultFreeStub;
    }

    /** Enters the stub in the kernel's one routine table (which serves DPCs, timers and bug checks too). */
    private long publish(long stub, Object dispatch) {
        return core.routines().publish(stub, dispatch);
    }

    private void unpublish(long stub) {
        if (stub == defaultAllocateStub || stub == defaultFreeStub) {
            return;
        }
        core.routines().unpublish(stub);
    }

    private static long upcall(MethodHandle target, FunctionDescriptor desc, Arena arena) {
        return Linker.nativeLinker().upcallStub(target, desc, arena).address();
    }

    // ----- live lists and the system-wide LIST_ENTRY lists -----

    /** Whether a list is live at {@code lookaside}. */
    synchronized boolean isLive(long lookaside) {
        return live.containsKey(lookaside);
    }

    /** The live lists' addresses (a snapshot). */
    synchronized long[] liveLists() {
        long[] out = new long[live.size()];
        int i = 0;
        for (Live l : live.values()) {
            out[i++] = l.address();
        }
        return out;
    }

    /** The live lists: address → the owner id of the driver whose code initialized it (0: none). A snapshot. */
    public synchronized java.util.Map<Long, Integer> liveOwners() {
        java.util.Map<Long, Integer> out = new java.util.HashMap<>();
        for (Live l : live.values()) {
            out.put(l.address(), l.owner());
        }
        return out;
    }

    /** The first live list whose structure overlaps {@code [start, start + length)}, or 0. */
    synchronized long liveIn(long start, long length) {
        for (Live l : live.values()) {
            if (l.address() < start + length && start < l.address() + l.structSize()) {
                return l.address();
            }
        }
        return 0;
    }

    /** Records {@code l} and links it at the tail of its system-wide list. Caller holds the monitor. */
    void link(Live l) {
        live.put(l.address(), l);
        long head = l.paged() ? pagedHead : nonPagedHead;
        long entry = l.address() + GENERAL_LOOKASIDE.LIST_ENTRY_OFFSET;
        long blink = readLink(head + LIST_ENTRY.BLINK_OFFSET);
        writeLink(entry + LIST_ENTRY.FLINK_OFFSET, head); // entry.Flink = head
        writeLink(entry + LIST_ENTRY.BLINK_OFFSET, blink); // entry.Blink = old tail
        writeLink(blink + LIST_ENTRY.FLINK_OFFSET, entry); // old tail.Flink = entry
        writeLink(head + LIST_ENTRY.BLINK_OFFSET, entry); // head.Blink = entry
        ensureScanner();
    }

    /** Unlinks and forgets the list at {@code lookaside}; returns its record, or null if not live. Caller holds the monitor. */
    Live unlink(long lookaside) {
        Live l = live.remove(lookaside);
        if (l == null) {
            return null;
        }
        ExLookaside.addCounters(this, lookaside, retired, l.paged() ? ROW : 0);
        long entry = lookaside + GENERAL_LOOKASIDE.LIST_ENTRY_OFFSET;
        long flink = readLink(entry + LIST_ENTRY.FLINK_OFFSET);
        long blink = readLink(entry + LIST_ENTRY.BLINK_OFFSET);
        writeLink(blink + LIST_ENTRY.FLINK_OFFSET, flink); // Blink.Flink = Flink
        writeLink(flink + LIST_ENTRY.BLINK_OFFSET, blink); // Flink.Blink = Blink
        writeLink(entry + LIST_ENTRY.FLINK_OFFSET, 0);
        writeLink(entry + LIST_ENTRY.BLINK_OFFSET, 0);
        unpublish(l.allocateStub());
        unpublish(l.freeStub());
        closeStubs(l.arena()); // the list's own upcall stubs (their targets may reach the kernel)
        return l;
    }

    /** Closes an arena of upcall stubs, once (a list deleted before the kernel closes has closed its own). */
    private static void closeStubs(Arena arena) {
        if (arena != null && arena.scope().isAlive()) {
            try {
                arena.close();
            } catch (IllegalStateException alreadyClosed) {
                // closed concurrently: nothing left to free
            }
        }
    }

    /** Walks one system-wide list through its Flink pointers; returns each lookaside's address. Caller holds the monitor. */
    long[] walk(boolean paged) {
        long head = paged ? pagedHead : nonPagedHead;
        long[] out = new long[live.size()];
        int n = 0;
        for (long e = readLink(head + LIST_ENTRY.FLINK_OFFSET); e != head; e = readLink(e + LIST_ENTRY.FLINK_OFFSET)) {
            if (n == out.length) {
                throw new IllegalStateException("system lookaside list is corrupt: more links than live lists");
            }
            out[n++] = e - GENERAL_LOOKASIDE.LIST_ENTRY_OFFSET; // CONTAINING_RECORD(e, GENERAL_LOOKASIDE, ListEntry)
        }
        return java.util.Arrays.copyOf(out, n);
    }

    private long readLink(long address) {
        Region r = addressSpace.regionOf(address, ValueLayout.ADDRESS.byteSize());
        return r.segment().get(ValueLayout.JAVA_LONG, r.offsetOf(address));
    }

    private void writeLink(long address, long value) {
        Region r = addressSpace.regionOf(address, ValueLayout.ADDRESS.byteSize());
        r.segment().set(ValueLayout.JAVA_LONG, r.offsetOf(address), value);
    }

    // ----- statistics (the live counters) -----

    /** Index in a {@link #addCounters} row: lists live now. */
    public static final int LISTS = 0;
    /** Index in a row: TotalAllocates summed. */
    public static final int TOTAL_ALLOCATES = 1;
    /** Index in a row: AllocateMisses summed (allocations the list could not serve: the pool's). */
    public static final int ALLOCATE_MISSES = 2;
    /** Index in a row: TotalFrees summed. */
    public static final int TOTAL_FREES = 3;
    /** Index in a row: FreeMisses summed (frees the list could not keep: back to the pool). */
    public static final int FREE_MISSES = 4;
    /** Longs per row; row 0 is the nonpaged lists, row 1 the paged ones. */
    public static final int ROW = 5;

    /** The counters of lists deleted so far, per row (so that the sums never go backwards); under the monitor. */
    private final long[] retired = new long[2 * ROW];

    /**
     * Adds to {@code into} (2 × {@link #ROW} longs: nonpaged row, then paged row) the number of live
     * lists and the sums of their ULONG counters (each read as unsigned, volatile), plus the final
     * counts of every list deleted so far. Allocates nothing; takes the registry's monitor (which
     * initialize and delete take; allocate and free do not).
     */
    public synchronized void addCounters(long[] into) {
        for (int i = 0; i < retired.length; i++) {
            into[i] += retired[i];
        }
        for (Live l : live.values()) {
            int row = l.paged() ? ROW : 0;
            into[row + LISTS]++;
            ExLookaside.addCounters(this, l.address(), into, row);
        }
    }

    // ----- the scan -----

    /**
     * Adjusts the depth of every live list (see {@link ExLookaside#computeDepth}). The lists come from
     * this registry's own record, not from the native system-wide links (which are there for dump
     * tools): a link a caller overwrote would otherwise make the scan write a Depth into whatever
     * memory it names.
     */
    synchronized void scanAll() {
        long[] lists = new long[live.size()];
        int n = 0;
        for (Live l : live.values()) {
            lists[n++] = l.address();
        }
        for (int i = 0; i < n; i++) {
            ExLookaside.scanOne(this, lists[i], SCAN_PERIOD_SECONDS);
        }
    }

    /** Turns the periodic scan thread on or off for this kernel. */
    synchronized void setAutoScan(boolean on) {
        autoScan = on;
        if (on) {
            ensureScanner();
        }
    }

    private void ensureScanner() {
        if (!autoScan || scanner != null || closed) {
            return;
        }
        Thread t = Thread.ofPlatform().daemon().name("offkern-lookaside-scan").unstarted(this::scanLoop);
        scanner = t;
        t.start();
    }

    private void scanLoop() {
        long next = System.nanoTime() + TimeUnit.SECONDS.toNanos(SCAN_PERIOD_SECONDS);
        while (!closed && !core.isClosed()) { // volatile reads: pair with close() / the kernel's close
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(250));
            if (!autoScan) {
                synchronized (this) {
                    if (!autoScan) {
                        scanner = null;
                        return;
                    }
                }
            }
            if (System.nanoTime() - next >= 0 && !closed && !core.isClosed()) {
                next += TimeUnit.SECONDS.toNanos(SCAN_PERIOD_SECONDS);
                try {
                    scanAll();
                } catch (RuntimeException e) {
                    // A corrupt list must not kill the scanner silently: report and go on.
                    System.err.println("offkern: lookaside scan failed: " + e);
                }
            }
        }
    }

    // ----- upcall plumbing -----

    private static final FunctionDescriptor ALLOCATE_EX_DESC = FunctionDescriptor.of(ValueLayout.ADDRESS,
            ValueLayout.JAVA_INT, ValueLayout.JAVA_LONG, ValueLayout.JAVA_INT, ValueLayout.ADDRESS);
    private static final FunctionDescriptor FREE_EX_DESC = FunctionDescriptor.ofVoid(ValueLayout.ADDRESS, ValueLayout.ADDRESS);
    private static final FunctionDescriptor ALLOCATE_DESC = FunctionDescriptor.of(ValueLayout.ADDRESS,
            ValueLayout.JAVA_INT, ValueLayout.JAVA_LONG, ValueLayout.JAVA_INT);
    private static final FunctionDescriptor FREE_DESC = FunctionDescriptor.ofVoid(ValueLayout.ADDRESS);
    private static final MethodHandle ALLOCATE_EX_TARGET;
    private static final MethodHandle FREE_EX_TARGET;
    private static final MethodHandle ALLOCATE_TARGET;
    private static final MethodHandle FREE_TARGET;

    static {
        MethodHandles.Lookup lookup = MethodHandles.lookup();
        try {
            ALLOCATE_EX_TARGET = lookup.findVirtual(ALLOCATE_FUNCTION_EX.class, "allocate", MethodType.methodType(
                    MemorySegment.class, int.class, long.class, int.class, MemorySegment.class));
            FREE_EX_TARGET = lookup.findVirtual(FREE_FUNCTION_EX.class, "free",
                    MethodType.methodType(void.class, MemorySegment.class, MemorySegment.class));
            ALLOCATE_TARGET = lookup.findVirtual(ALLOCATE_FUNCTION.class, "allocate",
                    MethodType.methodType(MemorySegment.class, int.class, long.class, int.class));
            FREE_TARGET = lookup.findVirtual(FREE_FUNCTION.class, "free", MethodType.methodType(void.class, MemorySegment.class));
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }
}
