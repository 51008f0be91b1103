package dev.offkern.runtime.ke;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT_UNALIGNED;
import static java.lang.foreign.ValueLayout.JAVA_LONG_UNALIGNED;
import static java.lang.foreign.ValueLayout.JAVA_SHORT_UNALIGNED;

import dev.offkern.layout.ke.XSAVE_AREA;
import dev.offkern.layout.ke.XSAVE_AREA_HEADER;
import dev.offkern.layout.ke.XSAVE_FORMAT;
import dev.offkern.layout.ke.XSTATE_CONTEXT;
import dev.offkern.layout.ke.XSTATE_SAVE;
import dev.offkern.nt.BugCheckCode;
import dev.offkern.nt.NtStatus;
import dev.offkern.nt.PoolFlags;
import dev.offkern.nt.PoolTags;
import dev.offkern.nt.XStateMask;
import dev.offkern.runtime.mm.AddressSpace;
import dev.offkern.runtime.mm.Region;
import dev.offkern.runtime.verifier.Verifier;
import dev.offkern.shim.XState;
import java.lang.foreign.MemorySegment;

/**
 * {@code KeSaveExtendedProcessorState}, {@code KeRestoreExtendedProcessorState} and
 * {@code RtlGetEnabledExtendedFeatures}: the calling thread's extended processor state (x87, SSE,
 * AVX, AVX-512, ...) saved with a real XSAVE into a save area in the non-paged pool and put back
 * with XRSTOR, the caller's byte-exact x64 {@code XSTATE_SAVE} recording the save:
 *
 * <pre>
 *   XSTATE_SAVE (0x38 bytes)                      save area (non-paged pool, 64-byte aligned,
 *   +0x00 Prev    previous save of this thread      tag "OkXs", XStateContext.Length bytes)
 *   +0x08 Thread  the saving thread's PKTHREAD      +0x000 legacy region (FXSAVE format: x87,
 *   +0x10 Level   0 at PASSIVE_LEVEL, else IRQL+1          MXCSR, XMM0-15)
 *   +0x18 XStateContext                             +0x200 XSAVE header (XSTATE_BV, XCOMP_BV)
 *         +0x18 Mask    components saved            +0x240 extended components (standard form)
 *         +0x20 Length  bytes of the area
 *         +0x28 Area    the area (= Buffer)
 *         +0x30 Buffer  the pool block (0 once restored)
 * </pre>
 *
 * <p>Nesting: each save links to the thread's previous save ({@code Prev}) and becomes the head of
 * the thread's chain (NT's {@code KTHREAD.XStateSave}); a restore must name the head, at the level
 * and on the thread of its save, and makes {@code Prev} the head again. Saves nest like a stack; a
 * nested save may not be at a lower level than the save it nests in.
 *
 * <p>Bug checks, all {@code INVALID_EXTENDED_PROCESSOR_STATE} (0x131) with Microsoft's documented
 * parameters (Bug Check 0x131 page): (0, 1 if XSAVE is enabled else 0, low 32 bits of the mask,
 * high 32 bits) for a mask naming a component the system has not enabled; (1, IRQL, 0, 0) above
 * DISPATCH_LEVEL; on save, (2, the head's level, the current level) when the thread's previous save
 * is at a higher level and (3, the head's thread, the current thread) when the head belongs to
 * another thread; on restore, (4, saved level, current level) for a restore at another level, (3,
 * saved thread, current thread) for one on another thread, and (7, the thread's head, XStateSave)
 * for one that is not the innermost save (out of order or restored twice): Microsoft's page lists
 * parameters 0-4; current Windows x64 kernels raise 7 for this case, and so does offkern. These
 * checks are always on, as in Windows (they are the kernel's own, not the verifier's). XStateSave is
 * checked as every structure pointer is ({@link CallerMemory}): a segment of 0x38 bytes or more, or
 * a raw (zero-length) pointer, 8-byte aligned (IllegalArgumentException, DatatypeMisalignmentException
 * otherwise: a misaligned or short block would spill the save's writes into a neighbour, where
 * Windows would silently write), and in the kernel's address space (the chain follows it later). Pointers
 * (XStateSave, the chain head, Area) are resolved in the kernel's address space first: an unmapped
 * one is PAGE_FAULT_IN_NONPAGED_AREA (0x50). A block whose Prev, Mask, Length, Area or Buffer
 * changed between its save and its restore is KERNEL_SECURITY_CHECK_FAILURE (0x139:
 * FAST_FAIL_INVALID_ARG, 0, 0, 0): the kernel remembers what each live save wrote, so a scribbled
 * block never frees or loads memory that is not its own (Windows would free whatever Buffer says). An area whose header or MXCSR would make
 * XRSTOR fault is KMODE_EXCEPTION_NOT_HANDLED (0x1E: STATUS_ACCESS_VIOLATION, 0, 0, -1), what the
 * #GP would be on Windows; the instruction is never executed on such an area. An area whose MXCSR or
 * x87 control word unmasks floating-point exceptions is refused too (0x1E: STATUS_FLOAT_MULTIPLE_TRAPS,
 * 0, 0, 0): loaded, it would make the JVM's next inexact result a fatal SIGFPE.
 *
 * <p>IRQL: ≤ DISPATCH_LEVEL for save and restore; RtlGetEnabledExtendedFeatures is documented at
 * PASSIVE_LEVEL (verifier: DRIVER_IRQL_NOT_LESS_OR_EQUAL, 0xD1). Progress: lock-free (the pool
 * allocation; no waiting). Threading: a save and its restore run on one thread; different threads
 * save and restore concurrently without sharing anything but the pool.
 */
