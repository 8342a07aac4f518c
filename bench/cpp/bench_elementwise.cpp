// Elementwise throughput (GB/s) of add and exp on float32, checked before it is timed.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <vector>

#include "chainrule/ops.h"
#include "chainrule/parallel.h"

using namespace chainrule;

template <class F>
double median_seconds(const F& fn, int runs) {
    std::vector<double> t;
    for (int r = 0; r < runs; ++r) {
        const auto start = std::chrono::steady_clock::now();
        fn();
        t.push_back(std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
    }
    std::sort(t.begin(), t.end());
    return t[t.size() / 2];
}

int main() {
    const int64_t n = 1 << 22;
    Tensor a = rand({n}), b = rand({n});
    Tensor c = add(a, b);
    for (int64_t i = 0; i < n; i += 4099) {
        if (std::fabs(c.data<float>()[i] - (a.data<float>()[i] + b.data<float>()[i])) > 1e-6f) {
            std::fprintf(stderr, "add: wrong result at %lld\n", static_cast<long long>(i));
            return 1;
        }
    }
    std::printf("threads: %d, n = %lld float32\n", get_num_threads(), static_cast<long long>(n));
    const double t_add = median_seconds([&] { add(a, b); }, 21);
    const double t_exp = median_seconds([&] { exp(a); }, 21);
    std::printf("add: %.2f ms, %.1f GB/s\n", t_add * 1e3, 3.0 * 4 * n / t_add / 1e9);
    std::printf("exp: %.2f ms, %.1f GB/s\n", t_exp * 1e3, 2.0 * 4 * n / t_exp / 1e9);
    return 0;
}
