#pragma once
// Packet trace records. Each traced packet gets an id at its input node;
// every node it passes appends one formatted line. Records go to a per-thread
// buffer that the main thread reads; no locks, only a release-published count.
#include <atomic>
#include <cstdint>
#include <memory>

#include "graph/node.hpp"

namespace vp {

struct TraceRec {
  uint32_t id;
  NodeId node;
  uint16_t len;
  uint64_t tsc;
  char text[240];
};

class TraceBuf {
 public:
  static constexpr uint32_t kCap = 8192;
  TraceBuf() : recs_(new TraceRec[kCap]) {}
  TraceRec* reserve() {
    uint32_t n = n_.load(std::memory_order_relaxed);
    return n < kCap ? &recs_[n] : nullptr;
  }
  void commit() { n_.store(n_.load(std::memory_order_relaxed) + 1, std::memory_order_release); }
  uint32_t size() const { return n_.load(std::memory_order_acquire); }
  const TraceRec& operator[](uint32_t i) const { return recs_[i]; }
  // Only once no thread can be writing (trace disarmed + grace period).
  void reset() { n_.store(0, std::memory_order_release); }
  uint32_t next_id = 0;

 private:
  std::unique_ptr<TraceRec[]> recs_;
  std::atomic<uint32_t> n_{0};
};

}  // namespace vp
