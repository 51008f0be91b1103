/** The non-paged and paged pools: arena allocators with POOL_HEADERs, size classes and per-tag accounting. */
package dev.offkern.runtime.pool;
