package dev.offkern.ddi;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.offkern.layout.io.DEVICE_OBJECT;
import dev.offkern.layout.io.DRIVER_OBJECT;
import dev.offkern.layout.rtl.UNICODE_STRING;
import dev.offkern.nt.IoCodes;
import dev.offkern.nt.NtStatus;
import dev.offkern.nt.PoolFlags;
import dev.offkern.nt.PoolTags;
import dev.offkern.runtime.Kernel;
import dev.offkern.runtime.KernelConfig;
import dev.offkern.runtime.verifier.VerifierCheck;
import java.lang.foreign.MemorySegment;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;

/** A kernel for the I/O tests, the test's pool blocks, names, and drivers with devices. */
final class IoTestSupport implements AutoCloseable {
    static final int TAG = PoolTags.tag("IoTs");
    final Kernel kernel;
    private final List<MemorySegment> blocks = new ArrayList<>();
    private final List<MemorySegment> drivers = new ArrayList<>();

    IoTestSupport(Path dumps, boolean ioVerifier) {
        EnumSet<VerifierCheck> checks = EnumSet.allOf(VerifierCheck.class);
        if (!ioVerifier) {
            checks.remove(VerifierCheck.IO);
        }
        kernel = Kernel.boot(KernelConfig.defaults().withProcessorCount(2).withDumpDirectory(dumps).withVerifierChecks(checks))
                .attach().leakReportSink(s -> { });
    }

    MemorySegment block(long size) {
        MemorySegment b = Ex.ExAllocatePool2(PoolFlags.POOL_FLAG_NON_PAGED, size, TAG);
        blocks.add(b);
        return b;
    }

    MemorySegment unicode(String s) {
        byte[] chars = s.getBytes(StandardCharsets.UTF_16LE);
        MemorySegment b = block(16 + Math.max(2, chars.length));
        b.set(JAVA_SHORT, UNICODE_STRING.LENGTH_OFFSET, (short) chars.length);
        b.set(JAVA_SHORT, UNICODE_STRING.MAXIMUM_LENGTH_OFFSET, (short) chars.length);
        b.set(JAVA_LONG, UNICODE_STRING.BUFFER_OFFSET, b.address() + 16);
        MemorySegment.copy(chars, 0, b, JAVA_BYTE, 16, chars.length);
        return b;
    }

    /** Loads a driver whose entry runs {@code entry} and creates one unnamed device; returns the driver object. */
    MemorySegment driver(String name, java.util.function.Consumer<MemorySegment> entry) {
        MemorySegment[] out = new MemorySegment[1];
        int st = Io.IoCreateDriver(name, (driverObject, registryPath) -> {
            out[0] = driverObject;
            entry.accept(driverObject);
            return NtStatus.STATUS_SUCCESS;
        });
        assertEquals(NtStatus.STATUS_SUCCESS, st);
        drivers.add(out[0]);
        return out[0];
    }

    /** A new device of {@code driver} with an extension of {@code ext} bytes. */
    MemorySegment device(MemorySegment driver, int ext) {
        MemorySegment slot = block(8);
        assertEquals(NtStatus.STATUS_SUCCESS, Io.IoCreateDevice(driver, ext, MemorySegment.NULL, IoCodes.FILE_DEVICE_UNKNOWN, 0, false, slot));
        return kernel.addressSpace().resolve(slot.get(JAVA_LONG, 0), DEVICE_OBJECT.X64.size());
    }

    /** The driver was deleted by the test itself. */
    void forget(MemorySegment driver) {
        drivers.removeIf(d -> d.address() == driver.address());
    }

    /** Frees the blocks, deletes the drivers' devices and the drivers, closes the kernel, and requires no leak. */
    void closeWithoutLeaks() {
        cleanUp();
        kernel.close();
        assertTrue(kernel.leakReport().isEmpty(), () -> "leaked: " + kernel.leakReport());
    }

    private void cleanUp() {
        for (MemorySegment b : blocks) { // first: blocks a driver's entry allocated (device() in DriverEntry) are that driver's
            Ex.ExFreePool(b);
        }
        blocks.clear();
        for (MemorySegment d : drivers) {
            MemorySegment drv = kernel.addressSpace().resolve(d.address(), DRIVER_OBJECT.X64.size());
            for (long d2 = drv.get(JAVA_LONG, DRIVER_OBJECT.DEVICE_OBJECT_OFFSET); d2 != 0;
                 d2 = drv.get(JAVA_LONG, DRIVER_OBJECT.DEVICE_OBJECT_OFFSET)) {
                Io.IoDeleteDevice(MemorySegment.ofAddress(d2));
            }
            Io.IoDeleteDriver(d);
        }
        drivers.clear();
    }

    @Override
    public void close() {
        if (!kernel.isClosed()) {
            try {
                if (!kernel.isHalted()) {
                    cleanUp();
                }
            } finally {
                kernel.close();
                Kernel.detach();
            }
        }
    }
}
