// A vector with inline storage for its first N elements: shapes and strides rarely exceed
// six dims, and a heap allocation per shape would dominate the cost of small-tensor ops.
#pragma once
#include <algorithm>
#include <cstddef>
#include <cstdlib>
#include <cstring>
#include <initializer_list>
#include <iterator>
#include <new>
#include <type_traits>
#include <vector>

namespace chainrule {

template <class T, size_t N>
class SmallVector {
    static_assert(std::is_trivially_copyable_v<T>, "SmallVector holds trivially copyable types");

 public:
    using value_type = T;
    using size_type = size_t;
    using iterator = T*;
    using const_iterator = const T*;
    using reverse_iterator = std::reverse_iterator<T*>;
    using const_reverse_iterator = std::reverse_iterator<const T*>;
    using reference = T&;
    using const_reference = const T&;

    SmallVector() = default;
    explicit SmallVector(size_t n, T v = T()) { assign(n, v); }
    SmallVector(std::initializer_list<T> il) { assign(il.begin(), il.end()); }
    template <class It, class = typename std::iterator_traits<It>::iterator_category>
    SmallVector(It first, It last) {
        assign(first, last);
    }
    SmallVector(const std::vector<T>& v) { assign(v.begin(), v.end()); }  // NOLINT: implicit
    SmallVector(const SmallVector& o) { assign(o.begin(), o.end()); }
    SmallVector(SmallVector&& o) noexcept { steal(o); }
    SmallVector& operator=(const SmallVector& o) {
        if (this != &o) assign(o.begin(), o.end());
        return *this;
    }
    SmallVector& operator=(SmallVector&& o) noexcept {
        if (this != &o) {
            release();
            steal(o);
        }
        return *this;
    }
    ~SmallVector() { release(); }

    std::vector<T> vec() const { return std::vector<T>(begin(), end()); }

    size_t size() const { return size_; }
    bool empty() const { return size_ == 0; }
    size_t capacity() const { return cap_; }
    T* data() { return ptr_; }
    const T* data() const { return ptr_; }
    T* begin() { return ptr_; }
    T* end() { return ptr_ + size_; }
    const T* begin() const { return ptr_; }
    const T* end() const { return ptr_ + size_; }
    const T* cbegin() const { return ptr_; }
    const T* cend() const { return ptr_ + size_; }
    reverse_iterator rbegin() { return reverse_iterator(end()); }
    reverse_iterator rend() { return reverse_iterator(begin()); }
    const_reverse_iterator rbegin() const { return const_reverse_iterator(end()); }
    const_reverse_iterator rend() const { return const_reverse_iterator(begin()); }
    T& operator[](size_t i) { return ptr_[i]; }
    const T& operator[](size_t i) const { return ptr_[i]; }
    T& front() { return ptr_[0]; }
    const T& front() const { return ptr_[0]; }
    T& back() { return ptr_[size_ - 1]; }
    const T& back() const { return ptr_[size_ - 1]; }

    void reserve(size_t n) {
        if (n <= cap_) return;
        T* p = static_cast<T*>(std::malloc(n * sizeof(T)));
        if (p == nullptr) throw std::bad_alloc();
        if (size_) std::memcpy(p, ptr_, size_ * sizeof(T));
        if (ptr_ != inline_) std::free(ptr_);
        ptr_ = p;
        cap_ = n;
    }
    void clear() { size_ = 0; }
    void resize(size_t n, T v = T()) {
        reserve(n);
        for (size_t i = size_; i < n; ++i) ptr_[i] = v;
        size_ = n;
    }
    void assign(size_t n, T v) {
        size_ = 0;
        resize(n, v);
    }
    template <class It>
    void assign(It first, It last) {
        const auto n = static_cast<size_t>(std::distance(first, last));
        size_ = 0;
        reserve(n);
        std::copy(first, last, ptr_);
        size_ = n;
    }
    void push_back(T v) {
        if (size_ == cap_) reserve(cap_ * 2);
        ptr_[size_++] = v;
    }
    template <class... A>
    T& emplace_back(A&&... a) {
        push_back(T(std::forward<A>(a)...));
        return back();
    }
    void pop_back() { --size_; }
    T* insert(const T* pos, T v) {
        const size_t i = static_cast<size_t>(pos - ptr_);
        if (size_ == cap_) reserve(cap_ * 2);
        std::memmove(ptr_ + i + 1, ptr_ + i, (size_ - i) * sizeof(T));
        ptr_[i] = v;
        ++size_;
        return ptr_ + i;
    }
    template <class It, class = typename std::iterator_traits<It>::iterator_category>
    T* insert(const T* pos, It first, It last) {
        const size_t i = static_cast<size_t>(pos - ptr_);
        const auto n = static_cast<size_t>(std::distance(first, last));
        const std::vector<T> tmp(first, last);  // the range may alias this vector
        reserve(std::max(cap_ * 2, size_ + n));
        std::memmove(ptr_ + i + n, ptr_ + i, (size_ - i) * sizeof(T));
        std::copy(tmp.begin(), tmp.end(), ptr_ + i);
        size_ += n;
        return ptr_ + i;
    }
    T* erase(const T* pos) { return erase(pos, pos + 1); }
    T* erase(const T* first, const T* last) {
        const size_t i = static_cast<size_t>(first - ptr_);
        const size_t n = static_cast<size_t>(last - first);
        std::memmove(ptr_ + i, ptr_ + i + n, (size_ - i - n) * sizeof(T));
        size_ -= n;
        return ptr_ + i;
    }

    friend bool operator==(const SmallVector& a, const SmallVector& b) {
        return a.size_ == b.size_ && std::equal(a.begin(), a.end(), b.begin());
    }
    friend bool operator!=(const SmallVector& a, const SmallVector& b) { return !(a == b); }
    friend bool operator<(const SmallVector& a, const SmallVector& b) {
        return std::lexicographical_compare(a.begin(), a.end(), b.begin(), b.end());
    }

 private:
    void release() {
        if (ptr_ != inline_) std::free(ptr_);
        ptr_ = inline_;
        cap_ = N;
        size_ = 0;
    }
    void steal(SmallVector& o) {
        if (o.ptr_ == o.inline_) {
            std::memcpy(inline_, o.inline_, o.size_ * sizeof(T));
            ptr_ = inline_;
            cap_ = N;
        } else {
            ptr_ = o.ptr_;
            cap_ = o.cap_;
            o.ptr_ = o.inline_;
            o.cap_ = N;
        }
        size_ = o.size_;
        o.size_ = 0;
    }

    T* ptr_ = inline_;
    size_t size_ = 0;
    size_t cap_ = N;
    T inline_[N];
};

}  // namespace chainrule
