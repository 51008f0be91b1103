package dev.offkern.runtime.pool;

import dev.offkern.nt.PoolTags;
import dev.offkern.nt.PoolType;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;

/**
 * A poolmon-style snapshot of a kernel's pool accounting: one row per tag and pool type with
 * allocations, frees, their difference (blocks in use) and bytes in use (block sizes with headers;
 * whole pages for large blocks), sorted as poolmon sorts. Take it with {@link #snapshot(Pool, Pool)};
 * {@link #format()} renders the table.
 */
public final class PoolMonitor {

    /** Sort orders (poolmon's keys: t, a, f, d, b). */
    public enum Sort {
        TAG(Comparator.comparing((PoolUsage u) -> PoolTags.toString(u.tag()))),
        ALLOCS(Comparator.comparingLong(PoolUsage::allocs).reversed()),
        FREES(Comparator.comparingLong(PoolUsage::frees).reversed()),
        DIFF(Comparator.comparingLong(PoolUsage::diff).reversed()),
        BYTES(Comparator.comparingLong(PoolUsage::bytes).reversed());

        private final Comparator<PoolUsage> order;

        Sort(Comparator<PoolUsage> order) {
            this.order = order;
        }
    }

    private final List<PoolUsage> rows;
    /** Tag → the drivers seen allocating it (poolmon's "Mapped_Driver" column); empty: no column. */
    private final java.util.Map<Integer, String> drivers;

    private PoolMonitor(List<PoolUsage> rows, java.util.Map<Integer, String> drivers) {
        this.rows = List.copyOf(rows);
        this.drivers = java.util.Map.copyOf(drivers);
    }

    /** Both pools' accounting now, sorted by bytes in use (largest first), then tag, then type. */
    public static PoolMonitor snapshot(Pool nonPagedPool, Pool pagedPool) {
        return snapshot(nonPagedPool, pagedPool, Sort.BYTES);
    }

    /** Both pools' accounting now, sorted by {@code sort}, ties by tag then pool type. */
    public static PoolMonitor snapshot(Pool nonPagedPool, Pool pagedPool, Sort sort) {
        List<PoolUsage> all = new ArrayList<>(nonPagedPool.usage());
        all.addAll(pagedPool.usage());
        java.util.Map<Integer, java.util.Set<Integer>> owners = new java.util.HashMap<>(nonPagedPool.tagOwners());
        pagedPool.tagOwners().forEach((tag, ids) -> owners.merge(tag, ids, (a, b) -> {
            java.util.Set<Integer> u = new java.util.TreeSet<>(a);
            u.addAll(b);
            return u;
        }));
        java.util.Map<Integer, String> names = new java.util.HashMap<>();
        owners.forEach((tag, ids) -> names.put(tag, String.join(",", ids.stream().map(nonPagedPool::ownerName).toList())));
        PoolMonitor m = of(all, sort);
        return new PoolMonitor(m.rows, names);
    }

    /** The drivers seen allocating {@code tag} (comma-separated names), or "" if none. */
    public String drivers(int tag) {
        return drivers.getOrDefault(tag & ~PoolTags.PROTECTED_POOL, "");
    }

    /**
     * A table of {@code rows} (from anywhere: a live-counters file of another process, say), sorted
     * by {@code sort}, ties by tag then pool type.
     */
    public static PoolMonitor of(List<PoolUsage> rows, Sort sort) {
        List<PoolUsage> all = new ArrayList<>(rows);
        all.sort(sort.order.thenComparing((PoolUsage u) -> PoolTags.toString(u.tag()))
                .thenComparingInt(PoolUsage::poolType));
        return new PoolMonitor(all, java.util.Map.of());
    }

    /** The rows in order. */
    public List<PoolUsage> rows() {
        return rows;
    }

    /** The row of {@code tag} in pool {@code poolType}, or null. */
    public PoolUsage row(int tag, int poolType) {
        for (PoolUsage u : rows) {
            if (u.tag() == (tag & ~PoolTags.PROTECTED_POOL) && u.poolType() == poolType) {
                return u;
            }
        }
        return null;
    }

    /** The table: a header line then one line per row, and a totals line per pool type. */
    public String format() {
        StringBuilder sb = new StringBuilder();
        boolean column = !drivers.isEmpty();
        String fmt = " %-4s  %-5s  %10s  %10s  %10s  %12s" + (column ? "  %s" : "%s") + "%n";
        sb.append(String.format(Locale.ROOT, fmt, "Tag", "Type", "Allocs", "Frees", "Diff", "Bytes", column ? "Driver" : ""));
        long[][] totals = new long[2][4];
        for (PoolUsage u : rows) {
            sb.append(String.format(Locale.ROOT, fmt, PoolTags.toString(u.tag()), typeName(u.poolType()),
                    u.allocs(), u.frees(), u.diff(), u.bytes(), column ? drivers.getOrDefault(u.tag(), "-") : ""));
            long[] t = totals[u.poolType() & 1];
            t[0] += u.allocs();
            t[1] += u.frees();
            t[2] += u.diff();
            t[3] += u.bytes();
        }
        for (int type = 0; type < 2; type++) {
            long[] t = totals[type];
            sb.append(String.format(Locale.ROOT, fmt, "*", typeName(type), t[0], t[1], t[2], t[3], ""));
        }
        return sb.toString();
    }

    private static String typeName(int poolType) {
        return (poolType & 1) == PoolType.PagedPool ? "Paged" : "Nonp";
    }

    @Override
    public String toString() {
        return format();
    }
}
