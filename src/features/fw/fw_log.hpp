#pragma once
// Flow logs: session create, close and deny events in Junos' RT_FLOW shape.
//
// A worker writes a fixed-size event into its own ring (single producer,
// single consumer, no allocation, no syscall); the main thread drains the
// rings every few milliseconds, formats RFC 5424 structured syslog and sends
// it to every `security log stream` through one UDP socket in vplaned's own
// namespace, at most `rate` messages a second (the rest counted as
// dropped). A full ring counts its events as lost.
#include <atomic>
#include <cstdint>

#include "features/fw/session_key.hpp"

namespace vp::fw {

enum class LogKind : uint8_t { kCreate, kClose, kDeny };
enum class CloseReason : uint8_t { kNone, kTimeout, kTcpFin, kTcpRst, kPolicy, kClear, kReopen };

struct LogEvent {
  SessionKey key;
  uint64_t bytes[2];  // [0] from the initiator (client), [1] from the responder
  uint32_t packets[2];
  uint32_t policy;
  LogKind kind;
  CloseReason reason;
  uint8_t zone[2];  // from, to
  uint8_t init_side;
  // A translated session's other tuple (IPv4, network order): [0] the
  // initiator's endpoint, [1] the responder's.
  bool nat;
  uint32_t xaddr[2];
  uint16_t xport[2];
};

class LogRing {
 public:
  static constexpr uint32_t kSize = 4096;  // a power of two
  // Worker.
  bool push(const LogEvent& e) {
    const uint32_t h = head_.load(std::memory_order_relaxed);
    if (h - tail_.load(std::memory_order_acquire) == kSize) return false;
    ev_[h & (kSize - 1)] = e;
    head_.store(h + 1, std::memory_order_release);
    return true;
  }
  // Main thread: calls fn(const LogEvent&) for each event, oldest first.
  template <class Fn>
  uint32_t drain(Fn&& fn) {
    const uint32_t h = head_.load(std::memory_order_acquire);
    uint32_t t = tail_.load(std::memory_order_relaxed), n = 0;
    for (; t != h; t++, n++) fn(ev_[t & (kSize - 1)]);
    tail_.store(t, std::memory_order_release);
    return n;
  }

 private:
  LogEvent ev_[kSize];
  alignas(64) std::atomic<uint32_t> head_{0};
  alignas(64) std::atomic<uint32_t> tail_{0};
};

// The default `rate`, messages per second.
inline constexpr uint32_t kLogRateDefault = 10000;

struct LogStats {
  uint64_t sent, rate_dropped, lost, send_errors;
};
LogStats log_stats();

}  // namespace vp::fw
