// The write loop of scatter / scatter_ (ops/shape_select.cpp), private to that file.
#pragma once
#include <cstdint>
#include <vector>

#include "chainrule/tensor.h"

namespace chainrule {
namespace {

// out[..., index[p], ...] = src[p] (or value) for every p in index's shape; out contiguous.
template <class T>
void scatter_kernel(const Tensor& out, int64_t d, const Tensor& index, const Tensor& src, T value) {
    const int64_t nd = index.dim(), total = index.numel();
    std::vector<int64_t> pos(static_cast<size_t>(nd), 0);
    const int64_t* ip = index.data<int64_t>();
    T* o = out.data<T>();
    const T* sp = src.defined() ? src.data<T>() : nullptr;
    for (int64_t p = 0; p < total; ++p) {
        int64_t ioff = 0, soff = 0, ooff = 0;
        for (int64_t k = 0; k < nd; ++k) {
            ioff += pos[k] * index.strides()[k];
            if (sp) soff += pos[k] * src.strides()[k];
            if (k != d) ooff += pos[k] * out.strides()[k];
        }
        if (out.dim() > 0) ooff += ip[ioff] * out.strides()[d];
        o[ooff] = sp ? sp[soff] : value;
        for (int64_t k = nd - 1; k >= 0; --k) {
            if (++pos[k] < index.shape()[k]) break;
            pos[k] = 0;
        }
    }
}

}  // namespace
}  // namespace chainrule
