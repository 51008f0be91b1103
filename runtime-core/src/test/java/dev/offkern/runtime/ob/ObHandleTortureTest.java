package dev.offkern.runtime.ob;

import static dev.offkern.ddi.Ob.KernelMode;
import static dev.offkern.ddi.Ob.ObCreateObject;
import static dev.offkern.ddi.Ob.ObCreateObjectType;
import static dev.offkern.ddi.Ob.ObDereferenceObject;
import static dev.offkern.ddi.Ob.ObInsertObject;
import static dev.offkern.ddi.Ob.ObReferenceObject;
import static dev.offkern.ddi.Ob.ObReferenceObjectByHandle;
import static dev.offkern.ddi.Zw.NtCurrentProcess;
import static dev.offkern.ddi.Zw.ZwClose;
import static dev.offkern.ddi.Zw.ZwDuplicateObject;
import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.offkern.ddi.Ex;
import dev.offkern.layout.ob.OBJECT_TYPE;
import dev.offkern.layout.ob.OBJECT_TYPE_INITIALIZER;
import dev.offkern.layout.rtl.UNICODE_STRING;
import dev.offkern.nt.NtStatus;
import dev.offkern.nt.ObjectAttributes;
import dev.offkern.nt.ObjectTypeProcedures;
import dev.offkern.nt.PoolFlags;
import dev.offkern.nt.PoolTags;
import dev.offkern.nt.PoolType;
import dev.offkern.runtime.Kernel;
import dev.offkern.runtime.KernelConfig;
import java.lang.foreign.MemorySegment;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Threads create objects, publish handles to them in shared slots (displacing and closing older
 * ones), duplicate, reference by handle, reference by pointer and close, all at once, with the
 * verifier on. Invariants, checked throughout and at the end:
 * <ul>
 *   <li>no object is deleted while referenced: each holder counts itself in a Java counter of the
 *       object's serial while it holds a reference, and the delete procedure requires that counter to
 *       be 0 and the body intact (its magic and serial); a holder re-reads the body before letting go;</li>
 *   <li>no handle value is handed out while it is open: every new handle value is added to a set of
 *       open values (it must not be there) and leaves it only when its owner closes it, which must
 *       succeed;</li>
 *   <li>none leaked: every created object is deleted once, the type's counts return to 0 and the pool
 *       report is empty at kernel close.</li>
 * </ul>
 * Rounds: {@code offkern.ob.tortureRounds} (default 100,000 per thread × offkern.stress.scale;
 * {@code -Doffkern.ob.tortureRounds=1000000} for the million-round run).
 */
@Tag("stress")
class ObHandleTortureTest {
    private static final int SCALE = Integer.getInteger("offkern.stress.scale", 1);
    private static final int ROUNDS = Integer.getInteger("offkern.ob.tortureRounds", 100_000 * SCALE);
    private static final int THREADS = 3;
    private static final int SLOTS = 8;
    private static final long MAGIC = 0x0B7EC7A11FE5L;
    private static final int TAG = PoolTags.tag("ObTt");

    @TempDir
    Path dumps;

