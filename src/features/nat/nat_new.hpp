#pragma once
// NAT44's part of a new flow's slow path (fw-ip4-new), in Junos' order:
// static and destination NAT before the route lookup and the policy (the
// policy matches the translated destination; the translated destination's
// route picks the to-zone), source NAT after the policy permits (the policy
// matches the original source).
//
// Port allocation is endpoint-dependent: an outside (address, port) is
// unique per (protocol, remote address, remote port), and the session
// table is the test: a candidate is free when no session has that tuple.
// Each worker takes ports only from its share of the range (so the share
// names the owner of replies, nat_state.hpp), from a cursor that moves on
// with every allocation; the address is picked by the inside source's hash
// (an inside host keeps one outside address, RFC 4787 REQ-2), falling back
// to the next ones when its share there is used up towards that remote.
#include "features/fw/session_table.hpp"
#include "features/nat/nat_rewrite.hpp"
#include "features/nat/nat_state.hpp"

namespace vp::nat {

// What happens to a new flow's destination, before the route lookup.
struct Pre {
  uint8_t role = 0;  // the arrival interface's roles (kIn with output-feature anywhere)
  bool ports = false;
  Endpoint src{}, odst{}, dst{};         // odst as it came, dst after static/destination NAT
  const StaticRt* sm = nullptr;          // the mapping the destination matched
  const OutsideAddr* outside = nullptr;  // the (original) destination is an outside address
};

inline Pre pre_route(const NatState& ns, uint8_t role, const rte_ipv4_hdr* ip, uint32_t len) {
  Pre p;
  p.role = role;
  p.src.addr = ip->src_addr;
  p.dst.addr = ip->dst_addr;
  p.ports = nat_ports4(ip, len, p.src.port, p.dst.port);
  p.odst = p.dst;
  if (!role) return p;
  p.outside = ns.find_addr(ip->dst_addr);
  if (p.outside && (p.outside->kind & kStaticExt)) {
    p.sm = ns.find_static(true, ip->dst_addr, ip->next_proto_id, rte_be_to_cpu_16(p.dst.port));
    if (p.sm && !p.sm->identity) p.dst = {p.sm->local, p.sm->proto ? p.sm->local_port : p.dst.port};
  }
  return p;
}

// Why a new flow is not translated and dropped instead.
enum class Refusal : uint8_t { kNone, kNoTranslation, kOutOfPorts };

// The new flow's other tuple, after the route and the policy: `x` gets
// the translated endpoints ([0] source, [1] destination); `snat` says
// whether the source needs a port from a pool (then allocate()).
struct Plan {
  bool translate = false;
  const std::vector<OutsideAddr>* pool = nullptr;  // the source comes from this pool
  fw::Xlate x{};
};

inline Plan plan(const NatState& ns, const Pre& p, uint8_t egress_role, uint8_t proto) {
  Plan r;
  Endpoint src = p.src;
  const bool to_outside = egress_role & (kOut | kOutputFeature);
  // Hairpinning: an inside host reaching another's mapped address gets an
  // outside source too, so that the reply comes back through here.
  const bool hairpin = p.sm && !p.sm->identity && (egress_role & kIn) && (p.role & kIn);
  if ((p.role & kIn) && (to_outside || hairpin)) {
    if (const StaticRt* m = ns.find_static(false, p.src.addr, proto, rte_be_to_cpu_16(p.src.port))) {
      if (!m->identity) src = {m->external, m->proto ? m->external_port : p.src.port};
    } else {
      r.pool = &ns.snat;
    }
  }
  if (p.sm && p.sm->twice_nat) r.pool = &ns.twice;
  r.x.addr[0] = src.addr;
  r.x.port[0] = src.port;
  r.x.addr[1] = p.dst.addr;
  r.x.port[1] = p.dst.port;
  if (proto == IPPROTO_ICMP)  // the echo id is both ports: whichever mapping changed it
    r.x.port[0] = r.x.port[1] = src.port != p.src.port ? src.port : p.dst.port;
  r.translate = r.pool || src.addr != p.src.addr || src.port != p.src.port || p.dst.addr != p.odst.addr ||
                p.dst.port != p.odst.port;
  return r;
}

// Takes the source endpoint of plan `r` from its pool: false when every
// address's share towards this destination is in use. `key`: the session's
// original key; `cursor`: the worker's allocation cursor.
inline bool allocate(const NatState& ns, uint32_t share, const fw::SessionTable& tab, const fw::SessionKey& key,
                     uint16_t vrf, uint32_t& cursor, Plan& r) {
  const std::vector<OutsideAddr>& pool = *r.pool;
  if (pool.empty()) return false;
  const bool ports = key.proto == IPPROTO_TCP || key.proto == IPPROTO_UDP || (key.proto == IPPROTO_ICMP && key.port[0]);
  const auto [lo, hi] = ns.share_range(share);
  const uint32_t size = uint32_t(hi - lo) + 1;
  const uint32_t tries = ports ? std::min<uint32_t>(size, 1024) : 1;
  const uint32_t first = _mm_crc32_u32(0, r.x.addr[0]) % pool.size();
  fw::Xlate& x = r.x;
  x.vrf = vrf;
  for (size_t a = 0; a < pool.size(); a++) {
    const OutsideAddr& o = pool[(first + a) % pool.size()];
    if (o.tenant_vrf != ~0u && o.tenant_vrf != vrf) continue;
    x.addr[0] = o.addr;
    for (uint32_t t = 0; t < tries; t++) {
      if (ports) {
        x.port[0] = rte_cpu_to_be_16(uint16_t(lo + cursor++ % size));
        if (key.proto == IPPROTO_ICMP) x.port[1] = x.port[0];  // the echo id is both ports
      }
      uint8_t side;
      if (tab.free_key(fw::xlate_key(key, x, side))) return true;
    }
  }
  return false;
}

}  // namespace vp::nat
