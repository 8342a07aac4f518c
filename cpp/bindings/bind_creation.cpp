// Factories, NumPy import (copying and zero-copy) and random draws.
#include <pybind11/numpy.h>

#include "common.h"

namespace chainrule::bind {

namespace {

// DType of a NumPy array, or nullopt for unsupported ones.
std::optional<DType> dtype_from_numpy(const py::dtype& dt) {
    const char kind = dt.kind();
    const auto size = dt.itemsize();
    if (kind == 'f' && size == 4) return DType::Float32;
    if (kind == 'f' && size == 8) return DType::Float64;
    if (kind == 'i' && size == 8) return DType::Int64;
    if (kind == 'b') return DType::Bool;
    return std::nullopt;
}

// Whether the array's bytes are in the other byte order than this machine's (NumPy writes '='
// for the native order and '|' where order does not apply, '<' or '>' only for a foreign one).
bool foreign_byte_order(const py::dtype& dt) {
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
    return dt.byteorder() == '<';
#else
    return dt.byteorder() == '>';
#endif
}

// Wraps a NumPy array without copying; the array stays alive while the storage does.
Tensor wrap_array(const py::array& a, const char* op) {
    // The kernels read native numbers: a foreign-order array would be read as garbage.
    CR_CHECK(!foreign_byte_order(a.dtype()), ValueError, op,
             ": given numpy array has byte "
             "order different from the native byte order (dtype ",
             std::string(py::str(a.dtype())),
             "). Conversion between byte orders is currently not supported; cr.tensor(array) "
             "copies it converted, or use array.astype(array.dtype.newbyteorder('='))");
    auto dt = dtype_from_numpy(a.dtype());
    CR_CHECK(dt.has_value(), TypeError, op, ": can't convert a NumPy array of dtype ",
             std::string(py::str(a.dtype())),
             "; the supported dtypes are float32, float64, int64 and bool");
    Shape shape(a.shape(), a.shape() + a.ndim());
    Strides strides;
    const auto isz = static_cast<int64_t>(a.itemsize());
    for (py::ssize_t i = 0; i < a.ndim(); ++i) {
        const int64_t s = a.strides()[i];
        CR_CHECK(s >= 0, ValueError, op,
                 ": at least one stride in the given NumPy array is "
                 "negative; copy it first (np.ascontiguousarray)");
        CR_CHECK(s % isz == 0, ValueError, op,
                 ": array strides are not a multiple of the "
                 "element size");
        strides.push_back(s / isz);
    }
    // The owner's deleter may run on any thread, so it takes the GIL before the decref.
    auto* ref = a.ptr();
    Py_INCREF(ref);
    std::shared_ptr<void> owner(ref, [](void* p) {
        py::gil_scoped_acquire gil;
        Py_DECREF(static_cast<PyObject*>(p));
    });
    const bool writable = a.writeable();
    return from_blob(const_cast<void*>(a.data()), std::move(shape), std::move(strides), *dt,
                     std::move(owner), writable);
}

// The size of a factory call: positional (f(2, 3) or f((2, 3))) or the `size=` keyword.
Shape size_of(const py::args& args, const py::object& size_kw, const char* op) {
    if (size_kw.is_none()) return shape_args(args, op);
    CR_CHECK(args.empty(), TypeError, op, ": size given both positionally and as size=");
    return shape_args(py::make_tuple(size_kw), op);
}

Tensor finish(Tensor t, bool requires_grad) {
    if (requires_grad) t.set_requires_grad(true);
    return t;
}

}  // namespace

void bind_creation(py::module_& m) {
    m.def(
        "from_numpy", [](py::array a) { return wrap_array(a, "from_numpy"); }, py::arg("ndarray"),
        "A tensor sharing memory with the NumPy array (float32, float64, int64 or bool).");
    // Backs cr.tensor(): copies a NumPy array into a new tensor of `dtype`; `checked`: the
    // values came from Python numbers, which must fit an int64 dtype.
    m.def(
        "_from_array",
        [](py::array a, py::object dtype, bool requires_grad, bool checked) {
            Tensor src = wrap_array(a, "tensor");
            const DType d = dtype_arg(dtype, src.dtype());
            NoGradGuard ng;
            if (checked && d == DType::Int64 && is_floating(src.dtype())) {
                // Python numbers (checked): each must have an int64 value, as torch.tensor
                // requires; a scan of data that came from Python lists anyway.
                const Tensor c = contiguous(src);
                CR_DISPATCH_FLOAT(c.dtype(), "tensor", [&] {
                    const scalar_t* p = c.data<scalar_t>();
                    for (int64_t i = 0; i < c.numel(); ++i) {
                        check_scalar_fits(static_cast<double>(p[i]), d, "tensor");
                    }
                });
            }
            Tensor out = d == src.dtype() ? clone(src) : to_dtype(src, d);
            return finish(out, requires_grad);
        },
        py::arg("array"), py::arg("dtype") = py::none(), py::arg("requires_grad") = false,
        py::arg("checked") = false);

    auto factory = [&m](const char* name, double value, const char* doc) {
        m.def(
            name,
            [value, name](py::args size, py::object size_kw, py::object dtype, bool requires_grad) {
                return finish(
                    full(size_of(size, size_kw, name), value, dtype_arg(dtype, kDefaultFloat)),
                    requires_grad);
            },
            py::kw_only(), py::arg("size") = py::none(), py::arg("dtype") = py::none(),
            py::arg("requires_grad") = false, doc);
    };
    factory("zeros", 0.0, R"doc(A new tensor filled with 0.

The size is given as ints, one sequence or size=: zeros(2, 3) == zeros((2, 3)).
dtype defaults to float32; requires_grad=True makes it a leaf that records history.
)doc");
    factory("ones", 1.0, R"doc(A new tensor filled with 1.

The size is given as ints, one sequence or size=: ones(2, 3) == ones((2, 3)).
dtype defaults to float32; requires_grad=True makes it a leaf that records history.
)doc");
    m.def(
        "empty",
        [](py::args size, py::object size_kw, py::object dtype, bool requires_grad) {
            return finish(empty(size_of(size, size_kw, "empty"), dtype_arg(dtype, kDefaultFloat)),
                          requires_grad);
        },
        py::kw_only(), py::arg("size") = py::none(), py::arg("dtype") = py::none(),
        py::arg("requires_grad") = false, R"doc(A new tensor whose values are not initialised.

The size is given as ints, one sequence or size=; dtype defaults to float32. Fill it
before reading it (the memory holds whatever was there).
)doc");
    m.def(
        "full",
        [](py::object size, py::object fill_value, py::object dtype, bool requires_grad) {
            Tensor v = to_tensor_arg(fill_value, "full");
            DType fallback = v.dtype() == DType::Float64 ? kDefaultFloat : v.dtype();
            py::args a = py::make_tuple(size);
            Tensor t = empty(shape_args(a, "full"), dtype_arg(dtype, fallback));
            NoGradGuard ng;
            fill_(t, v);
            return finish(t, requires_grad);
        },
        py::arg("size"), py::arg("fill_value"), py::kw_only(), py::arg("dtype") = py::none(),
        py::arg("requires_grad") = false,
        R"doc(A new tensor of the given size filled with fill_value.

size is a sequence of ints. Without dtype the value decides it: a bool gives bool, an
int gives int64, a float gives float32.
)doc");
    m.def(
        "eye",
        [](int64_t n, py::object m_, py::object dtype, bool requires_grad) {
            const int64_t cols = m_.is_none() ? n : py::cast<int64_t>(m_);
            return finish(eye(n, cols, dtype_arg(dtype, kDefaultFloat)), requires_grad);
        },
        py::arg("n"), py::arg("m") = py::none(), py::kw_only(), py::arg("dtype") = py::none(),
        py::arg("requires_grad") = false,
        R"doc(An (n, m) matrix with ones on the diagonal, zeros elsewhere.

m defaults to n (the identity matrix); dtype defaults to float32.
)doc");
    m.def(
        "linspace",
        [](double start, double end, int64_t steps, py::object dtype, bool requires_grad) {
            return finish(linspace(start, end, steps, dtype_arg(dtype, kDefaultFloat)),
                          requires_grad);
        },
        py::arg("start"), py::arg("end"), py::arg("steps"), py::kw_only(),
        py::arg("dtype") = py::none(), py::arg("requires_grad") = false,
        R"doc(steps evenly spaced values from start to end, both included (1-d).

steps=1 gives just start; dtype defaults to float32.
Example: linspace(0, 1, 5) is [0, 0.25, 0.5, 0.75, 1].
)doc");
    m.def(
        "_arange",
        [](double start, double end, double step, DType dtype, bool requires_grad) {
            return finish(arange(start, end, step, dtype), requires_grad);
        },
        py::arg("start"), py::arg("end"), py::arg("step"), py::arg("dtype"),
        py::arg("requires_grad") = false);

    auto random = [&m](const char* name, auto fn, const char* doc) {
        m.def(
            name,
            [fn, name](py::args size, py::object size_kw, Generator* generator, py::object dtype,
                       bool requires_grad) {
                return finish(
                    fn(size_of(size, size_kw, name), dtype_arg(dtype, kDefaultFloat), generator),
                    requires_grad);
            },
            py::kw_only(), py::arg("size") = py::none(), py::arg("generator") = nullptr,
            py::arg("dtype") = py::none(), py::arg("requires_grad") = false, doc);
    };
    random(
        "rand", [](const Shape& s, DType d, Generator* g) { return rand(s, d, g); },
        R"doc(A new tensor of values drawn uniformly from [0, 1).

The size is given as ints, one sequence or size=; dtype must be floating (default
float32). generator= draws from a private cr.Generator instead of the global one.
)doc");
    random(
        "randn", [](const Shape& s, DType d, Generator* g) { return randn(s, d, g); },
        R"doc(A new tensor of draws from the standard normal distribution N(0, 1).

The size is given as ints, one sequence or size=; dtype must be floating (default
float32). generator= draws from a private cr.Generator instead of the global one.
)doc");
    m.def(
        "randperm",
        [](int64_t n, Generator* generator, py::object dtype) {
            return randperm(n, dtype_arg(dtype, DType::Int64), generator);
        },
        py::arg("n"), py::kw_only(), py::arg("generator") = nullptr, py::arg("dtype") = py::none(),
        "A random permutation of 0..n-1.");
    m.def(
        "_randint",
        [](int64_t low, int64_t high, py::object size, Generator* generator, py::object dtype) {
            py::args a = py::make_tuple(size);
            return randint(low, high, shape_args(a, "randint"), dtype_arg(dtype, DType::Int64),
                           generator);
        },
        py::arg("low"), py::arg("high"), py::arg("size"), py::arg("generator") = nullptr,
        py::arg("dtype") = py::none());
}

}  // namespace chainrule::bind
