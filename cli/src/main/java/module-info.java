/** The offkern command line. */
module dev.offkern.cli {
    requires dev.offkern.layout;
    requires dev.offkern.runtime;
    requires info.picocli;
    requires tools.jackson.databind;

    opens dev.offkern.cli to info.picocli;
    exports dev.offkern.cli;
}
