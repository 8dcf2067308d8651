#pragma once
// Packets waiting for a neighbour to resolve, per thread: ip4-arp and ip6-nd
// each keep one in their node state. ip-neighbor-wait (arp.cpp) sends them
// back to their lookup node when a neighbour resolved since they were held,
// or every 100 ms; the resolving node drops them after 1 s. Requests for
// one target go out at most every 50 ms.
#include <rte_mbuf.h>

#include <cstdint>

#include "graph/meta.hpp"
#include "graph/thread.hpp"
#include "infra/tsc.hpp"
#include "net/arp/neighbor.hpp"

namespace vp {

struct HoldQueue {
  static constexpr uint32_t kHold = 256;
  static constexpr uint32_t kRateSlots = 64;

  struct Held {
    rte_mbuf* m;
    uint32_t gen;
    uint64_t tsc;
  };
  Held held[kHold];
  uint32_t n = 0;
  uint32_t rate_key[kRateSlots] = {};
  uint64_t rate_tsc[kRateSlots] = {};
  uint64_t now = 0;
  uint32_t gen = 0;

  static uint64_t& start(rte_mbuf* m) { return *reinterpret_cast<uint64_t*>(meta(m).opaque + 8); }

  // Once per vector, before admit/should_ask/push.
  void begin() {
    now = rdtsc();
    gen = neighbor_generation();
  }
  // 0xffff when m may (still) wait; else the node's reason code: past its
  // 1 s, or no room left.
  uint16_t admit(rte_mbuf* m, uint16_t full, uint16_t timed_out) const {
    if ((meta(m).flags & kHeld) && now - start(m) > tsc_hz()) return timed_out;
    return n == kHold ? full : 0xffff;
  }
  // Whether to send a request for this target now (key: the target's hash).
  bool should_ask(uint32_t key) {
    uint32_t slot = (key * 2654435761u) >> 26;
    if (rate_key[slot] == key && now - rate_tsc[slot] <= tsc_hz() / 20) return false;
    rate_key[slot] = key;
    rate_tsc[slot] = now;
    return true;
  }
  void push(rte_mbuf* m) {
    PktMeta& pm = meta(m);
    if (!(pm.flags & kHeld)) {
      pm.flags |= kHeld;
      start(m) = now;
    }
    held[n++] = {m, gen, now};
  }
  // Sends back to `lookup` what may now resolve; returns how many.
  uint32_t release(Thread& t, NodeId lookup) {
    const uint32_t g = neighbor_generation();
    const uint64_t tsc = rdtsc(), retry = tsc_hz() / 10;
    uint32_t keep = 0, out = 0;
    for (uint32_t i = 0; i < n; i++) {
      Held h = held[i];
      if (h.gen != g || tsc - h.tsc > retry) {
        t.enqueue1(lookup, h.m);
        out++;
      } else {
        held[keep++] = h;
      }
    }
    n = keep;
    return out;
  }
};

}  // namespace vp
