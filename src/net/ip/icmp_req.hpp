#pragma once
// The ICMP or ICMPv6 error to send for a packet, carried in the metadata
// scratch area from the node that found the problem to ip4-icmp-error or
// ip6-icmp-error. `param` is the MTU (fragmentation needed, packet too big)
// or the pointer (parameter problem).
#include <rte_mbuf.h>

#include <atomic>
#include <cstdint>

#include "graph/meta.hpp"

namespace vp {

struct IcmpReq {
  uint8_t type, code;
  uint16_t pad;
  uint32_t param;
};
inline IcmpReq& icmp_req(rte_mbuf* m) { return *reinterpret_cast<IcmpReq*>(meta(m).opaque); }
inline void want_icmp(rte_mbuf* m, uint8_t type, uint8_t code, uint32_t param = 0) {
  icmp_req(m) = {type, code, 0, param};
}

// Errors per second per thread, ICMP and ICMPv6 alike ("set ip icmp rate-limit").
inline constexpr uint32_t kIcmpRateDefault = 1000;
extern std::atomic<uint32_t> g_icmp_rate;

// Token bucket, one per thread per error node.
struct IcmpBucket {
  double tokens = 0;
  uint64_t last = 0;
  void refill(uint64_t now, uint64_t hz) {
    double rate = g_icmp_rate.load(std::memory_order_relaxed);
    tokens = std::min(rate / 10 + 1, tokens + double(now - last) * rate / double(hz));
    last = now;
  }
  bool take() {
    if (tokens < 1) return false;
    tokens -= 1;
    return true;
  }
};

}  // namespace vp
