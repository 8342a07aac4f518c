// The CPU instruction-set level the kernels run at: detected once per process (CPU and OS
// support), lowered by CHAINRULE_CPU_CAPABILITY=baseline|avx2|avx512.
#pragma once

namespace chainrule {

// Ordered: a level implies the ones below it. Baseline is plain x86-64 (SSE2) or, on other
// architectures, the portable C++ kernels.
enum class CpuCapability { Baseline = 0, Avx2 = 1, Avx512 = 2 };

// The level in use. The first call reads CHAINRULE_CPU_CAPABILITY: a level above what the
// CPU, the OS or the build supports falls back to the best supported one, with a warning on
// stderr (once); an unknown value is ignored with a warning.
CpuCapability cpu_capability();

// The best level this CPU, its OS (saved vector state, xgetbv) and this build support.
CpuCapability cpu_capability_supported();

// "baseline", "avx2" or "avx512".
const char* cpu_capability_name(CpuCapability level);

}  // namespace chainrule
