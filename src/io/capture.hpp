#pragma once
// pcap trace: rx / tx / drop capture points. Workers copy matching packets
// into a per-thread SP/SC ring (no lock); the main thread drains the rings
// into a pcapng file. Off costs one relaxed load and a branch per vector.
#include <rte_mbuf.h>

#include <atomic>
#include <cstdint>
#include <string>

namespace vp {

class Thread;

enum CapturePoint : uint8_t { kCapRx = 1, kCapTx = 2, kCapDrop = 4 };

extern std::atomic<uint8_t> g_capture_points;

void capture_slow(Thread& t, CapturePoint p, uint32_t sw_if, rte_mbuf** pkts, uint32_t n);
inline void capture(Thread& t, CapturePoint p, uint32_t sw_if, rte_mbuf** pkts, uint32_t n) {
  if (__builtin_expect(g_capture_points.load(std::memory_order_relaxed) & p, 0)) capture_slow(t, p, sw_if, pkts, n);
}

struct CaptureStatus {
  bool active;
  std::string file;
  uint8_t points;
  uint64_t written, max;
};

// Main thread.
void capture_start(uint8_t points, uint32_t sw_if /* kNoIf = any */, uint64_t max, const std::string& file);
uint64_t capture_stop();  // returns packets written
void capture_poll();      // drain rings into the file
CaptureStatus capture_status();

}  // namespace vp
