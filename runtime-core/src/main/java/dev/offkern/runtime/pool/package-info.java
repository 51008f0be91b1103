/**
 * The non-paged and paged pools: arena allocators with Windows' block format, size classes,
 * per-tag accounting, limits and the verifier's pool checks.
 *
 * <ul>
 *   <li>{@link dev.offkern.runtime.pool.Pools}: a kernel's two pools and the DDI's pool policy
 *   ({@code ExAllocatePool2} flags, {@code ExAllocatePool3} parameters, the legacy routines' verifier
 *   checks, routing frees); {@code dev.offkern.ddi.Ex} delegates here in one line per routine.
 *   Reached through {@code Kernel.pools()} (and {@code Kernel.nonPagedPool()/pagedPool()/pool(poolType)}).</li>
 *   <li>{@link dev.offkern.runtime.pool.DecodedPoolType}: the one POOL_TYPE decoder.</li>
 *   <li>{@link dev.offkern.runtime.pool.Pool}: one pool; {@code allocate}/{@code free} on addresses
 *   (the allocation-free fast path), {@code segmentOf}, {@code allocateStruct}, and
 *   {@link java.lang.foreign.SegmentAllocator}; the verifier's view of its blocks
 *   ({@code liveBytesAt}, a {@link dev.offkern.runtime.mm.BlockMap}) and lookaside parking marks.</li>
 *   <li>{@link dev.offkern.nt.PoolTags}: tags from and to their four characters.</li>
 *   <li>{@link dev.offkern.runtime.pool.PoolMonitor}, {@link dev.offkern.runtime.pool.PoolUsage}:
 *   the poolmon view; {@link dev.offkern.runtime.pool.LeakReport}: what was still allocated at
 *   shutdown.</li>
 *   <li>Internals: {@code PoolHeader} (the POOL_HEADER codec, built on the layout class),
 *   {@code SizeClasses} (block geometry), {@code PageAllocator} (chunks and page runs),
 *   {@code FreeLists} (lock-free batch stacks), {@code ThreadCache} (per-thread stacks and
 *   counters), {@code TagTable} (tag to counter slot), {@code Chunk} (per-page bookkeeping).</li>
 * </ul>
 *
 * <p>Which checks are always on and which belong to the verifier's POOL and SPECIAL_POOL families:
 * docs/memory-checks.md.
 *
 * <p>Which calls may run concurrently on one pool:
 * <pre>
 *                 allocate  free  segmentOf  usage/outstanding  close
 *  allocate          yes     yes     yes          yes            no*
 *  free              yes     yes     yes          yes            no*
 *  segmentOf         yes     yes     yes          yes            no*
 *  usage/outstanding yes     yes     yes          yes            no*
 * </pre>
 * (*) a call racing with {@code Kernel.close()} fails with an exception (the pool is closed, or its
 * arena is); it never touches unmapped memory. {@code free} of one block from two threads at once is
 * a caller bug that the double-free check catches only when the frees do not overlap in time.
 */
package dev.offkern.runtime.pool;
