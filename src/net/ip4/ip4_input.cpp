// ip4-input: validates the IPv4 header (version, header length, total
// length, checksum), trims Ethernet padding, picks the VRF, then walks the
// ip4-unicast feature arc to ip4-lookup. Multicast and limited broadcast go
// to ip4-local (never forwarded).
#include "graph/registry.hpp"
#include "graph/thread.hpp"
#include "io/interface.hpp"
#include "net/ethernet/ethertype.hpp"
#include "net/fib/fib.hpp"
#include "net/ip4/ip4.hpp"

namespace vp {

namespace {
enum Next : uint16_t { kLocal, kDrop, kNextCount };
enum Err : uint16_t { kTooShort, kVersion, kHdrLen, kBadLen, kChecksum, kErrCount };

ArcRegistration unicast_arc{{.name = "ip4-unicast", .end_node = "ip4-lookup"}};
EthertypeRegistration ethertype{0x0800, "ip4-input"};

// Which check a malformed header fails (off the fast path).
__attribute__((noinline)) uint16_t classify(const rte_ipv4_hdr* ip, uint32_t avail) {
  if (avail < sizeof(rte_ipv4_hdr)) return kTooShort;
  if ((ip->version_ihl >> 4) != 4) return kVersion;
  if ((ip->version_ihl & 0xf) < 5 || rte_ipv4_hdr_len(ip) > avail) return kHdrLen;
  uint32_t tl = rte_be_to_cpu_16(ip->total_length);
  if (tl < rte_ipv4_hdr_len(ip) || tl > avail) return kBadLen;
  if (!ip4_csum_ok(ip)) return kChecksum;
  return 0xffff;
}

void ip4_input(Thread& t, NodeRt& self, rte_mbuf** p, uint32_t n) {
  static const ArcDef* arc = Arcs::get().find("ip4-unicast");
  NodeId next[256];
  uint32_t last_if = kNoIf;
  const IfFast* f = nullptr;
  const Ip4Mtrie* mt = nullptr;
  for (uint32_t i = 0; i < n; i++) {
    prefetch_ahead(p, i, n);
    rte_mbuf* m = p[i];
    PktMeta& pm = meta(m);
    if (pm.rx_if != last_if) {
      last_if = pm.rx_if;
      f = if_fast(last_if);
      mt = f && f->fib4 < kMaxFibs ? g_fib4[f->fib4].load(std::memory_order_acquire) : nullptr;
    }
    auto* ip = ip4_hdr(m);
    uint32_t avail = m->data_len > pm.l3_off ? m->data_len - pm.l3_off : 0;
    uint32_t tl = rte_be_to_cpu_16(ip->total_length);
    // Fast path: 20-byte header, sane length, checksum right.
    uint16_t err = 0xffff;
    if (__builtin_expect(
            !(avail >= sizeof(rte_ipv4_hdr) && ip->version_ihl == 0x45 && tl >= 20 && tl <= avail && ip4_csum_ok(ip)),
            0))
      err = classify(ip, avail);
    if (__builtin_expect(err != 0xffff, 0)) {
      pm.error = uint16_t(self.error_base + err);
      next[i] = self.next[kDrop];
      t.trace(self, m, "IP4: malformed: %s", self.def->errors[err].c_str());
      continue;
    }
    if (__builtin_expect(avail > tl, 0)) rte_pktmbuf_trim(m, uint16_t(avail - tl));  // Ethernet padding
    pm.vrf = f ? f->fib4 : 0;
    // Start the FIB's first-level miss now; ip4-lookup reads it a node later.
    if (mt) mt->prefetch(rte_be_to_cpu_32(ip->dst_addr));
    uint8_t d0 = reinterpret_cast<uint8_t*>(&ip->dst_addr)[0];
    if (__builtin_expect(d0 >= 224, 0)) {
      next[i] = self.next[kLocal];  // multicast, limited broadcast, class E
    } else {
      next[i] = arc_enter(f, *arc, pm);
    }
    if (__builtin_expect(pm.flags & kTraced, 0)) {
      uint8_t* s = reinterpret_cast<uint8_t*>(&ip->src_addr);
      uint8_t* d = reinterpret_cast<uint8_t*>(&ip->dst_addr);
      t.trace(self, m, "IP4: %u.%u.%u.%u -> %u.%u.%u.%u proto %u ttl %u len %u vrf %u", s[0], s[1], s[2], s[3], d[0],
              d[1], d[2], d[3], ip->next_proto_id, ip->time_to_live, tl, pm.vrf);
    }
  }
  t.enqueue_nexts(p, next, n);
}
}  // namespace

static NodeRegistration reg{{
    .name = "ip4-input",
    .fn = ip4_input,
    .next_names = names<kNextCount>({{kLocal, "ip4-local"}, {kDrop, "error-drop"}}),
    .errors = names<kErrCount>({{kTooShort, "packet too short"},
                                {kVersion, "not IPv4"},
                                {kHdrLen, "bad header length"},
                                {kBadLen, "bad total length"},
                                {kChecksum, "bad checksum"}}),
}};

}  // namespace vp
