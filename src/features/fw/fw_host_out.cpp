// fw-host-out: the router's own traffic. What the Linux side sends (FRR's
// BGP connect, DNS lookups, an ssh session's replies) leaves a mirror
// cross-connected to its interface and never crosses fw-ip4/fw-ip6; this
// feature on the mirrors' device-input arc opens or refreshes its session,
// from the router (kHostZone) to the interface's zone, so that the replies
// coming back on the zoned interface find it. The router's own traffic is
// always allowed out, as Junos allows junos-host traffic.
//
// Sessions live on the thread that owns their flow: a frame from a mirror
// polled by another thread is handed off to the owner and processed there.
#include <rte_ether.h>

#include "features/fw/fw_packet.hpp"
#include "features/fw/fw_state.hpp"
#include "features/nat/nat_state.hpp"
#include "graph/feature.hpp"
#include "graph/registry.hpp"
#include "graph/thread.hpp"
#include "io/interface.hpp"

namespace vp::fw {

namespace {
enum Err : uint16_t { kOpened, kRefreshed, kFull, kErrCount };

template <class F>
void track(Thread& t, NodeRt& self, FwWorker& w, const typename F::Hdr* ip, uint32_t len, uint16_t vrf, uint8_t zone) {
  KeyBuild kb;
  if (F::key(ip, len, vrf, kb) != KeyStatus::kOk) return;  // errors, fragments: not sessions
  SessionTable& tab = *w.table;
  const uint32_t h = session_hash(kb.key);
  uint32_t idx = tab.lookup(kb.key, h);
  const L4 l4 = F::l4(ip, len);
  TcpSeg seg{};
  const bool tcp = l4.proto == IPPROTO_TCP && tcp_segment(reinterpret_cast<const rte_tcp_hdr*>(l4.p), l4.len, seg);
  uint8_t dir = 0;
  if (idx == SessionTable::kNone) {
    const auto r = tab.insert(kb.key, h, kb.src_side, initial_class(l4.proto), w.now);
    if (r.idx == SessionTable::kNone) {
      t.count_error(self, kFull);
      return;
    }
    idx = r.idx;
    Session& s = tab.at(idx);
    s.zone[0] = kHostZone;
    s.zone[1] = zone;
    s.policy = 0;
    const Rulebase* rb = g_rulebase.load(std::memory_order_acquire);
    s.gen = rulebase_gen(rb);
    if (tcp && (seg.flags & (kTcpSyn | kTcpAck)) != kTcpSyn) {
      // A connection the router had before its zone was set.
      s.state = TcpState::kEstablished;
      tab.set_class(idx, kTcpEstablished);
    }
    cadd(w.c.created, 1);
    cadd(w.c.host_out, 1);
    t.count_error(self, kOpened);
  } else {
    dir = tab.at(idx).dir_of(kb.src_side);
    t.count_error(self, kRefreshed);
  }
  Session& s = tab.at(idx);
  if (tcp) {
    const TcpState before = s.state;
    if (tcp_track(s.state, s.tcp, dir, seg) == TcpVerdict::kReopen) {
      s.state = TcpState::kNone;
      s.tcp = {};
      tcp_track(s.state, s.tcp, dir, seg);
    }
    if (s.state != before && tcp_timeout_class(s.state) != s.tclass) tab.set_class(idx, tcp_timeout_class(s.state));
  }
  SessionTable::touch(s, dir, len, w.now);
}

void fw_host_out(Thread& t, NodeRt& self, rte_mbuf** p, uint32_t n) {
  const FwState& st = *g_fw_state.load(std::memory_order_acquire);
  FwWorker& w = fw_worker(t.index());
  const uint32_t me = t.index();
  const ArcDef& arc = Arcs::get().arc(meta(p[0]).arc);
  NodeId next[256];
  for (uint32_t i = 0; i < n; i++) {
    rte_mbuf* m = p[i];
    PktMeta& pm = meta(m);
    next[i] = feature_next(arc, pm);
    const IfFast* mf = if_fast(pm.rx_if);
    const IfFast* phy = mf ? if_fast(mf->xc_tx) : nullptr;
    if (!phy || rte_pktmbuf_data_len(m) < sizeof(rte_ether_hdr)) continue;
    const uint8_t zone = st.if_zone[phy->sw_if_index];
    const auto* eth = rte_pktmbuf_mtod(m, const rte_ether_hdr*);
    const uint32_t avail = rte_pktmbuf_data_len(m) - uint32_t(sizeof(rte_ether_hdr));
    const auto* l3 = reinterpret_cast<const uint8_t*>(eth + 1);
    // The owner as the reply will find it: NAT's owner where the router's
    // address is also an outside one.
    uint32_t owner;
    if (eth->ether_type == RTE_BE16(RTE_ETHER_TYPE_IPV4) && avail >= sizeof(rte_ipv4_hdr))
      owner = nat::owner4(nat::nat_state(), *w.owners, reinterpret_cast<const rte_ipv4_hdr*>(l3), avail);
    else if (eth->ether_type == RTE_BE16(RTE_ETHER_TYPE_IPV6) && avail >= sizeof(rte_ipv6_hdr))
      owner = w.owners->owner(flow_hash6(reinterpret_cast<const rte_ipv6_hdr*>(l3)));
    else
      continue;
    if (owner != me) {
      pm.next = self.id;
      t.handoff(owner, &p[i], 1);
      next[i] = kNoNode;
      continue;
    }
    if (eth->ether_type == RTE_BE16(RTE_ETHER_TYPE_IPV4)) {
      const auto* ip = reinterpret_cast<const rte_ipv4_hdr*>(l3);
      const uint32_t tl = rte_be_to_cpu_16(ip->total_length);
      track<Fam4>(t, self, w, ip, tl < avail ? tl : avail, uint16_t(phy->fib4), zone);
    } else {
      const auto* ip = reinterpret_cast<const rte_ipv6_hdr*>(l3);
      const uint32_t tl = uint32_t(rte_be_to_cpu_16(ip->payload_len)) + sizeof(rte_ipv6_hdr);
      track<Fam6>(t, self, w, ip, tl < avail ? tl : avail, uint16_t(phy->fib6), zone);
    }
  }
  t.enqueue_nexts(p, next, n);
}
}  // namespace

static NodeRegistration reg{{
    .name = "fw-host-out",
    .fn = fw_host_out,
    .errors = names<kErrCount>({{kOpened, "router's session opened"},
                                {kRefreshed, "router's session refreshed"},
                                {kFull, "session table full"}}),
}};
static FeatureRegistration f{{.arc = "device-input", .node = "fw-host-out", .module_only = true}};

}  // namespace vp::fw
