// The CPU instruction-set level the kernels run at: detected once per process (CPU and OS
// support), lowered by CHAINRULE_CPU_CAPABILITY=<level name>. The levels are listed once, in
// chainrule/cpu_levels.def.
#pragma once

namespace chainrule {

// Ordered: a level implies the ones below it. Baseline is plain x86-64 (SSE2) or, on other
// architectures, the portable C++ kernels.
enum class CpuCapability {
#define CR_CPU_LEVEL(Enum, ...) Enum,
#include "chainrule/cpu_levels.def"
};

// The number of levels: CpuCapability values are 0 .. kCpuCapabilityCount - 1.
constexpr int kCpuCapabilityCount = 0
#define CR_CPU_LEVEL(...) +1
#include "chainrule/cpu_levels.def"
    ;

// The level in use. The first call reads CHAINRULE_CPU_CAPABILITY: a level above what the
// CPU, the OS or the build supports falls back to the best supported one, with a warning on
// stderr (once); an unknown value is ignored with a warning.
CpuCapability cpu_capability();

// The best level this CPU, its OS (saved vector state, xgetbv) and this build support.
CpuCapability cpu_capability_supported();

// Whether the level's kernels can run here (this CPU, OS and build support it).
bool cpu_capability_available(CpuCapability level);

// The level's name ("baseline", "avx2", ...), as CHAINRULE_CPU_CAPABILITY spells it.
const char* cpu_capability_name(CpuCapability level);

// The level named `name` into *out; false (and *out untouched) for an unknown name.
bool cpu_capability_from_name(const char* name, CpuCapability* out);

}  // namespace chainrule
