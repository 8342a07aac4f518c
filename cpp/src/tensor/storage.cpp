// Aligned allocation and borrowed (externally owned) buffers. Small blocks are recycled
// through a per-thread cache: tiny tensors are created and freed on every op of a training
// step, and memalign/free would otherwise dominate their cost. Larger blocks are recycled
// through a process-wide cache: a training step frees and re-allocates the same activations
// and gradients every time, and handing them back to the OS (glibc maps blocks above its
// mmap threshold on their own and trims the heap's free top) costs a page fault and a zeroed
// page per 4 KiB on the next step: 16 % of a LeNet step's time went to the kernel.
#include "chainrule/storage.h"

#include <atomic>
#include <cstdlib>
#include <map>
#include <mutex>
#include <new>
#include <vector>
#if defined(__linux__)
#include <sys/mman.h>
#endif

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

// Fault injection for tests: the allocation `countdown` allocations from the arming fails.
std::atomic<bool> g_fail_armed{false};
std::atomic<int64_t> g_fail_countdown{0};

[[noreturn]] void out_of_memory(size_t bytes) {
    throw RuntimeError(detail::cat_str("out of memory: failed to allocate ", bytes, " bytes"));
}

// `bytes` must be a multiple of `alignment` (C11 aligned_alloc; sanitizers enforce it).
void* aligned_block(size_t bytes, size_t alignment = Storage::kAlignment) {
    void* p = std::aligned_alloc(alignment, bytes);
    if (p == nullptr) out_of_memory(bytes);
    return p;
}

// ---- large blocks ------------------------------------------------------------------------
// Sizes are rounded up (to 4 KiB below 1 MiB, 64 KiB above) so that nearby sizes share blocks.
size_t large_round(size_t nbytes) {
    const size_t unit = nbytes < (size_t(1) << 20) ? size_t(4) << 10 : size_t(64) << 10;
    return (nbytes + unit - 1) / unit * unit;
}
constexpr size_t kHugePage = size_t(2) << 20;

// Free large blocks by size, holding at most `limit` bytes: CHAINRULE_CACHE_LIMIT_MB (0 turns
// the cache off), 1 GiB by default. A block is reused for a request at most 1/8 smaller.
class LargeBlockCache {
 public:
    LargeBlockCache() {
        if (const char* env = std::getenv("CHAINRULE_CACHE_LIMIT_MB")) {
            char* end = nullptr;
            const unsigned long long mb = std::strtoull(env, &end, 10);
            if (end != env && *end == '\0') limit_ = static_cast<size_t>(mb) << 20;
        }
    }
    ~LargeBlockCache() {
        for (auto& [bytes, p] : free_) std::free(p);
    }
    // A cached block of at least `bytes` (its size goes to `bytes`), or nullptr.
    void* take(size_t& bytes) {
        std::lock_guard<std::mutex> lock(mutex_);
        auto it = free_.lower_bound(bytes);
        if (it == free_.end() || it->first > bytes + bytes / 8) return nullptr;
        void* p = it->second;
        bytes = it->first;
        cached_ -= it->first;
        free_.erase(it);
        return p;
    }
    bool give(void* p, size_t bytes) {
        std::lock_guard<std::mutex> lock(mutex_);
        if (cached_ + bytes > limit_) return false;
        free_.emplace(bytes, p);
        cached_ += bytes;
        return true;
    }

 private:
    std::mutex mutex_;
    std::multimap<size_t, void*> free_;
    size_t cached_ = 0;
    size_t limit_ = size_t(1) << 30;
};

// Never destroyed: storages may be freed during interpreter shutdown, after static
// destructors would have run.
LargeBlockCache& large_cache() {
    static LargeBlockCache* c = new LargeBlockCache();
    return *c;
}

void* new_large_block(size_t& bytes) {
    if (void* p = large_cache().take(bytes)) return p;
    // Blocks of several huge pages start on a huge-page boundary and ask for transparent huge
    // pages (where THP is in "madvise" mode): 512x fewer page faults and TLB misses.
    const bool huge = bytes >= 2 * kHugePage;
    if (huge) bytes = (bytes + kHugePage - 1) / kHugePage * kHugePage;
    void* p = aligned_block(bytes, huge ? kHugePage : Storage::kAlignment);
#if defined(__linux__) && defined(MADV_HUGEPAGE)
    if (huge) madvise(p, bytes, MADV_HUGEPAGE);
#endif
    return p;
}

}  // namespace

std::shared_ptr<Storage> Storage::allocate(size_t nbytes) {
    // The storage takes its block only once the block exists: a failed allocation must leave
    // nothing behind for the destructor to hand to a cache.
    if (g_fail_armed.load(std::memory_order_relaxed) &&
        g_fail_countdown.fetch_sub(1, std::memory_order_relaxed) == 0) {
        g_fail_armed.store(false, std::memory_order_relaxed);
        out_of_memory(nbytes);
    }
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
    } else {  // above the small classes
        size_t bytes = large_round(nbytes);
        s->data_ = new_large_block(bytes);
        s->block_bytes_ = bytes;
        s->size_class_ = kClasses;
    }
    s->nbytes_ = nbytes;
    return s;
}

void Storage::fail_allocation_after(int64_t n) {
    g_fail_countdown.store(n, std::memory_order_relaxed);
    g_fail_armed.store(n >= 0, std::memory_order_relaxed);
}

bool Storage::allocation_failure_pending() { return g_fail_armed.load(std::memory_order_relaxed); }

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
    if (owner_ || data_ == nullptr) return;
    if (size_class_ < kClasses && t_cache_alive) {
        auto& list = cache().free_blocks[size_class_];
        if (list.size() < kMaxCachedPerClass) {
            list.push_back(data_);
            return;
        }
    }
    if (block_bytes_ != 0 && large_cache().give(data_, block_bytes_)) return;
    std::free(data_);
}

}  // namespace chainrule
