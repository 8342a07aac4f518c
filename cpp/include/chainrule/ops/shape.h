// Views (share storage), copies that rearrange data, joining, splitting, indexing, selection
// and scatter.
#pragma once
#include <optional>
#include <vector>

#include "chainrule/tensor.h"

namespace chainrule {

// ---- views
Tensor view(const Tensor& x, const Shape& shape);     // one -1 allowed; needs compatible strides
Tensor reshape(const Tensor& x, const Shape& shape);  // a view when possible, else a copy
Tensor flatten(const Tensor& x, int64_t start_dim = 0, int64_t end_dim = -1);
Tensor unflatten(const Tensor& x, int64_t dim, const Shape& sizes);
Tensor squeeze(const Tensor& x, std::optional<std::vector<int64_t>> dims = std::nullopt);
Tensor unsqueeze(const Tensor& x, int64_t dim);
Tensor transpose(const Tensor& x, int64_t dim0, int64_t dim1);
Tensor permute(const Tensor& x, const std::vector<int64_t>& dims);
Tensor expand(const Tensor& x, const Shape& shape);  // -1 keeps a size
Tensor slice(const Tensor& x, int64_t dim, int64_t start, int64_t end, int64_t step = 1);
Tensor select(const Tensor& x, int64_t dim, int64_t index);
Tensor narrow(const Tensor& x, int64_t dim, int64_t start, int64_t length);
Tensor t_(const Tensor& x, bool as_t_op = false);  // .T reverses all dims; t() for <= 2-D
Tensor mT(const Tensor& x);                        // transposes the last two dims

// ---- copies
Tensor repeat(const Tensor& x, const Shape& repeats);
Tensor cat(const std::vector<Tensor>& xs, int64_t dim = 0);
Tensor stack(const std::vector<Tensor>& xs, int64_t dim = 0);
std::vector<Tensor> split(const Tensor& x, int64_t split_size, int64_t dim = 0);
std::vector<Tensor> split_sizes(const Tensor& x, const std::vector<int64_t>& sizes,
                                int64_t dim = 0);
std::vector<Tensor> chunk(const Tensor& x, int64_t chunks, int64_t dim = 0);
Tensor tril(const Tensor& x, int64_t diagonal = 0);
Tensor triu(const Tensor& x, int64_t diagonal = 0);

// ---- indexing
Tensor index_select(const Tensor& x, int64_t dim, const Tensor& index);
Tensor gather(const Tensor& x, int64_t dim, const Tensor& index);
// Advanced indexing: indices[d] (int64 or bool tensor, or undefined = full slice) per dim,
// with NumPy's rules for where the broadcast index dims go.
Tensor index(const Tensor& x, const std::vector<Tensor>& indices);
// x[indices] = values, in place (values broadcast); for tensors that do not require grad.
Tensor& index_put_(Tensor& x, const std::vector<Tensor>& indices, const Tensor& values);

// ---- selection and scatter
std::vector<Tensor> unbind(const Tensor& x, int64_t dim = 0);  // views, one UnbindBackward0
Tensor masked_select(const Tensor& x, const Tensor& mask);     // 1-D, row-major order
Tensor nonzero(const Tensor& x);                               // (n, ndim) int64
std::vector<Tensor> nonzero_tuple(const Tensor& x);            // ndim tensors of (n,)
Tensor repeat_interleave(const Tensor& x, int64_t repeats, std::optional<int64_t> dim);
Tensor repeat_interleave(const Tensor& x, const Tensor& repeats, std::optional<int64_t> dim);
Tensor scatter(const Tensor& x, int64_t dim, const Tensor& index, const Tensor& src);
Tensor scatter(const Tensor& x, int64_t dim, const Tensor& index, double value);
Tensor& scatter_(Tensor& self, int64_t dim, const Tensor& index, const Tensor& src);
Tensor& scatter_(Tensor& self, int64_t dim, const Tensor& index, double value);

}  // namespace chainrule
