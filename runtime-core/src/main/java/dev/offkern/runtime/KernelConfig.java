package dev.offkern.runtime;

/**
 * How a {@link Kernel} is booted. Immutable; start from {@link #defaults()} and change with the
 * {@code with...} methods.
 *
 * @param nonPagedPoolLimit bytes the non-paged pool may map in all (its chunks included)
 * @param pagedPoolLimit    bytes the paged pool may map in all
 * @param poolChunkSize     bytes each pool chunk maps at once (a multiple of 64 KiB)
 */
public record KernelConfig(long nonPagedPoolLimit, long pagedPoolLimit, long poolChunkSize) {

    public KernelConfig {
        if (poolChunkSize <= 0 || poolChunkSize % (64 * 1024) != 0) {
            throw new IllegalArgumentException("poolChunkSize must be a positive multiple of 64 KiB, not " + poolChunkSize);
        }
        if (nonPagedPoolLimit < poolChunkSize || pagedPoolLimit < poolChunkSize) {
            throw new IllegalArgumentException("pool limits must be at least one chunk (" + poolChunkSize + " bytes)");
        }
    }

    /** The limit of the pool of base type {@code poolType} (0 non-paged, 1 paged). */
    public long poolLimit(int poolType) {
        return (poolType & 1) == 1 ? pagedPoolLimit : nonPagedPoolLimit;
    }

    /** 512 MiB of non-paged and 512 MiB of paged pool, in 4 MiB chunks. */
    public static KernelConfig defaults() {
        return new KernelConfig(512L << 20, 512L << 20, 4L << 20);
    }

    public KernelConfig withNonPagedPoolLimit(long bytes) {
        return new KernelConfig(bytes, pagedPoolLimit, poolChunkSize);
    }

    public KernelConfig withPagedPoolLimit(long bytes) {
        return new KernelConfig(nonPagedPoolLimit, bytes, poolChunkSize);
    }

    public KernelConfig withPoolChunkSize(long bytes) {
        return new KernelConfig(nonPagedPoolLimit, pagedPoolLimit, bytes);
    }
}
