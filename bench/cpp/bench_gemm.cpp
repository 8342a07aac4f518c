// SGEMM/DGEMM throughput (GFLOP/s) of every available CPU level against a measured FMA peak:
// each shape is checked against kernels::gemm_baseline first, warmed up, then timed (median).
//   bench_gemm [--threads 1,2] [--levels avx512,avx2,baseline] [--dtype f32|f64]
//              [--shapes MxKxN,...] [--kc N --nc N] [--path auto|packed|direct] [--runs N]
//              [--split auto|rows|blocks|cols|serial] (how threads share the packed path)
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <random>
#include <string>
#include <vector>

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
#endif

#include "chainrule/cpu.h"
#include "chainrule/parallel.h"
#include "kernels/baseline/gemm.h"
#include "kernels/dispatch.h"
#include "kernels/gemm/gemm.h"

using namespace chainrule;
using kernels::GemmConfig;

namespace {

bool use_best = false;      // --best 1: the fastest run instead of the median (tuning)
bool use_cpu_time = false;  // --cpu-time 1: process CPU time (tuning on a busy machine)

double now() {
    if (use_cpu_time) {
        timespec ts{};
        clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
        return static_cast<double>(ts.tv_sec) + 1e-9 * static_cast<double>(ts.tv_nsec);
    }
    return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch())
        .count();
}

template <class F>
double median_seconds(const F& fn, int runs) {
    std::vector<double> t;
    for (int r = 0; r < runs; ++r) {
        const double start = now();
        fn();
        t.push_back(now() - start);
    }
    std::sort(t.begin(), t.end());
    return use_best ? t[0] : t[t.size() / 2];
}

// ---- FMA peak: 12 independent accumulator chains per thread (> latency x ports) ----------
#if defined(__x86_64__) && defined(__GNUC__)
__attribute__((target("avx512f"))) double fma_loop_avx512(long iters) {
    __m512 a[12];
    for (int i = 0; i < 12; ++i) a[i] = _mm512_set1_ps(0.001f * static_cast<float>(i));
    const __m512 b = _mm512_set1_ps(0.9999f), c = _mm512_set1_ps(1e-6f);
    for (long it = 0; it < iters; ++it) {
#pragma GCC unroll 12
        for (int i = 0; i < 12; ++i) a[i] = _mm512_fmadd_ps(a[i], b, c);
    }
    float s = 0;
    for (int i = 0; i < 12; ++i) s += _mm512_cvtss_f32(a[i]);
    return s;
}
__attribute__((target("avx2,fma"))) double fma_loop_avx2(long iters) {
    __m256 a[12];
    for (int i = 0; i < 12; ++i) a[i] = _mm256_set1_ps(0.001f * static_cast<float>(i));
    const __m256 b = _mm256_set1_ps(0.9999f), c = _mm256_set1_ps(1e-6f);
    for (long it = 0; it < iters; ++it) {
#pragma GCC unroll 12
        for (int i = 0; i < 12; ++i) a[i] = _mm256_fmadd_ps(a[i], b, c);
    }
    float s = 0;
    for (int i = 0; i < 12; ++i) s += _mm256_cvtss_f32(a[i]);
    return s;
}
#endif

// Baseline (SSE2, no FMA): 7 multiply and 7 add chains, each op one flop per lane; reported
// as 12 "FMA-equivalent" chains' worth so the formula below holds (14 ops = 7 FMAs' flops x2).
double fma_loop_baseline(long iters) {
    typedef float v4 __attribute__((vector_size(16)));
    v4 m[7], a[7];
    const v4 b = v4{} + 1.0000001f, c = v4{} + 1e-6f;  // no denormals, no overflow
    for (int i = 0; i < 7; ++i) m[i] = a[i] = v4{} + 0.001f * static_cast<float>(i);
    for (long it = 0; it < iters; ++it) {
#pragma GCC unroll 7
        for (int i = 0; i < 7; ++i) {
            m[i] = m[i] * b;
            a[i] = a[i] + c;
        }
    }
    float s = 0;
    for (int i = 0; i < 7; ++i) s += m[i][0] + a[i][0];
    return s;
}

