package dev.offkern.ddi;

import dev.offkern.nt.IO_COMPLETION_ROUTINE;
import dev.offkern.nt.IO_CSQ_ACQUIRE_LOCK;
import dev.offkern.nt.IO_CSQ_COMPLETE_CANCELED_IRP;
import dev.offkern.nt.IO_CSQ_PEEK_NEXT_IRP;
import dev.offkern.nt.IO_CSQ_RELEASE_LOCK;
import dev.offkern.nt.IO_CSQ_REMOVE_IRP;
import dev.offkern.runtime.io.IoCsq;
import dev.offkern.runtime.io.IoStubs;
import java.lang.foreign.MemorySegment;

/** The facade's conversions of routine arguments into routine pointers (stubs of Java routines, or native addresses). */
final class IoRoutinesAccess {
    private IoRoutinesAccess() {
    }

    static long stub(IO_COMPLETION_ROUTINE r) {
        return IoStubs.of(Io.io(), r);
    }

    static IoCsq.Callbacks callbacks(Object insert, IO_CSQ_REMOVE_IRP remove, IO_CSQ_PEEK_NEXT_IRP peek, IO_CSQ_ACQUIRE_LOCK acquire,
                                     IO_CSQ_RELEASE_LOCK release, IO_CSQ_COMPLETE_CANCELED_IRP complete) {
        return IoStubs.callbacks(Io.io(), insert, remove, peek, acquire, release, complete);
    }

    static IoCsq.Callbacks callbacks(MemorySegment insert, MemorySegment remove, MemorySegment peek, MemorySegment acquire,
                                     MemorySegment release, MemorySegment complete) {
        return new IoCsq.Callbacks(a(insert), a(remove), a(peek), a(acquire), a(release), a(complete));
    }

    private static long a(MemorySegment s) {
        return s == null ? 0 : s.address();
    }
}
