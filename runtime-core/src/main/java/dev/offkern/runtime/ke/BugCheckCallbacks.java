package dev.offkern.runtime.ke;

import dev.offkern.runtime.mm.LiveMemory;
import dev.offkern.nt.KBUGCHECK_CALLBACK_REASON;
import dev.offkern.nt.KBUGCHECK_CALLBACK_ROUTINE;
import dev.offkern.nt.KBUGCHECK_REASON_CALLBACK_ROUTINE;
import static dev.offkern.nt.KBUGCHECK_BUFFER_DUMP_STATE.BufferEmpty;
import static dev.offkern.nt.KBUGCHECK_BUFFER_DUMP_STATE.BufferFinished;
import static dev.offkern.nt.KBUGCHECK_BUFFER_DUMP_STATE.BufferIncomplete;
import static dev.offkern.nt.KBUGCHECK_BUFFER_DUMP_STATE.BufferInserted;
import static dev.offkern.nt.KBUGCHECK_BUFFER_DUMP_STATE.BufferStarted;
import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import dev.offkern.layout.ke.KBUGCHECK_ADD_PAGES;
import dev.offkern.layout.ke.KBUGCHECK_CALLBACK_RECORD;
import dev.offkern.layout.ke.KBUGCHECK_DUMP_IO;
import dev.offkern.layout.ke.KBUGCHECK_REASON_CALLBACK_RECORD;
import dev.offkern.layout.ke.KBUGCHECK_SECONDARY_DUMP_DATA;
import dev.offkern.layout.rtl.LIST_ENTRY;
import dev.offkern.runtime.mm.Region;
import dev.offkern.nt.BugCheck;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The bug-check callback lists ({@code KeRegisterBugCheckCallback},
 * {@code KeRegisterBugCheckReasonCallback} and their deregistration) on the byte-exact x64
 * KBUGCHECK_CALLBACK_RECORD and KBUGCHECK_REASON_CALLBACK_RECORD, and the dispatch of those
 * callbacks during a bug check.
 *
 * <p>Records are the caller's memory; the list heads are kernel memory (registered in the
 * address space). Each list is a real circular doubly linked LIST_ENTRY list through the records'
 * {@code Entry} fields ({@link ListEntries}, the dispatcher's list code), walked from the head during
 * a bug check with every back link validated (a corrupt list stops the walk and is noted in the
 * dump, never followed blindly); registration and deregistration check the links they change
 * first and fail with IllegalStateException, the list unchanged, if a caller scribbled on them.
 *
 * <p>State and Checksum are maintained as Windows does (ReactOS for the undocumented parts):
 * KeRegisterBugCheckCallback requires State == BufferEmpty (KeInitializeCallbackRecord), stores
 * the fields, sets {@code Checksum = CallbackRoutine + Buffer + Length + Component}, State :=
 * BufferInserted, and links the record at the tail. KeRegisterBugCheckReasonCallback initialises
 * the whole reason record itself (fields, {@code Checksum = CallbackRoutine + Reason + Component},
 * State := BufferInserted) and refuses only a record already registered; Java's
 * KeInitializeCallbackRecord takes the simple record only (the C macro writes whichever State its
 * argument's type has, which Java cannot see). Deregistration requires BufferInserted, unlinks and
 * sets BufferEmpty. The
 * dispatcher calls a record only if State == BufferInserted and the checksum matches, sets
 * BufferStarted before and BufferFinished after the call (BufferIncomplete if it threw).
 *
 * <p>CallbackRoutine holds the address of an upcall stub of the Java routine ({@link RoutineStubs}).
 *
 * <p>Reasons run by offkern: KbCallbackSecondaryDumpData, KbCallbackDumpIo, KbCallbackAddPages
 * (virtual addresses only: a user-mode runtime has no physical pages; a physical range is noted
 * without data) and KbCallbackRemovePages. KbCallbackSecondaryMultiPartDumpData,
 * KbCallbackTriageDumpData and the reserved reasons register (TRUE) but are never called; the dump
 * lists them as not run.
 *
 * <p>Registration and deregistration are blocking (a monitor): IRQL any, as documented, since no
 * offkern code holding this monitor waits for another thread.
 */
public final class BugCheckCallbacks {
    /** KBUGCHECK_ADD_PAGES.Flags: Address is a virtual address. */
    public static final int KB_ADD_PAGES_FLAG_VIRTUAL_ADDRESS = 0x1;
    /** KBUGCHECK_ADD_PAGES.Flags: Address is a physical address. */
    public static final int KB_ADD_PAGES_FLAG_PHYSICAL_ADDRESS = 0x2;
    /** KBUGCHECK_ADD_PAGES.Flags: call the callback again for more ranges. */
    public static final int KB_ADD_PAGES_FLAG_ADDITIONAL_RANGES_EXIST = 0x80000000;
    /** KBUGCHECK_REMOVE_PAGES flags share the ADD_PAGES values. */
    public static final int KB_REMOVE_PAGES_FLAG_VIRTUAL_ADDRESS = 0x1;
    public static final int KB_REMOVE_PAGES_FLAG_PHYSICAL_ADDRESS = 0x2;
    public static final int KB_REMOVE_PAGES_FLAG_ADDITIONAL_RANGES_EXIST = 0x80000000;

    /** Bytes of the system's InBuffer offered to secondary-dump callbacks (one page). */
    public static final int SECONDARY_IN_BUFFER_LENGTH = 4096;
    /** MaximumAllowed offered to secondary-dump callbacks. */
    public static final int SECONDARY_MAXIMUM_ALLOWED = 1 << 20;
    /** Page size for KbCallbackAddPages. */
    public static final int PAGE_SIZE = 4096;
    /** Pages of one added range copied into the dump at most. */
    public static final long MAX_PAGES_PER_RANGE = 256;
    /** Calls of one AddPages/RemovePages callback at most (ADDITIONAL_RANGES_EXIST loop bound). */
    public static final int MAX_RANGE_CALLS = 1024;

    private static final FunctionDescriptor SIMPLE_DESCRIPTOR = FunctionDescriptor.ofVoid(ADDRESS, JAVA_INT);
    private static final FunctionDescriptor REASON_DESCRIPTOR = FunctionDescriptor.ofVoid(JAVA_INT, ADDRESS, ADDRESS, JAVA_INT);
    private static final MethodHandle SIMPLE_UPCALL;
    private static final MethodHandle REASON_UPCALL;

    static {
        try {
            MethodHandles.Lookup l = MethodHandles.lookup();
            SIMPLE_UPCALL = l.findStatic(BugCheckCallbacks.class, "simpleUpcall", MethodType.methodType(void.class,
                    KBUGCHECK_CALLBACK_ROUTINE.class, KernelCore.class, MemorySegment.class, int.class));
            REASON_UPCALL = l.findStatic(BugCheckCallbacks.class, "reasonUpcall", MethodType.methodType(void.class,
                    KBUGCHECK_REASON_CALLBACK_ROUTINE.class, KernelCore.class, int.class, MemorySegment.class,
                    MemorySegment.class, int.class));
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    /** One registered record and the Java objects behind its fields. */
    static final class Registration {
        final MemorySegment record;
        /** The record as a region: how the list's links to it resolve. */
        final Region region;
        final boolean isReason;
        final Object routine;
        final MemorySegment buffer;
        final MemorySegment component;
        final int reason;

        Registration(MemorySegment record, boolean isReason, Object routine, MemorySegment buffer,
                     MemorySegment component, int reason) {
            this.record = record;
            this.region = new Region(record.address(), record.byteSize(), record, "bug-check callback record");
            this.isReason = isReason;
            this.routine = routine;
            this.buffer = buffer;
            this.component = component;
            this.reason = reason;
        }

        /** The record's Entry (LIST_ENTRY at offset 0 of both record kinds). */
        long entry() {
            return record.address() + (isReason ? KBUGCHECK_REASON_CALLBACK_RECORD.ENTRY_OFFSET : KBUGCHECK_CALLBACK_RECORD.ENTRY_OFFSET);
        }

        String componentName() {
            return readAnsi(component);
        }
    }

    /**
     * A circular LIST_ENTRY list ({@link ListEntries}) whose head is kernel memory and whose entries
     * are the registered records: an address resolves only to the head or to a record on the list,
     * so a scribbled link is reported (IllegalStateException, the list unchanged), never followed.
     */
    private static final class RecordList implements ListEntries.Memory {
        final String name;
        final MemorySegment head;
        final Region headRegion;
        final Map<Long, Registration> linked = new HashMap<>();

        RecordList(MemorySegment head, String name) {
            this.name = name;
            this.head = head;
            this.headRegion = new Region(head.address(), head.byteSize(), head, name);
            ListEntries.initializeHead(head, 0);
        }

        @Override
        public Region find(long address, long size) {
            if (headRegion.contains(address, size)) {
                return headRegion;
            }
            Registration r = linked.get(address);
            return r != null && r.region.contains(address, size) ? r.region : null;
        }

        @Override
        public RuntimeException unmapped(long address, long size) {
            return new IllegalStateException(name + " list corrupt: 0x" + Long.toHexString(address) + " is not a registered record");
        }

        @Override
        public RuntimeException corrupt(long entry, String detail) {
            return new IllegalStateException(name + " list corrupt: " + detail);
        }

        /** Links {@code r} last; the list is checked first and left unchanged on failure. */
        void insertTail(Registration r) {
            linked.put(r.entry(), r); // so that the new entry resolves
            try {
                ListEntries.insertTail(this, head.address(), r.entry());
            } catch (RuntimeException e) {
                linked.remove(r.entry());
                throw e;
            }
        }

        /** Unlinks {@code r}; its neighbours are checked first. */
        void remove(Registration r) {
            ListEntries.remove(this, r.entry());
            linked.remove(r.entry());
        }

        /** The records in list order; stops at a broken link (noted in {@code notes}). */
        List<Registration> walk(List<String> notes) {
            List<Registration> out = new ArrayList<>();
            long headAddr = head.address();
            long prev = headAddr;
            long cur = ListEntries.flink(head, 0);
            int guard = 0;
            while (cur != headAddr) {
                Registration r = linked.get(cur);
                if (r == null || guard++ > linked.size()) {
                    notes.add(name + " list corrupt: Flink 0x" + Long.toHexString(cur) + " after 0x" + Long.toHexString(prev)
                            + " is not a registered record; walk stopped");
                    break;
                }
                long blink = ListEntries.blink(r.record, 0);
                if (blink != prev) {
                    notes.add(name + " list corrupt: record 0x" + Long.toHexString(cur) + " Blink 0x"
                            + Long.toHexString(blink) + " != 0x" + Long.toHexString(prev) + "; walk stopped");
                    break;
                }
                out.add(r);
                prev = cur;
                cur = ListEntries.flink(r.record, 0);
            }
            return out;
        }
    }

    private final KernelCore kernel;
    private final Arena arena = Arena.ofShared();
    private final Region headsRegion;
    private final RecordList simple;
    private final RecordList reasons;
    private final RoutineStubs stubs = new RoutineStubs();

    BugCheckCallbacks(KernelCore kernel) {
        this.kernel = kernel;
        long headBytes = LIST_ENTRY.LAYOUT.byteSize();
        MemorySegment heads = arena.allocate(LIST_ENTRY.LAYOUT, 2);
        this.headsRegion = kernel.addressSpace().register(heads, "bug-check callback list heads");
        this.simple = new RecordList(heads.asSlice(0, headBytes), "KeBugCheckCallbackListHead");
        this.reasons = new RecordList(heads.asSlice(headBytes, headBytes), "KeBugCheckReasonCallbackListHead");
    }

    synchronized void close() {
        try {
            kernel.addressSpace().unregister(headsRegion);
        } catch (IllegalArgumentException ignored) {
            // already gone
        }
        stubs.close();
        arena.close();
    }

    // ===== KeInitializeCallbackRecord =====

    /**
     * {@code KeInitializeCallbackRecord} on a KBUGCHECK_CALLBACK_RECORD: State := BufferEmpty (at
     * KBUGCHECK_CALLBACK_RECORD.State). In C the macro writes the State of whichever record type it
     * is given; Java cannot see the C type, so this routine takes the simple record only and a
     * segment too small for one is an error — a reason record needs no initialisation here:
     * {@link #registerReason} initialises every field of it, State included.
     *
     * @throws IllegalArgumentException for NULL, non-native, misaligned or too small segments
     */
    public static void initializeCallbackRecord(MemorySegment callbackRecord) {
        if (callbackRecord != null && callbackRecord.address() != 0
                && callbackRecord.byteSize() < KBUGCHECK_CALLBACK_RECORD.LAYOUT.byteSize()) {
            throw new IllegalArgumentException("KeInitializeCallbackRecord: CallbackRecord segment is "
                    + callbackRecord.byteSize() + " bytes; a KBUGCHECK_CALLBACK_RECORD needs 0x"
                    + Long.toHexString(KBUGCHECK_CALLBACK_RECORD.LAYOUT.byteSize()) + " (a KBUGCHECK_REASON_CALLBACK_RECORD"
                    + " is not initialised by KeInitializeCallbackRecord here: KeRegisterBugCheckReasonCallback initialises it)");
        }
        requireRecord(callbackRecord, KBUGCHECK_CALLBACK_RECORD.LAYOUT.byteSize(), "KeInitializeCallbackRecord");
        callbackRecord.set(JAVA_BYTE, KBUGCHECK_CALLBACK_RECORD.STATE_OFFSET, (byte) BufferEmpty);
    }

    // ===== simple callbacks =====

    /** {@code KeRegisterBugCheckCallback}. */
    public synchronized boolean register(MemorySegment record, KBUGCHECK_CALLBACK_ROUTINE routine,
                                         MemorySegment buffer, int length, MemorySegment component) {
        requireRecord(record, KBUGCHECK_CALLBACK_RECORD.LAYOUT.byteSize(), "KeRegisterBugCheckCallback");
        if (routine == null) {
            throw new NullPointerException("KeRegisterBugCheckCallback: CallbackRoutine is NULL");
        }
        buffer = buffer == null ? MemorySegment.NULL : buffer;
        component = component == null ? MemorySegment.NULL : component;
        if (buffer.address() != 0 && buffer.byteSize() < Integer.toUnsignedLong(length)) {
            throw new IllegalArgumentException("KeRegisterBugCheckCallback: Length " + Integer.toUnsignedLong(length)
                    + " exceeds the Buffer segment (" + buffer.byteSize() + " bytes)");
        }
        if (buffer.address() == 0 && length != 0) {
            throw new IllegalArgumentException("KeRegisterBugCheckCallback: Length " + length + " with a NULL Buffer");
        }
        if ((record.get(JAVA_BYTE, KBUGCHECK_CALLBACK_RECORD.STATE_OFFSET) & 0xFF) != BufferEmpty || isLinked(record)) {
            return false;
        }
        Registration reg = new Registration(record, false, routine, buffer.address() == 0 ? MemorySegment.NULL
                : buffer.asSlice(0, Integer.toUnsignedLong(length)), component, 0);
        simple.insertTail(reg); // links checked first: a corrupt list fails here with nothing written
        long stub = stubs.stubFor(routine, SIMPLE_UPCALL.bindTo(routine).bindTo(kernel), SIMPLE_DESCRIPTOR);
        record.set(JAVA_LONG, KBUGCHECK_CALLBACK_RECORD.CALLBACK_ROUTINE_OFFSET, stub);
        record.set(JAVA_LONG, KBUGCHECK_CALLBACK_RECORD.BUFFER_OFFSET, buffer.address());
        record.set(JAVA_INT, KBUGCHECK_CALLBACK_RECORD.LENGTH_OFFSET, length);
        record.set(JAVA_LONG, KBUGCHECK_CALLBACK_RECORD.COMPONENT_OFFSET, component.address());
        record.set(JAVA_LONG, KBUGCHECK_CALLBACK_RECORD.CHECKSUM_OFFSET, simpleChecksum(record));
        record.set(JAVA_BYTE, KBUGCHECK_CALLBACK_RECORD.STATE_OFFSET, (byte) BufferInserted);
        return true;
    }

    /** {@code KeDeregisterBugCheckCallback}. */
    public synchronized boolean deregister(MemorySegment record) {
        requireRecord(record, KBUGCHECK_CALLBACK_RECORD.LAYOUT.byteSize(), "KeDeregisterBugCheckCallback");
        Registration r = simple.linked.get(record.address());
        if (r == null || (record.get(JAVA_BYTE, KBUGCHECK_CALLBACK_RECORD.STATE_OFFSET) & 0xFF) != BufferInserted) {
            return false;
        }
        simple.remove(r);
        record.set(JAVA_BYTE, KBUGCHECK_CALLBACK_RECORD.STATE_OFFSET, (byte) BufferEmpty);
        return true;
    }

    // ===== reason callbacks =====

    /**
     * {@code KeRegisterBugCheckReasonCallback}: initialises the reason record (every field, State
     * included: no KeInitializeCallbackRecord needed) and links it. FALSE if the record is already
     * registered (on either callback list).
     */
    public synchronized boolean registerReason(MemorySegment record, KBUGCHECK_REASON_CALLBACK_ROUTINE routine,
                                               int reason, MemorySegment component) {
        requireRecord(record, KBUGCHECK_REASON_CALLBACK_RECORD.LAYOUT.byteSize(), "KeRegisterBugCheckReasonCallback");
        if (routine == null) {
            throw new NullPointerException("KeRegisterBugCheckReasonCallback: CallbackRoutine is NULL");
        }
        if (reason < KBUGCHECK_CALLBACK_REASON.KbCallbackInvalid || reason > KBUGCHECK_CALLBACK_REASON.KbCallbackReserved2) {
            throw new IllegalArgumentException("KeRegisterBugCheckReasonCallback: Reason " + reason
                    + " is not a KBUGCHECK_CALLBACK_REASON (0..8)");
        }
        component = component == null ? MemorySegment.NULL : component;
        if (isLinked(record)) {
            return false; // already registered (Windows: State is not BufferEmpty)
        }
        Registration reg = new Registration(record, true, routine, MemorySegment.NULL, component, reason);
        reasons.insertTail(reg); // links checked first: a corrupt list fails here with nothing written
        long stub = stubs.stubFor(routine, REASON_UPCALL.bindTo(routine).bindTo(kernel), REASON_DESCRIPTOR);
        record.set(JAVA_LONG, KBUGCHECK_REASON_CALLBACK_RECORD.CALLBACK_ROUTINE_OFFSET, stub);
        record.set(JAVA_LONG, KBUGCHECK_REASON_CALLBACK_RECORD.COMPONENT_OFFSET, component.address());
        record.set(JAVA_INT, KBUGCHECK_REASON_CALLBACK_RECORD.REASON_OFFSET, reason);
        record.set(JAVA_LONG, KBUGCHECK_REASON_CALLBACK_RECORD.CHECKSUM_OFFSET, reasonChecksum(record));
        record.set(JAVA_BYTE, KBUGCHECK_REASON_CALLBACK_RECORD.STATE_OFFSET, (byte) BufferInserted);
        return true;
    }

    /** {@code KeDeregisterBugCheckReasonCallback}. */
    public synchronized boolean deregisterReason(MemorySegment record) {
        requireRecord(record, KBUGCHECK_REASON_CALLBACK_RECORD.LAYOUT.byteSize(), "KeDeregisterBugCheckReasonCallback");
        Registration r = reasons.linked.get(record.address());
        if (r == null || (record.get(JAVA_BYTE, KBUGCHECK_REASON_CALLBACK_RECORD.STATE_OFFSET) & 0xFF) != BufferInserted) {
            return false;
        }
        reasons.remove(r);
        record.set(JAVA_BYTE, KBUGCHECK_REASON_CALLBACK_RECORD.STATE_OFFSET, (byte) BufferEmpty);
        return true;
    }

    /** Whether the record at {@code record}'s address is on either list now. */
    private boolean isLinked(MemorySegment record) {
        return simple.linked.containsKey(record.address()) || reasons.linked.containsKey(record.address());
    }

    /** The Java routine behind a CallbackRoutine field value, or null. */
    public Object routineAt(long stubAddress) {
        return stubs.routineAt(stubAddress);
    }

    /** Number of records registered now (simple, reason). */
    public synchronized int[] counts() {
        return new int[] {simple.linked.size(), reasons.linked.size()};
    }

    // ===== checksums =====

    /** {@code CallbackRoutine + Buffer + Length + Component} over the record's current fields. */
    public static long simpleChecksum(MemorySegment record) {
        return record.get(JAVA_LONG, KBUGCHECK_CALLBACK_RECORD.CALLBACK_ROUTINE_OFFSET) + record.get(JAVA_LONG, KBUGCHECK_CALLBACK_RECORD.BUFFER_OFFSET)
                + Integer.toUnsignedLong(record.get(JAVA_INT, KBUGCHECK_CALLBACK_RECORD.LENGTH_OFFSET)) + record.get(JAVA_LONG, KBUGCHECK_CALLBACK_RECORD.COMPONENT_OFFSET);
    }

    /** {@code CallbackRoutine + Reason + Component} over the record's current fields. */
    public static long reasonChecksum(MemorySegment record) {
        return record.get(JAVA_LONG, KBUGCHECK_REASON_CALLBACK_RECORD.CALLBACK_ROUTINE_OFFSET) + Integer.toUnsignedLong(record.get(JAVA_INT, KBUGCHECK_REASON_CALLBACK_RECORD.REASON_OFFSET))
                + record.get(JAVA_LONG, KBUGCHECK_REASON_CALLBACK_RECORD.COMPONENT_OFFSET);
    }

    // ===== dispatch (bug-checking thread only) =====

    private synchronized List<Registration> walkSimple(BugCheckReport report) {
        List<String> notes = new ArrayList<>();
        List<Registration> l = simple.walk(notes);
        notes.forEach(report::addNote);
        return l;
    }

    synchronized List<Registration> walkReasons(BugCheckReport report) {
        List<String> notes = new ArrayList<>();
        List<Registration> l = reasons.walk(notes);
        notes.forEach(report::addNote);
        return l;
    }

    private static boolean callable(Registration r) {
        if (r.isReason) {
            return (r.record.get(JAVA_BYTE, KBUGCHECK_REASON_CALLBACK_RECORD.STATE_OFFSET) & 0xFF) == BufferInserted
                    && r.record.get(JAVA_LONG, KBUGCHECK_REASON_CALLBACK_RECORD.CHECKSUM_OFFSET) == reasonChecksum(r.record);
        }
        return (r.record.get(JAVA_BYTE, KBUGCHECK_CALLBACK_RECORD.STATE_OFFSET) & 0xFF) == BufferInserted
                && r.record.get(JAVA_LONG, KBUGCHECK_CALLBACK_RECORD.CHECKSUM_OFFSET) == simpleChecksum(r.record);
    }

    private static void setState(Registration r, int state) {
        r.record.set(JAVA_BYTE, r.isReason ? KBUGCHECK_REASON_CALLBACK_RECORD.STATE_OFFSET : KBUGCHECK_CALLBACK_RECORD.STATE_OFFSET, (byte) state);
    }

    private static int state(Registration r) {
        return r.record.get(JAVA_BYTE, r.isReason ? KBUGCHECK_REASON_CALLBACK_RECORD.STATE_OFFSET : KBUGCHECK_CALLBACK_RECORD.STATE_OFFSET) & 0xFF;
    }

    /** Runs every simple callback once, in list order; one that throws does not stop the others. */
    void runSimpleCallbacks(BugCheckReport report) {
        for (Registration r : walkSimple(report)) {
            String component = r.componentName();
            if (!callable(r)) {
                report.addCallback(new BugCheckReport.CallbackOutcome(r.record.address(), component, state(r),
                        copy(r.buffer), "skipped: State or Checksum invalid"));
                continue;
            }
            report.setPhase("callback " + component);
            setState(r, BufferStarted);
            String failure = null;
            try {
                ((KBUGCHECK_CALLBACK_ROUTINE) r.routine).invoke(r.buffer, r.record.get(JAVA_INT, KBUGCHECK_CALLBACK_RECORD.LENGTH_OFFSET));
                setState(r, BufferFinished);
            } catch (Throwable t) {
                setState(r, BufferIncomplete);
                failure = describe(t);
            }
            report.addCallback(new BugCheckReport.CallbackOutcome(r.record.address(), component, state(r), copy(r.buffer), failure));
        }
        report.setPhase("after callbacks");
    }

    /** Runs the SecondaryDumpData, AddPages and RemovePages reason callbacks; notes the reasons offkern does not run. */
    void collectReasonData(BugCheckReport report) {
        List<Registration> all = walkReasons(report);
        try (Arena scratch = Arena.ofConfined()) {
            MemorySegment inBuffer = scratch.allocate(SECONDARY_IN_BUFFER_LENGTH, 16);
            long dataBytes = Math.max(KBUGCHECK_SECONDARY_DUMP_DATA.LAYOUT.byteSize(), KBUGCHECK_ADD_PAGES.LAYOUT.byteSize());
            MemorySegment data = scratch.allocate(dataBytes, 16);
            Region inRegion = kernel.addressSpace().register(inBuffer, "secondary dump InBuffer");
            Region dataRegion = kernel.addressSpace().register(data, "bug-check reason data");
            try {
                for (Registration r : all) {
                    switch (r.reason) {
                        case KBUGCHECK_CALLBACK_REASON.KbCallbackSecondaryDumpData -> secondary(r, report, inBuffer, data.asSlice(0, (int) KBUGCHECK_SECONDARY_DUMP_DATA.LAYOUT.byteSize()));
                        case KBUGCHECK_CALLBACK_REASON.KbCallbackAddPages -> pages(r, report, data.asSlice(0, (int) KBUGCHECK_ADD_PAGES.LAYOUT.byteSize()), true);
                        case KBUGCHECK_CALLBACK_REASON.KbCallbackRemovePages -> pages(r, report, data.asSlice(0, (int) KBUGCHECK_ADD_PAGES.LAYOUT.byteSize()), false);
                        case KBUGCHECK_CALLBACK_REASON.KbCallbackDumpIo -> { } // called during the write
                        default -> report.addReasonCallback(new BugCheckReport.ReasonOutcome(r.record.address(),
                                r.componentName(), r.reason, state(r), "not run: offkern does not implement "
                                + KBUGCHECK_CALLBACK_REASON.name(r.reason)));
                    }
                }
            } finally {
                kernel.addressSpace().unregister(inRegion);
                kernel.addressSpace().unregister(dataRegion);
            }
        }
    }

    private boolean invokeReason(Registration r, int reason, MemorySegment data, int length, BugCheckReport report, String[] failure) {
        try {
            ((KBUGCHECK_REASON_CALLBACK_ROUTINE) r.routine).invoke(reason, r.record, data, length);
            return true;
        } catch (Throwable t) {
            failure[0] = describe(t);
            return false;
        }
    }

    private void secondary(Registration r, BugCheckReport report, MemorySegment inBuffer, MemorySegment sd) {
        String component = r.componentName();
        if (!callable(r)) {
            report.addReasonCallback(new BugCheckReport.ReasonOutcome(r.record.address(), component, r.reason, state(r),
                    "skipped: State or Checksum invalid"));
            return;
        }
        report.setPhase("secondary dump data " + component);
        setState(r, BufferStarted);
        String[] failure = new String[1];
        inBuffer.fill((byte) 0);
        sd.fill((byte) 0);
        sd.set(JAVA_LONG, KBUGCHECK_SECONDARY_DUMP_DATA.IN_BUFFER_OFFSET, inBuffer.address());
        sd.set(JAVA_INT, KBUGCHECK_SECONDARY_DUMP_DATA.IN_BUFFER_LENGTH_OFFSET, SECONDARY_IN_BUFFER_LENGTH);
        sd.set(JAVA_INT, KBUGCHECK_SECONDARY_DUMP_DATA.MAXIMUM_ALLOWED_OFFSET, SECONDARY_MAXIMUM_ALLOWED);
        // Phase 1: OutBuffer == NULL: the callback says where and how much (and its Guid).
        boolean ok = invokeReason(r, r.reason, sd, (int) KBUGCHECK_SECONDARY_DUMP_DATA.LAYOUT.byteSize(), report, failure);
        long out = sd.get(JAVA_LONG, KBUGCHECK_SECONDARY_DUMP_DATA.OUT_BUFFER_OFFSET);
        long outLen = Integer.toUnsignedLong(sd.get(JAVA_INT, KBUGCHECK_SECONDARY_DUMP_DATA.OUT_BUFFER_LENGTH_OFFSET));
        if (ok && out != 0 && outLen != 0) {
            // Phase 2: OutBuffer as the callback set it (== InBuffer when it chose the system's buffer): write the data.
            ok = invokeReason(r, r.reason, sd, (int) KBUGCHECK_SECONDARY_DUMP_DATA.LAYOUT.byteSize(), report, failure);
            out = sd.get(JAVA_LONG, KBUGCHECK_SECONDARY_DUMP_DATA.OUT_BUFFER_OFFSET);
            outLen = Integer.toUnsignedLong(sd.get(JAVA_INT, KBUGCHECK_SECONDARY_DUMP_DATA.OUT_BUFFER_LENGTH_OFFSET));
        }
        byte[] guid = sd.asSlice(KBUGCHECK_SECONDARY_DUMP_DATA.GUID_OFFSET, KBUGCHECK_SECONDARY_DUMP_DATA.X64.field("Guid").size()).toArray(JAVA_BYTE);
        String note = null;
        byte[] bytes = new byte[0];
        if (ok && out != 0 && outLen != 0) {
            if (outLen > SECONDARY_MAXIMUM_ALLOWED) {
                note = "OutBufferLength " + outLen + " exceeds MaximumAllowed " + SECONDARY_MAXIMUM_ALLOWED + "; truncated";
                outLen = SECONDARY_MAXIMUM_ALLOWED;
            }
            try {
                bytes = kernel.addressSpace().resolve(out, outLen).toArray(JAVA_BYTE);
            } catch (BugCheck unreadable) {
                note = "OutBuffer 0x" + Long.toHexString(out) + " (+" + outLen + ") is not resident kernel memory; no data";
            }
        }
        setState(r, ok ? BufferFinished : BufferIncomplete);
        report.addReasonCallback(new BugCheckReport.ReasonOutcome(r.record.address(), component, r.reason, state(r), failure[0]));
        if (ok) {
            report.addSecondary(new BugCheckReport.SecondaryBlock(component, guid, bytes, note));
        }
    }

    private void pages(Registration r, BugCheckReport report, MemorySegment ap, boolean add) {
        String component = r.componentName();
        if (!callable(r)) {
            report.addReasonCallback(new BugCheckReport.ReasonOutcome(r.record.address(), component, r.reason, state(r),
                    "skipped: State or Checksum invalid"));
            return;
        }
        report.setPhase((add ? "add pages " : "remove pages ") + component);
        setState(r, BufferStarted);
        String[] failure = new String[1];
        ap.fill((byte) 0); // Context = NULL before the first call; preserved between calls
        boolean ok = true;
        for (int call = 0; call < MAX_RANGE_CALLS; call++) {
            ap.set(JAVA_INT, KBUGCHECK_ADD_PAGES.FLAGS_OFFSET, 0);
            ap.set(JAVA_INT, KBUGCHECK_ADD_PAGES.BUG_CHECK_CODE_OFFSET, report.bugCheck().code());
            ap.set(JAVA_LONG, KBUGCHECK_ADD_PAGES.ADDRESS_OFFSET, 0);
            ap.set(JAVA_LONG, KBUGCHECK_ADD_PAGES.COUNT_OFFSET, 0);
            if (!invokeReason(r, r.reason, ap, (int) KBUGCHECK_ADD_PAGES.LAYOUT.byteSize(), report, failure)) {
                ok = false;
                break;
            }
            int flags = ap.get(JAVA_INT, KBUGCHECK_ADD_PAGES.FLAGS_OFFSET);
            long address = ap.get(JAVA_LONG, KBUGCHECK_ADD_PAGES.ADDRESS_OFFSET);
            long count = ap.get(JAVA_LONG, KBUGCHECK_ADD_PAGES.COUNT_OFFSET);
            if (count != 0) {
                recordRange(report, component, flags, address, count, add);
            }
            if ((flags & KB_ADD_PAGES_FLAG_ADDITIONAL_RANGES_EXIST) == 0) {
                break;
            }
            if (call == MAX_RANGE_CALLS - 1) {
                report.addNote(component + ": still asked for more ranges after " + MAX_RANGE_CALLS + " calls; stopped");
            }
        }
        setState(r, ok ? BufferFinished : BufferIncomplete);
        report.addReasonCallback(new BugCheckReport.ReasonOutcome(r.record.address(), component, r.reason, state(r), failure[0]));
    }

    private void recordRange(BugCheckReport report, String component, int flags, long address, long count, boolean add) {
        if (!add) {
            report.removePages(new BugCheckReport.PageRange(component, address, count, flags, new byte[0], null));
            return;
        }
        if ((flags & KB_ADD_PAGES_FLAG_VIRTUAL_ADDRESS) == 0) {
            report.addPages(new BugCheckReport.PageRange(component, address, count, flags, new byte[0],
                    "physical addresses are not readable by a user-mode runtime; no data"));
            return;
        }
        long pages = Math.min(count, MAX_PAGES_PER_RANGE);
        String note = count > pages ? "range truncated to " + pages + " pages" : null;
        byte[] bytes;
        try {
            bytes = kernel.addressSpace().resolve(address, pages * PAGE_SIZE).toArray(JAVA_BYTE);
        } catch (BugCheck unreadable) {
            bytes = new byte[0];
            note = "range 0x" + Long.toHexString(address) + " (+" + pages + " pages) is not resident kernel memory; no data";
        }
        report.addPages(new BugCheckReport.PageRange(component, address, count, flags, bytes, note));
    }

    /** The DumpIo records that may be called (State Inserted or Started/Finished by earlier writes, checksum valid). */
    List<Registration> dumpIoCallbacks(BugCheckReport report) {
        List<Registration> out = new ArrayList<>();
        for (Registration r : walkReasons(report)) {
            if (r.reason == KBUGCHECK_CALLBACK_REASON.KbCallbackDumpIo && callable(r)) {
                out.add(r);
            }
        }
        return out;
    }

    /** Calls one DumpIo callback for one write; returns the failure or null. */
    String callDumpIo(Registration r, MemorySegment dumpIo) {
        String[] failure = new String[1];
        invokeReason(r, r.reason, dumpIo, (int) KBUGCHECK_DUMP_IO.LAYOUT.byteSize(), null, failure);
        return failure[0];
    }

    static void setDumpIoState(Registration r, int state) {
        setState(r, state);
    }

    static int dumpIoState(Registration r) {
        return state(r);
    }

    /**
     * Re-arms every record a bug check left in BufferStarted/Finished/Incomplete as BufferInserted:
     * under THROW the kernel survives the bug check, so its callbacks must run again on the next
     * one (and stay deregistrable). Under HALT the states are left for inspection.
     */
    synchronized void rearm() {
        for (RecordList list : new RecordList[] {simple, reasons}) {
            for (Registration r : list.linked.values()) {
                int st = state(r);
                if (st == BufferStarted || st == BufferFinished || st == BufferIncomplete) {
                    setState(r, BufferInserted);
                }
            }
        }
    }

    // ===== helpers =====

    private static String describe(Throwable t) {
        return t instanceof BugCheck bc ? "nested bug check: " + bc.getMessage() : t.toString();
    }

    private static byte[] copy(MemorySegment buffer) {
        return buffer.address() == 0 ? new byte[0] : buffer.toArray(JAVA_BYTE);
    }

    /** A NUL-terminated ANSI string read within {@code s} (no NUL: the whole segment); "" for NULL. */
    static String readAnsi(MemorySegment s) {
        if (s == null || s.address() == 0) {
            return "";
        }
        long n = 0;
        long max = s.byteSize();
        while (n < max && s.get(JAVA_BYTE, n) != 0) {
            n++;
        }
        return new String(s.asSlice(0, n).toArray(JAVA_BYTE), java.nio.charset.StandardCharsets.ISO_8859_1);
    }

    private static void requireRecord(MemorySegment record, long size, String routine) {
        LiveMemory.require(record, routine, "CallbackRecord");
        if (record == null || record.address() == 0) {
            throw new IllegalArgumentException(routine + ": CallbackRecord is NULL");
        }
        if (!record.isNative()) {
            throw new IllegalArgumentException(routine + ": CallbackRecord must be native (resident) memory");
        }
        if (record.byteSize() < size) {
            throw new IllegalArgumentException(routine + ": CallbackRecord segment is " + record.byteSize()
                    + " bytes; the record needs 0x" + Long.toHexString(size));
        }
        if ((record.address() & 7) != 0) {
            throw new IllegalArgumentException(routine + ": CallbackRecord 0x" + Long.toHexString(record.address())
                    + " is not 8-byte aligned");
        }
    }

    // ===== upcall adapters (native callers of a stub) =====

    @SuppressWarnings("unused")
    private static void simpleUpcall(KBUGCHECK_CALLBACK_ROUTINE routine, KernelCore kernel, MemorySegment buffer, int length) {
        try {
            routine.invoke(resolve(kernel, buffer.address(), Integer.toUnsignedLong(length)), length);
        } catch (Throwable t) {
            // An exception must not unwind into native code (the JVM would abort): dropped.
        }
    }

    @SuppressWarnings("unused")
    private static void reasonUpcall(KBUGCHECK_REASON_CALLBACK_ROUTINE routine, KernelCore kernel, int reason,
                                     MemorySegment record, MemorySegment data, int length) {
        try {
            routine.invoke(reason, resolve(kernel, record.address(), KBUGCHECK_REASON_CALLBACK_RECORD.LAYOUT.byteSize()),
                    resolve(kernel, data.address(), Integer.toUnsignedLong(length)), length);
        } catch (Throwable t) {
            // As above.
        }
    }

    private static MemorySegment resolve(KernelCore kernel, long address, long length) {
        if (address == 0) {
            return MemorySegment.NULL;
        }
        return kernel.addressSpace().resolve(address, Math.max(1, length)).asSlice(0, length);
    }
}
