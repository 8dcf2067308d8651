#pragma once
// Anonymous memory for tables the workers look into at random (the FIB's,
// the firewall's sessions): zero pages until written (an empty table costs
// no memory), reserved without a commit charge (a table's arena is sized
// for its largest use, touched as it grows), and 2 MB aligned so that
// transparent huge pages can back it: lookups into a table far larger than
// the caches would otherwise also miss the TLB at every level.
#include <cstddef>
#include <memory>
#include <utility>

namespace vp {

void* huge_map(size_t bytes);  // throws, naming the size, when the mapping fails
void huge_unmap(void* p, size_t bytes);

// A fixed array of n T in huge_map memory, each set to `init`.
template <class T>
class HugeArray {
 public:
  HugeArray() = default;
  explicit HugeArray(size_t n, const T& init = T())
      : n_(n), p_(n ? static_cast<T*>(huge_map(n * sizeof(T))) : nullptr) {
    std::uninitialized_fill_n(p_, n_, init);
  }
  HugeArray(HugeArray&& o) noexcept : n_(std::exchange(o.n_, 0)), p_(std::exchange(o.p_, nullptr)) {}
  HugeArray& operator=(HugeArray&& o) noexcept {
    std::swap(n_, o.n_);
    std::swap(p_, o.p_);
    return *this;
  }
  HugeArray(const HugeArray&) = delete;
  ~HugeArray() {
    if (!p_) return;
    std::destroy_n(p_, n_);
    huge_unmap(p_, n_ * sizeof(T));
  }
  T& operator[](size_t i) { return p_[i]; }
  const T& operator[](size_t i) const { return p_[i]; }
  size_t size() const { return n_; }

 private:
  size_t n_ = 0;
  T* p_ = nullptr;
};

}  // namespace vp
