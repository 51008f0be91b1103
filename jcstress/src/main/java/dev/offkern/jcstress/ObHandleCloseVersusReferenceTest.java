package dev.offkern.jcstress;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;
import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE;
import static org.openjdk.jcstress.annotations.Expect.FORBIDDEN;

import dev.offkern.ddi.Ob;
import dev.offkern.ddi.Zw;
import dev.offkern.layout.ob.OBJECT_TYPE_INITIALIZER;
import dev.offkern.layout.rtl.UNICODE_STRING;
import dev.offkern.nt.NtStatus;
import dev.offkern.nt.ObjectTypeProcedures;
import dev.offkern.nt.PoolType;
import java.lang.foreign.MemorySegment;
import java.nio.charset.StandardCharsets;
import org.openjdk.jcstress.annotations.Actor;
import org.openjdk.jcstress.annotations.JCStressTest;
import org.openjdk.jcstress.annotations.Outcome;
import org.openjdk.jcstress.annotations.State;
import org.openjdk.jcstress.infra.results.III_Result;

/**
 * The handle table's lock-free lookup against a close of the same handle: {@code
 * ObReferenceObjectByHandle} either takes a reference on the live object (its body still intact while
 * held: the type's delete procedure clears the body's magic before the memory is freed) or reports
 * STATUS_INVALID_HANDLE; the close always succeeds; the object is deleted only after the last of the
 * handle's and the lookup's references is gone.
 */
@JCStressTest
@Outcome(id = "0, 1, 1", expect = ACCEPTABLE, desc = "referenced before the close took effect; the object was alive while held")
@Outcome(id = "0, 0, -1", expect = ACCEPTABLE, desc = "the close came first: STATUS_INVALID_HANDLE")
@Outcome(id = "0, 1, 0", expect = FORBIDDEN, desc = "a reference to a deleted object")
@Outcome(expect = FORBIDDEN, desc = "a failed close or an unexpected status")
@State
public class ObHandleCloseVersusReferenceTest {
    private static final long MAGIC = 0x0B1EC7L;
    private static final MemorySegment TYPE = createType();

    private final long handle;
    private final MemorySegment out = Litmus.allocate(8, 8);

    public ObHandleCloseVersusReferenceTest() {
        MemorySegment o = Litmus.allocate(8, 8);
        check(Ob.ObCreateObject(Ob.KernelMode, TYPE, MemorySegment.NULL, Ob.KernelMode, MemorySegment.NULL, 16, 0, 0, o));
        MemorySegment body = MemorySegment.ofAddress(o.get(JAVA_LONG, 0)).reinterpret(16);
        body.set(JAVA_LONG, 0, MAGIC);
        check(Ob.ObInsertObject(body, MemorySegment.NULL, 0x1F0003, 0, MemorySegment.NULL, o));
        handle = o.get(JAVA_LONG, 0);
    }

    private static void check(int status) {
        if (status != NtStatus.STATUS_SUCCESS) {
            throw new IllegalStateException("setup failed: 0x" + Integer.toHexString(status));
        }
    }

    private static MemorySegment createType() {
        MemorySegment b = Litmus.registered(256, 16);
        MemorySegment init = b.asSlice(0, OBJECT_TYPE_INITIALIZER.X64.size());
        init.set(JAVA_SHORT, OBJECT_TYPE_INITIALIZER.LENGTH_OFFSET, (short) OBJECT_TYPE_INITIALIZER.X64.size());
        init.set(JAVA_INT, OBJECT_TYPE_INITIALIZER.VALID_ACCESS_MASK_OFFSET, 0x1F0003);
        init.set(JAVA_INT, OBJECT_TYPE_INITIALIZER.POOL_TYPE_OFFSET, PoolType.NonPagedPoolNx);
        byte[] name = "LitmusObject".getBytes(StandardCharsets.UTF_16LE);
        MemorySegment us = b.asSlice(128, 16);
        us.set(JAVA_SHORT, UNICODE_STRING.LENGTH_OFFSET, (short) name.length);
        us.set(JAVA_SHORT, UNICODE_STRING.MAXIMUM_LENGTH_OFFSET, (short) name.length);
        us.set(JAVA_LONG, UNICODE_STRING.BUFFER_OFFSET, b.address() + 160);
        MemorySegment.copy(name, 0, b, JAVA_BYTE, 160, name.length);
        MemorySegment type = b.asSlice(240, 8);
        check(Ob.ObCreateObjectType(us, init, MemorySegment.NULL, type,
                new ObjectTypeProcedures(null, null, body -> body.set(JAVA_LONG, 0, 0L), null, null)));
        return MemorySegment.ofAddress(type.get(JAVA_LONG, 0));
    }

    @Actor
    public void closer(III_Result r) {
        r.r1 = Zw.ZwClose(handle);
    }

    @Actor
    public void reader(III_Result r) {
        int st = Ob.ObReferenceObjectByHandle(handle, 0, TYPE, Ob.KernelMode, out, MemorySegment.NULL);
        if (st == NtStatus.STATUS_SUCCESS) {
            MemorySegment body = MemorySegment.ofAddress(out.get(JAVA_LONG, 0)).reinterpret(16);
            r.r2 = 1;
            r.r3 = body.get(JAVA_LONG, 0) == MAGIC ? 1 : 0;
            Ob.ObDereferenceObject(body);
        } else {
            r.r2 = st == NtStatus.STATUS_INVALID_HANDLE ? 0 : -2;
            r.r3 = -1;
        }
    }
}
