// The per-ISA elementwise kernels behind the pointwise ops: plain structs of function pointers
// over contiguous float32/float64 arrays, filled by each ISA translation unit
// (elementwise_{baseline,avx2,avx512}.cpp, all from elementwise_impl.h). Nothing here is inline
// or a function template, so the ISA units share no code with the rest of the library.
// The formulas themselves (one struct per op, forward and derivative side by side) are in
// formulas.h; the op files use the same structs for their strided paths.
#pragma once
#include <cstdint>

namespace chainrule::kernels {

// Every unary op of the table, in the order of its arrays. X(Name) per op; formulas.h has a
// struct ew::Name for each (its forward, its derivative and what that reads). *Out entries
// are the in-place forms' derivatives, read from the output.
#define CR_ELEMENTWISE_UNARY(X) \
    X(Exp)                      \
    X(Log)                      \
    X(Log1p)                    \
    X(Expm1)                    \
    X(Sqrt)                     \
    X(Rsqrt)                    \
    X(Sin)                      \
    X(Cos)                      \
    X(Tanh)                     \
    X(Sigmoid)                  \
    X(Relu)                     \
    X(Neg)                      \
    X(Abs)                      \
    X(Sign)                     \
    X(Clamp)                    \
    X(GeluErf)                  \
    X(GeluTanh)                 \
    X(Silu)                     \
    X(Mish)                     \
    X(Softplus)                 \
    X(Logsigmoid)               \
    X(Elu)                      \
    X(EluOut)                   \
    X(LeakyRelu)                \
    X(LeakyReluOut)             \
    X(Hardtanh)                 \
    X(HardtanhOut)              \
    X(Hardsigmoid)              \
    X(Hardswish)

#define CR_ELEMENTWISE_ENUM(Name) Name,
enum class Unary : int { CR_ELEMENTWISE_UNARY(CR_ELEMENTWISE_ENUM) Count };
#undef CR_ELEMENTWISE_ENUM
constexpr int kUnaryCount = static_cast<int>(Unary::Count);

// out = a + alpha*b, a - alpha*b, a * b, a / b (alpha ignored by Mul and Div).
enum class Binary : int { Add, Sub, Mul, Div, Count };
constexpr int kBinaryCount = static_cast<int>(Binary::Count);

// Which tensor an op's node saves for its derivative: derived from the derivative's signature
// in formulas.h (kSaves), never stated by hand.
enum class Saves { None, Input, Output };

// The dtypes an op's forward takes (each formula's `domain`). Promote: floating dtypes as they
// are, integers and bool computed in float32 (exp of an int64 tensor); the in-place form then
// rejects them, as its result could not be stored. Floating: float32/float64 only (TypeError
// otherwise). Numeric: float32/float64/int64 in their own dtype (fwd has an integral branch).
enum class Domain { Promote, Floating, Numeric };

// An op's constants (leaky_relu's slope, elu's alpha*scale/scale/input_scale, softplus' beta
// and threshold, hardtanh's bounds); see each struct in formulas.h. Zero for the others.
struct UnaryParams {
    double p0, p1, p2;
};

// One dtype's kernels. Every pointer is set. Results do not depend on where an element sits
// in the array (each element goes through the same vector code, tails included), so callers
// may split the arrays into chunks freely: results are identical for any thread count.
template <class T>
struct ElementwiseKernel {
    // y[i] = f(x[i]), i < n. y == x (in place) is allowed; other overlaps are not.
    void (*unary[kUnaryCount])(const T* x, T* y, int64_t n, const UnaryParams& p);
    // dx[i] = f'(dy[i], s[i]), s the saved input or output as the op's formula declares
    // (formulas.h; s is ignored, and may be dy, when it reads neither). dx may be dy or s.
    void (*unary_backward[kUnaryCount])(const T* dy, const T* s, T* dx, int64_t n,
                                        const UnaryParams& p);
    // out[i] = a[i] op b[i]. out may be a or b.
    void (*binary[kBinaryCount])(const T* a, const T* b, T* out, int64_t n, T alpha);
    // [0]: out[i] = a[i] op s;  [1]: out[i] = s op a[i]. out may be a.
    void (*binary_scalar[kBinaryCount][2])(const T* a, T s, T* out, int64_t n, T alpha);
    // a (rows, cols) row-major, b (cols): for flat i in [begin, end), with c = i % cols,
    //   [0]: out[i] = a[i] op b[c];  [1]: out[i] = b[c] op a[i]   (a bias row).
    void (*binary_row[kBinaryCount][2])(const T* a, const T* b, T* out, int64_t begin, int64_t end,
                                        int64_t cols, T alpha);
    // a (rows, cols) row-major, b (rows): for flat i in [begin, end), with r = i / cols,
    //   [0]: out[i] = a[i] op b[r];  [1]: out[i] = b[r] op a[i]   (a column).
    void (*binary_col[kBinaryCount][2])(const T* a, const T* b, T* out, int64_t begin, int64_t end,
                                        int64_t cols, T alpha);
};

struct ElementwiseKernels {
    ElementwiseKernel<float> s;
    ElementwiseKernel<double> d;
};

// Fill *out and return true, or return false when this build has no code for the level:
// one getter per level of chainrule/cpu_levels.def, each defined in that level's unit.
#define CR_CPU_LEVEL(Enum, name, ...) bool elementwise_kernels_##name(ElementwiseKernels* out);
#include "chainrule/cpu_levels.def"

}  // namespace chainrule::kernels
