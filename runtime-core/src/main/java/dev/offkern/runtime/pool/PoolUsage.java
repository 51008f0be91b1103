package dev.offkern.runtime.pool;

/**
 * One tag's accounting in one pool, as poolmon shows it.
 *
 * @param tag      the tag (protected bit stripped)
 * @param poolType base POOL_TYPE (NonPagedPool 0, PagedPool 1)
 * @param allocs   allocations made
 * @param frees    frees made
 * @param bytes    bytes in use (block sizes, headers included; whole pages for large blocks)
 */
public record PoolUsage(int tag, int poolType, long allocs, long frees, long bytes) {

    /** Blocks in use: allocations minus frees. */
    public long diff() {
        return allocs - frees;
    }
}
