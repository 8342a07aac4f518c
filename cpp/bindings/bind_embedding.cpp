// Python bindings: embedding (as torch.embedding, weight first) and one_hot (as
// torch._C._nn.one_hot). F.embedding, with its padding_idx / max_norm handling, is Python.
#include "common.h"

namespace chainrule::bind {

void bind_embedding(py::module_& m) {
    m.def(
        "embedding",
        [](const Tensor& weight, const Tensor& indices, int64_t padding_idx,
           bool scale_grad_by_freq, bool sparse) {
            CR_CHECK(!sparse, RuntimeError, "embedding: sparse gradients are not supported");
            return embedding(weight, indices, padding_idx < 0 ? -1 : padding_idx,
                             scale_grad_by_freq);
        },
        py::arg("weight"), py::arg("indices"), py::arg("padding_idx") = -1,
        py::arg("scale_grad_by_freq") = false, py::arg("sparse") = false,
        "Rows of weight (num_embeddings, embedding_dim) picked by int64 indices: output of "
        "shape (*indices.shape, embedding_dim). The padding_idx row (negative: none) gets no "
        "gradient; scale_grad_by_freq divides each row's gradient by its count in indices.");

    py::module_ nn = m.def_submodule("_nn", "nn.functional activations (as torch._C._nn)");
    nn.def("one_hot", &one_hot, py::arg("tensor"), py::arg("num_classes") = -1,
           "int64 tensor of shape (*tensor.shape, num_classes) with ones at the class of each "
           "element; num_classes=-1 uses max(tensor) + 1.");
}

}  // namespace chainrule::bind
