package dev.offkern.runtime.ex;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.offkern.ddi.Ex;
import dev.offkern.runtime.Kernel;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.VarHandle;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Interop: an independent C peer, compiled here with gcc, implements the Windows x64 SLIST protocol
 * itself with {@code lock cmpxchg16b} (it does not call the offkern shim) and churns push/pop on
 * native pthreads while Java threads push/pop the same header through the DDI. Every entry carries
 * an ownership word at +8 that both sides claim with a CAS after each pop and release before each
 * push: an entry popped by two parties at once fails the claim. At the end every entry is present
 * exactly once and the depth equals the count.
 */
class ExSListInteropTest {

    private static final String PEER = """
            #include <stdint.h>
            #include <pthread.h>
            #include <stdlib.h>

            static inline int cas16(volatile void *p, uint64_t *lo, uint64_t *hi, uint64_t nlo, uint64_t nhi) {
                unsigned char ok;
                __asm__ __volatile__("lock cmpxchg16b %1\\n\\tsete %0"
                    : "=q"(ok), "+m"(*(volatile __int128 *)p), "+a"(*lo), "+d"(*hi)
                    : "b"(nlo), "c"(nhi) : "memory", "cc");
                return ok;
            }
            static void peer_push(volatile uint64_t *h, uint64_t e) {
                uint64_t lo = h[0], hi = h[1];
                for (;;) {
                    *(volatile uint64_t *)e = hi & ~0xFull;
                    uint64_t nlo = ((lo & ~0xFFFFull) + 0x10000ull) | ((lo + 1) & 0xFFFFull);
                    if (cas16(h, &lo, &hi, nlo, e)) return;
                }
            }
            static uint64_t peer_pop(volatile uint64_t *h) {
                uint64_t lo = h[0], hi = h[1];
                for (;;) {
                    uint64_t first = hi & ~0xFull;
                    if (first == 0) return 0;
                    uint64_t next = *(volatile uint64_t *)first;
                    uint64_t nlo = (lo & ~0xFFFFull) | ((lo - 1) & 0xFFFFull);
                    if (cas16(h, &lo, &hi, nlo, next & ~0xFull)) return first;
                }
            }
            struct job { volatile uint64_t *h; long iterations; long errors; long pops; };
            static void *churn(void *arg) {
                struct job *j = arg;
                uint64_t held[4];
                for (long i = 0; i < j->iterations; i++) {
                    int n = 0, want = 1 + (int)(i % 3);
                    for (int k = 0; k < want; k++) {
                        uint64_t e = peer_pop(j->h);
                        if (e) held[n++] = e;
                    }
                    for (int k = 0; k < n; k++) {
                        uint64_t expect = 0;
                        if (!__atomic_compare_exchange_n((uint64_t *)(held[k] + 8), &expect, 2, 0, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST))
                            j->errors++;
                    }
                    for (int k = 0; k < n; k++) {
                        __atomic_store_n((uint64_t *)(held[k] + 8), 0, __ATOMIC_SEQ_CST);
                        peer_push(j->h, held[k]);
                    }
                    j->pops += n;
                }
                return 0;
            }
            /* Runs `threads` pthreads churning the list; returns errors, stores the pop count in *pops. */
            long peer_churn(void *header, long iterations, int threads, long *pops) {
                pthread_t t[16];
                struct job jobs[16];
                long errors = 0;
                *pops = 0;
                for (int i = 0; i < threads; i++) {
                    jobs[i] = (struct job){ header, iterations, 0, 0 };
                    pthread_create(&t[i], 0, churn, &jobs[i]);
                }
                for (int i = 0; i < threads; i++) {
                    pthread_join(t[i], 0);
                    errors += jobs[i].errors;
                    *pops += jobs[i].pops;
                }
                return errors;
            }
            """;

    private static Path dir;
    private static Arena libArena;
    private static MethodHandle peerChurn;

    @BeforeAll
    static void compilePeer() throws IOException, InterruptedException {
        dir = Files.createTempDirectory("offkern-slist-peer");
        Path c = dir.resolve("peer.c");
        Path so = dir.resolve("libpeer.so");
        Files.writeString(c, PEER);
        Process gcc;
        try {
            gcc = new ProcessBuilder("gcc", "-O2", "-mcx16", "-pthread", "-shared", "-fPIC", "-o", so.toString(), c.toString())
                    .redirectErrorStream(true).start();
        } catch (IOException e) {
            Assumptions.abort("gcc is not available: " + e.getMessage());
            return;
        }
        String out = new String(gcc.getInputStream().readAllBytes());
        assertTrue(gcc.waitFor(60, TimeUnit.SECONDS), "gcc timed out");
        assertEquals(0, gcc.exitValue(), "gcc failed:\n" + out);
        libArena = Arena.ofShared();
        MemorySegment fn = SymbolLookup.libraryLookup(so, libArena).find("peer_churn").orElseThrow();
        peerChurn = Linker.nativeLinker().downcallHandle(fn, FunctionDescriptor.of(ValueLayout.JAVA_LONG,
                ValueLayout.ADDRESS, ValueLayout.JAVA_LONG, ValueLayout.JAVA_INT, ValueLayout.ADDRESS));
    }

