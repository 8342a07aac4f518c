// CPU detection (instruction sets and the OS's saved vector state), the
// CHAINRULE_CPU_CAPABILITY override, the per-level kernel tables and the cache sizes. Compiled
// with baseline flags: it only asks the CPU, never runs an ISA's instructions itself.
#include "dispatch.h"

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#if defined(__unix__) || defined(__APPLE__)
#include <unistd.h>
#endif

#if (defined(__x86_64__) || defined(__i386__)) && (defined(__GNUC__) || defined(__clang__))
#define CR_X86_GNU 1
#include <cpuid.h>
#elif defined(_M_X64) && defined(_MSC_VER)
#define CR_X86_MSVC 1
#include <immintrin.h>
#include <intrin.h>
#endif

namespace chainrule {

namespace {

#if defined(CR_X86_GNU) || defined(CR_X86_MSVC)
void cpuid(unsigned leaf, unsigned sub, unsigned r[4]) {
#if defined(CR_X86_GNU)
    __cpuid_count(leaf, sub, r[0], r[1], r[2], r[3]);
#else
    int v[4];
    __cpuidex(v, static_cast<int>(leaf), static_cast<int>(sub));
    for (int i = 0; i < 4; ++i) r[i] = static_cast<unsigned>(v[i]);
#endif
}

// XCR0: which register states the OS saves on a context switch.
uint64_t xcr0() {
#if defined(CR_X86_GNU)
    uint32_t lo = 0, hi = 0;
    __asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
    return (static_cast<uint64_t>(hi) << 32) | lo;
#else
    return _xgetbv(0);
#endif
}

CpuCapability detect_cpu() {
    unsigned r[4];
    cpuid(0, 0, r);
    const unsigned max_leaf = r[0];
    if (max_leaf < 7) return CpuCapability::Baseline;
    cpuid(1, 0, r);
    const bool osxsave = (r[2] >> 27) & 1, fma = (r[2] >> 12) & 1, avx = (r[2] >> 28) & 1;
    if (!osxsave || !avx) return CpuCapability::Baseline;
    const uint64_t xcr = xcr0();
    const bool os_avx = (xcr & 0x6) == 0x6;            // XMM and YMM state
    const bool os_avx512 = (xcr & 0xE6) == 0xE6;       // plus opmask, ZMM_Hi256, Hi16_ZMM
    cpuid(7, 0, r);
    const bool avx2 = (r[1] >> 5) & 1;
    const bool avx512f = (r[1] >> 16) & 1, avx512bw = (r[1] >> 30) & 1,
               avx512vl = (r[1] >> 31) & 1;
    if (os_avx512 && avx512f && avx512bw && avx512vl && avx2 && fma) return CpuCapability::Avx512;
    if (os_avx && avx2 && fma) return CpuCapability::Avx2;
    return CpuCapability::Baseline;
}
#else
CpuCapability detect_cpu() { return CpuCapability::Baseline; }
#endif

// Whether this build has every family's code for the level (the ISA units compiled with
// their flags).
bool build_has(CpuCapability level) {
    kernels::GemmKernels g{};
    kernels::ElementwiseKernels e{};
    kernels::ReduceKernels r{};
    kernels::SoftmaxKernels s{};
    kernels::OptimKernels o{};
    kernels::NormKernels nk{};
    switch (level) {
        case CpuCapability::Avx512:
            return kernels::gemm_kernels_avx512(&g) && kernels::elementwise_kernels_avx512(&e) &&
                   kernels::reduce_kernels_avx512(&r) && kernels::softmax_kernels_avx512(&s) &&
                   kernels::optim_kernels_avx512(&o) && kernels::norm_kernels_avx512(&nk);
        case CpuCapability::Avx2:
            return kernels::gemm_kernels_avx2(&g) && kernels::elementwise_kernels_avx2(&e) &&
                   kernels::reduce_kernels_avx2(&r) && kernels::softmax_kernels_avx2(&s) &&
                   kernels::optim_kernels_avx2(&o) && kernels::norm_kernels_avx2(&nk);
        case CpuCapability::Baseline: return true;
    }
    return false;
}

CpuCapability supported() {
    CpuCapability best = detect_cpu();
    while (best != CpuCapability::Baseline && !build_has(best)) {
        best = static_cast<CpuCapability>(static_cast<int>(best) - 1);
    }
    return best;
}

CpuCapability choose() {
    const CpuCapability best = cpu_capability_supported();
    const char* env = std::getenv("CHAINRULE_CPU_CAPABILITY");
    if (env == nullptr || *env == '\0') return best;
    CpuCapability want;
    const std::string s(env);
    if (s == "baseline") {
        want = CpuCapability::Baseline;
    } else if (s == "avx2") {
        want = CpuCapability::Avx2;
    } else if (s == "avx512") {
        want = CpuCapability::Avx512;
    } else {
        std::fprintf(stderr,
                     "chainrule: ignoring CHAINRULE_CPU_CAPABILITY=%s (expected baseline, avx2 "
                     "or avx512); using %s\n",
                     env, cpu_capability_name(best));
        return best;
    }
    if (static_cast<int>(want) > static_cast<int>(best)) {
        std::fprintf(stderr,
                     "chainrule: CHAINRULE_CPU_CAPABILITY=%s is not supported by this CPU or "
                     "build; using %s\n",
                     env, cpu_capability_name(best));
        return best;
    }
    return want;
}

kernels::KernelTable make_table(CpuCapability level) {
    kernels::KernelTable t{};
    t.level = level;
    switch (level) {
        case CpuCapability::Avx512:
            kernels::gemm_kernels_avx512(&t.gemm);
            kernels::elementwise_kernels_avx512(&t.elementwise);
            kernels::reduce_kernels_avx512(&t.reduce);
            kernels::softmax_kernels_avx512(&t.softmax);
            kernels::optim_kernels_avx512(&t.optim);
            kernels::norm_kernels_avx512(&t.norm);
            break;
        case CpuCapability::Avx2:
            kernels::gemm_kernels_avx2(&t.gemm);
            kernels::elementwise_kernels_avx2(&t.elementwise);
            kernels::reduce_kernels_avx2(&t.reduce);
            kernels::softmax_kernels_avx2(&t.softmax);
            kernels::optim_kernels_avx2(&t.optim);
            kernels::norm_kernels_avx2(&t.norm);
            break;
        case CpuCapability::Baseline:
            kernels::gemm_kernels_baseline(&t.gemm);
            kernels::elementwise_kernels_baseline(&t.elementwise);
            kernels::reduce_kernels_baseline(&t.reduce);
            kernels::softmax_kernels_baseline(&t.softmax);
            kernels::optim_kernels_baseline(&t.optim);
            kernels::norm_kernels_baseline(&t.norm);
            break;
    }
    return t;
}

struct Tables {
    kernels::KernelTable at[3];
    bool available[3];
    Tables() : at{}, available{} {
        const int best = static_cast<int>(cpu_capability_supported());
        for (int l = 0; l <= best; ++l) {
            const auto level = static_cast<CpuCapability>(l);
            if (!build_has(level)) continue;
            at[l] = make_table(level);
            available[l] = true;
        }
    }
};

const Tables& tables() {
    static const Tables t;
    return t;
}

int64_t sysconf_size(int name) {
#if defined(__unix__) || defined(__APPLE__)
    const long v = sysconf(name);
    return v > 0 ? static_cast<int64_t>(v) : 0;
#else
    (void)name;
    return 0;
#endif
}

// Cache size of a level from cpuid leaf 4 (Intel) or 0x8000001D (AMD); 0 when unknown.
int64_t cpuid_cache(int level, bool data) {
#if defined(CR_X86_GNU) || defined(CR_X86_MSVC)
    unsigned r[4];
    cpuid(0, 0, r);
    const bool intel = r[1] == 0x756e6547;  // "Genu"
    unsigned leaf = 4;
    if (!intel) {
        cpuid(0x80000000, 0, r);
        if (r[0] < 0x8000001D) return 0;
        leaf = 0x8000001D;
    } else {
        cpuid(0, 0, r);
        if (r[0] < 4) return 0;
    }
    for (unsigned sub = 0; sub < 16; ++sub) {
        cpuid(leaf, sub, r);
        const unsigned type = r[0] & 0x1f;  // 1 data, 2 instruction, 3 unified
        if (type == 0) break;
        if (static_cast<int>((r[0] >> 5) & 7) != level) continue;
        if (data ? type != 1 : type != 3) continue;
        const int64_t ways = ((r[1] >> 22) & 0x3ff) + 1, parts = ((r[1] >> 12) & 0x3ff) + 1;
        const int64_t line = (r[1] & 0xfff) + 1, sets = static_cast<int64_t>(r[2]) + 1;
        return ways * parts * line * sets;
    }
#else
    (void)level;
    (void)data;
#endif
    return 0;
}

int64_t cache_size(int sc_name, int level, int64_t fallback) {
    int64_t v = sysconf_size(sc_name);
    if (v <= 0) v = cpuid_cache(level, level == 1);
    return v > 0 ? v : fallback;
}

}  // namespace

CpuCapability cpu_capability_supported() {
    static const CpuCapability best = supported();
    return best;
}

CpuCapability cpu_capability() {
    static const CpuCapability level = choose();
    return level;
}

const char* cpu_capability_name(CpuCapability level) {
    switch (level) {
        case CpuCapability::Avx512: return "avx512";
        case CpuCapability::Avx2: return "avx2";
        case CpuCapability::Baseline: return "baseline";
    }
    return "baseline";
}

namespace kernels {

const KernelTable& kernel_table() {
    static const KernelTable& t = tables().at[static_cast<int>(cpu_capability())];
    return t;
}

const KernelTable* kernel_table_at(CpuCapability level) {
    const int l = static_cast<int>(level);
    if (l < 0 || l > 2 || !tables().available[l]) return nullptr;
    return &tables().at[l];
}

const CacheSizes& cache_sizes() {
#if defined(_SC_LEVEL1_DCACHE_SIZE)
    static const CacheSizes c{cache_size(_SC_LEVEL1_DCACHE_SIZE, 1, 32 << 10),
                              cache_size(_SC_LEVEL2_CACHE_SIZE, 2, 1 << 20),
                              cache_size(_SC_LEVEL3_CACHE_SIZE, 3, 8 << 20)};
#else
    static const CacheSizes c{cache_size(-1, 1, 32 << 10), cache_size(-1, 2, 1 << 20),
                              cache_size(-1, 3, 8 << 20)};
#endif
    return c;
}

}  // namespace kernels

}  // namespace chainrule
