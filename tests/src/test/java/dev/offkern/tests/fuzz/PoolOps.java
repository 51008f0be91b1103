package dev.offkern.tests.fuzz;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import dev.offkern.ddi.Ex;
import dev.offkern.nt.PoolFlags;
import dev.offkern.nt.PoolTags;
import dev.offkern.nt.PoolType;
import java.lang.foreign.MemorySegment;
import java.util.List;

/** Pool routines: ExAllocatePool2/3/Zero/WithTag, ExAllocatePool, ExFreePoolWithTag, ExFreePool. */
final class PoolOps {
    private PoolOps() {
    }

    /** Most blocks a thread keeps: beyond this an allocation frees one first. */
    static final int MAX_OWNED = 48;
    /** Blocks above this size are freed at once (the pool limit is small). */
    static final long KEEP_LIMIT = 64 * 1024;

    static List<Op> ops() {
        return List.of(
                Op.of("pool.allocate2", 6, PoolOps::allocate2, "ExAllocatePool2"),
                Op.of("pool.allocate3", 2, PoolOps::allocate3, "ExAllocatePool3"),
                Op.of("pool.allocateByType", 4, PoolOps::allocateByType, "ExAllocatePoolZero", "ExAllocatePoolWithTag",
                        "ExAllocatePool"),
                Op.of("pool.free", 6, PoolOps::free, "ExFreePoolWithTag", "ExFreePool"),
                Op.of("pool.freeHostile", 3, PoolOps::freeHostile, "ExFreePoolWithTag", "ExFreePool"),
                Op.of("pool.hugeThenNormal", 1, PoolOps::hugeThenNormal, "ExAllocatePool2", "ExFreePoolWithTag"));
    }

    static long anyFlags(Ctx c) {
        long base = switch (c.n(12)) {
            case 0 -> PoolFlags.POOL_FLAG_PAGED;
            case 1 -> PoolFlags.POOL_FLAG_PAGED | PoolFlags.POOL_FLAG_NON_PAGED;
            case 2 -> 0;
            case 3 -> c.r.nextLong();
            case 4 -> PoolFlags.POOL_FLAG_NON_PAGED_EXECUTE;
            case 5 -> PoolFlags.POOL_FLAG_NON_PAGED | PoolFlags.POOL_FLAG_SESSION;
            case 6 -> PoolFlags.POOL_FLAG_NON_PAGED | PoolFlags.POOL_FLAG_RESERVED1;
            case 7 -> PoolFlags.POOL_FLAG_NON_PAGED | (1L << (33 + c.n(30)));
            default -> PoolFlags.POOL_FLAG_NON_PAGED;
        };
        if (c.p(0.3)) {
            base |= PoolFlags.POOL_FLAG_UNINITIALIZED;
        }
        if (c.p(0.2)) {
            base |= PoolFlags.POOL_FLAG_CACHE_ALIGNED;
        }
        if (c.p(0.3)) {
            base |= PoolFlags.POOL_FLAG_RAISE_ON_FAILURE;
        }
        return base;
    }

    static int anyTag(Ctx c) {
        return switch (c.n(10)) {
            case 0 -> 0;
            case 1 -> PoolTags.tag("BIG ");
            case 2 -> c.r.nextInt();
            case 3 -> 0x20202020;
            case 4 -> World.TAG | 0x80000000;
            default -> World.TAG;
        };
    }

    static int anyPoolType(Ctx c) {
        int t = switch (c.n(12)) {
            case 0 -> PoolType.PagedPool;
            case 1 -> PoolType.NonPagedPoolCacheAligned;
            case 2 -> PoolType.NonPagedPoolNx;
            case 3 -> PoolType.NonPagedPoolMustSucceed;
            case 4 -> PoolType.DontUseThisType;
            case 5 -> PoolType.MaxPoolType;
            case 6 -> c.anyInt();
            case 7 -> PoolType.PagedPoolSession;
            default -> PoolType.NonPagedPool;
        };
        if (c.p(0.15)) {
            t |= PoolType.POOL_RAISE_IF_ALLOCATION_FAILURE;
        }
        return t;
    }

    /** Checks a returned block, writes a pattern into it (it is ours now), keeps or frees it. */
    static void took(Ctx c, MemorySegment b, long size, long alignment, int tag) {
        if (b == null) {
            throw new FuzzInvariantException("allocation returned a Java null instead of MemorySegment.NULL");
        }
        if (b.equals(MemorySegment.NULL)) {
            return;
        }
        if (b.byteSize() != size) {
            throw new FuzzInvariantException("allocation of " + size + " bytes returned a segment of " + b.byteSize());
        }
        if ((b.address() & (alignment - 1)) != 0) {
            throw new FuzzInvariantException("allocation returned 0x" + Long.toHexString(b.address()) + ", not "
                    + alignment + "-byte aligned");
        }
        if (c.w.touchesBystander(b.address(), size)) {
            throw new FuzzInvariantException("allocation returned 0x" + Long.toHexString(b.address())
                    + " overlapping a live bystander block");
        }
        long fill = Math.min(size, 256);
        for (long i = 0; i < fill; i++) {
            b.set(JAVA_BYTE, i, (byte) (0xA0 + c.thread));
        }
        if (size > KEEP_LIMIT) {
            Ex.ExFreePoolWithTag(b, tag);
            c.bury(b);
            return;
        }
        c.adopt(b, tag);
        if (c.owned.size() > MAX_OWNED) {
            freeOne(c);
        }
    }

