package dev.offkern.tests.fuzz;

import dev.offkern.ddi.Ex;
import dev.offkern.ddi.Ke;
import dev.offkern.ddi.Rtl;
import dev.offkern.layout.ex.FAST_MUTEX;
import dev.offkern.layout.ex.LOOKASIDE_LIST_EX;
import dev.offkern.layout.ex.NPAGED_LOOKASIDE_LIST;
import dev.offkern.layout.ex.PAGED_LOOKASIDE_LIST;
import dev.offkern.layout.ke.KBUGCHECK_CALLBACK_RECORD;
import dev.offkern.layout.ke.KBUGCHECK_REASON_CALLBACK_RECORD;
import dev.offkern.layout.ke.KGUARDED_MUTEX;
import dev.offkern.layout.ke.KLOCK_QUEUE_HANDLE;
import dev.offkern.layout.ke.KSEMAPHORE;
import dev.offkern.nt.PoolType;
import dev.offkern.runtime.Kernel;
import dev.offkern.tests.fuzz.World.Kind;
import java.lang.foreign.MemorySegment;

/**
 * Builds an epoch's {@link World}: every live object allocated (each followed by its bystander)
 * and initialized through the DDI, on the epoch's main thread, before any block is freed.
 */
final class WorldSetup {
    private WorldSetup() {
    }

    static final long[] BLOCK_SIZES = {16, 24, 32, 48, 64, 100, 128, 256, 512, 1000, 4096, 8192};

    static World build(Kernel kernel, long seed, int threads) {
        World w = new World(kernel, seed, threads);
        for (long size : BLOCK_SIZES) {
            w.add(Kind.BLOCK, -1, w.allocate(size));
        }
        for (int t = -1; t < threads; t++) {
            boolean shared = t < 0;
            for (int i = 0; i < (shared ? 2 : 1); i++) {
                MemorySegment h = w.allocate(16);
                Ex.InitializeSListHead(h);
                w.add(Kind.SLIST_HEADER, t, h);
            }
            lookaside(w, t, Kind.LOOKASIDE_EX, LOOKASIDE_LIST_EX.X64.size(), 48);
            lookaside(w, t, Kind.NPAGED_LOOKASIDE, NPAGED_LOOKASIDE_LIST.X64.size(), 200);
            lookaside(w, t, Kind.PAGED_LOOKASIDE, PAGED_LOOKASIDE_LIST.X64.size(), 64);
            for (int i = 0; i < 2; i++) {
                MemorySegment r = w.allocate(8);
                Ex.ExInitializeRundownProtection(r);
                w.add(Kind.RUNDOWN, t, r);
            }
            long caSize = Ex.ExSizeOfRundownProtectionCacheAware();
            MemorySegment ca = w.allocate(caSize);
            Ex.ExInitializeRundownProtectionCacheAware(ca, caSize);
            w.add(Kind.RUNDOWN_CACHE_AWARE, t, ca);
            MemorySegment fm = w.allocate(FAST_MUTEX.X64.size());
            Ex.ExInitializeFastMutex(fm);
            w.add(Kind.FAST_MUTEX, t, fm);
            MemorySegment gm = w.allocate(KGUARDED_MUTEX.X64.size());
            Ke.KeInitializeGuardedMutex(gm);
            w.add(Kind.GUARDED_MUTEX, t, gm);
            for (int i = 0; i < (shared ? 2 : 1); i++) {
                MemorySegment l = w.allocate(8);
                Ke.KeInitializeSpinLock(l);
                w.add(Kind.SPIN_LOCK, t, l);
            }
            for (int i = 0; i < (shared ? 3 : 2); i++) {
                MemorySegment e = w.allocate(DispatcherOps.EVENT);
                Ke.KeInitializeEvent(e, i % 2, false);
                w.add(Kind.EVENT, t, e);
            }
            for (int i = 0; i < (shared ? 2 : 1); i++) {
                MemorySegment s = w.allocate(KSEMAPHORE.X64.size());
                Ke.KeInitializeSemaphore(s, 1, 4);
                w.add(Kind.SEMAPHORE, t, s);
            }
            int[] bits = shared ? new int[] {1000, 64} : new int[] {256};
            for (int b : bits) {
                MemorySegment h = w.allocate(BitmapOps.HEADER);
                MemorySegment buf = w.allocate(((b + 31) / 32) * 4L);
                Rtl.RtlInitializeBitMap(h, buf, (int) (buf.byteSize() * 8));
                w.bitmapBuffers.put(h.address(), buf);
                w.add(Kind.BITMAP, t, h);
            }
            for (int i = 0; i < (shared ? 3 : 1); i++) {
                MemorySegment ro = w.allocate(8);
                Rtl.RtlRunOnceInitialize(ro);
                w.add(Kind.RUN_ONCE, t, ro);
            }
            if (!shared) {
                for (int i = 0; i < 2; i++) {
                    w.add(Kind.QUEUE_HANDLE, t, w.allocate(KLOCK_QUEUE_HANDLE.X64.size()));
                }
                MemorySegment rec = w.allocate(KBUGCHECK_CALLBACK_RECORD.X64.size());
                Ke.KeInitializeCallbackRecord(rec);
                w.add(Kind.CALLBACK_RECORD, t, rec);
                MemorySegment rrec = w.allocate(KBUGCHECK_REASON_CALLBACK_RECORD.X64.size());
                w.add(Kind.REASON_CALLBACK_RECORD, t, rrec);
                MemorySegment scratch = w.allocate(256);
                BugCheckOps.WRITABLE.add(scratch.address());
                w.add(Kind.BLOCK, t, scratch);
                w.add(Kind.WAIT_BLOCKS, t, w.allocate(0x30L * 64));
                for (int i = 0; i < 2; i++) {
                    w.add(Kind.XSTATE_SAVE, t, w.allocate(ProcessorStateOps.XSTATE_SAVE_SIZE));
                    w.add(Kind.FLOATING_SAVE, t, w.allocate(ProcessorStateOps.KFLOATING_SAVE_SIZE));
                }
                for (int i = 0; i < 12; i++) {
                    MemorySegment e = w.allocate(SListOps.ENTRY_BLOCK);
                    w.entries.put(e.address(), e);
                    w.entryOwners.put(e.address(), t);
                    w.initialEntries.get(t).add(e);
                }
            }
        }
        return w;
    }

    private static void lookaside(World w, int t, Kind kind, long structSize, long blockSize) {
        MemorySegment l = w.allocate(structSize);
        switch (kind) {
            case LOOKASIDE_EX -> Ex.ExInitializeLookasideListEx(l, null, null, PoolType.NonPagedPool, 0, blockSize, World.TAG, 0);
            case NPAGED_LOOKASIDE -> Ex.ExInitializeNPagedLookasideList(l, null, null, 0, blockSize, World.TAG, 0);
            default -> Ex.ExInitializePagedLookasideList(l, null, null, 0, blockSize, World.TAG, 0);
        }
        w.lookasideSizes.put(l.address(), blockSize);
        w.add(kind, t, l);
    }
}
