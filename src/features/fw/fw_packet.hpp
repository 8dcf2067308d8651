#pragma once
// What the firewall nodes read from a packet, per family: the session key,
// the L4 header, the inner packet of an ICMP error, the classifier's key and
// the egress the FIB gives (interface or the router itself). IPv4 and IPv6
// nodes are one template over these.
#include <rte_icmp.h>

#include <cstring>

#include "features/fw/policy_compile.hpp"
#include "features/fw/session_key.hpp"
#include "graph/meta.hpp"
#include "net/fib/adj.hpp"
#include "net/fib/dpo.hpp"
#include "net/fib/fib.hpp"
#include "net/ip4/ip4.hpp"
#include "net/ip6/ip6.hpp"

namespace vp::fw {

// Where the FIB sends a packet, as far as zones are concerned.
struct Egress {
  enum Kind : uint8_t { kIf, kHost, kNone } kind;
  uint32_t sw_if;
};

inline Egress egress_of_dpo(uint32_t d) {
  switch (Dpo::type(d)) {
    case DpoType::adj:
    case DpoType::glean: {
      const Adj* a = adjs().get(Dpo::index(d));
      return a ? Egress{Egress::kIf, a->sw_if} : Egress{Egress::kNone, 0};
    }
    case DpoType::local:
      return {Egress::kHost, 0};
    default:
      return {Egress::kNone, 0};
  }
}

// The L4 view of a packet: protocol, header, bytes from the header to the
// end of the IP payload (not the frame: padding is not payload).
struct L4 {
  uint8_t proto;
  const uint8_t* p;
  uint32_t len;
};

struct Fam4 {
  static constexpr bool kV6 = false;
  static constexpr uint8_t kIcmpProto = IPPROTO_ICMP;
  using Hdr = rte_ipv4_hdr;
  static Hdr* hdr(rte_mbuf* m) { return ip4_hdr(m); }
  static uint32_t avail(rte_mbuf* m, const Hdr* ip) {
    const uint32_t frame = rte_pktmbuf_data_len(m) - meta(m).l3_off;
    const uint32_t tl = rte_be_to_cpu_16(ip->total_length);
    return tl < frame ? tl : frame;
  }
  static KeyStatus key(const Hdr* ip, uint32_t len, uint16_t vrf, KeyBuild& kb) {
    return session_key4(ip, len, vrf, kb);
  }
  static KeyStatus key(const Hdr* ip, uint32_t len, uint16_t vrf, SessionKey& k, uint8_t& side) {
    return session_key4(ip, len, vrf, k, side);
  }
  static uint32_t flow_hash(const Hdr* ip) { return flow_hash4(ip); }
  static L4 l4(const Hdr* ip, uint32_t len) {
    const uint32_t hl = rte_ipv4_hdr_len(ip);
    return {ip->next_proto_id, reinterpret_cast<const uint8_t*>(ip) + hl, len > hl ? len - hl : 0};
  }
  static bool is_first_fragment_or_whole(const Hdr* ip) {
    return !(ip->fragment_offset & RTE_BE16(RTE_IPV4_HDR_OFFSET_MASK));
  }
  static bool is_fragment(const Hdr* ip) {
    return ip->fragment_offset & RTE_BE16(RTE_IPV4_HDR_OFFSET_MASK | RTE_IPV4_HDR_MF_FLAG);
  }
  static void addrs(const Hdr* ip, uint8_t* src, uint8_t* dst) {
    std::memcpy(src, &ip->src_addr, 4);
    std::memcpy(dst, &ip->dst_addr, 4);
  }
  // Multicast, broadcast: for the router (routing protocols), never forwarded here.
  static bool to_host_always(const Hdr* ip) { return reinterpret_cast<const uint8_t*>(&ip->dst_addr)[0] >= 224; }
  static Egress egress(uint32_t vrf, const Hdr* ip, uint32_t hash) {
    const Ip4Mtrie* t = vrf < kMaxFibs ? g_fib4[vrf].load(std::memory_order_acquire) : nullptr;
    if (!t) return {Egress::kNone, 0};
    return egress_of_dpo(lb_resolve(t->lookup(rte_be_to_cpu_32(ip->dst_addr)), hash));
  }
  static uint8_t ttl_or_hops(const Hdr* ip) { return ip->time_to_live; }
};

struct Fam6 {
  static constexpr bool kV6 = true;
  static constexpr uint8_t kIcmpProto = IPPROTO_ICMPV6;
  using Hdr = rte_ipv6_hdr;
  static Hdr* hdr(rte_mbuf* m) { return ip6_hdr(m); }
  static uint32_t avail(rte_mbuf* m, const Hdr* ip) {
    const uint32_t frame = rte_pktmbuf_data_len(m) - meta(m).l3_off;
    const uint32_t tl = uint32_t(rte_be_to_cpu_16(ip->payload_len)) + sizeof(Hdr);
    return tl < frame ? tl : frame;
  }
  static KeyStatus key(const Hdr* ip, uint32_t len, uint16_t vrf, KeyBuild& kb) {
    return session_key6(ip, len, vrf, kb);
  }
  static KeyStatus key(const Hdr* ip, uint32_t len, uint16_t vrf, SessionKey& k, uint8_t& side) {
    return session_key6(ip, len, vrf, k, side);
  }
  static uint32_t flow_hash(const Hdr* ip) { return flow_hash6(ip); }
  // As the key builder: a fragment header directly after the fixed header
  // is looked through, no other extension header.
  static L4 l4(const Hdr* ip, uint32_t len) {
    const auto* p = reinterpret_cast<const uint8_t*>(ip + 1);
    uint32_t l = len > sizeof(Hdr) ? len - uint32_t(sizeof(Hdr)) : 0;
    uint8_t proto = ip->proto;
    if (proto == IPPROTO_FRAGMENT && l >= 8) {
      proto = p[0];
      p += 8;
      l -= 8;
    }
    return {proto, p, l};
  }
  static bool is_first_fragment_or_whole(const Hdr* ip) {
    if (ip->proto != IPPROTO_FRAGMENT) return true;
    uint16_t off;
    std::memcpy(&off, reinterpret_cast<const uint8_t*>(ip + 1) + 2, 2);
    return !(rte_be_to_cpu_16(off) & 0xfff8);
  }
  static bool is_fragment(const Hdr* ip) { return ip->proto == IPPROTO_FRAGMENT; }
  static void addrs(const Hdr* ip, uint8_t* src, uint8_t* dst) {
    std::memcpy(src, ip->src_addr, 16);
    std::memcpy(dst, ip->dst_addr, 16);
  }
  // Multicast and link-local destinations are never forwarded: ND, MLD,
  // OSPFv3, link-local BGP all end at the router.
  static bool to_host_always(const Hdr* ip) {
    return ip->dst_addr[0] == 0xff || (ip->dst_addr[0] == 0xfe && (ip->dst_addr[1] & 0xc0) == 0x80);
  }
  static Egress egress(uint32_t vrf, const Hdr* ip, uint32_t hash) {
    const Lpm6* t = vrf < kMaxFibs ? g_fib6[vrf].load(std::memory_order_acquire) : nullptr;
    if (!t) return {Egress::kNone, 0};
    return egress_of_dpo(lb_resolve(t->lookup(ip6_key(ip->dst_addr)), hash));
  }
  static uint8_t ttl_or_hops(const Hdr* ip) { return ip->hop_limits; }
};

// The inner packet an ICMP error quotes (its IP header and at least the
// first 8 bytes of its L4 header), or nullptr when the error is too short.
// Its session key is the quoted packet's: the one the session was built from
// (normalised, so the direction does not matter).
template <class F>
const typename F::Hdr* icmp_inner(const L4& l4) {
  const uint32_t off = 8;  // ICMP and ICMPv6 error headers are 8 bytes
  if (l4.len < off + sizeof(typename F::Hdr) + 8) return nullptr;
  const auto* in = reinterpret_cast<const typename F::Hdr*>(l4.p + off);
  if constexpr (!F::kV6) {
    if ((in->version_ihl >> 4) != 4 || rte_ipv4_hdr_len(in) < 20 || l4.len < off + rte_ipv4_hdr_len(in) + 8)
      return nullptr;
  } else {
    if ((in->vtc_flow & RTE_BE32(0xf0000000)) != RTE_BE32(0x60000000)) return nullptr;
  }
  return in;
}
template <class F>
uint32_t icmp_inner_len(const L4& l4) {
  return l4.len - 8;
}

// The classifier's key: ports for TCP/UDP/SCTP, type and code for ICMP.
template <class F>
void classify_key(const typename F::Hdr* ip, const L4& l4, uint8_t from, uint8_t to, ClassifyKey& k) {
  k.from = from;
  k.to = to;
  k.v6 = F::kV6;
  k.proto = l4.proto;
  std::memset(k.src, 0, 16);
  std::memset(k.dst, 0, 16);
  F::addrs(ip, k.src, k.dst);
  k.sport = k.dport = 0;
  if (l4.proto == IPPROTO_ICMP || l4.proto == IPPROTO_ICMPV6) {
    if (l4.len >= 2) {
      k.sport = l4.p[0];
      k.dport = l4.p[1];
    }
  } else if (l4.len >= 4 &&
             (l4.proto == IPPROTO_TCP || l4.proto == IPPROTO_UDP || l4.proto == IPPROTO_SCTP || l4.proto == 136)) {
    uint16_t sp, dp;
    std::memcpy(&sp, l4.p, 2);
    std::memcpy(&dp, l4.p + 2, 2);
    k.sport = rte_be_to_cpu_16(sp);
    k.dport = rte_be_to_cpu_16(dp);
  }
}

}  // namespace vp::fw
