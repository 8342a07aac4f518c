// Python bindings: the fused scaled dot-product attention as _C._nn.scaled_dot_product_attention
// (no dropout; F.scaled_dot_product_attention picks it or the composed path).
#include "chainrule/ops/attention.h"
#include "common.h"

namespace chainrule::bind {

void bind_attention(py::module_& m) {
    py::module_ nn = m.def_submodule("_nn", "nn.functional activations (as torch._C._nn)");
    nn.def(
        "scaled_dot_product_attention",
        [](const Tensor& query, const Tensor& key, const Tensor& value, py::handle attn_mask,
           bool is_causal, std::optional<double> scale) {
            return scaled_dot_product_attention(
                query, key, value,
                optional_tensor_arg(attn_mask, "scaled_dot_product_attention", "attn_mask"),
                is_causal, scale);
        },
        py::arg("query"), py::arg("key"), py::arg("value"), py::arg("attn_mask") = py::none(),
        py::arg("is_causal") = false, py::arg("scale") = py::none(),
        "softmax(query @ key^T * scale + attn_mask) @ value in one fused op (no dropout): "
        "query (*, L, E), key (*, S, E), value (*, S, Ev); bool masks keep True positions; "
        "fully masked rows give 0. A 4-D result is a (B, L, H, Ev)-ordered transposed view.");
}

}  // namespace chainrule::bind
