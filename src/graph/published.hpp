#pragma once
// A pool of objects identified by a stable index and read by workers
// without locks: the main thread publishes an immutable object per index
// with an atomic pointer store; replaced and released objects are freed,
// and released indices reused, only after an RCU grace period. A reader that
// finds nullptr (an index never set) treats it as gone.
#include <atomic>
#include <cstdint>
#include <memory>
#include <vector>

#include "graph/rcu.hpp"
#include "infra/error.hpp"

namespace vp {

template <typename T, typename Deleter = std::default_delete<const T>>
class PublishedPool {
 public:
  static constexpr uint32_t kChunk = 4096;
  static constexpr uint32_t kMaxChunks = 4096;  // 16M indices

  ~PublishedPool() {
    *alive_ = false;
    for (auto& c : chunks_)
      if (auto* p = c.load()) {
        for (uint32_t i = 0; i < kChunk; i++)
          if (auto* v = p[i].load()) Deleter()(v);
        delete[] p;
      }
  }

  const T* get(uint32_t i) const {
    auto* c = chunks_[(i / kChunk) % kMaxChunks].load(std::memory_order_acquire);
    return c ? c[i % kChunk].load(std::memory_order_acquire) : nullptr;
  }

  uint32_t alloc() {
    uint32_t i;
    if (!free_.empty()) {
      i = free_.back();
      free_.pop_back();
    } else {
      i = next_++;
      if (i / kChunk >= kMaxChunks) fail("object pool exhausted ({} entries)", i);
      if (i % kChunk == 0) chunks_[i / kChunk].store(new std::atomic<const T*>[kChunk](), std::memory_order_release);
    }
    used_++;
    return i;
  }

  void set(uint32_t i, const T* v) {
    const T* old = slot(i).exchange(v, std::memory_order_acq_rel);
    if (old) rcu().defer([old] { Deleter()(old); });
  }

  // The object stays readable until a grace period has passed: a reader
  // that found the index just before it was unlinked still gets what it
  // pointed to, not a hole (a route replaced under traffic loses nothing).
  void release(uint32_t i) {
    used_--;
    rcu().defer([this, i, alive = alive_] {
      if (!*alive) return;
      if (const T* old = slot(i).exchange(nullptr, std::memory_order_acq_rel)) Deleter()(old);
      free_.push_back(i);
    });
  }

  uint32_t used() const { return used_; }

 private:
  std::atomic<const T*>& slot(uint32_t i) { return chunks_[i / kChunk].load()[i % kChunk]; }
  std::atomic<std::atomic<const T*>*> chunks_[kMaxChunks]{};
  std::vector<uint32_t> free_;
  uint32_t next_ = 0, used_ = 0;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace vp
