package dev.offkern.tests.oracle;

import dev.offkern.layout.Abi;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * The mingw-w64 cross compilers used as the layout oracle: {@code x86_64-w64-mingw32-gcc} for x64 and
 * {@code i686-w64-mingw32-gcc} for x86, compiling against the ddk headers mingw-w64 installs under
 * {@code /usr/<triplet>/include/ddk}.
 */
final class MingwToolchain {

    /**
     * What every generated translation unit starts with: the target pinned to Windows 10 2004..22H2
     * ({@code NTDDI_WIN10_VB}, the NTDDI of 19041..19045), then the ddk headers (ntifs.h pulls in ntddk.h
     * and wdm.h) and csq.h.
     */
    static final String PRELUDE = """
            #define _WIN32_WINNT 0x0A00
            #define NTDDI_VERSION 0x0A000008
            #include <ntifs.h>
            #include <csq.h>
            #include <stddef.h>
            """;

    private final Abi abi;
    private final String triplet;

    MingwToolchain(Abi abi) {
        this(abi, abi == Abi.X64 ? "x86_64-w64-mingw32" : "i686-w64-mingw32");
    }

    /** A toolchain with another target triplet (tests of the missing-compiler path). */
    MingwToolchain(Abi abi, String triplet) {
        this.abi = abi;
        this.triplet = triplet;
    }

    Abi abi() {
        return abi;
    }

    /** Empty when the compiler and objcopy run; otherwise what is missing. */
    Optional<String> missing() {
        for (String tool : List.of(triplet + "-gcc", triplet + "-objcopy", triplet + "-objdump")) {
            try {
                Result r = run(List.of(tool, "--version"));
                if (r.exit() != 0) {
                    return Optional.of(tool + " --version exited with " + r.exit());
                }
            } catch (IOException e) {
                return Optional.of(tool + " not found on PATH (" + e.getMessage() + ")");
            }
        }
        if (!Files.isRegularFile(ddkDir().resolve("ntifs.h"))) {
            return Optional.of("no " + ddkDir().resolve("ntifs.h") + " (install mingw-w64-" + (abi == Abi.X64 ? "x86-64" : "i686") + "-dev)");
        }
        return Optional.empty();
    }

    Path ddkDir() {
        return Path.of("/usr", triplet, "include", "ddk");
    }

    /** Compiles {@code source} for syntax only, reporting every error; returns the diagnostics. */
    String syntaxErrors(Path source) throws IOException {
        Result r = run(List.of(triplet + "-gcc", "-fsyntax-only", "-fmax-errors=0", "-w", "-I" + ddkDir(),
                source.toString()));
        return r.output();
    }

    /** Compiles {@code source} to an object and returns the bytes of its {@code .rdata} section. */
    byte[] compileReadOnlyData(Path source) throws IOException {
        Path object = source.resolveSibling(source.getFileName() + ".o");
        Path data = source.resolveSibling(source.getFileName() + ".rdata.bin");
        Result cc = run(List.of(triplet + "-gcc", "-c", "-w", "-I" + ddkDir(), source.toString(), "-o", object.toString()));
        if (cc.exit() != 0) {
            throw new IllegalStateException(triplet + "-gcc failed on " + source + ":\n" + cc.output());
        }
        Result oc = run(List.of(triplet + "-objcopy", "-O", "binary", "-j", ".rdata", object.toString(), data.toString()));
        if (oc.exit() != 0) {
            throw new IllegalStateException(triplet + "-objcopy failed on " + object + ":\n" + oc.output());
        }
        return Files.readAllBytes(data);
    }

    /** Compiles {@code source} with debug information and returns {@code objdump --dwarf=info} of the object. */
    String dwarfInfo(Path source) throws IOException {
        Path object = source.resolveSibling(source.getFileName() + ".o");
        Result cc = run(List.of(triplet + "-gcc", "-c", "-g", "-w", "-I" + ddkDir(), source.toString(), "-o", object.toString()));
        if (cc.exit() != 0) {
            throw new IllegalStateException(triplet + "-gcc failed on " + source + ":\n" + cc.output());
        }
        Result od = run(List.of(triplet + "-objdump", "--dwarf=info", object.toString()));
        if (od.exit() != 0) {
            throw new IllegalStateException(triplet + "-objdump failed on " + object + ":\n" + od.output());
        }
        return od.output();
    }

    private record Result(int exit, String output) {
    }

    private static Result run(List<String> command) throws IOException {
        ProcessBuilder pb = new ProcessBuilder(new ArrayList<>(command)).redirectErrorStream(true);
        Process p = pb.start();
        byte[] out = p.getInputStream().readAllBytes();
        try {
            if (!p.waitFor(120, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new IOException(String.join(" ", command) + " timed out");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted", e);
        }
        return new Result(p.exitValue(), new String(out, StandardCharsets.UTF_8));
    }
}
