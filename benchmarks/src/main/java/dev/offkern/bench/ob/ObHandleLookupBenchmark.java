package dev.offkern.bench.ob;

import static java.lang.foreign.ValueLayout.JAVA_LONG;

import dev.offkern.ddi.Ex;
import dev.offkern.ddi.Ke;
import dev.offkern.ddi.Ob;
import dev.offkern.ddi.Ps;
import dev.offkern.ddi.Zw;
import dev.offkern.nt.AccessMask;
import dev.offkern.nt.PoolFlags;
import dev.offkern.runtime.Kernel;
import dev.offkern.runtime.ob.ObjectManager;
import dev.offkern.runtime.ob.ObjectType;
import java.lang.foreign.MemorySegment;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;
import org.agrona.collections.Long2ObjectHashMap;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

/**
 * Handle → object, the way a driver does it: {@code ObReferenceObjectByHandle} + {@code
 * ObDereferenceObject} on one event handle (through the DDI facade, and through the object manager
 * directly), against the JDK/Agrona ways of mapping a long to an object: a {@link ConcurrentHashMap}
 * lookup and an Agrona {@link Long2ObjectHashMap} lookup under a {@link ReentrantLock}. Run with
 * {@code -t 1} and {@code -t 2}: every thread uses the same handle (the handle entry's cached
 * references and the object's PointerCount are shared words, so two threads contend on them; the map
 * lookups only read). The maps do no reference counting: they are the floor of "find the object".
 * {@code obReferenceByHandleManagerAttached} is the manager path for a handle in a tenant process's
 * table, looked up by threads attached to it (KeStackAttachProcess). Verifier off (the figures the
 * README reports).
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Fork(value = 1, jvmArgsAppend = {"--enable-native-access=ALL-UNNAMED", "--add-opens", "java.base/jdk.internal.misc=ALL-UNNAMED",
        "-Doffkern.verifier=false"})
public class ObHandleLookupBenchmark {

    private Kernel kernel;
    private long handle;
    private ObjectManager objects;
    private ObjectType eventType;
    private MemorySegment eventTypeSegment;
    private final ConcurrentHashMap<Long, Object> chm = new ConcurrentHashMap<>();
    private final Long2ObjectHashMap<Object> l2o = new Long2ObjectHashMap<>();
    private final ReentrantLock lock = new ReentrantLock();
    private final Object value = new Object();

    /** Each thread's out parameter (PVOID *Object), in pool. */
    @State(Scope.Thread)
    public static class Out {
        MemorySegment object;

        @Setup(Level.Trial)
        public void setUp(ObHandleLookupBenchmark b) {
            b.kernel.attach();
            object = Ex.ExAllocatePool2(PoolFlags.POOL_FLAG_NON_PAGED, 8, 0x6e65_6842);
        }
    }

    /**
     * A tenant process every thread of {@link #obReferenceByHandleManagerAttached} attaches to
     * (KeStackAttachProcess) for the trial, with one event handle in the tenant's table: the lookup
     * then resolves in the attached process's table (a ThreadLocal read more than the System path).
     */
    @State(Scope.Benchmark)
    public static class Tenant {
        long process;
        long tenantHandle;
        long event;
        MemorySegment processObject;

        @Setup(Level.Trial)
        public void setUp(ObHandleLookupBenchmark b) {
            MemorySegment out = Ex.ExAllocatePool2(PoolFlags.POOL_FLAG_NON_PAGED, 8, 0x6e65_6842);
            if (Ps.PsCreateTenantProcess(out, AccessMask.PROCESS_ALL_ACCESS, MemorySegment.NULL, "bench") != 0) {
                throw new IllegalStateException("PsCreateTenantProcess failed");
            }
            process = out.get(JAVA_LONG, 0);
            if (Ob.ObReferenceObjectByHandle(process, 0, Ps.PsProcessType(), Ob.KernelMode, out, MemorySegment.NULL) != 0) {
                throw new IllegalStateException("the tenant's handle does not resolve");
            }
            processObject = MemorySegment.ofAddress(out.get(JAVA_LONG, 0));
            Ex.ExFreePool(out);
        }

        @TearDown(Level.Trial)
        public void tearDown() {
            Zw.ZwTerminateProcess(process, 0); // closes the event handle left in its table
            Ob.ObDereferenceObject(processObject);
            Zw.ZwClose(process);
        }
    }

    /** Each thread's attachment to the {@link Tenant} (and, made by the first, the event handle there). */
    @State(Scope.Thread)
    public static class Attached {
        MemorySegment apcState;

        @Setup(Level.Trial)
        public void setUp(ObHandleLookupBenchmark b, Tenant t) {
            b.kernel.attach();
            apcState = Ex.ExAllocatePool2(PoolFlags.POOL_FLAG_NON_PAGED, 0x30, 0x6e65_6842);
            Ke.KeStackAttachProcess(t.processObject, apcState);
            synchronized (t) {
                if (t.event == 0) {
                    MemorySegment out = Ex.ExAllocatePool2(PoolFlags.POOL_FLAG_NON_PAGED, 8, 0x6e65_6842);
                    if (Zw.ZwCreateEvent(out, AccessMask.EVENT_ALL_ACCESS, MemorySegment.NULL, Ke.NotificationEvent, false) != 0) {
                        throw new IllegalStateException("ZwCreateEvent in the tenant failed");
                    }
                    t.event = out.get(JAVA_LONG, 0);
                    Ex.ExFreePool(out);
                }
            }
        }

        @TearDown(Level.Trial)
        public void tearDown() {
            Ke.KeUnstackDetachProcess(apcState);
            Ex.ExFreePool(apcState);
        }
    }

    @Setup(Level.Trial)
    public void setUp() {
        kernel = Kernel.boot().attach().leakReportSink(s -> { });
        objects = kernel.objects();
        eventType = objects.eventType();
        eventTypeSegment = Ex.ExEventObjectType();
        MemorySegment out = Ex.ExAllocatePool2(PoolFlags.POOL_FLAG_NON_PAGED, 8, 0x6e65_6842);
        int st = Zw.ZwCreateEvent(out, AccessMask.EVENT_ALL_ACCESS, MemorySegment.NULL, Ke.NotificationEvent, false);
        if (st != 0) {
            throw new IllegalStateException("ZwCreateEvent: 0x" + Integer.toHexString(st));
        }
        handle = out.get(JAVA_LONG, 0);
        Ex.ExFreePool(out);
        for (long k = 0; k < 1024; k++) {
            chm.put(k << 2, new Object());
            l2o.put(k << 2, new Object());
        }
        chm.put(handle, value);
        l2o.put(handle, value);
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        Zw.ZwClose(handle);
        kernel.close();
    }

    @Benchmark
    public long obReferenceByHandleDdi(Out o) {
        int st = Ob.ObReferenceObjectByHandle(handle, AccessMask.SYNCHRONIZE, eventTypeSegment, Ob.KernelMode, o.object, MemorySegment.NULL);
        long body = o.object.get(JAVA_LONG, 0);
        Ob.ObDereferenceObject(MemorySegment.ofAddress(body));
        return body + st;
    }

    @Benchmark
    public long obReferenceByHandleManager() {
        long body = objects.referenceByHandle(handle, AccessMask.SYNCHRONIZE, eventType, ObjectManager.KernelMode, null);
        objects.dereference(body);
        return body;
    }

    @Benchmark
    public long obReferenceByHandleManagerAttached(Attached a, Tenant t) {
        long body = objects.referenceByHandle(t.event, AccessMask.SYNCHRONIZE, eventType, ObjectManager.KernelMode, null);
        objects.dereference(body);
        return body;
    }

    @Benchmark
    public Object concurrentHashMapGet() {
        return chm.get(handle);
    }

    @Benchmark
    public Object long2ObjectUnderLock() {
        lock.lock();
        try {
            return l2o.get(handle);
        } finally {
            lock.unlock();
        }
    }
}
