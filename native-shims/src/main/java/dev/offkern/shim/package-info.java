/**
 * FFM bindings of the offkern native shim ({@code src/main/c/offkern_shim.c}): 128-bit
 * compare-and-swap, whole x64 SLIST operations in one downcall, CPUID/XGETBV, XSAVE/XRSTOR,
 * MXCSR and x87 control word. The library ships inside this module's jar and is extracted and
 * loaded on first use.
 */
package dev.offkern.shim;