// Float GFLOP/s of the level's widest FMA (best of 5), on `threads` threads at once; double
// peak is half.
double fma_peak(CpuCapability level, int threads) {
    const long iters = 20000000;
    double lanes = 4, best = 0;
    volatile double sink = 0;
    for (int rep = 0; rep < 5; ++rep) {
        const double t0 = now();
        parallel_for(0, threads, 0, [&](int64_t b, int64_t e) {
            for (int64_t t = b; t < e; ++t) {
#if defined(__x86_64__) && defined(__GNUC__)
                if (level == CpuCapability::Avx512) {
                    sink = sink + fma_loop_avx512(iters);
                    lanes = 16;
                } else if (level == CpuCapability::Avx2) {
                    sink = sink + fma_loop_avx2(iters);
                    lanes = 8;
                } else
#endif
                {
                    sink = sink + fma_loop_baseline(iters);
                    lanes = 4.0 * 7.0 / 12.0;  // 14 one-flop ops per step: 7/12 of 12 FMAs
                }
            }
        });
        const double dt = now() - t0;
        best = std::max(best, threads * 12.0 * lanes * 2.0 * iters / dt / 1e9);
    }
    return best;
}

struct Shape3 {
    int64_t M, K, N;
};

std::vector<std::string> split(const std::string& s, char sep) {
    std::vector<std::string> out;
    size_t b = 0;
    while (b <= s.size()) {
        const size_t e = s.find(sep, b);
        out.push_back(s.substr(b, e == std::string::npos ? std::string::npos : e - b));
        if (e == std::string::npos) break;
        b = e + 1;
    }
    return out;
}

template <class T>
bool check(const GemmConfig& cfg, const Shape3& s) {
    // Checked on a smaller problem of the same aspect when the shape is huge.
    const int64_t M = std::min<int64_t>(s.M, 700), K = std::min<int64_t>(s.K, 700),
                  N = std::min<int64_t>(s.N, 700);
    std::mt19937 rng(1);
    std::normal_distribution<double> nd;
    std::vector<T> A(M * K), B(K * N), C(M * N, T(NAN)), R(M * N);
    for (auto& x : A) x = static_cast<T>(nd(rng));
    for (auto& x : B) x = static_cast<T>(nd(rng));
    kernels::gemm_with<T>(cfg, M, N, K, T(1), A.data(), K, 1, B.data(), N, 1, T(0), C.data(), N, 1);
    kernels::gemm_baseline<T>(M, N, K, T(1), A.data(), K, 1, B.data(), N, 1, false, R.data(), N, 1);
    const double tol = (sizeof(T) == 4 ? 1e-5 : 1e-13) * std::sqrt(static_cast<double>(K)) * 4;
    for (int64_t i = 0; i < M * N; ++i) {
        if (!(std::fabs(C[i] - R[i]) <= tol * (1 + std::fabs(R[i])))) {
            std::fprintf(stderr, "%s: wrong result at %lld: %g vs %g\n",
                         cpu_capability_name(cfg.level), static_cast<long long>(i),
                         static_cast<double>(C[i]), static_cast<double>(R[i]));
            return false;
        }
    }
    return true;
}

template <class T>
double time_gemm(const GemmConfig& cfg, const Shape3& s, int runs) {
    std::vector<T> A(s.M * s.K), B(s.K * s.N), C(s.M * s.N);
    std::mt19937 rng(2);
    std::uniform_real_distribution<double> ud(-1, 1);
    for (auto& x : A) x = static_cast<T>(ud(rng));
    for (auto& x : B) x = static_cast<T>(ud(rng));
    auto run = [&] {
        kernels::gemm_with<T>(cfg, s.M, s.N, s.K, T(1), A.data(), s.K, 1, B.data(), s.N, 1, T(0),
                              C.data(), s.N, 1);
    };
    const double flops = 2.0 * s.M * s.N * s.K;
    // Repeat each timed sample to ~20 ms so small shapes are not lost in timer noise.
    const double t1 = median_seconds(run, 3);
    const int reps = std::max(1, static_cast<int>(0.02 / std::max(t1, 1e-9)));
    const double t = median_seconds(
        [&] {
            for (int r = 0; r < reps; ++r) run();
        },
        runs);
    return flops * reps / t / 1e9;
}

}  // namespace

