#pragma once
// What the workers read of NAT44 (published by nat_runtime.cpp through RCU,
// immutable once published): each interface's role, the outside addresses
// with what each one is (pool, interface address, static external), the
// static and identity mappings, the port range and its split among the
// workers.
//
// Which worker owns a translated flow: both directions of a flow must reach
// the worker that holds its session, and after translation they no longer
// share a 5-tuple. owner4() gives every packet the same worker for both
// directions without any shared table:
//   - a packet to or from a pool address (either side of a dynamic
//     translation: the reply to a translated flow, an ICMP error quoting
//     one) is owned by the worker whose share of the port range holds its
//     port at that address: each worker allocates ports only from its share;
//   - a packet to or from a static mapping's external endpoint is owned as
//     if it were addressed to the mapping's local endpoint, which is the
//     tuple the other direction carries;
//   - anything else by its symmetric flow hash, as without NAT.
#include <rte_ip.h>

#include <atomic>
#include <cstdint>
#include <unordered_map>
#include <vector>

#include "features/nat/nat_config.hpp"
#include "io/interface.hpp"
#include "net/ip/flow_owner.hpp"
#include "net/ip4/ip4.hpp"

namespace vp::nat {

enum RoleBits : uint8_t { kIn = 1, kOut = 2, kOutputFeature = 4 };

// What an outside address is (bits: an address may be several at once).
enum AddrKind : uint8_t { kPoolAddr = 1, kTwicePool = 2, kIfAddr = 4, kStaticExt = 8 };

struct OutsideAddr {
  uint32_t addr = 0;  // network order; 0: empty slot
  uint32_t tenant_vrf = ~0u;
  uint8_t kind = 0;
};

// A static or identity mapping as the workers see it (network order).
struct StaticRt {
  uint32_t local, external;
  uint16_t local_port, external_port;  // 0 for an address-only mapping
  uint8_t proto;                       // 0: address-only
  bool twice_nat, identity;
};

struct NatState {
  uint8_t role[kMaxInterfaces] = {};
  bool active = false;          // any interface has a role
  bool output_feature = false;  // some out interface translates all that leaves by it
  bool forwarding = false;
  uint16_t port_lo = 1024, port_hi = 65535;  // host order
  uint32_t port_share = 0;                   // ports per worker
  std::vector<uint32_t> workers;             // forwarding threads, in share order

  // Pool addresses for source translation, in order: dynamic (not
  // twice-nat) ones, and twice-nat ones.
  std::vector<OutsideAddr> snat, twice;

  // Open addressing over the outside addresses (a power of two, at most half full).
  std::vector<OutsideAddr> addrs;
  const OutsideAddr* find_addr(uint32_t a) const {
    if (addrs.empty()) return nullptr;
    const uint32_t mask = uint32_t(addrs.size() - 1);
    for (uint32_t i = _mm_crc32_u32(0, a) & mask;; i = (i + 1) & mask) {
      if (addrs[i].addr == a) return &addrs[i];
      if (addrs[i].addr == 0) return nullptr;
    }
  }

  std::vector<StaticRt> statics;
  // (address, protocol, port) -> index in statics; address-only mappings under protocol and port 0.
  std::unordered_map<uint64_t, uint32_t> by_external, by_local;
  static uint64_t skey(uint32_t addr, uint8_t proto, uint16_t port) {
    return uint64_t(addr) << 32 | uint32_t(proto) << 16 | port;
  }
  // The mapping whose external (or local) endpoint is this one: a
  // protocol-and-port mapping first, then an address-only one.
  const StaticRt* find_static(bool external, uint32_t addr, uint8_t proto, uint16_t port) const {
    const auto& m = external ? by_external : by_local;
    if (m.empty()) return nullptr;
    if (auto it = m.find(skey(addr, proto, port)); it != m.end()) return &statics[it->second];
    if (auto it = m.find(skey(addr, 0, 0)); it != m.end()) return &statics[it->second];
    return nullptr;
  }

