// ethernet-input: the end of the device-input arc. Frames on an L2
// cross-connected interface go to l2-xconnect untouched; on an L3 interface
// the ethertype (after any VLAN tags) selects the next node, and frames with
// no handler are dropped and counted.
#include <rte_ether.h>

#include <algorithm>
#include <cstring>
#include <vector>

#include "graph/registry.hpp"
#include "graph/thread.hpp"
#include "io/interface.hpp"
#include "net/ethernet/ethertype.hpp"

namespace vp {

namespace {
enum Next : uint16_t { kXconnect, kDrop, kNextCount };
enum Err : uint16_t { kRunt, kUnknownType, kNotForUs, kErrCount };

struct Handler {
  uint16_t type_be;
  std::string name;
  NodeId node;
};
std::vector<Handler>& handlers() {
  static std::vector<Handler> h;
  return h;
}

// Resolved once (after the registry is final); IPv4 first.
struct Table {
  uint16_t type_be[8];
  NodeId node[8];
  uint32_t n = 0;
};
const Table& table() {
  static const Table t = [] {
    Table x;
    auto hs = handlers();
    std::stable_sort(hs.begin(), hs.end(),
                     [](auto& a, auto& b) { return a.type_be == RTE_BE16(0x0800) && b.type_be != RTE_BE16(0x0800); });
    for (auto& h : hs)
      if (x.n < 8) {
        x.type_be[x.n] = h.type_be;
        x.node[x.n++] = Registry::get().id(h.name);
      }
    return x;
  }();
  return t;
}

inline NodeId lookup(const Table& t, uint16_t type_be) {
  for (uint32_t k = 0; k < t.n; k++)
    if (t.type_be[k] == type_be) return t.node[k];
  return kNoNode;
}

// First 6 bytes equal, as two loads.
inline bool mac_eq(const uint8_t* a, const uint8_t* b) {
  uint32_t a4, b4;
  uint16_t a2, b2;
  std::memcpy(&a4, a, 4);
  std::memcpy(&b4, b, 4);
  std::memcpy(&a2, a + 4, 2);
  std::memcpy(&b2, b + 4, 2);
  return a4 == b4 && a2 == b2;
}

void ethernet_input(Thread& t, NodeRt& self, rte_mbuf** p, uint32_t n) {
  NodeId next[256];
  uint32_t last_if = kNoIf;
  const IfFast* f = nullptr;
  const NodeId drop = self.next[kDrop];
  const Table& types = table();
  for (uint32_t i = 0; i < n; i++) {
    prefetch_ahead(p, i, n);
    rte_mbuf* m = p[i];
    PktMeta& pm = meta(m);
    if (pm.rx_if != last_if) {
      last_if = pm.rx_if;
      f = if_fast(last_if);
    }
    if (__builtin_expect(m->data_len < RTE_ETHER_HDR_LEN, 0)) {
      pm.error = uint16_t(self.error_base + kRunt);
      next[i] = drop;
      continue;
    }
    auto* eh = rte_pktmbuf_mtod(m, rte_ether_hdr*);
    if (f && f->l2 == L2Mode::xconnect) {
      next[i] = self.next[kXconnect];
      if (__builtin_expect(pm.flags & kTraced, 0))
        t.trace(self, m, "ETHERNET type 0x%04x %02x:%02x:%02x:%02x:%02x:%02x -> %02x:%02x:%02x:%02x:%02x:%02x: l2",
                rte_be_to_cpu_16(eh->ether_type), eh->src_addr.addr_bytes[0], eh->src_addr.addr_bytes[1],
                eh->src_addr.addr_bytes[2], eh->src_addr.addr_bytes[3], eh->src_addr.addr_bytes[4],
                eh->src_addr.addr_bytes[5], eh->dst_addr.addr_bytes[0], eh->dst_addr.addr_bytes[1],
                eh->dst_addr.addr_bytes[2], eh->dst_addr.addr_bytes[3], eh->dst_addr.addr_bytes[4],
                eh->dst_addr.addr_bytes[5]);
      continue;
    }
    // L3: unicast frames for another MAC are not ours to route.
    if (f && !(eh->dst_addr.addr_bytes[0] & 1) && !mac_eq(eh->dst_addr.addr_bytes, f->mac.b.data())) {
      pm.error = uint16_t(self.error_base + kNotForUs);
      next[i] = drop;
      t.trace(self, m, "ETHERNET: unicast for another MAC, drop");
      continue;
    }
    // Walk VLAN tags to the real ethertype.
    uint16_t type = eh->ether_type;
    uint16_t off = RTE_ETHER_HDR_LEN;
    while ((type == RTE_BE16(RTE_ETHER_TYPE_VLAN) || type == RTE_BE16(RTE_ETHER_TYPE_QINQ)) && off + 4 <= m->data_len) {
      type = *rte_pktmbuf_mtod_offset(m, uint16_t*, off + 2);
      off += 4;
    }
    pm.l3_off = off;
    NodeId to = lookup(types, type);
    if (to == kNoNode) {
      pm.error = uint16_t(self.error_base + kUnknownType);
      next[i] = drop;
    } else {
      next[i] = to;
    }
    if (__builtin_expect(pm.flags & kTraced, 0))
      t.trace(self, m, "ETHERNET type 0x%04x: %s", rte_be_to_cpu_16(type),
              to == kNoNode ? "no handler, drop" : Registry::get().nodes()[to]->name.c_str());
  }
  t.enqueue_nexts(p, next, n);
}
}  // namespace

EthertypeRegistration::EthertypeRegistration(uint16_t type, std::string node) {
  handlers().push_back({rte_cpu_to_be_16(type), std::move(node), kNoNode});
}

static NodeRegistration reg{{
    .name = "ethernet-input",
    .fn = ethernet_input,
    .next_names = names<kNextCount>({{kXconnect, "l2-xconnect"}, {kDrop, "error-drop"}}),
    .errors = names<kErrCount>({{kRunt, "runt frame"}, {kUnknownType, "unknown ethertype"}, {kNotForUs, "not for us"}}),
}};

}  // namespace vp
