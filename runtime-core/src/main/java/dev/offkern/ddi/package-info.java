/**
 * The DDI surface: one class per routine prefix ({@code Ex}, {@code Ke}, {@code Rtl}, {@code Ob}, {@code Zw},
 * {@code Ps}, {@code Io}, {@code Se}), every
 * routine under its verbatim Windows name with its C parameters in C order, each a thin delegation
 * into runtime-core. {@code import static dev.offkern.ddi.Rtl.*;} lets ported driver code read like
 * the C it came from.
 */
package dev.offkern.ddi;
