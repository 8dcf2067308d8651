#pragma once
// Per-thread counters: written only by their owner thread with plain adds,
// read by the main thread with relaxed loads and summed over threads. No
// atomic read-modify-write on the forwarding path. "clear" is done by the
// reader keeping a baseline, never by writing another thread's counter.
#include <atomic>
#include <cstdint>
#include <memory>

namespace vp {

inline void cadd(uint64_t& c, uint64_t v) { std::atomic_ref<uint64_t>(c).store(c + v, std::memory_order_relaxed); }
inline uint64_t cread(const uint64_t& c) {
  return std::atomic_ref<uint64_t>(const_cast<uint64_t&>(c)).load(std::memory_order_relaxed);
}

struct IfCounters {
  uint64_t rx_packets, rx_bytes;
  uint64_t tx_packets, tx_bytes;
  uint64_t drops;      // dropped after arriving on this interface
  uint64_t tx_errors;  // could not be transmitted (ring full, link down)
  uint64_t rx_errors;  // port-reported receive errors (rx-missed)
  uint64_t punts;      // handed to the control plane
};
static_assert(sizeof(IfCounters) == 64);

inline constexpr uint32_t kMaxInterfaces = 65536;

// Chunked so that thousands of interfaces cost memory only once they exist.
// Chunks are allocated by the main thread before an interface is published,
// and never freed while threads run.
class IfCounterTable {
 public:
  static constexpr uint32_t kChunk = 256;
  IfCounters& at(uint32_t sw_if) { return chunks_[sw_if / kChunk].load(std::memory_order_acquire)[sw_if % kChunk]; }
  const IfCounters* find(uint32_t sw_if) const {
    auto* c = chunks_[sw_if / kChunk].load(std::memory_order_acquire);
    return c ? &c[sw_if % kChunk] : nullptr;
  }
  void ensure(uint32_t sw_if) {
    auto& slot = chunks_[sw_if / kChunk];
    if (!slot.load()) slot.store(new IfCounters[kChunk]{}, std::memory_order_release);
  }
  ~IfCounterTable() {
    for (auto& c : chunks_) delete[] c.load();
  }

 private:
  std::atomic<IfCounters*> chunks_[kMaxInterfaces / kChunk]{};
};

}  // namespace vp
