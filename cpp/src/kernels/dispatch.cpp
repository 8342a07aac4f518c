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
#if defined(__linux__) && defined(__x86_64__)
#include <sys/syscall.h>
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

// The levels of chainrule/cpu_levels.def: name and checks.
enum class Reg { eax, ebx, ecx, edx };
struct CpuidBit {
    unsigned leaf, sub;  // leaf 0: an unused slot
    Reg reg;
    unsigned bit;
};
struct LevelSpec {
    const char* name;
    uint64_t xcr0;   // register states the OS must save
    unsigned xcomp;  // Linux: state component to request with ARCH_REQ_XCOMP_PERM; 0 none
    CpuidBit cpuid[8];
};
#define CR_LIST(...) __VA_ARGS__
#define CR_CPUID(leaf, sub, reg, bit) \
    CpuidBit { leaf, sub, Reg::reg, bit }
#define CR_CPU_LEVEL(Enum, name, xcr0, xcomp, cpuid, ...) {#name, xcr0, xcomp, {CR_LIST cpuid}},
constexpr LevelSpec kLevels[] = {
#include "chainrule/cpu_levels.def"
};
#undef CR_CPUID
#undef CR_LIST
static_assert(sizeof(kLevels) / sizeof(kLevels[0]) == kCpuCapabilityCount);

// Each level's row of getters, one per kernel family: <family>_kernels_<level>.
struct Getters {
#define CR_GETTER(Type, member, _) bool (*member)(kernels::Type*);
    CR_KERNEL_FAMILIES(CR_GETTER, _)
#undef CR_GETTER
};
#define CR_GETTER_OF(Type, member, level) &kernels::member##_kernels_##level,
#define CR_CPU_LEVEL(Enum, name, ...) {CR_KERNEL_FAMILIES(CR_GETTER_OF, name)},
constexpr Getters kGetters[] = {
#include "chainrule/cpu_levels.def"
};
#undef CR_GETTER_OF

// Fills every family of *t with the level's kernels; false when this build lacks any of them
// (not x86-64, or a unit compiled without its level's flags).
bool fill(int level, kernels::KernelTable* t) {
    const Getters& g = kGetters[level];
    t->level = static_cast<CpuCapability>(level);
    bool ok = true;
#define CR_FILL(Type, member, _) ok = g.member(&t->member) && ok;
    CR_KERNEL_FAMILIES(CR_FILL, _)
#undef CR_FILL
    return ok;
}

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

// Whether CPUID reports the bit. A leaf past the highest one (of its range: basic or
// 0x8000_0000 extended) reads as zeros; so does a subleaf past the highest one that subleaf 0
// reports in EAX (as leaf 7 does).
bool has_bit(const CpuidBit& b) {
    unsigned r[4];
    cpuid(b.leaf & 0x80000000u, 0, r);
    if (b.leaf > r[0]) return false;
    if (b.sub > 0) {
        cpuid(b.leaf, 0, r);
        if (b.sub > r[0]) return false;
    }
    cpuid(b.leaf, b.sub, r);
    return (r[static_cast<int>(b.reg)] >> b.bit) & 1;
}

// Linux: dynamically enabled register state (AMX tile data) is usable only once the process
// asked for it; other systems enable what XCR0 shows.
bool xcomp_granted(unsigned component) {
#if defined(__linux__) && defined(__x86_64__)
    constexpr long kArchReqXcompPerm = 0x1023;  // ARCH_REQ_XCOMP_PERM, asm/prctl.h
    return syscall(SYS_arch_prctl, kArchReqXcompPerm, static_cast<unsigned long>(component)) == 0;
#else
    (void)component;
    return true;
#endif
}

// The highest level whose checks, and those of every level below it, pass here.
int detect_cpu() {
    unsigned r[4];
    cpuid(1, 0, r);
    const bool osxsave = (r[2] >> 27) & 1;
    const uint64_t xcr = osxsave ? xcr0() : 0;
    int best = 0;
    for (int l = 1; l < kCpuCapabilityCount; ++l) {
        const LevelSpec& s = kLevels[l];
        if ((xcr & s.xcr0) != s.xcr0) break;
        bool bits = true;
        for (const CpuidBit& b : s.cpuid) bits = bits && (b.leaf == 0 || has_bit(b));
        if (!bits || (s.xcomp != 0 && !xcomp_granted(s.xcomp))) break;
        best = l;
    }
    return best;
}
#else
int detect_cpu() { return 0; }
#endif

struct Tables {
    kernels::KernelTable at[kCpuCapabilityCount];
    bool available[kCpuCapabilityCount];
    int best = 0;  // the highest available level
    Tables() : at{}, available{} {
        const int cpu = detect_cpu();
        for (int l = 0; l <= cpu; ++l) {  // the baseline's units are always built
            available[l] = fill(l, &at[l]);
            if (available[l]) best = l;
        }
    }
};

const Tables& tables() {
    static const Tables t;
    return t;
}

// The level a process runs at: the best available one, or CHAINRULE_CPU_CAPABILITY's (the
// highest available one at or below it).
CpuCapability choose() {
    const CpuCapability best = cpu_capability_supported();
    const char* env = std::getenv("CHAINRULE_CPU_CAPABILITY");
    if (env == nullptr || *env == '\0') return best;
    CpuCapability want;
    if (!cpu_capability_from_name(env, &want)) {
        std::string names;
        for (const LevelSpec& s : kLevels) names += std::string(names.empty() ? "" : ", ") + s.name;
        std::fprintf(stderr,
                     "chainrule: ignoring CHAINRULE_CPU_CAPABILITY=%s (expected one of %s); "
                     "using %s\n",
                     env, names.c_str(), cpu_capability_name(best));
        return best;
    }
    if (static_cast<int>(want) > static_cast<int>(best)) {
        std::fprintf(stderr,
                     "chainrule: CHAINRULE_CPU_CAPABILITY=%s is not supported by this CPU or "
                     "build; using %s\n",
                     env, cpu_capability_name(best));
        return best;
    }
    int l = static_cast<int>(want);
    while (l > 0 && !tables().available[l]) --l;
    return static_cast<CpuCapability>(l);
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

CpuCapability cpu_capability_supported() { return static_cast<CpuCapability>(tables().best); }

CpuCapability cpu_capability() {
    static const CpuCapability level = choose();
    return level;
}

bool cpu_capability_available(CpuCapability level) {
    const int l = static_cast<int>(level);
    return l >= 0 && l < kCpuCapabilityCount && tables().available[l];
}

const char* cpu_capability_name(CpuCapability level) {
    const int l = static_cast<int>(level);
    return l >= 0 && l < kCpuCapabilityCount ? kLevels[l].name : "unknown";
}

bool cpu_capability_from_name(const char* name, CpuCapability* out) {
    for (int l = 0; l < kCpuCapabilityCount; ++l) {
        if (std::strcmp(name, kLevels[l].name) == 0) {
            *out = static_cast<CpuCapability>(l);
            return true;
        }
    }
    return false;
}

namespace kernels {

const KernelTable& kernel_table() {
    static const KernelTable& t = tables().at[static_cast<int>(cpu_capability())];
    return t;
}

const KernelTable* kernel_table_at(CpuCapability level) {
    return cpu_capability_available(level) ? &tables().at[static_cast<int>(level)] : nullptr;
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
