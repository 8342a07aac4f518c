// A list whose first N elements live inside the owning object: graph nodes almost always
// have one output and one or two inputs, and a heap block per list would double the cost of
// recording an op.
#pragma once
#include <array>
#include <cstddef>
#include <utility>
#include <vector>

namespace chainrule {

template <class T, size_t N>
class InlineList {
 public:
    size_t size() const { return size_; }
    bool empty() const { return size_ == 0; }
    T* data() { return heap_.empty() ? inline_.data() : heap_.data(); }
    const T* data() const { return heap_.empty() ? inline_.data() : heap_.data(); }
    T* begin() { return data(); }
    T* end() { return data() + size_; }
    const T* begin() const { return data(); }
    const T* end() const { return data() + size_; }
    T& operator[](size_t i) { return data()[i]; }
    const T& operator[](size_t i) const { return data()[i]; }
    T& back() { return data()[size_ - 1]; }

    void reserve(size_t n) {
        if (n > N && heap_.empty()) spill(n);
    }
    void push_back(T v) {
        if (heap_.empty() && size_ < N) {
            inline_[size_++] = std::move(v);
            return;
        }
        if (heap_.empty()) spill(2 * N);
        heap_.push_back(std::move(v));
        ++size_;
    }
    void resize(size_t n, const T& v = T()) {
        while (size_ > n) data()[--size_] = T();
        if (!heap_.empty()) heap_.resize(n, v);
        while (size_ < n) push_back(v);
        size_ = n;
    }

 private:
    // Moves the inline elements to the heap, which from then on holds all of them.
    void spill(size_t capacity) {
        heap_.reserve(std::max(capacity, size_ + 1));
        for (size_t i = 0; i < size_; ++i) {
            heap_.push_back(std::move(inline_[i]));
            inline_[i] = T();
        }
    }

    std::array<T, N> inline_{};
    std::vector<T> heap_;
    size_t size_ = 0;
};

}  // namespace chainrule
