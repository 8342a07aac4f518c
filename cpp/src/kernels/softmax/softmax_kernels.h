// The per-ISA loops of softmax, log_softmax and the fused cross-entropy (ops/softmax.cpp,
// ops/loss_ce.cpp): plain structs of function pointers that each ISA translation unit fills
// (softmax_baseline.cpp, softmax_avx2.cpp, softmax_avx512.cpp). Nothing here is inline or a
// template function, so the ISA units share no code with the rest of the library. The
// kernels are single-threaded: the ops split rows (or column chunks) over threads.
//
// Row sums run in double lanes (8, 16, 32 by level) over sub-blocks of 1024 elements, the
// lanes combined pairwise and the sub-blocks added in order: the bits depend on the level,
// never on the thread count.
#pragma once
#include <cstdint>

namespace chainrule::kernels {

template <class T>
struct SoftmaxKernel {
    // x, y: (rows, D) contiguous. y = softmax(x) per row, or log_softmax when `log`.
    void (*rows_forward)(T* y, const T* x, int64_t rows, int64_t D, bool log);
    // dx, y, dy: (rows, D) contiguous.
    // softmax: dx = y (dy - sum(dy y));  log_softmax: dx = dy - exp(y) sum(dy).
    void (*rows_backward)(T* dx, const T* y, const T* dy, int64_t rows, int64_t D, bool log);
    // One chunk of `nc` (<= 64) neighbouring columns of a (D, inner) slab at row stride
    // `inner` (softmax over a dim that is not the last).
    void (*cols_forward)(T* y, const T* x, int64_t D, int64_t inner, int64_t nc, bool log);
    void (*cols_backward)(T* dx, const T* y, const T* dy, int64_t D, int64_t inner, int64_t nc,
                          bool log);
    // Cross-entropy, a contiguous row of C scores: st[0] = max x, st[1] = log sum exp(x - max).
    void (*row_stats)(T* st, const T* x, int64_t C);
    // d[c] = sc exp((x[c] - m) - ls) - ss w[c]  (- ss without w; ss = 0 and w null: no term).
    void (*ce_row_backward)(T* d, const T* x, int64_t C, T m, T ls, T sc, T ss, const T* w);
};

// Columns per chunk of cols_forward / cols_backward.
constexpr int64_t kSoftmaxCols = 64;

struct SoftmaxKernels {
    SoftmaxKernel<float> s;
    SoftmaxKernel<double> d;
};

// Fill *out and return true, or return false when this build has no code for the level:
// one getter per level of chainrule/cpu_levels.def, each defined in that level's unit.
#define CR_CPU_LEVEL(Enum, name, ...) bool softmax_kernels_##name(SoftmaxKernels* out);
#include "chainrule/cpu_levels.def"

}  // namespace chainrule::kernels
