// Aligned allocation and borrowed (externally owned) buffers. Small blocks are recycled
// through a per-thread cache: tiny tensors are created and freed on every op of a training
// step, and memalign/free would otherwise dominate their cost.
#include "chainrule/storage.h"

#include <cstdlib>
#include <new>
#include <vector>

#include "chainrule/errors.h"

namespace chainrule {

namespace {

// Size classes of 64 << k bytes, k = 0..kClasses-1 (64 B .. 32 KiB).
constexpr uint32_t kClasses = 10;
constexpr size_t kMaxCachedPerClass = 64;

uint32_t size_class_of(size_t nbytes) {
    uint32_t k = 0;
    size_t cap = Storage::kAlignment;
    while (cap < nbytes) {
        cap <<= 1;
        ++k;
    }
    return k;  // k >= kClasses: not cached
}

// Cleared when the thread's cache is destroyed, so that storages freed later on this thread
// (during interpreter or process shutdown) go straight to free().
thread_local bool t_cache_alive = false;

struct BlockCache {
    std::vector<void*> free_blocks[kClasses];
    BlockCache() { t_cache_alive = true; }
    ~BlockCache() {
        t_cache_alive = false;
        for (auto& list : free_blocks) {
            for (void* p : list) std::free(p);
        }
    }
};

BlockCache& cache() {
    thread_local BlockCache c;
    return c;
}

void* aligned_block(size_t bytes) {
    void* p = std::aligned_alloc(Storage::kAlignment, bytes);
    if (p == nullptr) {
        throw RuntimeError(detail::cat_str("out of memory: failed to allocate ", bytes, " bytes"));
    }
    return p;
}

}  // namespace

std::shared_ptr<Storage> Storage::allocate(size_t nbytes) {
    auto s = std::make_shared<Storage>(Private{});
    const uint32_t k = size_class_of(nbytes);
    if (k < kClasses) {
        auto& list = cache().free_blocks[k];
        if (!list.empty()) {
            s->data_ = list.back();
            list.pop_back();
        } else {
            s->data_ = aligned_block(kAlignment << k);
        }
        s->size_class_ = k;
    } else {
        // aligned_alloc wants a multiple of the alignment.
        s->data_ = aligned_block(((nbytes + kAlignment - 1) / kAlignment) * kAlignment);
        s->size_class_ = kClasses;
    }
    s->nbytes_ = nbytes;
    return s;
}

std::shared_ptr<Storage> Storage::borrow(void* data, size_t nbytes, std::shared_ptr<void> owner,
                                         bool writable) {
    auto s = std::make_shared<Storage>(Private{});
    s->data_ = data;
    s->nbytes_ = nbytes;
    s->owner_ = std::move(owner);
    s->writable_ = writable;
    return s;
}

Storage::~Storage() {
    if (owner_) return;
    if (size_class_ < kClasses && t_cache_alive) {
        auto& list = cache().free_blocks[size_class_];
        if (list.size() < kMaxCachedPerClass) {
            list.push_back(data_);
            return;
        }
    }
    std::free(data_);
}

}  // namespace chainrule
