#!/bin/bash
# Builds the ablation libraries from a copy of native-shims/src/main/c with ablations.diff applied
# (patch -p0 inside the copy), next to the probes' -Doffkern.shim.path. Measurement only: the variants
# without checks or section are unsafe.
CF="-O2 -std=gnu11 -Wall -fPIC -shared -mcx16 -fvisibility=hidden -pthread"
for v in full:"" nofence:"-DABL_NOFENCEFLAG" nosection:"-DABL_NOSECTION -DABL_NOFENCEFLAG" noepoch:"-DABL_NOEPOCH" \
         nocheck:"-DABL_NOCHECK -DABL_NOEPOCH" none:"-DABL_NOCHECK -DABL_NOEPOCH -DABL_NOSECTION -DABL_NOFENCEFLAG" \
         statereg:"-DABL_STATEREG" statereg-nofence:"-DABL_STATEREG -DABL_NOFENCEFLAG"; do
  n=${v%%:*}; f=${v#*:}
  gcc $CF $f -o lib-$n.so offkern_shim.c offkern_map.c
done
