#pragma once
// Per-packet metadata passed between nodes. It lives in the mbuf's private
// area (right after struct rte_mbuf, its own cache line), so every node reads
// it with one call and no casts.
#include <rte_mbuf.h>

#include <cstdint>

namespace vp {

inline constexpr uint32_t kNoIf = ~0u;

enum MetaFlags : uint8_t {
  kTraced = 1 << 0,       // packet is being traced (show trace)
  kCaptured = 1 << 1,     // already written to the rx pcap
  kHeld = 1 << 2,         // waiting for address resolution (hold start in opaque)
  kLocalOrigin = 1 << 3,  // made by vplane (echo reply, ICMP error): may use link-local addresses
  kFragVerdict = 1 << 4,  // a first fragment whose verdict the fragment table waits for (opaque says where)
  kScreened = 1 << 5,     // passed the firewall's screens: not screened (nor counted in a flood) again
};

struct alignas(16) PktMeta {
  uint32_t rx_if;      // sw_if_index it arrived on
  uint32_t tx_if;      // sw_if_index it leaves by (set by l2/l3 forwarding)
  uint32_t vrf;        // routing table (routing issue)
  uint32_t adj;        // adjacency / next-hop index (routing issue)
  uint32_t flow_hash;  // symmetric 5-tuple hash (ECMP, worker handoff)
  uint16_t l3_off;     // offsets from the start of the frame
  uint16_t l4_off;
  uint16_t error;   // global error id, meaningful on the way to error-drop
  uint16_t next;    // node to continue at after a worker handoff
  uint8_t arc;      // feature arc being walked
  uint8_t arc_pos;  // position in that arc's per-interface list
  uint8_t flags;    // MetaFlags
  uint8_t pad0;
  uint32_t trace_id;   // (thread << 24 | n) for traced packets
  uint8_t opaque[24];  // scratch for the feature currently holding the packet
};
static_assert(sizeof(PktMeta) == 64, "metadata must stay one cache line");

inline constexpr uint16_t kMetaSize = sizeof(PktMeta);

inline PktMeta& meta(rte_mbuf* m) { return *reinterpret_cast<PktMeta*>(m + 1); }

// Prefetch the mbuf header, metadata and (default-headroom) frame start of
// the packet `ahead` places further on: a vector's packets do not fit in L1,
// and their addresses are nothing the hardware prefetcher can guess. The
// frame address is computed, not read, so no load waits on the header.
inline void prefetch_ahead(rte_mbuf* const* p, uint32_t i, uint32_t n, uint32_t ahead = 6) {
  if (i + ahead < n) {
    const char* m = reinterpret_cast<const char*>(p[i + ahead]);
    __builtin_prefetch(m);
    __builtin_prefetch(m + sizeof(rte_mbuf));
    __builtin_prefetch(m + sizeof(rte_mbuf) + 64 + RTE_PKTMBUF_HEADROOM);
  }
}

// Reset what a node further down may rely on; called once per packet on input.
inline void meta_init(rte_mbuf* m, uint32_t rx_if) {
  PktMeta& pm = meta(m);
  pm.rx_if = rx_if;
  pm.tx_if = kNoIf;
  pm.vrf = 0;
  pm.adj = 0;
  pm.flow_hash = 0;
  pm.l3_off = 0;
  pm.l4_off = 0;
  pm.error = 0;
  pm.next = 0;
  pm.arc = 0;
  pm.arc_pos = 0;
  pm.flags = 0;
}

}  // namespace vp
