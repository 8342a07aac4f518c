// The fused optimizer loops (cpp/src/kernels/optim) of every level this CPU and build have:
// one Adam step on 25,175,040 float32 parameters (the MLP of bench/python/optim_step.py),
// levels interleaved in one process, at the global thread count (argv[1], default 1).
// Each level's result after one step is checked against the baseline's first. Exits 1 on a
// mismatch.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <vector>

#include "chainrule/parallel.h"
#include "kernels/dispatch.h"

using namespace chainrule;

int main(int argc, char** argv) {
    const int64_t n = argc > 2 ? std::atol(argv[2]) : 25175040;
    set_num_threads(argc > 1 ? std::atoi(argv[1]) : 1);
    const kernels::AdamCoeffs<float> c{1,      0,      1,       0.1f,  1, 0.999f,
                                       0.001f, -1e-3f, 0.0316f, 1e-8f, 0, 0};
    std::vector<float> g(n), p0(n);
    for (int64_t i = 0; i < n; ++i) {
        g[i] = std::sin(0.001f * static_cast<float>(i)) * 0.01f;
        p0[i] = std::cos(0.002f * static_cast<float>(i)) * 0.02f;
    }
    auto step = [&](const kernels::KernelTable* t, float* p, float* m, float* v) {
        parallel_for(0, n, kGrain, [&](int64_t b, int64_t e) {
            t->optim.s.adam(p + b, g.data() + b, m + b, v + b, nullptr, e - b, c);
        });
    };
    // Check: one step from the same state, every level against the baseline.
    int failures = 0;
    std::vector<float> ref;
    for (int l = 0; l < kCpuCapabilityCount; ++l) {
        const auto* t = kernels::kernel_table_at(static_cast<CpuCapability>(l));
        if (t == nullptr) continue;
        std::vector<float> p = p0, m(n, 0.0f), v(n, 0.0f);
        step(t, p.data(), m.data(), v.data());
        if (ref.empty()) {
            ref = p;
            continue;
        }
        for (int64_t i = 0; i < n; ++i) {
            if (!(std::fabs(p[i] - ref[i]) <= 1e-6f * std::fabs(ref[i]) + 1e-9f)) {
                std::printf("FAIL %s: p[%lld] = %.9g, baseline %.9g\n",
                            cpu_capability_name(static_cast<CpuCapability>(l)),
                            static_cast<long long>(i), p[i], ref[i]);
                ++failures;
                break;
            }
        }
    }
    std::vector<float> p = p0, m(n, 0.0f), v(n, 0.0f);
    std::vector<double> times[3];
    for (int r = 0; r < 11; ++r) {
        for (int l = 0; l < kCpuCapabilityCount; ++l) {
            const auto* t = kernels::kernel_table_at(static_cast<CpuCapability>(l));
            if (t == nullptr) continue;
            const auto s = std::chrono::steady_clock::now();
            step(t, p.data(), m.data(), v.data());
            times[l].push_back(
                std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - s)
                    .count());
        }
    }
    std::printf("Adam step, %lld float32 parameters, %d thread(s), levels interleaved\n",
                static_cast<long long>(n), get_num_threads());
    std::printf("%-8s %12s %12s %8s\n", "level", "median ms", "GB/s", "vs base");
    double base = 0;
    for (int l = 0; l < kCpuCapabilityCount; ++l) {
        if (times[l].empty()) continue;
        std::sort(times[l].begin(), times[l].end());
        const double med = times[l][times[l].size() / 2];
        if (l == 0) base = med;
        // p, m, v read and written, g read: 7 float streams
        std::printf("%-8s %12.2f %12.1f %7.2fx\n",
                    cpu_capability_name(static_cast<CpuCapability>(l)), med, 28.0 * n / med * 1e-6,
                    base / med);
    }
    return failures ? 1 : 0;
}
