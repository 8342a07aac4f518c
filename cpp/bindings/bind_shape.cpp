// Shape, joining and indexing ops as cr.<op> functions and Tensor methods, plus t[key] and
// t[key] = value: the key is parsed here into views (ints, slices, None, ...) followed by
// at most one advanced-indexing step (index tensors, bool masks, lists).
#include <pybind11/numpy.h>

#include "common.h"

namespace chainrule::bind {

namespace {

std::string type_name(py::handle h) { return py::str(py::type::of(h).attr("__name__")); }

std::vector<Tensor> tensors_arg(py::handle seq, const char* op) {
    CR_CHECK(PySequence_Check(seq.ptr()) && !py::isinstance<TensorImpl>(seq), TypeError, op,
             ": expected a sequence of Tensors; got ", type_name(seq));
    std::vector<Tensor> out;
    size_t i = 0;
    for (py::handle e : py::reinterpret_borrow<py::sequence>(seq)) {
        py::detail::make_caster<Tensor> c;
        CR_CHECK(c.load(e, false), TypeError, op, ": expected a sequence of Tensors; got ",
                 type_name(e), " at position ", i);
        out.push_back(py::detail::cast_op<Tensor>(c));
        ++i;
    }
    return out;
}

py::tuple tuple_of(const std::vector<Tensor>& ts) {
    py::tuple t(ts.size());
    for (size_t i = 0; i < ts.size(); ++i) t[i] = py::cast(ts[i]);
    return t;
}

// A shape from one Python argument (a sequence, or an int).
Shape shape_arg(py::handle h, const char* op) {
    py::args a = py::make_tuple(h);
    return shape_args(a, op);
}

std::optional<std::vector<int64_t>> squeeze_dims(py::handle dim) {
    if (dim.is_none()) return std::nullopt;
    return dims_arg(dim, "squeeze");
}

// ---- t[key] parsing ----------------------------------------------------------

bool is_tensor(py::handle h) { return py::isinstance<TensorImpl>(h); }

bool is_numpy_bool(py::handle h) {
    static py::object np_bool = py::module_::import("numpy").attr("bool_");
    return py::isinstance(h, np_bool);
}

// A list key is a tuple of indices when it holds slices, None, ..., tensors or sequences
// (NumPy's legacy rule, which PyTorch keeps); otherwise it is one index tensor.
bool list_as_tuple(py::handle key) {
    if (!PyList_Check(key.ptr())) return false;
    const Py_ssize_t n = PyList_GET_SIZE(key.ptr());
    if (n >= 32) return false;
    for (Py_ssize_t i = 0; i < n; ++i) {
        PyObject* e = PyList_GET_ITEM(key.ptr(), i);
        if (PySlice_Check(e) || e == Py_Ellipsis || e == Py_None || is_tensor(e) ||
            PySequence_Check(e)) {
            return true;
        }
    }
    return false;
}

// A list or NumPy array used as an index: an int64 or bool tensor.
Tensor sequence_index(py::handle h) {
    py::module_ np = py::module_::import("numpy");
    py::array a = np.attr("asarray")(h);
    const char kind = a.dtype().kind();
    if (kind == 'b') {
        auto b = py::array_t<bool, py::array::c_style | py::array::forcecast>::ensure(a);
        Tensor t = empty(Shape(b.shape(), b.shape() + b.ndim()), DType::Bool);
        std::copy(b.data(), b.data() + b.size(), t.data<bool>());
        return t;
    }
    CR_CHECK(kind == 'i' || kind == 'u' || a.size() == 0, IndexError,
             "__getitem__: tensors used as indices must be long or bool tensors; got a sequence "
             "of dtype ",
             std::string(py::str(a.dtype())));
    auto l = py::array_t<int64_t, py::array::c_style | py::array::forcecast>::ensure(a);
    Tensor t = empty(Shape(l.shape(), l.shape() + l.ndim()), DType::Int64);
    std::copy(l.data(), l.data() + l.size(), t.data<int64_t>());
    return t;
}

struct Item {
    enum Kind { None, Ellipsis, Bool, Int, Slice, Index } kind;
    int64_t value = 0;  // Int, Bool
    py::handle slice;   // Slice
    Tensor tensor;      // Index
};

Item classify(py::handle h) {
    PyObject* o = h.ptr();
    if (o == Py_None) return {Item::None};
    if (o == Py_Ellipsis) return {Item::Ellipsis};
    if (PyBool_Check(o)) return {Item::Bool, o == Py_True ? 1 : 0};
    if (PyLong_Check(o)) return {Item::Int, py::cast<int64_t>(h)};
    if (PySlice_Check(o)) return {Item::Slice, 0, h};
    if (is_tensor(h)) {
        Tensor t = py::cast<Tensor>(h);
        if (t.dtype() == DType::Bool && t.dim() == 0) return {Item::Bool, *t.data<bool>() ? 1 : 0};
        CR_CHECK(t.dtype() == DType::Bool || t.dtype() == DType::Int64, IndexError,
                 "__getitem__: tensors used as indices must be long or bool tensors; got ",
                 dtype_name(t.dtype()));
        return {Item::Index, 0, {}, t};
    }
    if (is_numpy_bool(h)) return {Item::Bool, py::cast<bool>(h) ? 1 : 0};
    if ((PySequence_Check(o) && !PyUnicode_Check(o) && !PyBytes_Check(o)) ||
        py::isinstance<py::array>(h)) {
        return {Item::Index, 0, {}, sequence_index(h)};
    }
    if (py::hasattr(h, "__index__")) return {Item::Int, py::cast<int64_t>(h.attr("__index__")())};
    throw IndexError(
        "__getitem__: only integers, slices (`:`), ellipsis (`...`), None and long "
        "or bool tensors are valid indices (got " +
        type_name(h) + ")");
}

// The basic part of t[key] as a view, and the advanced part as index() arguments.
struct Parsed {
    Tensor view;
    std::vector<Tensor> indices;  // empty: no advanced indexing
};

Parsed parse_key(const Tensor& self, py::handle key) {
    std::vector<Item> items;
    const bool legacy_list = list_as_tuple(key);
    if (legacy_list) {
        // PyTorch 2.13 still reads x[[0, slice(None)]] as x[0, :], with this warning.
        if (PyErr_WarnEx(PyExc_UserWarning,
                         "Using a non-tuple sequence for multidimensional "
                         "indexing is deprecated; use x[tuple(seq)] instead of x[seq]",
                         1) < 0) {
            throw py::error_already_set();
        }
    }
    if (PyTuple_Check(key.ptr()) || legacy_list) {
        for (py::handle h : py::reinterpret_borrow<py::sequence>(key)) items.push_back(classify(h));
    } else {
        items.push_back(classify(key));
    }
    int64_t specified = 0;
    for (const Item& it : items) {
        if (it.kind == Item::Int || it.kind == Item::Slice) ++specified;
        if (it.kind == Item::Index)
            specified += it.tensor.dtype() == DType::Bool ? it.tensor.dim() : 1;
    }
    CR_CHECK(self.dim() > 0 || specified == 0, IndexError,
             "__getitem__: invalid index of a 0-dim "
             "tensor. Use `tensor.item()` in Python to convert a 0-dim tensor to a number");
    CR_CHECK(specified <= self.dim(), IndexError,
             "__getitem__: too many indices for tensor of "
             "dimension ",
             self.dim(), " (got ", specified, ")");
    Tensor r = self;
    int64_t dim = 0;
    bool ellipsis_seen = false;
    std::vector<std::pair<int64_t, Tensor>> adv;  // (dim in r, index tensor)
    for (const Item& it : items) {
        switch (it.kind) {
            case Item::None:
                r = unsqueeze(r, dim++);
                break;
            case Item::Ellipsis:
                // Later ellipses expand to nothing, as in PyTorch.
                if (!ellipsis_seen) dim += self.dim() - specified;
                ellipsis_seen = true;
                break;
            case Item::Bool: {
                r = unsqueeze(r, dim);
                Tensor idx = it.value ? zeros({1}, DType::Int64) : empty({0}, DType::Int64);
                adv.emplace_back(dim++, idx);
                break;
            }
            case Item::Int:
                r = select(r, dim, it.value);
                break;
            case Item::Slice: {
                Py_ssize_t start = 0, stop = 0, step = 0;
                if (PySlice_Unpack(it.slice.ptr(), &start, &stop, &step) < 0) {
                    throw py::error_already_set();
                }
                CR_CHECK(step > 0, ValueError, "__getitem__: step must be greater than zero; got ",
                         step);
                r = slice(r, dim++, start, stop, step);
                break;
            }
            case Item::Index:
                adv.emplace_back(dim, it.tensor);
                dim += it.tensor.dtype() == DType::Bool ? it.tensor.dim() : 1;
                break;
        }
    }
    Parsed p;
    p.view = r;
    int64_t pos = 0;
    for (auto& [d, t] : adv) {
        for (; pos < d; ++pos) p.indices.emplace_back();
        p.indices.push_back(t);
        pos += t.dtype() == DType::Bool ? t.dim() : 1;
    }
    return p;
}

Tensor getitem(const Tensor& self, py::handle key) {
    if (PyLong_Check(key.ptr()) && !PyBool_Check(key.ptr())) {  // fast path: t[i]
        CR_CHECK(self.dim() > 0, IndexError,
                 "__getitem__: invalid index of a 0-dim tensor. Use "
                 "`tensor.item()` in Python to convert a 0-dim tensor to a number");
        return select(self, 0, py::cast<int64_t>(key));
    }
    Parsed p = parse_key(self, key);
    if (!p.indices.empty()) return index(p.view, p.indices);
    if (p.view.same(self)) {  // t[...] and t[()]: a new tensor aliasing self
        return needs_grad(self) ? view(self, self.shape()) : self.alias();
    }
    return p.view;
}

void setitem(Tensor& self, py::handle key, py::handle value) {
    Tensor v = try_tensor_arg(value);
    if (!v.defined()) {
        CR_CHECK(PySequence_Check(value.ptr()), TypeError,
                 "__setitem__: expected a Tensor, a "
                 "number or a sequence as the value; got ",
                 type_name(value));
        py::object t = py::module_::import("chainrule")
                           .attr("tensor")(value, py::arg("dtype") = py::cast(self.dtype()));
        v = py::cast<Tensor>(t);
    }
    CR_CHECK(!grad_enabled() || !self.requires_grad(), RuntimeError,
             "__setitem__: a tensor that requires grad (a leaf Variable or its view) is being "
             "used in an in-place operation; assign inside `with cr.no_grad():` or build the "
             "result out of place (cr.where, cr.cat, masked_fill)");
    CR_CHECK(!grad_enabled() || !v.requires_grad(), RuntimeError,
             "__setitem__: assigning a value that requires grad is not supported (the gradient "
             "would not reach it); build the result out of place (cr.where, cr.cat, cr.stack)");
    check_scalar_fits(v, self.dtype(), "__setitem__");  // t[i] = nan into int64 raises, as torch
    Parsed p = parse_key(self, key);
    Tensor target = p.view;
    if (!p.indices.empty()) {
        index_put_(target, p.indices, v);
        return;
    }
    // Leading size-1 dims of the value are dropped, as PyTorch does.
    while (v.dim() > target.dim() && v.shape()[0] == 1) {
        v = make_view(v, Shape(v.shape().begin() + 1, v.shape().end()),
                      Strides(v.strides().begin() + 1, v.strides().end()), v.offset());
    }
    copy_(target, v);
}

std::optional<int64_t> opt_int(py::handle h) {
    if (h.is_none()) return std::nullopt;
    return py::cast<int64_t>(h);
}

}  // namespace

void bind_shape(py::module_& m) {
    TensorClass cls = tensor_class(m);

    // ---- views
    cls.def(
        "view", [](const Tensor& t, py::args shape) { return view(t, shape_args(shape, "view")); },
        "A view with another shape (one -1 allowed); needs compatible strides, else "
        "use reshape.");
    cls.def(
        "view_as", [](const Tensor& t, const Tensor& other) { return view(t, other.shape()); },
        py::arg("other"), "self.view(other.shape): a view with other's shape.");
    m.def(
        "reshape",
        [](const Tensor& t, py::object shape) { return reshape(t, shape_arg(shape, "reshape")); },
        py::arg("input"), py::arg("shape"),
        "The values of input with a new shape: a view when strides allow, else a copy.");
    cls.def(
        "reshape",
        [](const Tensor& t, py::args shape) { return reshape(t, shape_args(shape, "reshape")); },
        R"doc(self with a new shape, given as ints or one sequence (one -1 is inferred).

A view when the strides allow, else a copy. See chainrule.reshape.
)doc");
    cls.def(
        "reshape_as",
        [](const Tensor& t, const Tensor& other) { return reshape(t, other.shape()); },
        py::arg("other"), "self.reshape(other.shape): self's values in other's shape.");
    m.def("flatten", &flatten, py::arg("input"), py::arg("start_dim") = 0, py::arg("end_dim") = -1,
          R"doc(Merges dims start_dim..end_dim (inclusive) of input into one.

With the defaults the result is 1-d; a 0-d input gives shape (1,). A view when the
strides allow, else a copy. Example: a (2, 3, 4) x gives (2, 12) for flatten(x, 1).
)doc");
    cls.def("flatten", &flatten, py::arg("start_dim") = 0, py::arg("end_dim") = -1,
            "Merges dims start_dim..end_dim into one. See chainrule.flatten.");
    auto unflatten_fn = [](const Tensor& t, int64_t dim, py::object sizes) {
        return unflatten(t, dim, shape_arg(sizes, "unflatten"));
    };
    m.def("unflatten", unflatten_fn, py::arg("input"), py::arg("dim"), py::arg("sizes"),
          R"doc(Splits dim of input into several dims of the given sizes.

The product of sizes must equal input.shape[dim]; one size may be -1 (inferred).
The inverse of chainrule.flatten; a view when the strides allow.
)doc");
    cls.def("unflatten", unflatten_fn, py::arg("dim"), py::arg("sizes"),
            "Splits dim into dims of the given sizes. See chainrule.unflatten.");
    auto squeeze_fn = [](const Tensor& t, py::object dim) { return squeeze(t, squeeze_dims(dim)); };
    m.def("squeeze", squeeze_fn, py::arg("input"), py::arg("dim") = py::none(),
          R"doc(A view of input without size-1 dims.

dim=None drops every size-1 dim; an int or a tuple of ints drops only those of the
named dims that have size 1 (the others are left alone, not an error).
)doc");
    cls.def("squeeze", squeeze_fn, py::arg("dim") = py::none(),
            "A view without size-1 dims (all, or those in dim). See chainrule.squeeze.");
    m.def("unsqueeze", &unsqueeze, py::arg("input"), py::arg("dim"),
          R"doc(A view of input with a new size-1 dim inserted at position dim.

dim may range over [-input.dim() - 1, input.dim()]; negative values count from the end
of the result, so unsqueeze(x, -1) appends a dim.
)doc");
    cls.def("unsqueeze", &unsqueeze, py::arg("dim"),
            "A view with a size-1 dim inserted at dim. See chainrule.unsqueeze.");
    m.def("transpose", &transpose, py::arg("input"), py::arg("dim0"), py::arg("dim1"),
          R"doc(A view of input with dims dim0 and dim1 swapped (no data is moved).

The result is usually not contiguous; call .contiguous() when a kernel needs it.
)doc");
    cls.def("transpose", &transpose, py::arg("dim0"), py::arg("dim1"),
            "A view with dim0 and dim1 swapped. See chainrule.transpose.");
    m.def("swapaxes", &transpose, py::arg("input"), py::arg("axis0"), py::arg("axis1"),
          "A view with axis0 and axis1 swapped; the NumPy name of chainrule.transpose.");
    cls.def("swapaxes", &transpose, py::arg("axis0"), py::arg("axis1"),
            "A view with axis0 and axis1 swapped. See chainrule.transpose.");
    m.def("swapdims", &transpose, py::arg("input"), py::arg("dim0"), py::arg("dim1"),
          "A view with dim0 and dim1 swapped; another name of chainrule.transpose.");
    cls.def("swapdims", &transpose, py::arg("dim0"), py::arg("dim1"),
            "A view with dim0 and dim1 swapped. See chainrule.transpose.");
    m.def(
        "permute",
        [](const Tensor& t, py::object dims) {
            return permute(t, shape_arg(dims, "permute").vec());
        },
        py::arg("input"), py::arg("dims"),
        R"doc(A view of input with its dims reordered: result dim i is input dim dims[i].

dims must name every dim exactly once (negative values count from the end).
Example: permute(x, (0, 2, 1)) swaps the last two dims of a 3-d x.
)doc");
    cls.def(
        "permute",
        [](const Tensor& t, py::args dims) {
            return permute(t, shape_args(dims, "permute").vec());
        },
        "A view with dims reordered, given as ints or one sequence. See chainrule.permute.");
    cls.def(
        "expand",
        [](const Tensor& t, py::args sizes) { return expand(t, shape_args(sizes, "expand")); },
        "A broadcast view (stride 0) to the given sizes; -1 keeps a size.");
    cls.def(
        "expand_as", [](const Tensor& t, const Tensor& other) { return expand(t, other.shape()); },
        py::arg("other"), "self.expand(other.shape): a broadcast view to other's shape.");
    m.def("narrow", &narrow, py::arg("input"), py::arg("dim"), py::arg("start"), py::arg("length"),
          R"doc(A view of input restricted to start .. start + length - 1 along dim.

Like input[..., start:start + length, ...] at dim, but out-of-range bounds are errors
rather than clipped; a negative start counts from the end.
)doc");
    cls.def("narrow", &narrow, py::arg("dim"), py::arg("start"), py::arg("length"),
            "A view of length elements from start along dim. See chainrule.narrow.");
    m.def("select", &select, py::arg("input"), py::arg("dim"), py::arg("index"),
          R"doc(A view of input at position index along dim, with that dim removed.

select(x, 0, i) is x[i]; a negative index counts from the end.
)doc");
    cls.def("select", &select, py::arg("dim"), py::arg("index"),
            "A view at index along dim, that dim removed. See chainrule.select.");
    cls.def_property_readonly("T", [](const Tensor& x) { return t_(x); });
    cls.def_property_readonly("mT", &mT);
    auto t_fn = [](const Tensor& x) {
        CR_CHECK(x.dim() <= 2, ValueError, "t: expects a tensor with <= 2 dimensions, but self is ",
                 x.dim(), "D");
        return t_(x, true);
    };
    m.def("t", t_fn, py::arg("input"), R"doc(Transpose of a matrix: a view, dims 0 and 1 swapped.

input must have at most 2 dims; 0-d and 1-d inputs come back as they are (as views).
)doc");
    cls.def("t", t_fn, "Transpose of a matrix (at most 2 dims). See chainrule.t.");

    // ---- copies
    cls.def(
        "repeat",
        [](const Tensor& t, py::args sizes) { return repeat(t, shape_args(sizes, "repeat")); },
        "The tensor tiled sizes[d] times along each dim (leading sizes add dims).");
    auto cat_fn = [](py::object tensors, int64_t dim) {
        return cat(tensors_arg(tensors, "cat"), dim);
    };
    for (const char* name : {"cat", "concat", "concatenate"}) {
        m.def(name, cat_fn, py::arg("tensors"), py::arg("dim") = 0,
              "Concatenates tensors along an existing dim (same shapes elsewhere).");
    }
    m.def(
        "stack",
        [](py::object tensors, int64_t dim) { return stack(tensors_arg(tensors, "stack"), dim); },
        py::arg("tensors"), py::arg("dim") = 0, "Stacks equal-shaped tensors along a new dim.");
    auto split_fn = [](const Tensor& t, py::object sizes, int64_t dim) {
        if (PyLong_Check(sizes.ptr())) return tuple_of(split(t, py::cast<int64_t>(sizes), dim));
        return tuple_of(split_sizes(t, shape_arg(sizes, "split").vec(), dim));
    };
    m.def("split", split_fn, py::arg("tensor"), py::arg("split_size_or_sections"),
          py::arg("dim") = 0,
          "Views of pieces of size split_size (the last may be smaller), "
          "or of the given sizes.");
    cls.def("split", split_fn, py::arg("split_size"), py::arg("dim") = 0,
            "A tuple of views of pieces along dim. See chainrule.split.");
    auto chunk_fn = [](const Tensor& t, int64_t chunks, int64_t dim) {
        return tuple_of(chunk(t, chunks, dim));
    };
    m.def("chunk", chunk_fn, py::arg("input"), py::arg("chunks"), py::arg("dim") = 0,
          R"doc(Splits input into at most chunks views of equal size along dim.

Each piece has ceil(size / chunks) elements along dim, the last possibly fewer, so
fewer than chunks pieces can come back. Returns a tuple.
)doc");
    cls.def("chunk", chunk_fn, py::arg("chunks"), py::arg("dim") = 0,
            "Splits into at most chunks equal views along dim. See chainrule.chunk.");
    m.def("tril", &tril, py::arg("input"), py::arg("diagonal") = 0,
          R"doc(Lower triangle of the last two dims of input; the rest set to 0.

Keeps the elements with col - row <= diagonal (0: the main diagonal and below it; 1
adds the first diagonal above). Batched over leading dims; the gradient is masked alike.
)doc");
    cls.def("tril", &tril, py::arg("diagonal") = 0,
            "Lower triangle of the last two dims, the rest 0. See chainrule.tril.");
    m.def("triu", &triu, py::arg("input"), py::arg("diagonal") = 0,
          R"doc(Upper triangle of the last two dims of input; the rest set to 0.

Keeps the elements with col - row >= diagonal (0: the main diagonal and above it; -1
adds the first diagonal below). Batched over leading dims; the gradient is masked alike.
)doc");
    cls.def("triu", &triu, py::arg("diagonal") = 0,
            "Upper triangle of the last two dims, the rest 0. See chainrule.triu.");

    // ---- indexing
    m.def("index_select", &index_select, py::arg("input"), py::arg("dim"), py::arg("index"),
          R"doc(The entries of input at the positions index (1-d, int64) along dim.

The result has input's shape with size len(index) at dim; indices may repeat. It is a
copy. Gradient: grad added back at the selected positions (repeats accumulate).
)doc");
    cls.def("index_select", &index_select, py::arg("dim"), py::arg("index"),
            "Entries at the positions index along dim. See chainrule.index_select.");
    m.def("gather", &gather, py::arg("input"), py::arg("dim"), py::arg("index"),
          R"doc(Picks values of input along dim by an int64 index of the same number of dims.

out[i][j][k] = input[index[i][j][k]][j][k] for dim=0 (likewise for other dims); the
result has index's shape. Gradient: grad scattered back (added) to the picked places.
)doc");
    cls.def("gather", &gather, py::arg("dim"), py::arg("index"),
            "Values picked along dim by index. See chainrule.gather.");
    cls.def("__len__", [](const Tensor& t) {
        if (t.dim() == 0) throw TypeError("len() of a 0-d tensor");
        return t.shape()[0];
    });
    cls.def("__getitem__", &getitem);
    cls.def("__setitem__", &setitem);
    cls.def(
        "index_put_",
        [](Tensor& t, py::object indices, const Tensor& values) -> Tensor& {
            std::vector<Tensor> idx;
            for (py::handle h : py::reinterpret_borrow<py::sequence>(indices)) {
                idx.push_back(h.is_none() ? Tensor() : py::cast<Tensor>(h));
            }
            return index_put_(t, idx, values);
        },
        py::arg("indices"), py::arg("values"), R"doc(In-place self[indices] = values; returns self.

indices is a sequence with one int64/bool index tensor (or None for a full slice) per
leading dim; values broadcasts to the indexed shape.
)doc");

    // ---- selection and scatter
    auto unbind_fn = [](const Tensor& x, int64_t dim) { return tuple_of(unbind(x, dim)); };
    m.def("unbind", unbind_fn, py::arg("input"), py::arg("dim") = 0,
          R"doc(Splits input along dim into a tuple of views, one per index, with that dim removed.

A (3, 4) input gives three (4,) views for dim=0 (x[0], x[1], x[2]).
)doc");
    cls.def("unbind", unbind_fn, py::arg("dim") = 0,
            R"doc(A tuple of views, one per index along dim. See chainrule.unbind.
)doc");
    m.def("masked_select", &masked_select, py::arg("input"), py::arg("mask"),
          R"doc(A new 1-d tensor of the elements of input where mask is True, in row-major order.

mask is a bool tensor; input and mask broadcast together. Gradient: grad scattered back
to the selected places.
)doc");
    cls.def(
        "masked_select", &masked_select, py::arg("mask"),
        R"doc(The elements of self where mask is True, as a 1-d tensor. See chainrule.masked_select.
)doc");
    auto nonzero_fn = [](const Tensor& x, bool as_tuple) -> py::object {
        if (as_tuple) return tuple_of(nonzero_tuple(x));
        return py::cast(nonzero(x));
    };
    m.def("nonzero", nonzero_fn, py::arg("input"), py::kw_only(), py::arg("as_tuple") = false,
          R"doc(The positions of the nonzero elements of input, in row-major order.

Returns an int64 tensor of shape (count, input.dim()), one row per element; with
as_tuple=True a tuple of input.dim() 1-d tensors, one per dim (usable as an index).
)doc");
    cls.def("nonzero", nonzero_fn, py::kw_only(), py::arg("as_tuple") = false,
            R"doc(The positions of the nonzero elements. See chainrule.nonzero.
)doc");
    m.def(
        "argwhere", &nonzero, py::arg("input"),
        R"doc(The positions of the nonzero elements of input as a (count, input.dim()) int64 tensor.

The same as chainrule.nonzero(input).
)doc");
    cls.def("argwhere", &nonzero,
            R"doc(The positions of the nonzero elements. See chainrule.argwhere.
)doc");
    m.def(
        "where", [](const Tensor& cond) { return tuple_of(nonzero_tuple(cond)); },
        py::arg("condition"),
        R"doc(where(condition) with only a condition: the same as nonzero(condition, as_tuple=True).
)doc");
    auto ri = [](const Tensor& x, py::handle repeats, py::handle dim, py::handle) {
        if (PyLong_Check(repeats.ptr()) && !PyBool_Check(repeats.ptr())) {
            return repeat_interleave(x, py::cast<int64_t>(repeats), opt_int(dim));
        }
        return repeat_interleave(x, to_tensor_arg(repeats, "repeat_interleave"), opt_int(dim));
    };
    m.def("repeat_interleave", ri, py::arg("input"), py::arg("repeats"),
          py::arg("dim") = py::none(), py::kw_only(), py::arg("output_size") = py::none(),
          R"doc(Repeats each element of input repeats times along dim.

repeats is an int or a 1-d int64 tensor with one count per element along dim; dim=None
works on the flattened input. output_size is accepted for compatibility.
Example: repeat_interleave(cr.tensor([1, 2]), 2) is [1, 1, 2, 2].
)doc");
    cls.def("repeat_interleave", ri, py::arg("repeats"), py::arg("dim") = py::none(), py::kw_only(),
            py::arg("output_size") = py::none(),
            R"doc(Each element repeated along dim. See chainrule.repeat_interleave.
)doc");

    // scatter(dim, index, src) / scatter(dim, index, value): a number in src's place (or
    // value=) is the value form.
    auto scatter_fn = [](const Tensor& x, int64_t dim, const Tensor& index, py::handle src,
                         py::handle value) {
        CR_CHECK(src.is_none() != value.is_none(), TypeError,
                 "scatter: pass exactly one of src (a tensor) or value (a number)");
        py::handle s = src.is_none() ? value : src;
        if (py::isinstance<TensorImpl>(s)) return scatter(x, dim, index, py::cast<Tensor>(s));
        return scatter(x, dim, index, number_arg(s, "scatter", "value"));
    };
    m.def("scatter", scatter_fn, py::arg("input"), py::arg("dim"), py::arg("index"),
          py::arg("src") = py::none(), py::kw_only(), py::arg("value") = py::none(),
          R"doc(A copy of input with values written at the positions index along dim.

For dim=0: out[index[i][j]][j] = src[i][j] (likewise for other dims); index is int64
with the number of dims of input. Pass exactly one of src (a tensor) or value (a
number). Where an index repeats, which write wins is unspecified.
)doc");
    cls.def("scatter", scatter_fn, py::arg("dim"), py::arg("index"), py::arg("src") = py::none(),
            py::kw_only(), py::arg("value") = py::none(),
            R"doc(A copy of self with src/value written at index along dim. See chainrule.scatter.
)doc");
    cls.def(
        "scatter_",
        [](Tensor& x, int64_t dim, const Tensor& index, py::handle src,
           py::handle value) -> Tensor& {
            CR_CHECK(src.is_none() != value.is_none(), TypeError,
                     "scatter_: pass exactly one of src (a tensor) or value (a number)");
            py::handle s = src.is_none() ? value : src;
            if (py::isinstance<TensorImpl>(s)) return scatter_(x, dim, index, py::cast<Tensor>(s));
            return scatter_(x, dim, index, number_arg(s, "scatter_", "value"));
        },
        py::arg("dim"), py::arg("index"), py::arg("src") = py::none(), py::kw_only(),
        py::arg("value") = py::none(),
        R"doc(In-place scatter: writes src or value into self at index along dim; returns self.

See chainrule.scatter.
)doc");
}

}  // namespace chainrule::bind