    @Test
    void shouldNeverFreeAReferencedObjectNorReuseAnOpenHandleValueNorLeak() throws Exception {
        Kernel kernel = Kernel.boot(KernelConfig.defaults().withProcessorCount(2).withDumpDirectory(dumps)).attach();
        ConcurrentLinkedQueue<String> violations = new ConcurrentLinkedQueue<>();
        ConcurrentHashMap<Long, AtomicInteger> holders = new ConcurrentHashMap<>();
        ConcurrentHashMap<Long, Boolean> openValues = new ConcurrentHashMap<>();
        AtomicLong created = new AtomicLong();
        AtomicLong deleted = new AtomicLong();
        AtomicLong serials = new AtomicLong();
        AtomicLong references = new AtomicLong();
        AtomicLong raced = new AtomicLong();
        MemorySegment type;
        MemorySegment scratch = Ex.ExAllocatePool2(PoolFlags.POOL_FLAG_NON_PAGED, 256, TAG);
        try {
            MemorySegment init = scratch.asSlice(0, OBJECT_TYPE_INITIALIZER.X64.size());
            init.set(JAVA_SHORT, OBJECT_TYPE_INITIALIZER.LENGTH_OFFSET, (short) OBJECT_TYPE_INITIALIZER.X64.size());
            init.set(JAVA_INT, OBJECT_TYPE_INITIALIZER.VALID_ACCESS_MASK_OFFSET, 0x1F0003);
            init.set(JAVA_INT, OBJECT_TYPE_INITIALIZER.POOL_TYPE_OFFSET, PoolType.NonPagedPoolNx);
            byte[] name = "Torture".getBytes(StandardCharsets.UTF_16LE);
            MemorySegment us = scratch.asSlice(128, 16);
            us.set(JAVA_SHORT, UNICODE_STRING.LENGTH_OFFSET, (short) name.length);
            us.set(JAVA_SHORT, UNICODE_STRING.MAXIMUM_LENGTH_OFFSET, (short) name.length);
            us.set(JAVA_LONG, UNICODE_STRING.BUFFER_OFFSET, scratch.address() + 160);
            MemorySegment.copy(name, 0, scratch, JAVA_BYTE, 160, name.length);
            ObjectTypeProcedures procs = new ObjectTypeProcedures(null, null, body -> {
                long serial = body.get(JAVA_LONG, 8);
                if (body.get(JAVA_LONG, 0) != MAGIC) {
                    violations.add("delete procedure found a body without its magic: 0x" + Long.toHexString(body.get(JAVA_LONG, 0)));
                }
                AtomicInteger h = holders.remove(serial);
                if (h == null || h.get() != 0) {
                    violations.add("object " + serial + " deleted while " + (h == null ? "unknown" : h.get() + " holder(s) use it"));
                }
                body.set(JAVA_LONG, 0, 0xDEADL);
                deleted.incrementAndGet();
            }, null, null);
            MemorySegment out = scratch.asSlice(240, 8);
            assertEquals(NtStatus.STATUS_SUCCESS, ObCreateObjectType(us, init, MemorySegment.NULL, out, procs));
            type = kernel.addressSpace().resolve(out.get(JAVA_LONG, 0), OBJECT_TYPE.X64.size());
        } finally {
            Ex.ExFreePool(scratch);
        }
        AtomicLongArray slots = new AtomicLongArray(SLOTS);
        CyclicBarrier start = new CyclicBarrier(THREADS);
        List<Thread> threads = new ArrayList<>();
        for (int t = 0; t < THREADS; t++) {
            threads.add(Thread.ofPlatform().start(() -> {
                kernel.attach();
                MemorySegment buf = Ex.ExAllocatePool2(PoolFlags.POOL_FLAG_NON_PAGED, 64, TAG);
                List<Long> mine = new ArrayList<>();
                try {
                    start.await();
                    ThreadLocalRandom rnd = ThreadLocalRandom.current();
                    for (int round = 0; round < ROUNDS && violations.isEmpty(); round++) {
                        int op = rnd.nextInt(10);
                        if (op == 0) {
                            // create an object and publish a handle to it, closing the one displaced
                            long h = create(type, buf, rnd.nextBoolean(), serials, holders, created, openValues, violations);
                            long old = slots.getAndSet(rnd.nextInt(SLOTS), h);
                            if (old != 0) {
                                closeOwned(old, openValues, violations);
                            }
                        } else if (op <= 2) {
                            // duplicate a published handle (it may be closed meanwhile) into a private one
                            long src = slots.get(rnd.nextInt(SLOTS));
                            if (src == 0 || HandleTable.isKernelHandle(src)) {
                                continue; // kernel handles are only used by their owner: a stale one is a 0x93 under the verifier
                            }
                            int st = ZwDuplicateObject(NtCurrentProcess, src, NtCurrentProcess, buf, 0,
                                    rnd.nextBoolean() ? ObjectAttributes.OBJ_KERNEL_HANDLE : 0, ObjectAttributes.DUPLICATE_SAME_ACCESS);
                            if (st == NtStatus.STATUS_SUCCESS) {
                                long d = buf.get(JAVA_LONG, 0);
                                if (openValues.putIfAbsent(d, Boolean.TRUE) != null) {
                                    violations.add("handle value 0x" + Long.toHexString(d) + " handed out while open");
                                }
                                mine.add(d);
                            } else if (st == NtStatus.STATUS_INVALID_HANDLE) {
                                raced.incrementAndGet();
                            } else {
                                violations.add("ZwDuplicateObject returned 0x" + Integer.toHexString(st));
                            }
                        } else if (op <= 7) {
                            // reference through a published or private handle, use the object, maybe nest a pointer reference
                            long h = !mine.isEmpty() && rnd.nextBoolean() ? mine.get(rnd.nextInt(mine.size())) : slots.get(rnd.nextInt(SLOTS));
                            if (h == 0 || (HandleTable.isKernelHandle(h) && !mine.contains(h))) {
                                continue;
                            }
                            int st = ObReferenceObjectByHandle(h, 0, type, KernelMode, buf, MemorySegment.NULL);
                            if (st == NtStatus.STATUS_INVALID_HANDLE && !mine.contains(h)) {
                                raced.incrementAndGet();
                                continue;
                            }
                            if (st != NtStatus.STATUS_SUCCESS) {
                                violations.add("ObReferenceObjectByHandle(0x" + Long.toHexString(h) + ") returned 0x" + Integer.toHexString(st));
                                continue;
                            }
                            MemorySegment body = kernel.addressSpace().resolve(buf.get(JAVA_LONG, 0), 16);
                            use(body, holders, violations, rnd, references);
                        } else if (!mine.isEmpty()) {
                            closeOwned(mine.remove(rnd.nextInt(mine.size())), openValues, violations);
                        }
                    }
                } catch (Throwable e) {
                    violations.add("thread failed: " + e);
                } finally {
                    for (long h : mine) {
                        closeOwned(h, openValues, violations);
                    }
                    Ex.ExFreePool(buf);
                    Kernel.detach();
                }
            }));
        }
        for (Thread t : threads) {
            t.join();
        }
        for (int i = 0; i < SLOTS; i++) {
            long h = slots.getAndSet(i, 0);
            if (h != 0) {
                closeOwned(h, openValues, violations);
            }
        }
        assertTrue(violations.isEmpty(), () -> violations.size() + " violation(s), first: " + violations.peek());
        assertEquals(created.get(), deleted.get(), "every object created was deleted once");
        assertEquals(0, type.get(JAVA_INT, OBJECT_TYPE.TOTAL_NUMBER_OF_OBJECTS_OFFSET));
        assertEquals(0, type.get(JAVA_INT, OBJECT_TYPE.TOTAL_NUMBER_OF_HANDLES_OFFSET));
        assertTrue(openValues.isEmpty());
        assertTrue(created.get() > 0 && references.get() > 0, "the run did work: " + created + " objects, " + references + " references");
        System.out.printf("ObHandleTortureTest: %d threads x %d rounds: %d objects, %d references, %d lookups raced a close%n",
                THREADS, ROUNDS, created.get(), references.get(), raced.get());
        kernel.close();
        Kernel.detach();
        assertTrue(kernel.leakReport().isEmpty(), () -> "leaked: " + kernel.leakReport());
    }

