package dev.offkern.runtime.counters;

/**
 * The kinds of live counter a kernel publishes: each one's Agrona type id (the {@code typeId} of the
 * counter's metadata record), its JSON name and what its 8-byte key holds (two little-endian ints,
 * {@code key0} then {@code key1}). Type ids start at 1001, clear of Aeron's own.
 *
 * <table>
 *   <caption>Counter types</caption>
 *   <tr><th>type</th><th>key0</th><th>key1</th><th>value</th></tr>
 *   <tr><td>POOL_ALLOCS, POOL_FREES, POOL_BYTES</td><td>pool tag</td><td>POOL_TYPE (0 nonpaged, 1 paged)</td>
 *       <td>allocations, frees, bytes in use (headers included) of the tag in that pool</td></tr>
 *   <tr><td>POOL_MAPPED_BYTES</td><td>POOL_TYPE</td><td>0</td><td>bytes the pool has mapped</td></tr>
 *   <tr><td>LOOKASIDE_*</td><td>POOL_TYPE of the lists</td><td>0</td>
 *       <td>live lists; TotalAllocates, AllocateMisses, TotalFrees, FreeMisses summed over them (and over deleted ones)</td></tr>
 *   <tr><td>DPC_QUEUED, DPC_RUN, DPC_QUEUE_DEPTH</td><td>processor</td><td>queue (0 normal, 1 threaded)</td>
 *       <td>DPCs inserted, DPCs run, DPCs queued now</td></tr>
 *   <tr><td>TIMERS_*</td><td>0</td><td>0</td><td>KeSetTimer calls, expiries, timers pending now, expiries whose DPC was still queued</td></tr>
 *   <tr><td>BUG_CHECKS, BUG_CHECK_LAST_CODE</td><td>0</td><td>0</td><td>bug checks raised, the latest one's code</td></tr>
 * </table>
 */
public enum CounterType {
    POOL_ALLOCS(1001, "pool.allocs"),
    POOL_FREES(1002, "pool.frees"),
    POOL_BYTES(1003, "pool.bytes"),
    POOL_MAPPED_BYTES(1004, "pool.mappedBytes"),
    LOOKASIDE_LISTS(1010, "lookaside.lists"),
    LOOKASIDE_ALLOCATES(1011, "lookaside.totalAllocates"),
    LOOKASIDE_ALLOCATE_MISSES(1012, "lookaside.allocateMisses"),
    LOOKASIDE_FREES(1013, "lookaside.totalFrees"),
    LOOKASIDE_FREE_MISSES(1014, "lookaside.freeMisses"),
    DPC_QUEUED(1020, "dpc.queued"),
    DPC_RUN(1021, "dpc.run"),
    DPC_QUEUE_DEPTH(1022, "dpc.queueDepth"),
    TIMERS_SET(1030, "timers.set"),
    TIMERS_EXPIRED(1031, "timers.expired"),
    TIMERS_PENDING(1032, "timers.pending"),
    TIMER_DPCS_COALESCED(1033, "timers.dpcsCoalesced"),
    BUG_CHECKS(1040, "bugChecks.raised"),
    BUG_CHECK_LAST_CODE(1041, "bugChecks.lastCode");

    private final int typeId;
    private final String jsonName;

    CounterType(int typeId, String jsonName) {
        this.typeId = typeId;
        this.jsonName = jsonName;
    }

    /** The counter's Agrona type id. */
    public int typeId() {
        return typeId;
    }

    /** The name {@code --format json} uses. */
    public String jsonName() {
        return jsonName;
    }

    /** The type with {@code typeId}, or null (a counter of a newer writer). */
    public static CounterType of(int typeId) {
        for (CounterType t : values()) {
            if (t.typeId == typeId) {
                return t;
            }
        }
        return null;
    }
}
