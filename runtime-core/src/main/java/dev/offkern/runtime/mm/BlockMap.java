package dev.offkern.runtime.mm;

/**
 * What the allocator that carves a region into blocks (a pool, for its chunks) knows about them:
 * where the live block holding an address ends. The address space uses it for the verifier's
 * block-exact checks ({@link AddressSpace#checkLive}); regions registered without one (an embedder's
 * memory) count as one block.
 *
 * <p>Implementations answer from their own bookkeeping without locks on the common path; an answer
 * about a block another thread is freeing at the same moment may be either (that race is the
 * caller's bug).
 */
@FunctionalInterface
public interface BlockMap {
    /** {@link #liveBytesAt}: the address is in memory that is not handed out (a freed block, a free page). */
    long FREED = -1;
    /** {@link #liveBytesAt}: the address is in the allocator's own bookkeeping (a POOL_HEADER) or past the end of a live block. */
    long OUTSIDE = 0;

    /**
     * Bytes from {@code address} to the end of the live block holding it (at least 1, counting to
     * the end of what the block's owner asked for), or {@link #FREED} or {@link #OUTSIDE}.
     */
    long liveBytesAt(long address);
}
