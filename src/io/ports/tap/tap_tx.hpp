#pragma once
// Transmit to TAP file descriptors through io_uring: one ring per thread
// (no lock on transmit), one io_uring_enter per burst, mbufs freed when the
// kernel has copied them. One TapTx may serve many TAPs (the Linux mirrors
// share one).
#include <liburing.h>
#include <rte_mbuf.h>

#include <atomic>
#include <vector>

namespace vp {

class Thread;

class TapTx {
 public:
  TapTx();  // one ring per thread of the engine
  ~TapTx();
  TapTx(const TapTx&) = delete;
  TapTx& operator=(const TapTx&) = delete;
  // Prepends the virtio-net header and queues the writes to fd; returns how
  // many were taken (the caller frees the rest).
  uint16_t send(Thread& t, int fd, rte_mbuf** p, uint16_t n);
  uint64_t gso_tx() const { return gso_tx_.load(std::memory_order_relaxed); }

 private:
  static void reap(io_uring& r);
  std::vector<io_uring> rings_;
  std::atomic<uint64_t> gso_tx_{0};
};

}  // namespace vp