int main(int argc, char** argv) {
    std::vector<int> threads = {1, 2};
    std::vector<CpuCapability> levels;
    std::vector<Shape3> shapes = {{128, 128, 128},  {512, 512, 512}, {2048, 2048, 2048},
                                  {128, 784, 256},  {256, 128, 784}, {128, 256, 784},
                                  {512, 4096, 4096}};
    bool f64 = false;
    int runs = 7;
    GemmConfig base;
    for (int i = 1; i + 1 < argc; i += 2) {
        const std::string key = argv[i], val = argv[i + 1];
        if (key == "--threads") {
            threads.clear();
            for (auto& t : split(val, ',')) threads.push_back(std::atoi(t.c_str()));
        } else if (key == "--levels") {
            for (auto& l : split(val, ',')) {
                CpuCapability level;
                if (!cpu_capability_from_name(l.c_str(), &level)) {
                    std::fprintf(stderr, "bench_gemm: unknown level %s\n", l.c_str());
                    return 2;
                }
                levels.push_back(level);
            }
        } else if (key == "--shapes") {
            shapes.clear();
            for (auto& s : split(val, ',')) {
                const auto d = split(s, 'x');
                shapes.push_back(
                    {std::atoll(d[0].c_str()), std::atoll(d[1].c_str()), std::atoll(d[2].c_str())});
            }
        } else if (key == "--dtype") {
            f64 = val == "f64";
        } else if (key == "--kc") {
            base.kc = std::atoll(val.c_str());
        } else if (key == "--nc") {
            base.nc = std::atoll(val.c_str());
        } else if (key == "--path") {
            base.path = val == "packed"   ? kernels::GemmPath::Packed
                        : val == "direct" ? kernels::GemmPath::Direct
                                          : kernels::GemmPath::Auto;
        } else if (key == "--split") {
            base.split = val == "rows"     ? kernels::GemmSplit::Rows
                         : val == "blocks" ? kernels::GemmSplit::RowsBlocks
                         : val == "cols"   ? kernels::GemmSplit::Cols
                         : val == "serial" ? kernels::GemmSplit::Serial
                                           : kernels::GemmSplit::Auto;
        } else if (key == "--best") {
            use_best = val == "1";
        } else if (key == "--cpu-time") {
            use_cpu_time = val == "1";
        } else if (key == "--runs") {
            runs = std::atoi(val.c_str());
        }
    }
    if (levels.empty()) {
        for (int l = static_cast<int>(cpu_capability_supported()); l >= 0; --l) {
            levels.push_back(static_cast<CpuCapability>(l));
        }
    }
    const auto& cs = kernels::cache_sizes();
    std::printf("cache: L1d %lld KiB, L2 %lld KiB, L3 %lld KiB; dtype %s\n",
                static_cast<long long>(cs.l1d >> 10), static_cast<long long>(cs.l2 >> 10),
                static_cast<long long>(cs.l3 >> 10), f64 ? "float64" : "float32");
    for (CpuCapability level : levels) {
        if (kernels::kernel_table_at(level) == nullptr) {
            std::printf("%s: not available here\n", cpu_capability_name(level));
            continue;
        }
        GemmConfig cfg = base;
        cfg.level = level;
        const auto bl =
            f64 ? kernels::gemm_blocking<double>(level) : kernels::gemm_blocking<float>(level);
        std::printf("\n%s: MR x NR = %lld x %lld, KC %lld, NC %lld (defaults)\n",
                    cpu_capability_name(level), static_cast<long long>(bl.mr),
                    static_cast<long long>(bl.nr), static_cast<long long>(bl.kc),
                    static_cast<long long>(bl.nc));
        for (const Shape3& s : shapes) {
            if (!(f64 ? check<double>(cfg, s) : check<float>(cfg, s))) return 1;
        }
        for (int nt : threads) {
            set_num_threads(nt);
            const double peak = fma_peak(level, nt) / (f64 ? 2.0 : 1.0);
            std::printf("  threads %d: measured FMA peak %.1f GFLOP/s\n", nt, peak);
            for (const Shape3& s : shapes) {
                const double g =
                    f64 ? time_gemm<double>(cfg, s, runs) : time_gemm<float>(cfg, s, runs);
                std::printf("    %5lld x %5lld x %5lld  %7.1f GFLOP/s  %5.1f%% of peak\n",
                            static_cast<long long>(s.M), static_cast<long long>(s.K),
                            static_cast<long long>(s.N), g, 100.0 * g / peak);
            }
        }
    }
    return 0;
}