public final class KeExtendedState {

    /* Implementation overview
     *
     * Enabled features. With XSAVE (CPUID.01H:ECX.OSXSAVE), the components offkern may save are XCR0
     * minus PKRU and AMX (XState.usableMask(): restoring PKRU would change the JVM thread's memory
     * protection keys, and Linux keeps AMX behind XFD until a process asks). Without XSAVE,
     * RtlGetEnabledExtendedFeatures returns 0 as documented, and a save accepts only
     * XSTATE_MASK_LEGACY, saved with FXSAVE (every x86-64 CPU has it; it is also what ReactOS does):
     * that is how drivers that pass XSTATE_MASK_LEGACY unconditionally keep working on such CPUs,
     * and it matches the bug check's parameter 2 ("nonzero if extended state is enabled"), which
     * distinguishes the two cases. Tests force the no-XSAVE path with overrideSupport.
     *
     * The area. Windows allocates a context from pool, or at DISPATCH_LEVEL uses the processor's
     * own area (nothing can switch threads there). offkern always allocates: several Java threads
     * may run at DISPATCH_LEVEL on one logical processor at once (the IRQL is per thread), so a
     * per-processor area would be shared. The block is cache-aligned non-paged pool, zeroed (XRSTOR
     * needs the reserved header bytes zero), exactly the standard-form size for the mask (CPUID
     * leaf 0DH), or 512 bytes for FXSAVE; Area = Buffer. A mask of 0 allocates nothing and still
     * links the block, so the nesting rules hold for it too.
     *
     * Mask. The save records exactly the components asked for (the DDI's contract: a 1 bit saves
     * that feature); XRSTOR with the same mask puts back exactly those.
     *
     * Level. 0 at PASSIVE_LEVEL, IRQL + 1 above (the encoding Windows x64 stores, which the bug
     * check's parameters 2 and 4 report): a save at PASSIVE_LEVEL and one at APC_LEVEL never
     * compare equal. Microsoft's table words parameter 2 as "equal or higher level"; an equal level
     * is a legal nesting (the DDI pages allow nested pairs at the same IRQL), so only a higher one
     * is refused, as Windows does.
     *
     * The record. Each thread's live saves are also recorded beside its state (ProcessorStateSaves:
     * block, mask, length, area), pushed by a save and popped by its restore. The head checks use it
     * (it is KTHREAD.XStateSave), and a restore compares the block's Prev and XStateContext with it
     * before touching anything: Windows frees whatever Buffer says and restores from whatever Area
     * says, so a block scribbled between save and restore would free another save's area under it or
     * load foreign state; offkern fast-fails instead (0x139). The area's contents are the kernel's
     * pool memory and are checked only for what would fault or unmask exceptions.
     *
     * Where offkern differs: Windows x64 also enters a guarded region between a PASSIVE_LEVEL save
     * and its restore; offkern has no APC delivery to guard against and does not.
     */

