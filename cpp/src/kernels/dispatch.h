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

// One member per kernel family, each filled from the same level's ISA units. A new family
// adds a member here, a `bool <family>_kernels_<isa>(Family*)` getter per ISA unit (internal
// linkage inside the unit, as gemm/ukernel_avx512.cpp) and a line in make_table().
struct KernelTable {
    CpuCapability level;
    GemmKernels gemm;
    ElementwiseKernels elementwise;
    ReduceKernels reduce;
    SoftmaxKernels softmax;
    OptimKernels optim;
    NormKernels norm;
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
