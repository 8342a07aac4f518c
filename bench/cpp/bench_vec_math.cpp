// Vector math (cpp/src/kernels/vec_math.h) against the scalar libm calls, float32, 1 thread:
// each function's loop is checked (max ulp error against the double libm function on the same
// inputs) before it is timed. Standalone (the header is private and header-only):
//   g++ -O3 -std=c++17 -Icpp/include bench/cpp/bench_vec_math.cpp -o /tmp/bench_vec_math
//   (add -mavx2 -mfma or -mavx512f... to see what the per-ISA builds will get)
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <random>
#include <vector>

#include "../../cpp/src/kernels/vec_math.h"

using namespace chainrule::kernels;

namespace {

template <class F>
__attribute__((noinline)) void run(float* __restrict y, const float* __restrict x, long n, F f) {
    for (long i = 0; i < n; ++i) y[i] = f(x[i]);
}

double ulp_error(float got, double ref) {
    if (std::isnan(ref)) return std::isnan(got) ? 0 : 1e9;
    if (std::isinf(static_cast<float>(ref))) return got == static_cast<float>(ref) ? 0 : 1e9;
    int e;
    std::frexp(std::fabs(ref), &e);
    return std::fabs(static_cast<double>(got) - ref) / std::ldexp(1.0, std::max(e - 24, -149));
}

template <class F>
double median_ms(const F& fn, int runs) {
    std::vector<double> t;
    for (int r = 0; r < runs; ++r) {
        const auto s = std::chrono::steady_clock::now();
        fn();
        t.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - s)
                        .count());
    }
    std::sort(t.begin(), t.end());
    return t[t.size() / 2];
}

int failures = 0;

template <class V, class S, class R>
void bench(const char* name, const std::vector<float>& x, V vec, S scalar, R ref, double bound) {
    const long n = static_cast<long>(x.size());
    std::vector<float> y(x.size());
    run(y.data(), x.data(), n, vec);
    double worst = 0;
    for (long i = 0; i < n; ++i)
        worst = std::max(worst, ulp_error(y[i], ref(static_cast<double>(x[i]))));
    if (worst > bound) {
        std::printf("%-8s FAILED: %.2f ulp > %.1f\n", name, worst, bound);
        ++failures;
        return;
    }
    const double tv = median_ms([&] { run(y.data(), x.data(), n, vec); }, 21);
    const double ts = median_ms([&] { run(y.data(), x.data(), n, scalar); }, 21);
    const double gbs = 8.0 * n / (tv * 1e6);
    std::printf("%-8s %6.2f ulp  vec %7.3f ms (%5.1f GB/s)  libm %7.3f ms  x%.1f\n", name, worst,
                tv, gbs, ts, ts / tv);
}

}  // namespace

int main() {
    const long n = 1 << 20;
    std::mt19937 g(0);
    std::normal_distribution<float> d(0.0f, 3.0f);
    std::vector<float> x(n), xp(n);
    for (long i = 0; i < n; ++i) {
        x[i] = d(g);
        xp[i] = std::fabs(x[i]) + 1e-3f;
    }
    std::printf("1M float32, 1 thread (libm = the std:: float call per element)\n");
    bench(
        "exp", x, [](float v) { return vexp(v); }, [](float v) { return std::exp(v); },
        [](double v) { return std::exp(v); }, 2);
    bench(
        "expm1", x, [](float v) { return vexpm1(v); }, [](float v) { return std::expm1(v); },
        [](double v) { return std::expm1(v); }, 3);
    bench(
        "log", xp, [](float v) { return vlog(v); }, [](float v) { return std::log(v); },
        [](double v) { return std::log(v); }, 2);
    bench(
        "log1p", xp, [](float v) { return vlog1p(v); }, [](float v) { return std::log1p(v); },
        [](double v) { return std::log1p(v); }, 3);
    bench(
        "tanh", x, [](float v) { return vtanh(v); }, [](float v) { return std::tanh(v); },
        [](double v) { return std::tanh(v); }, 3);
    bench(
        "sigmoid", x, [](float v) { return vsigmoid(v); },
        [](float v) { return 1.0f / (1.0f + std::exp(-v)); },
        [](double v) { return 1.0 / (1.0 + std::exp(-v)); }, 4);
    bench(
        "erf", x, [](float v) { return verf(v); }, [](float v) { return std::erf(v); },
        [](double v) { return std::erf(v); }, 4);
    return failures ? 1 : 0;
}
