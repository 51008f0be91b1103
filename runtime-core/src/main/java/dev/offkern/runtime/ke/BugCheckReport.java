package dev.offkern.runtime.ke;

import dev.offkern.nt.BugCheckPolicy;
import dev.offkern.nt.BugCheck;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * What one bug check gathered: the stop code and parameters, who raised it, each callback's
 * outcome and buffer, each secondary-dump block, added pages, nested bug checks and the dump file.
 * Filled by {@link BugChecks} on the bug-checking thread only; read after it completes.
 */
public final class BugCheckReport {
    /** One simple callback's outcome. */
    public record CallbackOutcome(long record, String component, int state, byte[] buffer, String failure) {
    }

    /** One reason callback's outcome (any reason). */
    public record ReasonOutcome(long record, String component, int reason, int state, String failure) {
    }

    /** One secondary-dump-data block. */
    public record SecondaryBlock(String component, byte[] guid, byte[] data, String note) {
    }

    /** One range of pages a KbCallbackAddPages callback asked for. */
    public record PageRange(String component, long address, long pageCount, int flags, byte[] data, String note) {
    }

    /** A nested bug check and the phase it was raised in. */
    public record Nested(int code, long p1, long p2, long p3, long p4, String phase, String message) {
    }

    private final BugCheck bugCheck;
    private final long timeMillis;
    private final String threadName;
    private final long threadId;
    private final int processor;
    private final int irql;
    private final BugCheckPolicy policy;
    private final List<CallbackOutcome> callbacks = new ArrayList<>();
    private final List<ReasonOutcome> reasonCallbacks = new ArrayList<>();
    private final List<SecondaryBlock> secondary = new ArrayList<>();
    private final List<PageRange> pages = new ArrayList<>();
    private final List<PageRange> removedPages = new ArrayList<>();
    private final List<Nested> nested = new ArrayList<>();
    private final List<String> notes = new ArrayList<>();
    private int nestedDropped;
    private String phase = "start";
    private Path dumpFile;
    private String dumpFailure;

    BugCheckReport(BugCheck bugCheck, long timeMillis, Thread thread, int processor, int irql, BugCheckPolicy policy) {
        this.bugCheck = bugCheck;
        this.timeMillis = timeMillis;
        this.threadName = thread.getName();
        this.threadId = thread.threadId();
        this.processor = processor;
        this.irql = irql;
        this.policy = policy;
    }

    public BugCheck bugCheck() {
        return bugCheck;
    }

    public long timeMillis() {
        return timeMillis;
    }

    public String threadName() {
        return threadName;
    }

    public long threadId() {
        return threadId;
    }

    /** Processor of the bug-checking thread, -1 if it had no kernel state. */
    public int processor() {
        return processor;
    }

    /** IRQL of the bug-checking thread when it raised the bug check, -1 if unknown. */
    public int irql() {
        return irql;
    }

    public BugCheckPolicy policy() {
        return policy;
    }

    public List<CallbackOutcome> callbacks() {
        return Collections.unmodifiableList(callbacks);
    }

    public List<ReasonOutcome> reasonCallbacks() {
        return Collections.unmodifiableList(reasonCallbacks);
    }

    public List<SecondaryBlock> secondaryBlocks() {
        return Collections.unmodifiableList(secondary);
    }

    public List<PageRange> addedPages() {
        return Collections.unmodifiableList(pages);
    }

    public List<PageRange> removedPages() {
        return Collections.unmodifiableList(removedPages);
    }

    public List<Nested> nested() {
        return Collections.unmodifiableList(nested);
    }

    /** Nested bug checks beyond {@link BugChecks#MAX_NESTED}, counted only. */
    public int nestedDropped() {
        return nestedDropped;
    }

    /** Remarks of the dispatcher (corrupt callback lists, skipped reasons, ...). */
    public List<String> notes() {
        return Collections.unmodifiableList(notes);
    }

    void addNote(String note) {
        notes.add(note);
    }

    /** The dump file, or null if writing failed. */
    public Path dumpFile() {
        return dumpFile;
    }

    /** Why the dump could not be written, or null. */
    public String dumpFailure() {
        return dumpFailure;
    }

    String phase() {
        return phase;
    }

    void setPhase(String phase) {
        this.phase = phase;
    }

    void addCallback(CallbackOutcome o) {
        callbacks.add(o);
    }

    void addReasonCallback(ReasonOutcome o) {
        reasonCallbacks.add(o);
    }

    void addSecondary(SecondaryBlock b) {
        secondary.add(b);
    }

    void addPages(PageRange r) {
        pages.add(r);
    }

    void removePages(PageRange r) {
        removedPages.add(r);
    }

    void addNested(BugCheck bc, String inPhase) {
        if (nested.size() >= BugChecks.MAX_NESTED) {
            nestedDropped++;
            return;
        }
        nested.add(new Nested(bc.code(), bc.parameter1(), bc.parameter2(), bc.parameter3(), bc.parameter4(),
                inPhase, bc.getMessage()));
    }

    void dumpWritten(Path file) {
        this.dumpFile = file;
    }

    void dumpFailed(String why) {
        this.dumpFailure = why;
    }
}
