/* offkern native shim: what Java cannot do. See the module's package-info for the contract. */
#include <stdint.h>

#define OFFKERN_EXPORT __attribute__((visibility("default")))

OFFKERN_EXPORT uint32_t offkern_shim_abi_version(void) { return 1; }
