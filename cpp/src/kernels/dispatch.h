// The kernel tables of each CPU level, filled once per process, and the cache sizes the
// blocked kernels tune to. Ops call through kernel_table(); see chainrule/cpu.h for levels.
#pragma once
#include <cstdint>
#include <type_traits>

#include "chainrule/cpu.h"
#include "elementwise/elementwise_kernels.h"
#include "gemm/gemm_kernels.h"
#include "norm/norm_kernels.h"
#include "optim/optim_kernels.h"
#include "reduce/reduce_kernels.h"
#include "softmax/softmax_kernels.h"

namespace chainrule::kernels {

// The kernel families, each X(type, member): a KernelTable member filled at every level
// (chainrule/cpu_levels.def) by `bool <member>_kernels_<level>(<type>*)`, defined in the
// family's unit for that level (internal linkage inside it, as gemm/ukernel_avx512.cpp) and
// declared in its header. A new family adds a line here and those units.
#define CR_KERNEL_FAMILIES(X, arg)          \
    X(GemmKernels, gemm, arg)               \
    X(ElementwiseKernels, elementwise, arg) \
    X(ReduceKernels, reduce, arg)           \
    X(SoftmaxKernels, softmax, arg)         \
    X(OptimKernels, optim, arg)             \
    X(NormKernels, norm, arg)

// One member per kernel family, each filled from the same level's units.
struct KernelTable {
    CpuCapability level;
#define CR_TABLE_MEMBER(Type, member, _) Type member;
    CR_KERNEL_FAMILIES(CR_TABLE_MEMBER, _)
#undef CR_TABLE_MEMBER
};

// The table of the level in use (cpu_capability()).
const KernelTable& kernel_table();

// One dtype's half of a kernel family (every family holds .s for float and .d for double):
// for_dtype<T>(kernel_table().softmax).
template <class T, class Family>
const auto& for_dtype(const Family& family) {
    if constexpr (std::is_same_v<T, float>) {
        return family.s;
    } else {
        return family.d;
    }
}

// The table of a given level, or nullptr where this CPU, OS or build lacks it (tests and
// benchmarks run every available level).
const KernelTable* kernel_table_at(CpuCapability level);

// Per-core data cache sizes in bytes (sysconf, then cpuid, else 32 KiB / 1 MiB / 8 MiB);
// l3 is the whole shared cache.
struct CacheSizes {
    int64_t l1d, l2, l3;
};
const CacheSizes& cache_sizes();

}  // namespace chainrule::kernels
