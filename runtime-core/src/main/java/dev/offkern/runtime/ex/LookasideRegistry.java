package dev.offkern.runtime.ex;

import dev.offkern.nt.ALLOCATE_FUNCTION;
import dev.offkern.nt.ALLOCATE_FUNCTION_EX;
import dev.offkern.nt.FREE_FUNCTION;
import dev.offkern.nt.FREE_FUNCTION_EX;
import dev.offkern.runtime.Kernel;
import dev.offkern.runtime.mm.Region;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.util.concurrent.ConcurrentHashMap;
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
 * <p><b>Routine pointers.</b> {@code AllocateEx}/{@code FreeEx} hold real function pointers: for a
 * Java routine, an upcall stub (so native code reading the structure can call it); for the
 * default routines (NULL at initialisation), one pair of stubs per kernel that call the pool. Java
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
 * thread polls {@link Kernel#isClosed()} four times a second and exits (dropping this registry) once
 * the kernel is closed. The property {@code offkern.lookaside.autoScan=false} turns the thread off
 * (tests call {@link #scanAll} themselves).
 */
final class LookasideRegistry {

    /** Seconds between two scans of a list, and the ScanPeriod passed to the depth rule. */
    static final int SCAN_PERIOD_SECONDS = 3;

    private static final boolean AUTO_SCAN = !"false".equalsIgnoreCase(System.getProperty("offkern.lookaside.autoScan", "true"));
    private static final ConcurrentHashMap<Kernel, LookasideRegistry> REGISTRIES = new ConcurrentHashMap<>();

    /** A routine as Java dispatch calls it: addresses as longs. */
    interface Allocator {
        long allocate(int poolType, long bytes, int tag, long lookaside);
    }

    /** A free routine as Java dispatch calls it. */
    interface Freer {
        void free(long block, long lookaside);
    }

    /** One live list: where it is, what it is, and what keeps its stubs alive. */
    record Live(long address, long structSize, boolean paged, Arena arena, long allocateStub, long freeStub) {
    }

    private final Kernel kernel;
    private final Arena heads = Arena.ofAuto();
    private final long nonPagedHead;
    private final long pagedHead;
    private final Long2ObjectHashMap<Live> live = new Long2ObjectHashMap<>();
    private long defaultAllocateStub;
    private long defaultFreeStub;
    private Thread scanner;
    private volatile boolean autoScan = AUTO_SCAN;

    private LookasideRegistry(Kernel kernel) {
        this.kernel = kernel;
        MemorySegment both = heads.allocate(32, 16);
        kernel.addressSpace().register(both, "lookaside list heads (ExNPagedLookasideListHead, ExPagedLookasideListHead)");
        nonPagedHead = both.address();
        pagedHead = both.address() + 16;
        for (long h : new long[] {nonPagedHead, pagedHead}) {
            both.set(ValueLayout.JAVA_LONG, h - both.address(), h); // Flink = self
            both.set(ValueLayout.JAVA_LONG, h - both.address() + 8, h); // Blink = self
        }
    }

    /** The registry of {@code kernel}, created on first use. */
    static LookasideRegistry of(Kernel kernel) {
        LookasideRegistry r = REGISTRIES.get(kernel);
        if (r != null) {
            return r;
        }
        kernel.ensureRunning();
        // Kernel has no close hook: registries of closed kernels are dropped here (and by their
        // scan thread), so the map never holds more than the live kernels plus those closed since
        // the last registry was created.
        REGISTRIES.keySet().removeIf(Kernel::isClosed);
        return REGISTRIES.computeIfAbsent(kernel, LookasideRegistry::new);
    }

    /** The registry of {@code kernel} if it has one (no allocation). */
    static LookasideRegistry find(Kernel kernel) {
        return REGISTRIES.get(kernel);
    }

    Kernel kernel() {
        return kernel;
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
        Object o = kernel.core().routines().routineAt(stub); // the kernel's one routine table (wait-free read)
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

    /** The kernel's default allocate routine (pool), created once. */
    synchronized long defaultAllocateStub(ALLOCATE_FUNCTION_EX fn, Allocator dispatch) {
        if (defaultAllocateStub == 0) {
            defaultAllocateStub = stubAllocateEx(fn, dispatch, heads);
        }
        return defaultAllocateStub;
    }

    /** The kernel's default free routine (pool), created once. */
    synchronized long defaultFreeStub(FREE_FUNCTION_EX fn, Freer dispatch) {
        if (defaultFreeStub == 0) {
            defaultFreeStub = stubFreeEx(fn, dispatch, heads);
        }
        return defaultFreeStub;
    }

    /** Enters the stub in the kernel's one routine table (which serves DPCs, timers and bug checks too). */
    private long publish(long stub, Object dispatch) {
        return kernel.core().routines().publish(stub, dispatch);
    }

    private void unpublish(long stub) {
        if (stub == defaultAllocateStub || stub == defaultFreeStub) {
            return;
        }
        kernel.core().routines().unpublish(stub);
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
        long entry = l.address() + ExLookaside.LIST_ENTRY_OFFSET;
        long blink = readLink(head + 8);
        writeLink(entry, head); // entry.Flink = head
        writeLink(entry + 8, blink); // entry.Blink = old tail
        writeLink(blink, entry); // old tail.Flink = entry
        writeLink(head + 8, entry); // head.Blink = entry
        ensureScanner();
    }

    /** Unlinks and forgets the list at {@code lookaside}; returns its record, or null if not live. Caller holds the monitor. */
    Live unlink(long lookaside) {
        Live l = live.remove(lookaside);
        if (l == null) {
            return null;
        }
        long entry = lookaside + ExLookaside.LIST_ENTRY_OFFSET;
        long flink = readLink(entry);
        long blink = readLink(entry + 8);
        writeLink(blink, flink); // Blink.Flink = Flink
        writeLink(flink + 8, blink); // Flink.Blink = Blink
        writeLink(entry, 0);
        writeLink(entry + 8, 0);
        unpublish(l.allocateStub());
        unpublish(l.freeStub());
        return l;
    }

    /** Walks one system-wide list through its Flink pointers; returns each lookaside's address. Caller holds the monitor. */
    long[] walk(boolean paged) {
        long head = paged ? pagedHead : nonPagedHead;
        long[] out = new long[live.size()];
        int n = 0;
        for (long e = readLink(head); e != head; e = readLink(e)) {
            if (n == out.length) {
                throw new IllegalStateException("system lookaside list is corrupt: more links than live lists");
            }
            out[n++] = e - ExLookaside.LIST_ENTRY_OFFSET; // CONTAINING_RECORD(e, GENERAL_LOOKASIDE, ListEntry)
        }
        return java.util.Arrays.copyOf(out, n);
    }

    private long readLink(long address) {
        Region r = kernel.addressSpace().regionOf(address, 8);
        return r.segment().get(ValueLayout.JAVA_LONG, r.offsetOf(address));
    }

    private void writeLink(long address, long value) {
        Region r = kernel.addressSpace().regionOf(address, 8);
        r.segment().set(ValueLayout.JAVA_LONG, r.offsetOf(address), value);
    }

    // ----- the scan -----

    /** Adjusts the depth of every live list (see {@link ExLookaside#computeDepth}). */
    synchronized void scanAll() {
        for (boolean paged : new boolean[] {false, true}) {
            for (long l : walk(paged)) {
                ExLookaside.scanOne(kernel, l, SCAN_PERIOD_SECONDS);
            }
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
        if (!autoScan || scanner != null) {
            return;
        }
        Thread t = Thread.ofPlatform().daemon().name("offkern-lookaside-scan").unstarted(this::scanLoop);
        scanner = t;
        t.start();
    }

    private void scanLoop() {
        long next = System.nanoTime() + TimeUnit.SECONDS.toNanos(SCAN_PERIOD_SECONDS);
        try {
            while (!kernel.isClosed()) {
                LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(250));
                if (!autoScan) {
                    synchronized (this) {
                        if (!autoScan) {
                            scanner = null;
                            return;
                        }
                    }
                }
                if (System.nanoTime() - next >= 0) {
                    next += TimeUnit.SECONDS.toNanos(SCAN_PERIOD_SECONDS);
                    try {
                        scanAll();
                    } catch (RuntimeException e) {
                        // A corrupt list must not kill the scanner silently: report and go on.
                        System.err.println("offkern: lookaside scan failed: " + e);
                    }
                }
            }
        } finally {
            if (kernel.isClosed()) {
                REGISTRIES.remove(kernel, this);
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