    @AfterAll
    static void cleanup() throws IOException {
        if (libArena != null) {
            libArena.close();
        }
        if (dir != null) {
            try (var files = Files.list(dir)) {
                for (Path p : files.toList()) {
                    Files.delete(p);
                }
            }
            Files.delete(dir);
        }
    }

    private static final VarHandle OWNER = ValueLayout.JAVA_LONG.varHandle();

    @Test
    void shouldConserveEntriesWhenNativeAndJavaThreadsShareOneHeader() throws Throwable {
        int scale = Integer.getInteger("offkern.stress.scale", 1);
        int entries = 32;
        long nativeIterations = 100_000L * scale;
        int javaIterations = 100_000 * scale;
        try (Kernel kernel = Kernel.boot().attach(); TestMemory mem = new TestMemory(kernel, 64 * 1024)) {
            MemorySegment head = mem.at(0, 16);
            Ex.InitializeSListHead(head);
            for (int i = 0; i < entries; i++) {
                MemorySegment e = mem.at(64 + 32L * i, 16);
                e.set(ValueLayout.JAVA_LONG, 8, 0L);
                Ex.InterlockedPushEntrySList(head, e);
            }
            AtomicReference<Throwable> failure = new AtomicReference<>();
            AtomicLong javaPops = new AtomicLong();
            CountDownLatch go = new CountDownLatch(1);
            List<Thread> threads = new ArrayList<>();
            for (int t = 0; t < 2; t++) {
                threads.add(Thread.ofPlatform().start(() -> {
                    kernel.attach();
                    try {
                        go.await();
                        for (int i = 0; i < javaIterations && failure.get() == null; i++) {
                            MemorySegment e = Ex.InterlockedPopEntrySList(head);
                            if (e.address() == 0) {
                                continue;
                            }
                            long off = e.address() - mem.base() + 8;
                            if (!OWNER.compareAndSet(mem.segment, off, 0L, 1L)) {
                                throw new AssertionError("entry 0x" + Long.toHexString(e.address()) + " popped twice");
                            }
                            OWNER.setVolatile(mem.segment, off, 0L);
                            Ex.InterlockedPushEntrySList(head, e);
                            javaPops.incrementAndGet();
                        }
                    } catch (Throwable e) {
                        failure.compareAndSet(null, e);
                    }
                }));
            }
            long[] nativeResult = new long[2];
            Thread nativeDriver = Thread.ofPlatform().start(() -> {
                try (Arena a = Arena.ofConfined()) {
                    MemorySegment pops = a.allocate(ValueLayout.JAVA_LONG);
                    go.await();
                    nativeResult[0] = (long) peerChurn.invokeExact(head, nativeIterations, 2, pops);
                    nativeResult[1] = pops.get(ValueLayout.JAVA_LONG, 0);
                } catch (Throwable e) {
                    failure.compareAndSet(null, e);
                }
            });
            go.countDown();
            for (Thread t : threads) {
                t.join();
            }
            nativeDriver.join();
            if (failure.get() != null) {
                fail(failure.get());
            }
            assertEquals(0, nativeResult[0], "the C peer saw entries popped twice");
            assertTrue(nativeResult[1] > 0 && javaPops.get() > 0, "both sides popped entries");
            assertEquals(entries, Ex.ExQueryDepthSList(head));
            boolean[] seen = new boolean[entries];
            for (MemorySegment e = Ex.InterlockedPopEntrySList(head); e.address() != 0; e = Ex.InterlockedPopEntrySList(head)) {
                int idx = (int) ((e.address() - mem.base() - 64) / 32);
                assertTrue(!seen[idx], "entry " + idx + " twice in the list");
                seen[idx] = true;
            }
            for (int i = 0; i < entries; i++) {
                assertTrue(seen[i], "entry " + i + " lost");
            }
            assertEquals(0, Ex.ExQueryDepthSList(head));
        }
    }
}
