package dev.offkern.runtime.pool;

import dev.offkern.nt.PoolTags;
import dev.offkern.nt.PoolType;
import java.util.List;
import java.util.Locale;

/**
 * The blocks still allocated when a pool shut down, grouped by tag, pool type and requested size.
 * Empty when nothing leaked.
 *
 * @param leaks one line per (tag, pool type, size), sorted by tag then type then size
 */
public record LeakReport(List<Leak> leaks) {

    /**
     * Blocks of one tag, pool type and size still allocated.
     *
     * @param tag      the allocation tag
     * @param poolType base POOL_TYPE (NonPagedPool 0, PagedPool 1)
     * @param size     bytes requested per block
     * @param count    blocks
     */
    public record Leak(int tag, int poolType, long size, long count) {
    }

    public LeakReport {
        leaks = List.copyOf(leaks);
    }

    /** Whether nothing leaked. */
    public boolean isEmpty() {
        return leaks.isEmpty();
    }

    /** Blocks leaked in all. */
    public long blocks() {
        return leaks.stream().mapToLong(Leak::count).sum();
    }

    /** Merges two reports. */
    public LeakReport plus(LeakReport other) {
        List<Leak> all = new java.util.ArrayList<>(leaks);
        all.addAll(other.leaks);
        all.sort(java.util.Comparator.comparing((Leak l) -> PoolTags.toString(l.tag()))
                .thenComparingInt(Leak::poolType).thenComparingLong(Leak::size));
        return new LeakReport(all);
    }

    /** A table: one line per leak, or a line saying there is none. */
    @Override
    public String toString() {
        if (leaks.isEmpty()) {
            return "offkern pool: no leaks\n";
        }
        StringBuilder sb = new StringBuilder(String.format(Locale.ROOT,
                "offkern pool: %d block(s) still allocated at shutdown%n %-4s  %-5s  %10s  %8s%n", blocks(), "Tag", "Type", "Size", "Count"));
        for (Leak l : leaks) {
            sb.append(String.format(Locale.ROOT, " %-4s  %-5s  %10d  %8d%n", PoolTags.toString(l.tag()),
                    l.poolType() == PoolType.PagedPool ? "Paged" : "Nonp", l.size(), l.count()));
        }
        return sb.toString();
    }
}
