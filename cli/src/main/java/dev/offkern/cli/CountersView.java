package dev.offkern.cli;

import dev.offkern.nt.PoolTags;
import dev.offkern.runtime.counters.CounterType;
import dev.offkern.runtime.counters.CountersSnapshot;
import dev.offkern.runtime.pool.PoolMonitor;
import dev.offkern.runtime.pool.PoolUsage;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Renders a live-counters snapshot: the {@code stat} summary (pools, lookaside lists, DPCs, timers,
 * bug checks) and the {@code poolmon} per-tag table, each as text or as a JSON object (the same
 * names as {@link CounterType#jsonName()} groups them).
 */
final class CountersView {
    private static final String[] POOL = {"Nonp", "Paged"};

    private CountersView() {
    }

    /** One line: file, pid, state, uptime, age of the values, the writer's command. */
    static String headline(CountersSnapshot s) {
        return String.format(Locale.ROOT, "%s  pid %d  %s  up %.1f s  published %.1f s ago  (%s)", s.file().getFileName(),
                s.pid(), s.status(), (s.heartbeatMillis() - s.bootMillis()) / 1000.0,
                Math.max(0, s.takenMillis() - s.heartbeatMillis()) / 1000.0, s.description());
    }

    /** The per-tag rows of a snapshot, as poolmon's table takes them. */
    static List<PoolUsage> tagRows(CountersSnapshot s) {
        List<PoolUsage> rows = new ArrayList<>();
        for (CountersSnapshot.Counter c : s.of(CounterType.POOL_ALLOCS)) {
            rows.add(new PoolUsage(c.key0(), c.key1(), c.value(), s.value(CounterType.POOL_FREES, c.key0(), c.key1()),
                    s.value(CounterType.POOL_BYTES, c.key0(), c.key1())));
        }
        return rows;
    }

    static String statText(CountersSnapshot s) {
        StringBuilder b = new StringBuilder();
        b.append(headline(s)).append('\n');
        String f = "  %-10s %12s %12s %12s %14s %14s%n";
        b.append(String.format(Locale.ROOT, f, "pool", "allocs", "frees", "diff", "bytes", "mapped"));
        List<PoolUsage> rows = tagRows(s);
        for (int type = 0; type < 2; type++) {
            long[] t = poolTotals(rows, type);
            b.append(String.format(Locale.ROOT, f, POOL[type], t[0], t[1], t[0] - t[1], t[2],
                    s.value(CounterType.POOL_MAPPED_BYTES, type, 0)));
        }
        f = "  %-10s %6s %12s %12s %7s %12s %12s%n";
        b.append(String.format(Locale.ROOT, f, "lookaside", "lists", "allocates", "misses", "hit%", "frees", "free misses"));
        for (int type = 0; type < 2; type++) {
            long allocates = s.value(CounterType.LOOKASIDE_ALLOCATES, type, 0);
            long misses = s.value(CounterType.LOOKASIDE_ALLOCATE_MISSES, type, 0);
            b.append(String.format(Locale.ROOT, f, POOL[type], s.value(CounterType.LOOKASIDE_LISTS, type, 0), allocates, misses,
                    hitPercent(allocates, misses), s.value(CounterType.LOOKASIDE_FREES, type, 0),
                    s.value(CounterType.LOOKASIDE_FREE_MISSES, type, 0)));
        }
        f = "  %-10s %12s %12s %8s%n";
        b.append(String.format(Locale.ROOT, f, "dpc", "queued", "run", "depth"));
        for (int q = 0; q < 2; q++) {
            long[] t = dpcTotals(s, q);
            b.append(String.format(Locale.ROOT, f, q == 0 ? "normal" : "threaded", t[0], t[1], t[2]));
        }
        b.append(String.format(Locale.ROOT, "  %-10s set %d  expired %d  pending %d  DPCs coalesced %d%n", "timers",
                s.sum(CounterType.TIMERS_SET), s.sum(CounterType.TIMERS_EXPIRED), s.sum(CounterType.TIMERS_PENDING),
                s.sum(CounterType.TIMER_DPCS_COALESCED)));
        long raised = s.sum(CounterType.BUG_CHECKS);
        b.append(String.format(Locale.ROOT, "  %-10s %d raised%s%n", "bug checks", raised,
                raised == 0 ? "" : String.format(Locale.ROOT, ", last 0x%X", s.sum(CounterType.BUG_CHECK_LAST_CODE))));
        return b.toString();
    }

    static String poolmonText(CountersSnapshot s, PoolMonitor.Sort sort) {
        return headline(s) + "\n" + PoolMonitor.of(tagRows(s), sort).format();
    }

    private static String hitPercent(long allocates, long misses) {
        return allocates == 0 ? "-" : String.format(Locale.ROOT, "%.1f", 100.0 * (allocates - misses) / allocates);
    }

    private static long[] poolTotals(List<PoolUsage> rows, int type) {
        long[] t = new long[3];
        for (PoolUsage u : rows) {
            if (u.poolType() == type) {
                t[0] += u.allocs();
                t[1] += u.frees();
                t[2] += u.bytes();
            }
        }
        return t;
    }

    private static long[] dpcTotals(CountersSnapshot s, int queue) {
        long[] t = new long[3];
        for (int p = 0; p < s.processorCount(); p++) {
            t[0] += s.value(CounterType.DPC_QUEUED, p, queue);
            t[1] += s.value(CounterType.DPC_RUN, p, queue);
            t[2] += s.value(CounterType.DPC_QUEUE_DEPTH, p, queue);
        }
        return t;
    }

    /** The header fields every JSON snapshot starts with. */
    static Map<String, Object> jsonHeader(CountersSnapshot s) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("file", s.file().toString());
        m.put("status", s.status().name());
        m.put("pid", s.pid());
        m.put("description", s.description());
        m.put("kernelSequence", s.kernelSequence());
        m.put("processors", s.processorCount());
        m.put("bootMillis", s.bootMillis());
        m.put("heartbeatMillis", s.heartbeatMillis());
        m.put("takenMillis", s.takenMillis());
        m.put("intervalMillis", s.intervalMillis());
        return m;
    }

    static List<Map<String, Object>> jsonTags(List<PoolUsage> rows) {
        List<Map<String, Object>> tags = new ArrayList<>();
        for (PoolUsage u : rows) {
            Map<String, Object> t = new LinkedHashMap<>();
            t.put("tag", PoolTags.toString(u.tag()));
            t.put("pool", POOL[u.poolType() & 1]);
            t.put("allocs", u.allocs());
            t.put("frees", u.frees());
            t.put("diff", u.diff());
            t.put("bytes", u.bytes());
            tags.add(t);
        }
        return tags;
    }

    static Map<String, Object> statJson(CountersSnapshot s) {
        Map<String, Object> m = jsonHeader(s);
        List<PoolUsage> rows = tagRows(s);
        List<Map<String, Object>> pools = new ArrayList<>();
        List<Map<String, Object>> lookaside = new ArrayList<>();
        for (int type = 0; type < 2; type++) {
            long[] t = poolTotals(rows, type);
            Map<String, Object> p = new LinkedHashMap<>();
            p.put("pool", POOL[type]);
            p.put("allocs", t[0]);
            p.put("frees", t[1]);
            p.put("diff", t[0] - t[1]);
            p.put("bytes", t[2]);
            p.put("mappedBytes", s.value(CounterType.POOL_MAPPED_BYTES, type, 0));
            pools.add(p);
            Map<String, Object> l = new LinkedHashMap<>();
            long allocates = s.value(CounterType.LOOKASIDE_ALLOCATES, type, 0);
            long misses = s.value(CounterType.LOOKASIDE_ALLOCATE_MISSES, type, 0);
            l.put("pool", POOL[type]);
            l.put("lists", s.value(CounterType.LOOKASIDE_LISTS, type, 0));
            l.put("totalAllocates", allocates);
            l.put("allocateMisses", misses);
            l.put("hitRate", allocates == 0 ? null : (double) (allocates - misses) / allocates);
            l.put("totalFrees", s.value(CounterType.LOOKASIDE_FREES, type, 0));
            l.put("freeMisses", s.value(CounterType.LOOKASIDE_FREE_MISSES, type, 0));
            lookaside.add(l);
        }
        m.put("pools", pools);
        m.put("lookaside", lookaside);
        List<Map<String, Object>> dpc = new ArrayList<>();
        for (int p = 0; p < s.processorCount(); p++) {
            for (int q = 0; q < 2; q++) {
                Map<String, Object> d = new LinkedHashMap<>();
                d.put("processor", p);
                d.put("queue", q == 0 ? "normal" : "threaded");
                d.put("queued", s.value(CounterType.DPC_QUEUED, p, q));
                d.put("run", s.value(CounterType.DPC_RUN, p, q));
                d.put("depth", s.value(CounterType.DPC_QUEUE_DEPTH, p, q));
                dpc.add(d);
            }
        }
        m.put("dpc", dpc);
        Map<String, Object> timers = new LinkedHashMap<>();
        timers.put("set", s.sum(CounterType.TIMERS_SET));
        timers.put("expired", s.sum(CounterType.TIMERS_EXPIRED));
        timers.put("pending", s.sum(CounterType.TIMERS_PENDING));
        timers.put("dpcsCoalesced", s.sum(CounterType.TIMER_DPCS_COALESCED));
        m.put("timers", timers);
        Map<String, Object> bugChecks = new LinkedHashMap<>();
        bugChecks.put("raised", s.sum(CounterType.BUG_CHECKS));
        bugChecks.put("lastCode", s.sum(CounterType.BUG_CHECK_LAST_CODE));
        m.put("bugChecks", bugChecks);
        m.put("tags", jsonTags(PoolMonitor.of(rows, PoolMonitor.Sort.TAG).rows()));
        return m;
    }

    static Map<String, Object> poolmonJson(CountersSnapshot s, PoolMonitor.Sort sort) {
        Map<String, Object> m = jsonHeader(s);
        m.put("tags", jsonTags(PoolMonitor.of(tagRows(s), sort).rows()));
        return m;
    }

    /** One JSON document on one line. */
    static String json(Object value) {
        return tools.jackson.databind.json.JsonMapper.builder().build().writeValueAsString(value);
    }
}
