/**
 * The kernel managers and the DDI surface. Public API: the DDI facade ({@code dev.offkern.ddi}), the
 * kernel's lifecycle ({@code dev.offkern.runtime}) and the NT vocabulary both use
 * ({@code dev.offkern.nt}: NTSTATUS values, pool flags and types, bug-check codes, callback types).
 * The managers are internal; the command line reads crash dumps, pool snapshots and live counters
 * through qualified exports.
 */
module dev.offkern.runtime {
    requires transitive dev.offkern.layout;
    requires transitive dev.offkern.shim;
    requires org.agrona;

    exports dev.offkern.ddi;
    exports dev.offkern.nt;
    exports dev.offkern.runtime;
    exports dev.offkern.runtime.counters to dev.offkern.cli;
    exports dev.offkern.runtime.ke to dev.offkern.cli;
    exports dev.offkern.runtime.pool to dev.offkern.cli;
}