    /** The pool tag of save areas: "OkXs". */
    public static final int SAVE_AREA_TAG = PoolTags.tag("OkXs");
    /** sizeof(XSTATE_SAVE) on x64 (0x38). */
    public static final long XSTATE_SAVE_SIZE = XSTATE_SAVE.LAYOUT.byteSize();
    /** The alignment of an x64 XSTATE_SAVE (8: it holds pointers). */
    public static final long XSTATE_SAVE_ALIGNMENT = XSTATE_SAVE.LAYOUT.byteAlignment();

    /** 0x131 parameter 1: invalid feature mask, or extended state not enabled. */
    public static final int INVALID_FEATURE_MASK = 0;
    /** 0x131 parameter 1: save or restore above DISPATCH_LEVEL. */
    public static final int IRQL_ABOVE_DISPATCH = 1;
    /** 0x131 parameter 1: the thread's previous save is at a higher level than this save. */
    public static final int PREVIOUS_SAVE_AT_HIGHER_LEVEL = 2;
    /** 0x131 parameter 1: the saved state belongs to another thread. */
    public static final int SAVED_BY_OTHER_THREAD = 3;
    /** 0x131 parameter 1: the saved state is for another level. */
    public static final int SAVED_AT_OTHER_LEVEL = 4;
    /** 0x131 parameter 1: the restored block is not the thread's innermost save (Windows 10/11 x64). */
    public static final int NOT_INNERMOST_SAVE = 7;
    /** 0x139 parameter 1 (winnt.h FAST_FAIL_INVALID_ARG): a save block changed between save and restore. */
    public static final int FAST_FAIL_INVALID_ARG = 5;

    private static final long PREV = XSTATE_SAVE.PREV_OFFSET;
    private static final long THREAD = XSTATE_SAVE.THREAD_OFFSET;
    private static final long LEVEL = XSTATE_SAVE.LEVEL_OFFSET;
    private static final long CONTEXT = XSTATE_SAVE.X_STATE_CONTEXT_OFFSET;
    private static final long MASK = CONTEXT + XSTATE_CONTEXT.MASK_OFFSET;
    private static final long LENGTH = CONTEXT + XSTATE_CONTEXT.LENGTH_OFFSET;
    private static final long RESERVED1 = CONTEXT + XSTATE_CONTEXT.X64.offset("Reserved1");
    private static final long AREA = CONTEXT + XSTATE_CONTEXT.AREA_OFFSET;
    private static final long BUFFER = CONTEXT + XSTATE_CONTEXT.BUFFER_OFFSET;
    /** XSTATE_BV in an area: XSAVE_AREA.Header.Mask. */
    private static final long XSTATE_BV = XSAVE_AREA.HEADER_OFFSET + XSAVE_AREA_HEADER.MASK_OFFSET;
    /** MXCSR bits 7..12: the SSE exception masks (IM DM ZM OM UM PM). */
    static final int MXCSR_EXCEPTION_MASKS = 0x1F80;
    /** x87 control word bits 0..5: the x87 exception masks. */
    static final int X87_EXCEPTION_MASKS = 0x3F;

    /** How save areas are allocated: the kernel's non-paged pool ({@code Pool::allocate}). */
    @FunctionalInterface
    public interface AreaAllocator {
        /** A block of {@code bytes} tagged {@code tag} with POOL_FLAG_* {@code flags}, or 0 when none is left. */
        long allocate(long bytes, int tag, long flags);
    }

    /** How save areas are freed: the kernel's non-paged pool ({@code Pool::free}). */
    @FunctionalInterface
    public interface AreaFreer {
        /** Frees the block at {@code address} allocated with {@code tag}. */
        void free(long address, int tag);
    }

    /**
     * What this host offers: whether XSAVE is usable, and the components a save may name.
     *
     * @param xsave   XSAVE/XRSTOR usable (CPU and OS)
     * @param enabled the enabled components (0 without XSAVE)
     */
    record Support(boolean xsave, long enabled) {
        /** What the CPU, the OS and the native shim offer. */
        static Support detect() {
            try {
                return XState.isSupported() ? new Support(true, XState.usableMask()) : new Support(false, 0);
            } catch (UnsupportedOperationException noShim) {
                return new Support(false, 0);
            }
        }