    private static long create(MemorySegment type, MemorySegment buf, boolean kernelHandle, AtomicLong serials,
                               ConcurrentHashMap<Long, AtomicInteger> holders, AtomicLong created,
                               ConcurrentHashMap<Long, Boolean> openValues, ConcurrentLinkedQueue<String> violations) {
        MemorySegment oa = buf.asSlice(16, 48);
        dev.offkern.ddi.Ob.InitializeObjectAttributes(oa, MemorySegment.NULL, kernelHandle ? ObjectAttributes.OBJ_KERNEL_HANDLE : 0, 0,
                MemorySegment.NULL);
        if (ObCreateObject(KernelMode, type, oa, KernelMode, MemorySegment.NULL, 16, 0, 0, buf) != NtStatus.STATUS_SUCCESS) {
            violations.add("ObCreateObject failed");
            return 0;
        }
        long serial = serials.incrementAndGet();
        MemorySegment body = MemorySegment.ofAddress(buf.get(JAVA_LONG, 0)).reinterpret(16);
        body.set(JAVA_LONG, 0, MAGIC);
        body.set(JAVA_LONG, 8, serial);
        holders.put(serial, new AtomicInteger());
        created.incrementAndGet();
        if (ObInsertObject(body, MemorySegment.NULL, 0x1F0003, 0, MemorySegment.NULL, buf) != NtStatus.STATUS_SUCCESS) {
            violations.add("ObInsertObject failed");
            return 0;
        }
        long h = buf.get(JAVA_LONG, 0);
        if (openValues.putIfAbsent(h, Boolean.TRUE) != null) {
            violations.add("handle value 0x" + Long.toHexString(h) + " handed out while open");
        }
        return h;
    }

    private static void use(MemorySegment body, ConcurrentHashMap<Long, AtomicInteger> holders, ConcurrentLinkedQueue<String> violations,
                            ThreadLocalRandom rnd, AtomicLong references) {
        long serial = body.get(JAVA_LONG, 8);
        AtomicInteger h = holders.get(serial);
        if (body.get(JAVA_LONG, 0) != MAGIC || h == null) {
            violations.add("a referenced object is dead: magic 0x" + Long.toHexString(body.get(JAVA_LONG, 0)) + " serial " + serial);
            ObDereferenceObject(body);
            return;
        }
        h.incrementAndGet();
        references.incrementAndGet();
        boolean nested = rnd.nextInt(4) == 0;
        if (nested) {
            ObReferenceObject(body);
        }
        for (int spin = rnd.nextInt(20); spin > 0; spin--) {
            Thread.onSpinWait();
        }
        if (body.get(JAVA_LONG, 0) != MAGIC || body.get(JAVA_LONG, 8) != serial) {
            violations.add("object " + serial + " changed under its holder");
        }
        h.decrementAndGet();
        if (nested) {
            ObDereferenceObject(body);
        }
        ObDereferenceObject(body);
    }

    private static void closeOwned(long h, ConcurrentHashMap<Long, Boolean> openValues, ConcurrentLinkedQueue<String> violations) {
        if (openValues.remove(h) == null) {
            violations.add("closing 0x" + Long.toHexString(h) + ", which is not recorded as open");
        }
        int st = ZwClose(h);
        if (st != NtStatus.STATUS_SUCCESS) {
            violations.add("ZwClose(0x" + Long.toHexString(h) + ") by its owner returned 0x" + Integer.toHexString(st));
        }
    }
}
