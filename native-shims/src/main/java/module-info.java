/** The native shim: what Java cannot do (128-bit CAS, whole SLIST operations, CPUID, XSAVE). */
module dev.offkern.shim {
    exports dev.offkern.shim;
}
