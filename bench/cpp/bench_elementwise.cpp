// Elementwise kernels (cpp/src/kernels/elementwise/) at every CPU level this machine and build
// have, float32, 1 thread, straight through the kernel tables (no tensors, no allocation):
// each kernel's output is first checked against the double-precision formula (max error in
// float32 ulps, and bit-identical across levels for the one-operation kernels), then timed.
// Reports ns per element and GB/s (bytes read + written) for 1M and 64K elements.
//   ./bench_elementwise [n]
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "kernels/dispatch.h"

using namespace chainrule;
using namespace chainrule::kernels;

namespace {

template <class F>
double median_seconds(const F& fn, int64_t n) {
    // Enough calls per sample for ~2 ms, 15 samples.
    int reps = std::max<int64_t>(1, 2000000 / std::max<int64_t>(n, 1));
    std::vector<double> t;
    fn();
    for (int r = 0; r < 15; ++r) {
        const auto start = std::chrono::steady_clock::now();
        for (int k = 0; k < reps; ++k) fn();
        t.push_back(
            std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count() / reps);
    }
    std::sort(t.begin(), t.end());
    return t[t.size() / 2];
}

double ulps(float got, double ref) {
    if (std::isnan(ref)) return std::isnan(got) ? 0 : 1e9;
    if (std::isinf(static_cast<float>(ref))) return got == static_cast<float>(ref) ? 0 : 1e9;
    int e;
    std::frexp(std::fabs(ref), &e);
    return std::fabs(static_cast<double>(got) - ref) / std::ldexp(1.0, std::max(e - 24, -149));
}

struct UnaryCase {
    const char* name;
    Unary op;
    double (*ref)(double);
    double lo, hi;
};

double gelu_ref(double x) { return 0.5 * x * (1 + std::erf(x / std::sqrt(2.0))); }
double silu_ref(double x) { return x / (1 + std::exp(-x)); }
double sigmoid_ref(double x) { return 1 / (1 + std::exp(-x)); }
double relu_ref(double x) { return x > 0 ? x : 0; }
double exp_ref(double x) { return std::exp(x); }
double tanh_ref(double x) { return std::tanh(x); }
double log_ref(double x) { return std::log(x); }
double sqrt_ref(double x) { return std::sqrt(x); }

}  // namespace

