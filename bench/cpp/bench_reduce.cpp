// The reduction kernels (cpp/src/kernels/reduce) of every level this CPU and build have,
// float32, 1 thread: each kernel's result is checked against a double sum first, then timed
// (median of repeated runs) and reported in GB/s of input read, for sizes that fit L1, L2 and
// neither. Exits 1 when a check fails.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <random>
#include <vector>

#include "kernels/dispatch.h"

using namespace chainrule;
using namespace chainrule::kernels;

namespace {

template <class F>
double median_s(const F& fn, int64_t bytes) {
    const int inner = static_cast<int>(std::max<int64_t>(1, (int64_t(64) << 20) / bytes));
    std::vector<double> t;
    for (int r = 0; r < 9; ++r) {
        const auto s = std::chrono::steady_clock::now();
        for (int i = 0; i < inner; ++i) fn();
        t.push_back(std::chrono::duration<double>(std::chrono::steady_clock::now() - s).count() /
                    inner);
    }
    std::sort(t.begin(), t.end());
    return t[t.size() / 2];
}

int failures = 0;

void check(const char* what, double got, double ref, double tol) {
    if (!(std::fabs(got - ref) <=
          tol * std::max(1.0, std::fabs(ref)))) {  // tol: relative, or absolute below 1
        std::printf("FAIL %s: got %.9g, expected %.9g\n", what, got, ref);
        ++failures;
    }
}

volatile double sink;

}  // namespace

int main() {
    std::mt19937 gen(0);
    std::normal_distribution<float> nd(0.0f, 1.0f);
    const int64_t sizes[] = {4096, 65536, 1 << 22};
    std::printf("%-8s %-22s %10s %10s\n", "level", "kernel", "elements", "GB/s");
    for (int l = 0; l < kCpuCapabilityCount; ++l) {
        const auto level = static_cast<CpuCapability>(l);
        const KernelTable* t = kernel_table_at(level);
        if (t == nullptr) continue;
        const ReduceKernel<float>& k = t->reduce.s;
        for (int64_t n : sizes) {
            std::vector<float> x(static_cast<size_t>(n));
            for (float& v : x) v = nd(gen);
            double ref = 0, ref2 = 0;
            for (float v : x) {
                ref += v;
                ref2 += static_cast<double>(v) * v;
            }
            check("sum", k.sum(x.data(), n), ref, 1e-6 * std::sqrt(static_cast<double>(n)));
            check("sumsq", k.sumsq(x.data(), n), ref2, 1e-6);
            check("max", k.max(x.data(), n), *std::max_element(x.begin(), x.end()), 0);
            check("min", k.min(x.data(), n), *std::min_element(x.begin(), x.end()), 0);
            const int64_t bytes = n * 4;
            double s = median_s([&] { sink = k.sum(x.data(), n); }, bytes);
            std::printf("%-8s %-22s %10lld %10.1f\n", cpu_capability_name(level), "sum",
                        static_cast<long long>(n), bytes / s * 1e-9);
            s = median_s([&] { sink = k.sumsq(x.data(), n); }, bytes);
            std::printf("%-8s %-22s %10lld %10.1f\n", cpu_capability_name(level), "sumsq",
                        static_cast<long long>(n), bytes / s * 1e-9);
            s = median_s([&] { sink = k.max(x.data(), n); }, bytes);
            std::printf("%-8s %-22s %10lld %10.1f\n", cpu_capability_name(level), "max",
                        static_cast<long long>(n), bytes / s * 1e-9);
            // Column sums of (n / 256, 256): sum over dim 0.
            const int64_t C = 256, R = n / C;
            std::vector<double> acc(C), cref(C, 0.0);
            for (int64_t r = 0; r < R; ++r) {
                for (int64_t c = 0; c < C; ++c) cref[c] += x[r * C + c];
            }
            k.colsum(acc.data(), x.data(), R, C, C);
            const double ctol = 1e-6 * std::sqrt(static_cast<double>(R));
            for (int64_t c = 0; c < C; ++c) check("colsum", acc[c], cref[c], ctol);
            s = median_s(
                [&] {
                    k.colsum(acc.data(), x.data(), R, C, C);
                    sink = acc[0];
                },
                bytes);
            std::printf("%-8s %-22s %10lld %10.1f\n", cpu_capability_name(level),
                        "colsum (n/256, 256)", static_cast<long long>(n), bytes / s * 1e-9);
        }
    }
    if (failures) std::printf("%d checks failed\n", failures);
    return failures ? 1 : 0;
}
