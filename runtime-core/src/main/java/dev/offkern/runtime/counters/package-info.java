/**
 * Live counters: a kernel's pool tags, lookaside totals, DPC and timer counts and bug checks,
 * published as Agrona counters in a memory-mapped file that other processes watch, as Aeron's tools
 * watch a media driver ({@link dev.offkern.runtime.counters.CountersFile} is the format,
 * {@link dev.offkern.runtime.counters.CountersPublisher} the writer,
 * {@link dev.offkern.runtime.counters.CountersSnapshot} and
 * {@link dev.offkern.runtime.counters.CountersDirectory} the reader side). Sits above the managers
 * it reads ({@code ke}, {@code pool}, {@code ex}) and below {@code Kernel}, which starts and closes
 * the publisher; the command line reads files through a qualified export.
 */
package dev.offkern.runtime.counters;