        /** The components a save may name: the enabled ones, or XSTATE_MASK_LEGACY (FXSAVE) without XSAVE. */
        long saveable() {
            return xsave ? enabled : XStateMask.XSTATE_MASK_LEGACY;
        }
    }

    private static final Support DETECTED = Support.detect();
    /** The support in effect: {@link #DETECTED} unless a test forces the no-XSAVE path. */
    private static volatile Support support = DETECTED;

    private KeExtendedState() {
    }

    /**
     * {@code NTSTATUS KeSaveExtendedProcessorState(ULONG64 Mask, PXSTATE_SAVE XStateSave)}: saves the
     * components in {@code mask} of the calling thread's state into a new save area and records the
     * save in {@code xstateSave}, linked into the thread's chain.
     *
     * @return STATUS_SUCCESS, or STATUS_INSUFFICIENT_RESOURCES when no save area could be allocated
     *         (nothing is linked then)
     * @throws dev.offkern.nt.BugCheck 0x131 (see the class comment), 0x50 for an unmapped XStateSave
     * @throws IllegalArgumentException if {@code xstateSave} is a heap segment or a segment shorter than
     *                                  0x38 bytes ({@link dev.offkern.nt.DatatypeMisalignmentException}
     *                                  if it is not 8-byte aligned)
     */
    public static int save(long mask, MemorySegment xstateSave, AreaAllocator allocator, AreaFreer freer) {
        ThreadState t = ThreadState.current();
        KernelCore k = t.kernel();
        int irql = t.irql();
        if (irql > Irql.DISPATCH_LEVEL) {
            throw irqlTooHigh(k, irql, "KeSaveExtendedProcessorState");
        }
        Support s = support;
        checkMask(k, s, mask, "KeSaveExtendedProcessorState");
        AddressSpace space = k.addressSpace();
        long block = addressOf(xstateSave, "KeSaveExtendedProcessorState", "XStateSave", XSTATE_SAVE_SIZE,
                XSTATE_SAVE_ALIGNMENT);
        Region r = space.regionOf(block, XSTATE_SAVE_SIZE); // the chain follows it later: it must be kernel memory
        MemorySegment seg = r.segment();
        long off = r.offsetOf(block);
        int level = level(irql);
        ProcessorStateSaves chain = t.stateSaves();
        long head = chain.xstateHead();
        if (head != 0) {
            checkHead(k, t, space, head, level);
        }
        long length = 0;
        long buffer = 0;
        if (mask != 0) {
            length = s.xsave() ? XState.requiredAreaSize(mask) : XState.FXSAVE_AREA_SIZE;
            buffer = allocator.allocate(length, SAVE_AREA_TAG, PoolFlags.POOL_FLAG_CACHE_ALIGNED);
            if (buffer == 0) {
                return NtStatus.STATUS_INSUFFICIENT_RESOURCES;
            }
            try {
                MemorySegment area = space.resolve(buffer, length);
                if (s.xsave()) {
                    XState.xsave(area, mask);
                } else {
                    XState.fxsave(area);
                }
            } catch (RuntimeException e) {
                freer.free(buffer, SAVE_AREA_TAG);
                throw e;
            }
        }
        seg.set(JAVA_LONG_UNALIGNED, off + PREV, head);
        seg.set(JAVA_LONG_UNALIGNED, off + THREAD, t.address());
        seg.set(JAVA_BYTE, off + LEVEL, (byte) level);
        seg.set(JAVA_LONG_UNALIGNED, off + MASK, mask);
        seg.set(JAVA_INT_UNALIGNED, off + LENGTH, (int) length);
        seg.set(JAVA_INT_UNALIGNED, off + RESERVED1, 0);
        seg.set(JAVA_LONG_UNALIGNED, off + AREA, buffer);
        seg.set(JAVA_LONG_UNALIGNED, off + BUFFER, buffer);
        chain.pushXState(block, mask, length, buffer);
        return NtStatus.STATUS_SUCCESS;
    }

