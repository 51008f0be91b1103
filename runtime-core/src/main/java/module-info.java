/** The kernel managers and the DDI surface. */
module dev.offkern.runtime {
    requires transitive dev.offkern.layout;
    requires transitive dev.offkern.shim;
    requires org.agrona;

    exports dev.offkern.ddi;
    exports dev.offkern.runtime;
    exports dev.offkern.runtime.mm;
    exports dev.offkern.runtime.pool;
    exports dev.offkern.runtime.ex;
    exports dev.offkern.runtime.ke;
    exports dev.offkern.runtime.rtl;
    exports dev.offkern.runtime.verifier;
}
