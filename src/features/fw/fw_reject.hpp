#pragma once
// The answer of a `reject` policy to a TCP segment: the segment turned into
// a reset in place (RFC 9293 3.10.7.1: a segment with ACK is answered with
// RST at its acknowledgement number, one without with RST+ACK after it),
// addressed back to its sender and routed like any packet vplane makes.
// Other protocols get an ICMP or ICMPv6 administratively-prohibited error
// from the error nodes instead.
#include <rte_ip.h>
#include <rte_tcp.h>

#include "graph/meta.hpp"
#include "net/ip4/ip4.hpp"
#include "net/ip6/ip6.hpp"

namespace vp::fw {

namespace detail {
inline void rst_fields(rte_tcp_hdr* th, uint32_t payload) {
  const uint16_t sp = th->src_port;  // packed header: no references
  th->src_port = th->dst_port;
  th->dst_port = sp;
  const uint8_t fl = th->tcp_flags;
  const uint32_t seq = rte_be_to_cpu_32(th->sent_seq);
  if (fl & RTE_TCP_ACK_FLAG) {
    th->sent_seq = th->recv_ack;
    th->recv_ack = 0;
    th->tcp_flags = RTE_TCP_RST_FLAG;
  } else {
    const uint32_t len = payload + ((fl & RTE_TCP_SYN_FLAG) ? 1 : 0) + ((fl & RTE_TCP_FIN_FLAG) ? 1 : 0);
    th->sent_seq = 0;
    th->recv_ack = rte_cpu_to_be_32(seq + len);
    th->tcp_flags = RTE_TCP_RST_FLAG | RTE_TCP_ACK_FLAG;
  }
  th->data_off = 5 << 4;
  th->rx_win = 0;
  th->tcp_urp = 0;
  th->cksum = 0;
}
}  // namespace detail

// False when the segment is itself a reset (never answered) or too short.
inline bool make_rst4(rte_mbuf* m) {
  auto* ip = ip4_hdr(m);
  const uint32_t hl = rte_ipv4_hdr_len(ip), tl = rte_be_to_cpu_16(ip->total_length);
  if (tl < hl + sizeof(rte_tcp_hdr) || rte_pktmbuf_data_len(m) < meta(m).l3_off + tl) return false;
  auto* th = reinterpret_cast<rte_tcp_hdr*>(reinterpret_cast<uint8_t*>(ip) + hl);
  if (th->tcp_flags & RTE_TCP_RST_FLAG) return false;
  const uint32_t doff = uint32_t(th->data_off >> 4) * 4;
  detail::rst_fields(th, tl > hl + doff ? tl - hl - doff : 0);
  const uint32_t src = ip->src_addr;
  ip->src_addr = ip->dst_addr;
  ip->dst_addr = src;
  // Options are not copied: the reset is a bare 20-byte IPv4 header.
  if (hl != sizeof(rte_ipv4_hdr)) {
    std::memmove(reinterpret_cast<uint8_t*>(ip) + sizeof(rte_ipv4_hdr), th, sizeof(rte_tcp_hdr));
    ip->version_ihl = 0x45;
    th = reinterpret_cast<rte_tcp_hdr*>(ip + 1);
  }
  const uint16_t new_tl = sizeof(rte_ipv4_hdr) + sizeof(rte_tcp_hdr);
  rte_pktmbuf_trim(m, uint16_t(rte_pktmbuf_data_len(m) - meta(m).l3_off - new_tl));
  ip->total_length = rte_cpu_to_be_16(new_tl);
  ip->fragment_offset = 0;
  ip->time_to_live = 64;
  ip->hdr_checksum = 0;
  ip->hdr_checksum = rte_ipv4_cksum(ip);
  th->cksum = rte_ipv4_udptcp_cksum(ip, th);
  meta(m).flags |= kLocalOrigin;
  return true;
}

// The segment's TCP header directly after the fixed IPv6 header (the only
// form the firewall's TCP sessions are built from).
inline bool make_rst6(rte_mbuf* m) {
  auto* ip = ip6_hdr(m);
  const uint32_t pl = rte_be_to_cpu_16(ip->payload_len);
  if (ip->proto != IPPROTO_TCP || pl < sizeof(rte_tcp_hdr) ||
      rte_pktmbuf_data_len(m) < meta(m).l3_off + sizeof(rte_ipv6_hdr) + pl)
    return false;
  auto* th = reinterpret_cast<rte_tcp_hdr*>(ip + 1);
  if (th->tcp_flags & RTE_TCP_RST_FLAG) return false;
  const uint32_t doff = uint32_t(th->data_off >> 4) * 4;
  detail::rst_fields(th, pl > doff ? pl - doff : 0);
  uint8_t a[16];
  std::memcpy(a, ip->src_addr, 16);
  std::memcpy(ip->src_addr, ip->dst_addr, 16);
  std::memcpy(ip->dst_addr, a, 16);
  rte_pktmbuf_trim(m, uint16_t(rte_pktmbuf_data_len(m) - meta(m).l3_off - sizeof(rte_ipv6_hdr) - sizeof(rte_tcp_hdr)));
  ip->payload_len = rte_cpu_to_be_16(sizeof(rte_tcp_hdr));
  ip->hop_limits = 64;
  th->cksum = rte_ipv6_udptcp_cksum(ip, th);
  meta(m).flags |= kLocalOrigin;
  return true;
}

}  // namespace vp::fw
