// Reference-counted, 64-byte-aligned memory shared by a tensor and all of its views.
#pragma once
#include <cstddef>
#include <cstdint>
#include <memory>

namespace chainrule {

class Storage {
 public:
    // Owns fresh, uninitialised memory aligned to kAlignment bytes.
    static std::shared_ptr<Storage> allocate(size_t nbytes);
    // Borrows external memory (e.g. a NumPy array); `owner` keeps it alive.
    static std::shared_ptr<Storage> borrow(void* data, size_t nbytes, std::shared_ptr<void> owner,
                                           bool writable);
    ~Storage();
    Storage(const Storage&) = delete;
    struct Private {};  // lets make_shared build a Storage while keeping construction here
    explicit Storage(Private) {}
    Storage& operator=(const Storage&) = delete;

    void* data() const { return data_; }
    size_t nbytes() const { return nbytes_; }
    bool writable() const { return writable_; }

    // The version counter is per storage so that views, detached aliases and the base see
    // the same count: an in-place write through any of them invalidates saved tensors.
    uint32_t version() const { return version_; }
    void bump_version() { ++version_; }

    static constexpr size_t kAlignment = 64;

    // Fault injection for tests: the n-th allocation from now (0: the next), cached block or
    // not, fails as if the system were out of memory; n < 0 disarms.
    static void fail_allocation_after(int64_t n);
    // True while an armed failure has not happened yet.
    static bool allocation_failure_pending();

 private:
    void* data_ = nullptr;
    size_t nbytes_ = 0;
    std::shared_ptr<void> owner_;  // null when this storage owns data_
    size_t block_bytes_ = 0;       // the owned block's real size (>= nbytes_)
    uint32_t size_class_ = 0;      // owned small blocks go back to a per-thread cache
    uint32_t version_ = 0;
    bool writable_ = true;
};

}  // namespace chainrule