    /**
     * {@code VOID KeRestoreExtendedProcessorState(PXSTATE_SAVE XStateSave)}: puts back the state the
     * matching save captured, frees its area (XStateContext.Buffer := 0) and makes its {@code Prev}
     * the thread's innermost save again.
     *
     * @throws dev.offkern.nt.BugCheck 0x131 (see the class comment), 0x50 for an unmapped XStateSave,
     *                                 0x139 for a block changed since its save, 0x1E for an area
     *                                 XRSTOR would fault on or that would unmask FP exceptions
     * @throws IllegalArgumentException if {@code xstateSave} is a heap segment or a segment shorter than
     *                                  0x38 bytes ({@link dev.offkern.nt.DatatypeMisalignmentException}
     *                                  if it is not 8-byte aligned)
     */
    public static void restore(MemorySegment xstateSave, AreaFreer freer) {
        ThreadState t = ThreadState.current();
        KernelCore k = t.kernel();
        int irql = t.irql();
        if (irql > Irql.DISPATCH_LEVEL) {
            throw irqlTooHigh(k, irql, "KeRestoreExtendedProcessorState");
        }
        AddressSpace space = k.addressSpace();
        long block = addressOf(xstateSave, "KeRestoreExtendedProcessorState", "XStateSave", XSTATE_SAVE_SIZE,
                XSTATE_SAVE_ALIGNMENT);
        Region r = space.regionOf(block, XSTATE_SAVE_SIZE);
        MemorySegment seg = r.segment();
        long off = r.offsetOf(block);
        int level = level(irql);
        int savedLevel = Byte.toUnsignedInt(seg.get(JAVA_BYTE, off + LEVEL));
        if (savedLevel != level) {
            throw k.bugCheck(BugCheckCode.INVALID_EXTENDED_PROCESSOR_STATE, SAVED_AT_OTHER_LEVEL, savedLevel, level, 0,
                    "KeRestoreExtendedProcessorState at level " + level + " (" + Irql.name(irql)
                            + ") of a state saved at level " + savedLevel);
        }
        long savedThread = seg.get(JAVA_LONG_UNALIGNED, off + THREAD);
        if (savedThread != t.address()) {
            throw k.bugCheck(BugCheckCode.INVALID_EXTENDED_PROCESSOR_STATE, SAVED_BY_OTHER_THREAD, savedThread,
                    t.address(), 0, "KeRestoreExtendedProcessorState on thread 0x" + Long.toHexString(t.address())
                            + " of a state saved by thread 0x" + Long.toHexString(savedThread));
        }
        ProcessorStateSaves chain = t.stateSaves();
        long head = chain.xstateHead();
        if (head != block) {
            throw k.bugCheck(BugCheckCode.INVALID_EXTENDED_PROCESSOR_STATE, NOT_INNERMOST_SAVE, head, block,
                    0, "KeRestoreExtendedProcessorState of 0x" + Long.toHexString(block)
                            + ", which is not the thread's innermost save (0x" + Long.toHexString(head)
                            + "): restores must be in reverse order of the saves, once each");
        }
        Support s = support;
        long mask = seg.get(JAVA_LONG_UNALIGNED, off + MASK);
        checkMask(k, s, mask, "KeRestoreExtendedProcessorState");
        long prev = seg.get(JAVA_LONG_UNALIGNED, off + PREV);
        long length = Integer.toUnsignedLong(seg.get(JAVA_INT_UNALIGNED, off + LENGTH));
        long area = seg.get(JAVA_LONG_UNALIGNED, off + AREA);
        long buffer = seg.get(JAVA_LONG_UNALIGNED, off + BUFFER);
        checkUnchanged(k, chain, block, prev, mask, length, area, buffer);
        if (mask != 0) {
            MemorySegment areaSeg = space.resolve(area, length);
            checkExceptionMasks(k, areaSeg, area, mask, s.xsave());
            try {
                if (s.xsave()) {
                    XState.xrstor(areaSeg, mask);
                } else {
                    XState.fxrstor(areaSeg);
                }
            } catch (IllegalArgumentException corrupt) {
                throw k.bugCheck(BugCheckCode.KMODE_EXCEPTION_NOT_HANDLED, NtStatus.STATUS_ACCESS_VIOLATION & 0xFFFFFFFFL,
                        0, 0, -1L, "KeRestoreExtendedProcessorState: the save area 0x" + Long.toHexString(area)
                                + " would make XRSTOR raise #GP (" + corrupt.getMessage() + ")");
            }
        }
        chain.popXState();
        if (buffer != 0) {
            seg.set(JAVA_LONG_UNALIGNED, off + BUFFER, 0L);
            freer.free(buffer, SAVE_AREA_TAG);
        }
    }

