// Backward passes on several threads at once, through graphs that share leaves and through
// graphs that share nothing; built under -fsanitize=thread by the sanitizer CI job.
#include <cstdio>
#include <cstdlib>
#include <thread>
#include <vector>

#include "chainrule/autograd.h"
#include "chainrule/ops.h"
#include "chainrule/parallel.h"

using namespace chainrule;

namespace {
constexpr int kThreads = 4;
constexpr int kIters = 200;

// Small integers: every sum is exact, so the result does not depend on the order in which
// the threads' contributions arrive.
Tensor step(const Tensor& w, const Tensor& b, const Tensor& x) {
    Tensor y = add(matmul(x, transpose(w, 0, 1)), b);
    return sum(mul(y, y));
}

bool run(bool shared) {
    std::vector<Tensor> ws, bs;
    for (int i = 0; i < (shared ? 1 : kThreads); ++i) {
        ws.push_back(full({8, 8}, 1.0 + i));
        bs.push_back(full({8}, -1.0));
        ws.back().set_requires_grad(true);
        bs.back().set_requires_grad(true);
    }
    const Tensor x = full({4, 8}, 2.0);
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t) {
        threads.emplace_back([&, t] {
            const size_t k = shared ? 0 : static_cast<size_t>(t);
            for (int i = 0; i < kIters; ++i) step(ws[k], bs[k], x).backward();
        });
    }
    for (auto& th : threads) th.join();

    bool ok = true;
    for (size_t k = 0; k < ws.size(); ++k) {
        // y = 8 * 2 * (1 + k) - 1 everywhere; d/db = 2 y per row, 4 rows, per pass.
        const double y = 16.0 * (1.0 + static_cast<double>(k)) - 1.0;
        const double passes = shared ? kThreads * kIters : kIters;
        const double want = 2 * y * 4 * passes;
        const float* g = bs[k].grad().data<float>();
        for (int j = 0; j < 8; ++j) ok = ok && g[j] == static_cast<float>(want);
    }
    return ok;
}
}  // namespace

int main() {
    set_num_threads(1);  // the threads here are the point; no OpenMP teams under them
    const bool shared = run(true);
    const bool separate = run(false);
    if (!shared) std::fprintf(stderr, "FAILED: backward into shared leaves lost gradients\n");
    if (!separate) std::fprintf(stderr, "FAILED: backward of separate graphs lost gradients\n");
    std::printf("%s\n",
                shared && separate ? "threaded backward passed" : "threaded backward failed");
    return shared && separate ? EXIT_SUCCESS : EXIT_FAILURE;
}
