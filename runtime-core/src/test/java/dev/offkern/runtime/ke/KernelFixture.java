package dev.offkern.runtime.ke;

import dev.offkern.nt.BugCheckPolicy;
import dev.offkern.runtime.Kernel;
import dev.offkern.runtime.KernelConfig;
import java.nio.file.Path;

/** Boots small test kernels (2 processors, dumps into a temp directory). */
final class KernelFixture {
    private KernelFixture() {
    }

    static Kernel boot(Path dumps) {
        return boot(dumps, BugCheckPolicy.THROW, true);
    }

    static Kernel boot(Path dumps, BugCheckPolicy policy, boolean verifier) {
        return Kernel.boot(KernelConfig.defaults().withProcessorCount(2).withDumpDirectory(dumps)
                .withBugCheckPolicy(policy).withVerifier(verifier));
    }
}
