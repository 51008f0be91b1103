package dev.offkern.runtime.io;

import dev.offkern.nt.IO_COMPLETION_ROUTINE;
import dev.offkern.nt.IO_CSQ_ACQUIRE_LOCK;
import dev.offkern.nt.IO_CSQ_COMPLETE_CANCELED_IRP;
import dev.offkern.nt.IO_CSQ_INSERT_IRP;
import dev.offkern.nt.IO_CSQ_INSERT_IRP_EX;
import dev.offkern.nt.IO_CSQ_PEEK_NEXT_IRP;
import dev.offkern.nt.IO_CSQ_RELEASE_LOCK;
import dev.offkern.nt.IO_CSQ_REMOVE_IRP;

/** Routine pointers of Java routines for the facade (their kernel-lifetime upcall stubs; 0 for null). */
public final class IoStubs {
    private IoStubs() {
    }

    /** The stub of a Java completion routine. */
    public static long of(IoManager io, IO_COMPLETION_ROUTINE r) {
        return r == null ? 0 : IoRoutines.stub(io, r);
    }

    /** The six CSQ callbacks' stubs; {@code insert} is an IO_CSQ_INSERT_IRP or an IO_CSQ_INSERT_IRP_EX. */
    public static IoCsq.Callbacks callbacks(IoManager io, Object insert, IO_CSQ_REMOVE_IRP remove, IO_CSQ_PEEK_NEXT_IRP peek,
                                            IO_CSQ_ACQUIRE_LOCK acquire, IO_CSQ_RELEASE_LOCK release, IO_CSQ_COMPLETE_CANCELED_IRP complete) {
        long ins = switch (insert) {
            case null -> 0;
            case IO_CSQ_INSERT_IRP i -> IoRoutines.stub(io, i);
            case IO_CSQ_INSERT_IRP_EX i -> IoRoutines.stub(io, i);
            default -> throw new IllegalArgumentException("CsqInsertIrp is a " + insert.getClass() + ", not an insert routine");
        };
        return new IoCsq.Callbacks(ins, remove == null ? 0 : IoRoutines.stub(io, remove), peek == null ? 0 : IoRoutines.stub(io, peek),
                acquire == null ? 0 : IoRoutines.stub(io, acquire), release == null ? 0 : IoRoutines.stub(io, release),
                complete == null ? 0 : IoRoutines.stub(io, complete));
    }
}
