package dev.offkern.runtime.pool;

/**
 * One thread's stack of free blocks of one size class, with the class's constants the fast paths need
 * beside it: a thread's allocation or free of the class reads one object, reached by one array load from
 * its {@link ThreadCache}, instead of a stack array, a depth array and three of {@link SizeClasses}' tables.
 *
 * <p>Thread-confined (its thread's cache; a dead thread's is drained under the pool's reclaim lock).
 */
final class ClassStack {
    /** Free block addresses (payloads), {@link #depth} of them from index 0. */
    final long[] blocks = new long[ThreadCache.CAPACITY];
    int depth;
    /** {@link SizeClasses#stride}: bytes from one header to the next. */
    final int stride;
    /** {@link SizeClasses#firstHeader}: page offset of the first header. */
    final int firstHeader;
    /** {@link SizeClasses#freeUlong1} of the page's first block and of the others. */
    final int freeUlong1First;
    final int freeUlong1Other;

    ClassStack(int cls) {
        this.stride = SizeClasses.stride(cls);
        this.firstHeader = SizeClasses.firstHeader(cls);
        this.freeUlong1First = SizeClasses.freeUlong1(cls, firstHeader);
        this.freeUlong1Other = SizeClasses.freeUlong1(cls, firstHeader + stride);
    }

    /** Pops a free block; the caller checked {@link #depth} is not 0. */
    long pop() {
        return blocks[--depth];
    }

    /** Pushes a free block; the caller made room first. */
    void push(long block) {
        blocks[depth++] = block;
    }

    /** The free block's Ulong1 (PoolType 0) for the header at page offset {@code headerInPage}. */
    int freeUlong1(int headerInPage) {
        return headerInPage == firstHeader ? freeUlong1First : freeUlong1Other;
    }
}