    /**
     * {@code ULONG64 RtlGetEnabledExtendedFeatures(ULONG64 FeatureMask)}: {@code featureMask} ∩ the
     * components the system enabled (0 when XSAVE is unavailable, as documented, although x87 and
     * SSE exist). IRQL: PASSIVE_LEVEL (verifier: 0xD1).
     */
    public static long enabledFeatures(long featureMask) {
        if (Verifier.ENABLED) {
            IrqlChecks.requireAtMost(Irql.PASSIVE_LEVEL, "RtlGetEnabledExtendedFeatures");
        } else {
            ThreadState.current(); // a closed or halted kernel says so, verifier or not
        }
        return support.enabled() & featureMask;
    }

    /** The level a save at {@code irql} records: 0 at PASSIVE_LEVEL, IRQL + 1 above. */
    static int level(int irql) {
        return irql == Irql.PASSIVE_LEVEL ? 0 : irql + 1;
    }

    /** Forces the path of a host without XSAVE ({@code false}), or the detected one ({@code true}). Tests only. */
    static void overrideSupport(boolean xsave) {
        support = xsave ? DETECTED : new Support(false, 0);
    }

    /** The support in effect. */
    static Support support() {
        return support;
    }

    private static void checkHead(KernelCore k, ThreadState t, AddressSpace space, long head, int level) {
        Region hr = space.regionOf(head, XSTATE_SAVE_SIZE); // 0x50 if the previous block is gone
        MemorySegment hs = hr.segment();
        long ho = hr.offsetOf(head);
        int headLevel = Byte.toUnsignedInt(hs.get(JAVA_BYTE, ho + LEVEL));
        if (headLevel > level) {
            throw k.bugCheck(BugCheckCode.INVALID_EXTENDED_PROCESSOR_STATE, PREVIOUS_SAVE_AT_HIGHER_LEVEL, headLevel,
                    level, 0, "KeSaveExtendedProcessorState at level " + level
                            + " nested in a save at the higher level " + headLevel);
        }
        long headThread = hs.get(JAVA_LONG_UNALIGNED, ho + THREAD);
        if (headThread != t.address()) {
            throw k.bugCheck(BugCheckCode.INVALID_EXTENDED_PROCESSOR_STATE, SAVED_BY_OTHER_THREAD, headThread,
                    t.address(), 0, "KeSaveExtendedProcessorState: the thread's previous save 0x"
                            + Long.toHexString(head) + " now names thread 0x" + Long.toHexString(headThread));
        }
    }

    /**
     * Fast-fails (KERNEL_SECURITY_CHECK_FAILURE 0x139: FAST_FAIL_INVALID_ARG, 0, 0, 0, as Windows'
     * __fastfail reports corrupted kernel data) when the block's Prev or XStateContext differ from
     * what the save wrote: the restore would otherwise free a pool block that is not this save's (a
     * use after free of another save's area, say) or load another area's state.
     */
    private static void checkUnchanged(KernelCore k, ProcessorStateSaves chain, long block, long prev, long mask,
                                       long length, long area, long buffer) {
        long savedArea = chain.innermostXStateArea();
        if (prev != chain.xstatePrevious() || mask != chain.innermostXStateMask()
                || length != chain.innermostXStateLength() || area != savedArea || buffer != savedArea) {
            throw k.bugCheck(BugCheckCode.KERNEL_SECURITY_CHECK_FAILURE, FAST_FAIL_INVALID_ARG, 0, 0, 0, String.format(
                    "KeRestoreExtendedProcessorState: XSTATE_SAVE 0x%x was changed since the save "
                            + "(Prev 0x%x/0x%x, Mask 0x%x/0x%x, Length %d/%d, Area 0x%x/0x%x, Buffer 0x%x/0x%x: "
                            + "now/saved); nothing restored or freed", block, prev, chain.xstatePrevious(), mask,
                    chain.innermostXStateMask(), length, chain.innermostXStateLength(), area, savedArea, buffer,
                    savedArea));
        }
    }