int main(int argc, char** argv) {
    const int64_t big = argc > 1 ? std::atoll(argv[1]) : (int64_t{1} << 20);
    const UnaryCase cases[] = {
        {"exp", Unary::Exp, exp_ref, -80, 80},
        {"log", Unary::Log, log_ref, 1e-3, 1e3},
        {"sqrt", Unary::Sqrt, sqrt_ref, 0, 1e3},
        {"tanh", Unary::Tanh, tanh_ref, -10, 10},
        {"sigmoid", Unary::Sigmoid, sigmoid_ref, -20, 20},
        {"gelu (x >= 0)", Unary::GeluErf, gelu_ref, 0, 8},  // below 0, 1 + erf cancels
        {"silu", Unary::Silu, silu_ref, -20, 20},
        {"relu", Unary::Relu, relu_ref, -5, 5},
    };
    CpuCapability levels[kCpuCapabilityCount];
    for (int l = 0; l < kCpuCapabilityCount; ++l) levels[l] = static_cast<CpuCapability>(l);
    std::mt19937 gen(0);
    int failures = 0;
    for (const int64_t n : {big, int64_t{65536}}) {
        std::printf("\nn = %lld float32, 1 thread: ns/element (GB/s)\n", static_cast<long long>(n));
        std::printf("%-18s", "kernel");
        for (const CpuCapability l : levels) {
            if (kernel_table_at(l)) std::printf("%20s", cpu_capability_name(l));
        }
        std::printf("%12s\n", "max ulp");
        std::vector<float> x(n), y(n), z(n), dy(n), ref_out(n);
        for (const UnaryCase& c : cases) {
            std::uniform_real_distribution<double> dist(c.lo, c.hi);
            for (auto& v : x) v = static_cast<float>(dist(gen));
            std::printf("%-18s", c.name);
            double worst = 0;
            for (const CpuCapability l : levels) {
                const KernelTable* t = kernel_table_at(l);
                if (!t) continue;
                const auto k = t->elementwise.s.unary[static_cast<int>(c.op)];
                k(x.data(), y.data(), n, UnaryParams{});
                for (int64_t i = 0; i < n; ++i) worst = std::max(worst, ulps(y[i], c.ref(x[i])));
                const double s =
                    median_seconds([&] { k(x.data(), y.data(), n, UnaryParams{}); }, n);
                std::printf("%8.3f (%6.1f GB/s)", s / n * 1e9, 8.0 * n / s / 1e9);
            }
            std::printf("%12.2f\n", worst);
            if (worst > 8) {
                std::printf("  FAILED: %s max error %.2f ulp\n", c.name, worst);
                ++failures;
            }
        }
        // Backward of gelu (dy, x -> dx), against the baseline level: |difference| / |dy| (the
        // levels differ in FMA contraction, and dx cancels near x = -0.75).
        {
            std::uniform_real_distribution<double> dist(-8, 8);
            for (auto& v : x) v = static_cast<float>(dist(gen));
            for (auto& v : dy) v = static_cast<float>(dist(gen));
            std::printf("%-18s", "gelu backward");
            double worst = 0;
            kernel_table_at(CpuCapability::Baseline)
                ->elementwise.s.unary_backward[static_cast<int>(Unary::GeluErf)](
                    dy.data(), x.data(), ref_out.data(), n, UnaryParams{});
            for (const CpuCapability l : levels) {
                const KernelTable* t = kernel_table_at(l);
                if (!t) continue;
                const auto k = t->elementwise.s.unary_backward[static_cast<int>(Unary::GeluErf)];
                k(dy.data(), x.data(), y.data(), n, UnaryParams{});
                for (int64_t i = 0; i < n; ++i) {
                    const double d = std::fabs(static_cast<double>(y[i]) - ref_out[i]);
                    worst = std::max(worst, d / std::max(1e-30, std::fabs(double(dy[i]))));
                }
                const double s =
                    median_seconds([&] { k(dy.data(), x.data(), y.data(), n, UnaryParams{}); }, n);
                std::printf("%8.3f (%6.1f GB/s)", s / n * 1e9, 12.0 * n / s / 1e9);
            }
            std::printf("%12.1e\n", worst);
            if (worst > 1e-6) {
                std::printf("  FAILED: gelu backward differs across levels by %.2e dy\n", worst);
                ++failures;
            }
        }
        // Binary: same shape, tensor-scalar, bias row (n / 1024 rows of 1024). Exact (one
        // rounding), so every level must match a + b bit for bit.
        {
            std::uniform_real_distribution<double> dist(-1, 1);
            for (auto& v : x) v = static_cast<float>(dist(gen));
            for (auto& v : z) v = static_cast<float>(dist(gen));
            const int64_t cols = std::min<int64_t>(1024, n);
            const char* names[] = {"add", "add scalar", "add bias row", "mul scalar"};
            for (int which = 0; which < 4; ++which) {
                std::printf("%-18s", names[which]);
                bool exact = true;
                for (const CpuCapability l : levels) {
                    const KernelTable* t = kernel_table_at(l);
                    if (!t) continue;
                    const auto& e = t->elementwise.s;
                    const int add = static_cast<int>(Binary::Add),
                              mul = static_cast<int>(Binary::Mul);
                    auto run = [&] {
                        switch (which) {
                            case 0:
                                e.binary[add](x.data(), z.data(), y.data(), n, 1.0f);
                                break;
                            case 1:
                                e.binary_scalar[add][0](x.data(), 0.5f, y.data(), n, 1.0f);
                                break;
                            case 2:
                                e.binary_row[add][0](x.data(), z.data(), y.data(), 0, n, cols,
                                                     1.0f);
                                break;
                            default:
                                e.binary_scalar[mul][0](x.data(), 0.5f, y.data(), n, 1.0f);
                                break;
                        }
                    };
                    run();
                    for (int64_t i = 0; i < n; ++i) {
                        const float want = which == 0   ? x[i] + z[i]
                                           : which == 1 ? x[i] + 0.5f
                                           : which == 2 ? x[i] + z[i % cols]
                                                        : x[i] * 0.5f;
                        exact = exact && want == y[i];
                    }
                    const double s = median_seconds(run, n);
                    const double bytes = (which == 0 ? 12.0 : 8.0) * n;
                    std::printf("%8.3f (%6.1f GB/s)", s / n * 1e9, bytes / s / 1e9);
                }
                std::printf("%12s\n", exact ? "exact" : "WRONG");
                if (!exact) ++failures;
            }
        }
    }
    return failures == 0 ? 0 : 1;
}
