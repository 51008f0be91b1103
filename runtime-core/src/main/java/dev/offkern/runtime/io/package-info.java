/**
 * The I/O manager: driver, device and file objects, IRPs and their stack locations, completion and
 * cancellation, cancel-safe queues (IO_CSQ). Sits above ob (its objects are Driver and Device
 * objects) and ke (spin locks, events, the routine table); nothing below it uses it.
 */
package dev.offkern.runtime.io;