    /**
     * Refuses an area whose MXCSR or x87 control word would unmask floating-point exceptions once
     * loaded: the JVM's compiled code would then take the next inexact or invalid result as a fatal
     * SIGFPE. A save never produces one (JVM threads run with every exception masked); a corrupted
     * area is KMODE_EXCEPTION_NOT_HANDLED (0x1E: STATUS_FLOAT_MULTIPLE_TRAPS, 0, 0, 0), what the first
     * floating-point instruction after the restore would raise on Windows.
     */
    private static void checkExceptionMasks(KernelCore k, MemorySegment areaSeg, long area, long mask, boolean xsave) {
        long alignment = xsave ? XState.AREA_ALIGNMENT : XState.FXSAVE_AREA_ALIGNMENT;
        if (areaSeg.byteSize() < XSAVE_FORMAT.LAYOUT.byteSize() || (area & (alignment - 1)) != 0) {
            return; // too short or misaligned for any restore: XRSTOR/FXRSTOR refuse it below (#GP)
        }
        boolean loadsMxcsr = !xsave || (mask & (XStateMask.XSTATE_MASK_LEGACY_SSE | XStateMask.XSTATE_MASK_AVX)) != 0;
        boolean loadsFcw = !xsave || ((mask & XStateMask.XSTATE_MASK_LEGACY_FLOATING_POINT) != 0
                && areaSeg.byteSize() >= XSAVE_AREA.LAYOUT.byteSize()
                && (areaSeg.get(JAVA_LONG_UNALIGNED, XSTATE_BV) & XStateMask.XSTATE_MASK_LEGACY_FLOATING_POINT) != 0);
        int mxcsr = areaSeg.get(JAVA_INT_UNALIGNED, XSAVE_FORMAT.MX_CSR_OFFSET);
        int fcw = Short.toUnsignedInt(areaSeg.get(JAVA_SHORT_UNALIGNED, XSAVE_FORMAT.CONTROL_WORD_OFFSET));
        if ((loadsMxcsr && (mxcsr & MXCSR_EXCEPTION_MASKS) != MXCSR_EXCEPTION_MASKS)
                || (loadsFcw && (fcw & X87_EXCEPTION_MASKS) != X87_EXCEPTION_MASKS)) {
            throw k.bugCheck(BugCheckCode.KMODE_EXCEPTION_NOT_HANDLED, NtStatus.STATUS_FLOAT_MULTIPLE_TRAPS & 0xFFFFFFFFL,
                    0, 0, 0, String.format("KeRestoreExtendedProcessorState: the save area 0x%x would unmask "
                            + "floating-point exceptions (MXCSR 0x%x, x87 control word 0x%x); offkern refuses it, "
                            + "the JVM would die of SIGFPE at the next inexact result", area, mxcsr, fcw));
        }
    }

    private static void checkMask(KernelCore k, Support s, long mask, String routine) {
        long bad = mask & ~s.saveable();
        if (bad != 0) {
            throw k.bugCheck(BugCheckCode.INVALID_EXTENDED_PROCESSOR_STATE, INVALID_FEATURE_MASK, s.xsave() ? 1 : 0,
                    mask & 0xFFFFFFFFL, mask >>> 32, String.format(
                            "%s: mask 0x%x names components 0x%x the system has not enabled (enabled: 0x%x%s)",
                            routine, mask, bad, s.saveable(), s.xsave() ? "" : "; no XSAVE, legacy state only"));
        }
    }

    private static RuntimeException irqlTooHigh(KernelCore k, int irql, String routine) {
        return k.bugCheck(BugCheckCode.INVALID_EXTENDED_PROCESSOR_STATE, IRQL_ABOVE_DISPATCH, irql, 0, 0,
                routine + " called at " + Irql.name(irql) + "; it requires IRQL <= DISPATCH_LEVEL");
    }

    /**
     * The address of a caller's {@code size}-byte, {@code alignment}-aligned block, checked as
     * {@link CallerMemory#structure} checks structure pointers: NULL (a Java null too) or a raw
     * (zero-length) pointer outside every region is 0x50; a segment shorter than the structure is
     * IllegalArgumentException, a misaligned one DatatypeMisalignmentException, an unmapped one
     * IllegalStateException. A heap segment is IllegalArgumentException (it has no address).
     */
    static long addressOf(MemorySegment block, String routine, String parameter, long size, long alignment) {
        if (block != null && !block.isNative()) {
            throw new IllegalArgumentException(routine + ": " + parameter + " must be native memory, not a heap segment");
        }
        return CallerMemory.structure(block, size, alignment, routine, parameter).address();
    }
}
