#pragma once
// Main-thread CPU time a listener spends reading and applying what it
// received (show lcp, show fpm; bench/lcp-routes turns it into routes/s of
// capacity). CPU time, not wall time: on a busy machine the main thread is
// preempted, and that is not work it did.
#include <time.h>

#include <cstdint>

namespace vp {

class BusyTimer {
 public:
  explicit BusyTimer(uint64_t& acc_ns) : acc_(acc_ns), t0_(now()) {}
  ~BusyTimer() { acc_ += now() - t0_; }
  BusyTimer(const BusyTimer&) = delete;
  BusyTimer& operator=(const BusyTimer&) = delete;

 private:
  static uint64_t now() {
    timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return uint64_t(ts.tv_sec) * 1000000000ull + uint64_t(ts.tv_nsec);
  }
  uint64_t& acc_;
  uint64_t t0_;
};

}  // namespace vp
