#pragma once
// The body of ip4-icmp-error and ip6-icmp-error: which packets get an error
// at all (the family's rules, an address to send it from, the per-thread
// rate limit), then the quote of the original packet, trimmed to what fits,
// behind room for the new headers the family writes. Both nodes name their
// next nodes and errors in the order below.
#include <rte_mbuf.h>

#include <algorithm>

#include "graph/registry.hpp"
#include "graph/thread.hpp"
#include "infra/tsc.hpp"
#include "io/interface.hpp"
#include "net/ip/icmp_req.hpp"

namespace vp {

enum IcmpErrorNext : uint16_t { kIcmpErrorLookup, kIcmpErrorDrop, kIcmpErrorNextCount };
enum IcmpErrorErr : uint16_t {
  kIcmpErrorSent,
  kIcmpErrorRateLimited,
  kIcmpErrorNotAllowed,
  kIcmpErrorNoSource,
  kIcmpErrorErrCount
};

inline void icmp_error_init(Thread&, NodeRt& self) { self.state = new IcmpBucket; }

// check(m, req, avail, f): kIcmpErrorNotAllowed / kIcmpErrorNoSource, or
// 0xffff when the packet gets an error. build(m, h, quote, req, f, pm)
// writes the `headers` bytes at h in front of the quote. `max_bytes`: the
// whole error at most (576 for ICMP, 1280 for ICMPv6).
template <class Check, class Build>
void icmp_error_vector(Thread& t, NodeRt& self, rte_mbuf** p, uint32_t n, const char* proto, uint32_t headers,
                       uint32_t max_bytes, Check check, Build build) {
  auto* b = static_cast<IcmpBucket*>(self.state);
  b->refill(rdtsc(), tsc_hz());
  NodeId next[256];
  for (uint32_t i = 0; i < n; i++) {
    rte_mbuf* m = p[i];
    PktMeta& pm = meta(m);
    IcmpReq req = icmp_req(m);
    uint32_t avail = m->data_len - pm.l3_off;
    const IfFast* f = if_fast(pm.rx_if);
    uint16_t err = check(m, req, avail, f);
    if (err == 0xffff && !b->take()) err = kIcmpErrorRateLimited;
    if (err != 0xffff) {
      pm.error = uint16_t(self.error_base + err);
      next[i] = self.next[kIcmpErrorDrop];
      continue;
    }
    uint32_t quote = std::min<uint32_t>(avail, max_bytes - headers);
    rte_pktmbuf_adj(m, pm.l3_off);
    rte_pktmbuf_trim(m, uint16_t(m->data_len - quote));
    auto* h = reinterpret_cast<uint8_t*>(rte_pktmbuf_prepend(m, uint16_t(headers)));
    pm.l3_off = 0;
    pm.flags &= uint8_t(~kHeld);
    build(m, h, quote, req, *f, pm);
    t.count_error(self, kIcmpErrorSent);
    t.trace(self, m, "%s type %u code %u sent to the source", proto, req.type, req.code);
    next[i] = self.next[kIcmpErrorLookup];
  }
  t.enqueue_nexts(p, next, n);
}

}  // namespace vp
