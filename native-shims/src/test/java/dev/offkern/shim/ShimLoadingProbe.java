package dev.offkern.shim;

/**
 * A child JVM's main for {@link ShimLoadingChildJvmTest}: loads the shim the way any application
 * does (first use of {@link NativeShim}) and prints where from, one {@code key=value} per line;
 * when loaded it also runs one 128-bit CAS through the library to show that it works.
 */
public final class ShimLoadingProbe {
    private ShimLoadingProbe() {
    }

    public static void main(String[] args) {
        System.out.println("loaded=" + NativeShim.isLoaded());
        System.out.println("source=" + NativeShim.source());
        System.out.println("location=" + NativeShim.location());
        if (NativeShim.isLoaded()) {
            System.out.println("abi=" + NativeShim.abiVersion());
            System.out.println("cas128=" + Cas128.isSupported());
        }
    }
}