  // The share (0..workers-1) whose ports include `port` (host order), or -1.
  int share_of(uint16_t port) const {
    if (port < port_lo || port > port_hi || !port_share) return -1;
    return int(std::min<uint32_t>((port - port_lo) / port_share, uint32_t(workers.size() - 1)));
  }
  // Worker share k's ports (host order).
  std::pair<uint16_t, uint16_t> share_range(uint32_t k) const {
    const uint32_t lo = port_lo + k * port_share;
    return {uint16_t(lo), uint16_t(k + 1 == workers.size() ? port_hi : lo + port_share - 1)};
  }
};

extern std::atomic<const NatState*> g_nat_state;
inline const NatState& nat_state() { return *g_nat_state.load(std::memory_order_acquire); }

// Ports as translation sees them: TCP/UDP ports, the ICMP echo id as both;
// false for other protocols and non-first fragments.
inline bool nat_ports4(const rte_ipv4_hdr* ip, uint32_t len, uint16_t& sport, uint16_t& dport) {
  const uint32_t hl = rte_ipv4_hdr_len(ip);
  if (ip->fragment_offset & RTE_BE16(RTE_IPV4_HDR_OFFSET_MASK) || len < hl + 8) return false;
  const auto* l4 = reinterpret_cast<const uint8_t*>(ip) + hl;
  switch (ip->next_proto_id) {
    case IPPROTO_TCP:
    case IPPROTO_UDP:
      std::memcpy(&sport, l4, 2);
      std::memcpy(&dport, l4 + 2, 2);
      return true;
    case IPPROTO_ICMP:
      if (l4[0] != 8 && l4[0] != 0) return false;
      std::memcpy(&sport, l4 + 4, 2);
      dport = sport;
      return true;
    default:
      return false;
  }
}

// An interface's roles as new flows see them: with output-feature on some
// interface, every interface without a role is an inside one.
inline uint8_t rx_role(const NatState& ns, uint32_t sw_if) {
  const uint8_t r = ns.role[sw_if];
  return r ? r : ns.output_feature ? uint8_t(kIn) : uint8_t(0);
}

// The owner of the flow of an IPv4 packet (see the top of this file);
// `hash`, its flow_hash4 when the caller has it.
inline uint32_t owner4(const NatState& ns, const FlowOwners& own, const rte_ipv4_hdr* ip, uint32_t len,
                       uint32_t hash) {
  if (own.threads.size() > 1 && !ns.addrs.empty()) {
    uint16_t sp = 0, dp = 0;
    const bool ports = nat_ports4(ip, len, sp, dp);
    const uint8_t proto = ip->next_proto_id;
    for (int side = 0; side < 2; side++) {
      const uint32_t a = side ? ip->src_addr : ip->dst_addr;
      const uint16_t port = side ? sp : dp;
      const OutsideAddr* o = ns.find_addr(a);
      if (!o) continue;
      if (o->kind & kStaticExt)
        if (const StaticRt* m = ns.find_static(true, a, proto, rte_be_to_cpu_16(port))) {
          const uint16_t lp = m->proto ? m->local_port : port;
          const uint32_t peer = side ? ip->dst_addr : ip->src_addr;
          const uint16_t peer_port = side ? dp : sp;
          return own.owner(flow_hash4_of(m->local, peer, lp, peer_port, proto, ports));
        }
      if (ports && (o->kind & (kPoolAddr | kTwicePool)))
        if (const int k = ns.share_of(rte_be_to_cpu_16(port)); k >= 0) return ns.workers[uint32_t(k)];
    }
  }
  return own.owner(hash);
}
inline uint32_t owner4(const NatState& ns, const FlowOwners& own, const rte_ipv4_hdr* ip, uint32_t len) {
  return owner4(ns, own, ip, len, flow_hash4(ip));
}

}  // namespace vp::nat
