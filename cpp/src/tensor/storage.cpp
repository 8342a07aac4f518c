// Aligned allocation and borrowed (externally owned) buffers.
#include "chainrule/storage.h"

#include <cstdlib>
#include <new>

#include "chainrule/errors.h"

namespace chainrule {

std::shared_ptr<Storage> Storage::allocate(size_t nbytes) {
    std::shared_ptr<Storage> s(new Storage());
    // aligned_alloc wants a multiple of the alignment; allocate at least one line so that
    // empty tensors still have a valid pointer.
    const size_t rounded = ((nbytes + kAlignment - 1) / kAlignment) * kAlignment;
    s->data_ = std::aligned_alloc(kAlignment, rounded == 0 ? kAlignment : rounded);
    if (s->data_ == nullptr) {
        throw RuntimeError(detail::cat_str("out of memory: failed to allocate ", nbytes,
                                           " bytes"));
    }
    s->nbytes_ = nbytes;
    return s;
}

std::shared_ptr<Storage> Storage::borrow(void* data, size_t nbytes, std::shared_ptr<void> owner,
                                         bool writable) {
    std::shared_ptr<Storage> s(new Storage());
    s->data_ = data;
    s->nbytes_ = nbytes;
    s->owner_ = std::move(owner);
    s->writable_ = writable;
    return s;
}

Storage::~Storage() {
    if (!owner_) std::free(data_);
}

}  // namespace chainrule
