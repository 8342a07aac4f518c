// Element types and PyTorch's type-promotion rules.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>

namespace chainrule {

enum class DType : uint8_t { Bool = 0, Int64 = 1, Float32 = 2, Float64 = 3 };

constexpr size_t itemsize(DType d) {
    switch (d) {
        case DType::Bool:
            return 1;
        case DType::Int64:
            return 8;
        case DType::Float32:
            return 4;
        case DType::Float64:
            return 8;
    }
    return 0;
}
constexpr bool is_floating(DType d) { return d == DType::Float32 || d == DType::Float64; }
const char* dtype_name(DType d);  // "float32", ...

// The lattice bool < int64 < float32 < float64 is a total order here, so promotion is max().
constexpr DType promote_types(DType a, DType b) {
    return static_cast<uint8_t>(a) > static_cast<uint8_t>(b) ? a : b;
}

constexpr DType kDefaultFloat = DType::Float32;

// Operand of a result-type computation; PyTorch ranks dimensioned tensors above 0-d tensors
// above Python scalars, and a lower tier only matters when it is of a higher category.
enum class OperandKind : uint8_t { Tensor, ZeroDim, Scalar };

class ResultType {
 public:
    void add(DType d, OperandKind k);
    DType result() const;

 private:
    int dim_ = -1, zero_ = -1, wrapped_ = -1;  // -1: no operand in that tier
};

// Maps a C++ element type to its DType.
template <class T>
struct dtype_of;
template <>
struct dtype_of<bool> {
    static constexpr DType value = DType::Bool;
};
template <>
struct dtype_of<int64_t> {
    static constexpr DType value = DType::Int64;
};
template <>
struct dtype_of<float> {
    static constexpr DType value = DType::Float32;
};
template <>
struct dtype_of<double> {
    static constexpr DType value = DType::Float64;
};

// CR_DISPATCH_ALL(dtype, "op", [&] { using scalar_t = ...; body }) runs body with scalar_t set.
#define CR_DISPATCH_CASE(enumv, T, ...) \
    case ::chainrule::DType::enumv: {   \
        using scalar_t = T;             \
        return __VA_ARGS__();           \
    }
#define CR_DISPATCH_FLOAT(dt, opname, ...)                                                \
    [&] {                                                                                 \
        switch (dt) {                                                                     \
            CR_DISPATCH_CASE(Float32, float, __VA_ARGS__)                                 \
            CR_DISPATCH_CASE(Float64, double, __VA_ARGS__)                                \
            default:                                                                      \
                throw ::chainrule::TypeError(std::string(opname) +                        \
                                             ": expected a floating-point tensor; got " + \
                                             ::chainrule::dtype_name(dt));                \
        }                                                                                 \
    }()
#define CR_DISPATCH_NUMERIC(dt, opname, ...)                                      \
    [&] {                                                                         \
        switch (dt) {                                                             \
            CR_DISPATCH_CASE(Float32, float, __VA_ARGS__)                         \
            CR_DISPATCH_CASE(Float64, double, __VA_ARGS__)                        \
            CR_DISPATCH_CASE(Int64, int64_t, __VA_ARGS__)                         \
            default:                                                              \
                throw ::chainrule::TypeError(std::string(opname) +                \
                                             ": not supported for bool tensors"); \
        }                                                                         \
    }()
#define CR_DISPATCH_ALL(dt, opname, ...)                                          \
    [&] {                                                                         \
        switch (dt) {                                                             \
            CR_DISPATCH_CASE(Float32, float, __VA_ARGS__)                         \
            CR_DISPATCH_CASE(Float64, double, __VA_ARGS__)                        \
            CR_DISPATCH_CASE(Int64, int64_t, __VA_ARGS__)                         \
            CR_DISPATCH_CASE(Bool, bool, __VA_ARGS__)                             \
        }                                                                         \
        throw ::chainrule::RuntimeError(std::string(opname) + ": unknown dtype"); \
    }()

}  // namespace chainrule
