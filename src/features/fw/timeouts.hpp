#pragma once
// Session inactivity timeouts, in seconds, by class. A session stores its
// class (one byte), not its timeout, so that `set security flow timeout`
// changes every session at once. Applications with an inactivity-timeout
// get classes of their own after these seven, one per distinct value.
#include <cstdint>

namespace vp::fw {

enum TimeoutClass : uint8_t {
  kTcpInitial,      // handshake not complete
  kTcpEstablished,  // handshake complete, no FIN yet
  kTcpClosing,      // a FIN seen, not both acknowledged
  kTcpTimeWait,     // both FINs acknowledged, or reset
  kUdp,
  kIcmp,  // ICMP and ICMPv6
  kOther,
  kTimeoutClasses,
};

inline constexpr uint32_t kMaxTimeoutClasses = 256;

// The class a new session of IP protocol `proto` starts in.
inline TimeoutClass initial_class(uint8_t proto) {
  switch (proto) {
    case 6:  // TCP
      return kTcpInitial;
    case 17:  // UDP
      return kUdp;
    case 1:   // ICMP
    case 58:  // ICMPv6
      return kIcmp;
    default:
      return kOther;
  }
}

struct Timeouts {
  // Defaults, in Junos' order: tcp-initial, tcp-established,
  // tcp-closing, tcp-time-wait, udp, icmp, other; then the applications'.
  uint32_t s[kMaxTimeoutClasses] = {20, 1800, 240, 150, 60, 60, 1800};
};

}  // namespace vp::fw