    static void freeOne(Ctx c) {
        int i = c.takeOwned();
        if (i < 0) {
            return;
        }
        MemorySegment b = c.owned.get(i);
        int tag = c.ownedTags.get(i);
        c.disown(i); // even if the free fails: never touch it again
        Ex.ExFreePoolWithTag(b, tag);
    }

    static void allocate2(Ctx c) {
        long flags = anyFlags(c);
        long size = c.anySize();
        int tag = anyTag(c);
        c.note(String.format("ExAllocatePool2(0x%x, %d, 0x%x)", flags, size, tag));
        MemorySegment b = Ex.ExAllocatePool2(flags, size, tag);
        took(c, b, size, (flags & PoolFlags.POOL_FLAG_CACHE_ALIGNED) != 0 ? 64 : 16, tag);
    }

    static void allocate3(Ctx c) {
        long flags = anyFlags(c);
        long size = c.anySize();
        int count = c.p(0.5) ? c.n(4) : c.anyInt();
        MemorySegment params;
        if (c.p(0.6)) {
            params = c.allocateOwned(PoolFlags.POOL_FLAG_NON_PAGED, 64);
            if (!params.equals(MemorySegment.NULL)) {
                for (int i = 0; i < 4; i++) {
                    long type = c.n(5) | (c.p(0.3) ? 0x100 : 0);
                    params.set(JAVA_LONG, 16L * i, type);
                    params.set(JAVA_LONG, 16L * i + 8, c.p(0.5) ? 0 : c.r.nextLong());
                }
            }
        } else {
            params = c.hostile(null, 16, false);
        }
        c.note(String.format("ExAllocatePool3(0x%x, %d, Fuzz, params, %d)", flags, size, count));
        MemorySegment b = Ex.ExAllocatePool3(flags, size, World.TAG, params, count);
        took(c, b, size, (flags & PoolFlags.POOL_FLAG_CACHE_ALIGNED) != 0 ? 64 : 16, World.TAG);
    }

    static void allocateByType(Ctx c) {
        int type = anyPoolType(c);
        long size = c.anySize();
        int tag = anyTag(c);
        int which = c.n(3);
        c.note(String.format("%s(%d, %d, 0x%x)", which == 0 ? "ExAllocatePoolZero" : which == 1 ? "ExAllocatePoolWithTag"
                : "ExAllocatePool", type, size, tag));
        MemorySegment b = switch (which) {
            case 0 -> Ex.ExAllocatePoolZero(type, size, tag);
            case 1 -> Ex.ExAllocatePoolWithTag(type, size, tag);
            default -> Ex.ExAllocatePool(type, size);
        };
        boolean aligned64 = ((type & ~(PoolType.POOL_RAISE_IF_ALLOCATION_FAILURE | PoolType.NonPagedPoolNx)) & PoolType.NonPagedPoolCacheAligned) != 0;
        took(c, b, size, aligned64 ? 64 : 16, which == 2 ? PoolTags.NONE : tag);
    }

    static void free(Ctx c) {
        int i = c.takeOwned();
        if (i < 0) {
            allocate2(c);
            return;
        }
        MemorySegment b = c.owned.get(i);
        int tag = c.ownedTags.get(i);
        int passed = c.p(0.8) ? tag : c.p(0.5) ? 0 : c.r.nextInt();
        c.note(String.format("free(%s, 0x%x) owner tag 0x%x", Ctx.describe(b), passed, tag));
        if (passed == tag || passed == 0) {
            c.disown(i); // the free should succeed: never touch the block again
        }
        if (c.p(0.5) || (passed != tag && passed != 0)) {
            Ex.ExFreePoolWithTag(b, passed);
        } else {
            Ex.ExFreePool(b);
        }
    }

    static void freeHostile(Ctx c) {
        MemorySegment p = c.forFree(32);
        if (c.p(0.5)) {
            Ex.ExFreePool(p);
        } else {
            Ex.ExFreePoolWithTag(p, anyTag(c));
        }
    }

    /** Issue 8 case 3: a failed huge request must leave the pool able to serve a normal one. */
    static void hugeThenNormal(Ctx c) {
        long huge = switch (c.n(4)) {
            case 0 -> Long.MAX_VALUE;
            case 1 -> Long.MAX_VALUE - 4095;
            case 2 -> 1L << 52;
            default -> -4096L;
        };
        for (int i = 0; i < 4; i++) {
            MemorySegment b = Ex.ExAllocatePool2(PoolFlags.POOL_FLAG_NON_PAGED, huge, World.TAG);
            if (!b.equals(MemorySegment.NULL)) {
                throw new FuzzInvariantException("ExAllocatePool2 of " + huge + " bytes returned " + Ctx.describe(b));
            }
        }
        MemorySegment ok = Ex.ExAllocatePool2(PoolFlags.POOL_FLAG_NON_PAGED, 256 * 1024, World.TAG);
        if (ok.equals(MemorySegment.NULL)) {
            throw new FuzzInvariantException("after refused huge requests, a 256 KiB request failed");
        }
        Ex.ExFreePoolWithTag(ok, World.TAG);
    }
}
