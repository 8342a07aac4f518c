// The core used from C++ alone: ops, broadcasting gradients, a deep graph, version checks.
#include <cmath>
#include <cstdio>
#include <cstdlib>

#include "chainrule/autograd.h"
#include "chainrule/ops.h"

using namespace chainrule;

namespace {
int failures = 0;

void expect(bool ok, const char* what) {
    if (!ok) {
        std::fprintf(stderr, "FAILED: %s\n", what);
        ++failures;
    }
}

bool close(double a, double b) { return std::fabs(a - b) <= 1e-6 * (1 + std::fabs(b)); }

void test_broadcast_gradient() {
    Tensor a = full({2, 3}, 2.0);
    Tensor b = full({3}, 3.0);
    a.set_requires_grad(true);
    b.set_requires_grad(true);
    Tensor y = sum(mul(a, b));
    y.backward();
    expect(close(*a.grad().data<float>(), 3.0), "da = b");
    expect(b.grad().shape() == Shape{3}, "db reduced to b's shape");
    expect(close(b.grad().data<float>()[0], 4.0), "db = sum over rows of a");
}

void test_deep_chain() {
    Tensor x = full({1}, 1.0, DType::Float64);
    x.set_requires_grad(true);
    Tensor y = x;
    for (int i = 0; i < 100000; ++i) y = add(y, wrapped_scalar(1.0));
    sum(y).backward();
    expect(close(*x.grad().data<double>(), 1.0), "100,000-deep chain");
}

void test_version_check() {
    Tensor x = full({3}, 0.5);
    x.set_requires_grad(true);
    Tensor y = exp(x);
    Tensor z = sum(y);
    {
        NoGradGuard no_grad;
        add_(y, wrapped_scalar(1.0));  // modifies the output exp saved for backward
    }
    bool raised = false;
    try {
        z.backward();
    } catch (const RuntimeError& e) {
        raised =
            std::string(e.what()).find("modified by an inplace operation") != std::string::npos;
    }
    expect(raised, "in-place change of a saved tensor is rejected at backward");
}

void test_storage_sizes() {
    // Every size class, the large classes and the huge-page path (sizes that are not
    // multiples of 2 MiB): the first and last byte of each block are writable.
    for (int64_t numel : {2, 16, 17, 8192, 8193, 300000, (1 << 20) + 1, 3 << 20}) {
        for (int rep = 0; rep < 2; ++rep) {
            Tensor t = full({numel}, 1.0);
            t.data<float>()[numel - 1] = 2.0F;
            expect(t.data<float>()[0] == 1.0F && t.data<float>()[numel - 1] == 2.0F,
                   "storage of every size class");
        }
    }
}

void test_allocation_failure() {
    Storage::fail_allocation_after(1);
    Tensor a = zeros({4});
    bool raised = false;
    try {
        Tensor b = zeros({4});
    } catch (const RuntimeError& e) {
        raised = std::string(e.what()).find("out of memory") != std::string::npos;
    }
    expect(raised && !Storage::allocation_failure_pending(), "the armed allocation fails");
    Tensor c = full({4}, 3.0);
    expect(c.data<float>()[3] == 3.0F, "allocation works after a failure");
}

void test_errors() {
    bool raised = false;
    try {
        add(zeros({2, 3}), zeros({4}));
    } catch (const ValueError& e) {
        raised = std::string(e.what()).find("add") != std::string::npos;
    }
    expect(raised, "shape mismatch names the op");
}
}  // namespace

int main() {
    test_broadcast_gradient();
    test_deep_chain();
    test_version_check();
    test_errors();
    test_storage_sizes();
    test_allocation_failure();
    std::printf("%s\n", failures == 0 ? "all C++ core tests passed" : "C++ core tests failed");
    return failures == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
