#pragma once
// How long a worker stays away from polling its inputs: the time between
// two polls (a long vector, the scheduler running something else on the
// core). A packet waits in an rx ring that long, and a ring overflows when
// it exceeds the ring's depth at the offered rate, so this is what "no
// worker stalled" is measured by. A histogram of TSC clocks with four
// sub-buckets per power of two (+-19%), written by the worker, read and
// cleared by the main thread without writing the worker's counters.
#include <atomic>
#include <cstdint>

#include "graph/counter.hpp"

namespace vp {

class LoopTime {
 public:
  static constexpr int kBuckets = 64 * 4;

  // Worker: at the top of each poll loop.
  void poll(uint64_t now) {
    uint64_t last = last_;
    last_ = now;
    if (!last) return;
    uint64_t gap = now - last;
    cadd(hist_[bucket(gap)], 1);
    cadd(sum_, gap);
    uint32_t epoch = max_epoch_.load(std::memory_order_relaxed);
    if (epoch != seen_epoch_) {
      seen_epoch_ = epoch;
      max_ = 0;
    }
    if (gap > max_) std::atomic_ref<uint64_t>(max_).store(gap, std::memory_order_relaxed);
  }
  // Worker: about to sleep on purpose (idle): not time away.
  void pause() { last_ = 0; }

  // Main thread.
  uint64_t count(int b) const { return cread(hist_[b]); }
  uint64_t sum() const { return cread(sum_); }
  uint64_t max() const { return cread(max_); }
  void clear_max() { max_epoch_.fetch_add(1, std::memory_order_relaxed); }
  // Bucket b holds gaps in [lower(b), lower(b + 1)).
  // Gaps 0-7 have a bucket each; from 8 on, a bucket is a quarter of a
  // power of two: the leading bit's position and the two bits after it.
  static uint64_t lower(int b) { return b < 8 ? uint64_t(b) : uint64_t(4 + b % 4) << (b / 4 - 1); }
  static int bucket(uint64_t gap) {
    if (gap < 8) return int(gap);
    int e = 63 - __builtin_clzll(gap);
    return 4 * (e - 1) + int((gap >> (e - 2)) & 3);
  }

 private:
  uint64_t hist_[kBuckets] = {};
  uint64_t sum_ = 0, max_ = 0, last_ = 0;
  std::atomic<uint32_t> max_epoch_{0};
  uint32_t seen_epoch_ = 0;
};

}  // namespace vp
