// ip4-rewrite: TTL check and decrement (incremental checksum), MTU check
// (ICMP fragmentation-needed with DF, fragmentation without), the
// adjacency's Ethernet header, then the ip4-output arc to interface-output.
#include "graph/registry.hpp"
#include "graph/thread.hpp"
#include "io/eal.hpp"
#include "io/interface.hpp"
#include "net/ip/rewrite.hpp"
#include "net/ip4/ip4.hpp"

namespace vp {

namespace {
enum Next : uint16_t { kArp, kIcmp, kDrop, kNextCount };
enum Err : uint16_t { kTtl, kFragNeeded, kFragFail, kFragmented, kErrCount };

ArcRegistration output_arc{{.name = "ip4-output", .end_node = "interface-output", .on_tx = true}};

// Splits an IPv4 packet (DF clear) into fragments that fit mtu; each
// fragment carries a copy of the header. Returns the count (0: failed).
uint32_t fragment(rte_mbuf* m, uint32_t mtu, rte_mbuf** out, uint32_t max) {
  PktMeta& pm = meta(m);
  auto* ip = ip4_hdr(m);
  uint32_t hl = rte_ipv4_hdr_len(ip), total = rte_be_to_cpu_16(ip->total_length);
  uint32_t chunk = ((mtu - hl) / 8) * 8;
  if (chunk == 0) return 0;
  uint32_t payload = total - hl, nfrag = (payload + chunk - 1) / chunk;
  if (nfrag > max || rte_pktmbuf_alloc_bulk(eal().pool, out, nfrag) != 0) return 0;
  uint16_t fo = rte_be_to_cpu_16(ip->fragment_offset);
  uint32_t base = (fo & RTE_IPV4_HDR_OFFSET_MASK) * 8;
  bool more = fo & RTE_IPV4_HDR_MF_FLAG;
  const uint8_t* src = reinterpret_cast<const uint8_t*>(ip);
  for (uint32_t k = 0; k < nfrag; k++) {
    uint32_t len = k + 1 < nfrag ? chunk : payload - k * chunk;
    auto* d = reinterpret_cast<uint8_t*>(rte_pktmbuf_append(out[k], uint16_t(hl + len)));
    std::memcpy(d, src, hl);
    std::memcpy(d + hl, src + hl + k * chunk, len);
    auto* fip = reinterpret_cast<rte_ipv4_hdr*>(d);
    fip->total_length = rte_cpu_to_be_16(uint16_t(hl + len));
    uint16_t off = uint16_t((base + k * chunk) / 8) | (k + 1 < nfrag || more ? RTE_IPV4_HDR_MF_FLAG : 0);
    fip->fragment_offset = rte_cpu_to_be_16(off);
    fip->hdr_checksum = 0;
    fip->hdr_checksum = rte_ipv4_cksum(fip);
    std::memcpy(&meta(out[k]), &pm, sizeof pm);
    meta(out[k]).l3_off = 0;
  }
  rte_pktmbuf_free(m);
  return nfrag;
}

template <bool kRun>
void rewrite(Thread& t, NodeRt& self, rte_mbuf** p, uint32_t n) {
  static const ArcDef* arc = Arcs::get().find("ip4-output");
  NodeId next[256];
  AdjCursor<kRun> c(*arc);
  for (uint32_t i = 0; i < n; i++) {
    prefetch_ahead(p, i, n);
    rte_mbuf* m = p[i];
    PktMeta& pm = meta(m);
    if (!c.at(pm.adj)) {
      next[i] = self.next[kArp];
      continue;
    }
    const Adj* a = c.a;
    auto* ip = ip4_hdr(m);
    if (__builtin_expect(ip->time_to_live <= 1, 0)) {
      want_icmp(m, 11, 0);
      t.count_error(self, kTtl);
      next[i] = self.next[kIcmp];
      continue;
    }
    uint32_t tl = rte_be_to_cpu_16(ip->total_length);
    if (__builtin_expect(tl > a->mtu, 0)) {
      if (ip->fragment_offset & RTE_BE16(RTE_IPV4_HDR_DF_FLAG)) {
        want_icmp(m, 3, 4, uint16_t(a->mtu));
        t.count_error(self, kFragNeeded);
        next[i] = self.next[kIcmp];
        continue;
      }
      // Fragments come back through this node (they fit now).
      rte_mbuf* frags[64];
      uint32_t nf = fragment(m, a->mtu, frags, 64);
      if (!nf) {
        pm.error = uint16_t(self.error_base + kFragFail);
        next[i] = self.next[kDrop];
        continue;
      }
      t.count_error(self, kFragmented, nf);
      t.enqueue(self.id, frags, nf);
      next[i] = kNoNode;
      continue;
    }
    ip4_ttl_dec(ip);
    next[i] = c.send(m, pm);
    if (__builtin_expect(pm.flags & kTraced, 0))
      t.trace(self, m, "tx %s adj %u ttl %u len %u", c.ifname(), pm.adj, ip->time_to_live, tl);
  }
  t.enqueue_nexts(p, next, n);
}

void ip4_rewrite(Thread& t, NodeRt& self, rte_mbuf** p, uint32_t n) {
  one_run(p, n) ? rewrite<true>(t, self, p, n) : rewrite<false>(t, self, p, n);
}
}  // namespace

static NodeRegistration reg{{
    .name = "ip4-rewrite",
    .fn = ip4_rewrite,
    .next_names = names<kNextCount>({{kArp, "ip4-arp"}, {kIcmp, "ip4-icmp-error"}, {kDrop, "error-drop"}}),
    .errors = names<kErrCount>({{kTtl, "ttl expired (ICMP sent)"},
                                {kFragNeeded, "fragmentation needed, DF set (ICMP sent)"},
                                {kFragFail, "fragmentation failed"},
                                {kFragmented, "fragments made"}}),
}};

}  // namespace vp
