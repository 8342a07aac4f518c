// The CPU levels (chainrule/cpu_levels.def) as the library and the build see them: names,
// the CHAINRULE_CPU_CAPABILITY choice, and one kernel table per available level.
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#include "chainrule/cpu.h"
#include "kernels/dispatch.h"

using namespace chainrule;

namespace {
int checks = 0, failures = 0;

void expect(bool ok, const std::string& what) {
    ++checks;
    if (!ok) {
        std::fprintf(stderr, "FAILED: %s\n", what.c_str());
        ++failures;
    }
}

// The level names CMake read from the list (cmake/cpu_levels.cmake) are the library's, in
// the same order: the build's flags and the dispatch tables describe the same levels.
void test_names() {
    std::string names;
    for (int l = 0; l < kCpuCapabilityCount; ++l) {
        const auto level = static_cast<CpuCapability>(l);
        const char* name = cpu_capability_name(level);
        names += std::string(l ? "|" : "") + name;
        CpuCapability back = CpuCapability::Baseline;
        expect(cpu_capability_from_name(name, &back) && back == level,
               std::string("name round trip: ") + name);
    }
    expect(names == CHAINRULE_CMAKE_CPU_LEVELS,
           "CMake's levels " CHAINRULE_CMAKE_CPU_LEVELS " are the library's: " + names);
    expect(std::strcmp(cpu_capability_name(CpuCapability::Baseline), "baseline") == 0,
           "the first level is the baseline");
    CpuCapability untouched = CpuCapability::Baseline;
    expect(!cpu_capability_from_name("ref", &untouched) &&
               !cpu_capability_from_name("", &untouched) && untouched == CpuCapability::Baseline,
           "unknown names are refused");
}

// Every available level has its table; the level in use is the best available one unless
// CHAINRULE_CPU_CAPABILITY lowers it.
void test_dispatch() {
    const CpuCapability best = cpu_capability_supported();
    expect(cpu_capability_available(CpuCapability::Baseline), "the baseline is available");
    expect(cpu_capability_available(best), "the best supported level is available");
    for (int l = 0; l < kCpuCapabilityCount; ++l) {
        const auto level = static_cast<CpuCapability>(l);
        const std::string name = cpu_capability_name(level);
        const kernels::KernelTable* t = kernels::kernel_table_at(level);
        expect((t != nullptr) == cpu_capability_available(level), "table iff available: " + name);
        expect(t == nullptr || t->level == level, "the table is its level's: " + name);
        expect(l <= static_cast<int>(best) || t == nullptr, "nothing above the best: " + name);
        if (t != nullptr) {
            expect(t->gemm.s.mr > 0 && t->gemm.d.mr > 0, "the table is filled: " + name);
        }
    }
    expect(!cpu_capability_available(static_cast<CpuCapability>(kCpuCapabilityCount)),
           "no level past the list");
    const char* env = std::getenv("CHAINRULE_CPU_CAPABILITY");
    if (env == nullptr || *env == '\0') {
        expect(cpu_capability() == best, "no override: the best supported level is in use");
    }
    expect(cpu_capability_available(cpu_capability()), "the level in use is available");
    expect(kernels::kernel_table().level == cpu_capability(), "kernel_table() is the level in use");
    expect(&kernels::kernel_table() == kernels::kernel_table_at(cpu_capability()),
           "kernel_table() is kernel_table_at(the level in use)");
    const auto& cs = kernels::cache_sizes();
    expect(cs.l1d >= 4096 && cs.l2 >= cs.l1d, "cache sizes are sane");
}
}  // namespace

int main() {
    test_names();
    test_dispatch();
    std::printf("%d checks, %d failures\n", checks, failures);
    return failures == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
