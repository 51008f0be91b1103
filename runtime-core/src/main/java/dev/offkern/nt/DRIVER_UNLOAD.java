package dev.offkern.nt;

import java.lang.foreign.MemorySegment;

/**
 * {@code VOID DriverUnload(PDRIVER_OBJECT DriverObject)}: frees what the driver allocated and deletes its
 * devices before the driver object goes (IoDeleteDriver). Runs at PASSIVE_LEVEL.
 */
@FunctionalInterface
public interface DRIVER_UNLOAD {
    void call(MemorySegment DriverObject);
}
