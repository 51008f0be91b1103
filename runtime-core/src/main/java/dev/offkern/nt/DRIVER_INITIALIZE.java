package dev.offkern.nt;

import java.lang.foreign.MemorySegment;

/**
 * {@code NTSTATUS DriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath)}: a driver's
 * entry point (IoCreateDriver calls it with the new driver object; RegistryPath is NULL for a driver
 * created with IoCreateDriver). Runs at PASSIVE_LEVEL. A failure status unloads the driver again:
 * the driver object is deleted without calling DriverUnload. {@code DriverObject} is a bounded
 * segment over the DRIVER_OBJECT.
 */
@FunctionalInterface
public interface DRIVER_INITIALIZE {
    int call(MemorySegment DriverObject, MemorySegment RegistryPath);
}
