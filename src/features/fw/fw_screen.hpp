#pragma once
// Screens: the checks a zone's ids-option profile applies to every packet
// arriving in the zone, before the session lookup (fw-ip4/fw-ip6). Each
// returns the screen that drops the packet, or kScreenPass.
//
// Floods are counted per destination address and second, on each worker
// separately: a worker allows its share of the threshold (threshold divided
// by the number of forwarding workers, at least 1), so the zone as a whole
// allows about the threshold when a flood spreads over the workers, and
// less when it lands on one (a single flow always does). The counters sit
// in a direct-mapped table of kFloodSlots per worker; a destination that
// takes over a slot starts its count from zero.
#include <rte_tcp.h>

#include "features/fw/fw_packet.hpp"
#include "features/fw/fw_state.hpp"

namespace vp::fw {

namespace detail {
// The destination address' tag for the flood table.
template <class F>
uint32_t dst_tag(const typename F::Hdr* ip) {
  if constexpr (F::kV6) {
    uint64_t a[2];
    std::memcpy(a, ip->dst_addr, 16);
    return uint32_t(_mm_crc32_u64(_mm_crc32_u64(0, a[0]), a[1]));
  } else {
    return _mm_crc32_u32(0x5bd1e995, ip->dst_addr);
  }
}

inline bool flooded(FwWorker& w, uint32_t tag, uint8_t kind, uint32_t threshold, uint32_t workers) {
  FloodSlot& f = w.flood[(tag * 0x9e3779b1u) >> (32 - kFloodBits)];
  if (f.tag != tag || f.second != w.now) {
    if (f.tag != tag) f = {};
    f.tag = tag;
    f.second = w.now;
    f.count[0] = f.count[1] = f.count[2] = 0;
  }
  const uint32_t share = threshold / workers ? threshold / workers : 1;
  return ++f.count[kind] > share;
}

// Whether the route back to `src` leaves by `sw_if` (strict uRPF): some
// bucket of the source's load-balance must.
template <class F>
bool route_back_via(uint32_t vrf, const typename F::Hdr* ip, uint32_t sw_if) {
  uint32_t leaf;
  if constexpr (F::kV6) {
    const Lpm6* t = vrf < kMaxFibs ? g_fib6[vrf].load(std::memory_order_acquire) : nullptr;
    if (!t) return false;
    leaf = t->lookup(ip6_key(ip->src_addr));
  } else {
    const Ip4Mtrie* t = vrf < kMaxFibs ? g_fib4[vrf].load(std::memory_order_acquire) : nullptr;
    if (!t) return false;
    leaf = t->lookup(rte_be_to_cpu_32(ip->src_addr));
  }
  uint32_t d;
  if (lb_resolve_single(leaf, d)) {
    const Egress e = egress_of_dpo(d);
    return e.kind == Egress::kIf && e.sw_if == sw_if;
  }
  const Lb* l = lbs().get(leaf);
  for (uint32_t b = 0; l && b < l->n_buckets; b++) {
    const Egress e = egress_of_dpo(lb_pick(l, b));
    if (e.kind == Egress::kIf && e.sw_if == sw_if) return true;
  }
  return false;
}

// IPv4 options naming a source route: loose (131) or strict (137).
inline bool has_source_route(const rte_ipv4_hdr* ip) {
  const uint32_t hl = rte_ipv4_hdr_len(ip);
  const auto* o = reinterpret_cast<const uint8_t*>(ip + 1);
  for (uint32_t i = 0; i + sizeof(rte_ipv4_hdr) < hl;) {
    const uint8_t type = o[i];
    if (type == 0) break;  // end of options
    if (type == 1) {       // no-op
      i++;
      continue;
    }
    if (type == 131 || type == 137) return true;
    if (i + 1 + sizeof(rte_ipv4_hdr) >= hl || o[i + 1] < 2) break;
    i += o[i + 1];
  }
  return false;
}
}  // namespace detail

template <class F>
uint8_t screen_check(FwWorker& w, const Screen& sc, uint32_t workers, const typename F::Hdr* ip, uint32_t len,
                     const PktMeta& pm) {
  const uint32_t fl = sc.flags;
  const L4 l4 = F::l4(ip, len);
  const bool first = F::is_first_fragment_or_whole(ip);
  uint8_t src[16] = {}, dst[16] = {};
  F::addrs(ip, src, dst);
  if constexpr (!F::kV6) {
    if ((fl & kScrSourceRoute) && rte_ipv4_hdr_len(ip) > sizeof(rte_ipv4_hdr) && detail::has_source_route(ip))
      return kScreenSourceRoute;
  }
  if ((fl & kScrSpoofing) && !detail::route_back_via<F>(pm.vrf, ip, pm.rx_if)) return kScreenSpoofing;
  if (l4.proto == IPPROTO_TCP && first && l4.len >= sizeof(rte_tcp_hdr)) {
    const auto* th = reinterpret_cast<const rte_tcp_hdr*>(l4.p);
    const uint8_t f = th->tcp_flags;
    if ((fl & kScrTcpNoFlag) && (f & 0x3f) == 0) return kScreenTcpNoFlag;
    if ((fl & kScrSynFin) && (f & (kTcpSyn | kTcpFin)) == (kTcpSyn | kTcpFin)) return kScreenSynFin;
    if ((fl & kScrFinNoAck) && (f & (kTcpFin | kTcpAck)) == kTcpFin) return kScreenFinNoAck;
    if ((fl & kScrWinnuke) && th->dst_port == RTE_BE16(139) && (f & RTE_TCP_URG_FLAG)) return kScreenWinnuke;
    const bool syn = (f & (kTcpSyn | kTcpAck)) == kTcpSyn;
    if (syn && (fl & kScrLand) && std::memcmp(src, dst, 16) == 0) return kScreenLand;
    if (syn && sc.syn_flood && detail::flooded(w, detail::dst_tag<F>(ip), 0, sc.syn_flood, workers))
      return kScreenSynFlood;
  }
  if (l4.proto == F::kIcmpProto) {
    if (!F::kV6 && (fl & kScrPingDeath)) {
      const auto* ip4 = reinterpret_cast<const rte_ipv4_hdr*>(ip);
      const uint32_t off = uint32_t(rte_be_to_cpu_16(ip4->fragment_offset) & RTE_IPV4_HDR_OFFSET_MASK) * 8;
      // The reassembled datagram would exceed the 65535 bytes IPv4 allows.
      if (off + rte_be_to_cpu_16(ip4->total_length) > 65535) return kScreenPingDeath;
    }
    if ((fl & kScrIcmpLarge) && len > 1024) return kScreenIcmpLarge;
    if (sc.icmp_flood && detail::flooded(w, detail::dst_tag<F>(ip), 1, sc.icmp_flood, workers)) return kScreenIcmpFlood;
  }
  if (l4.proto == IPPROTO_UDP && sc.udp_flood && detail::flooded(w, detail::dst_tag<F>(ip), 2, sc.udp_flood, workers))
    return kScreenUdpFlood;
  return kScreenPass;
}

}  // namespace vp::fw
