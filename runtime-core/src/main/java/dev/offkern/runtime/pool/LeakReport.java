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
     * @param driver   the name of the driver whose code allocated them ("" for the kernel's or the embedder's)
     */
    public record Leak(int tag, int poolType, long size, long count, String driver) {
        public Leak {
            driver = driver == null ? "" : driver;
        }

        /** Blocks allocated outside any driver. */
        public Leak(int tag, int poolType, long size, long count) {
            this(tag, poolType, size, count, "");
        }
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
                .thenComparingInt(Leak::poolType).thenComparingLong(Leak::size).thenComparing(Leak::driver));
        return new LeakReport(all);
    }

    /** A table: one line per leak, or a line saying there is none. */
    @Override
    public String toString() {
        return describe("at shutdown");
    }

    /** The table, its heading saying when the blocks were found ({@code "at shutdown"}, {@code "at its unload"}). */
    public String describe(String when) {
        if (leaks.isEmpty()) {
            return "offkern pool: no leaks\n";
        }
        boolean drivers = leaks.stream().anyMatch(l -> !l.driver().isEmpty());
        StringBuilder sb = new StringBuilder(String.format(Locale.ROOT,
                "offkern pool: %d block(s) still allocated %s%n %-4s  %-5s  %10s  %8s%s%n", blocks(), when, "Tag", "Type", "Size", "Count",
                drivers ? "  Driver" : ""));
        for (Leak l : leaks) {
            sb.append(String.format(Locale.ROOT, " %-4s  %-5s  %10d  %8d%s%n", PoolTags.toString(l.tag()),
                    l.poolType() == PoolType.PagedPool ? "Paged" : "Nonp", l.size(), l.count(),
                    drivers ? "  " + (l.driver().isEmpty() ? "-" : l.driver()) : ""));
        }
        return sb.toString();
    }
}
