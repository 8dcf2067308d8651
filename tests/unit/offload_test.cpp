// Software GSO and checksum completion (interface-output's fallback for
// ports without offloads).
#include "io/offload.hpp"

#include <gtest/gtest.h>
#include <rte_ip.h>
#include <rte_tcp.h>

#include "helpers.hpp"

namespace vp {
namespace {

// An IPv4 or IPv6 TCP frame of `payload` bytes marked for TSO with `mss`.
rte_mbuf* tso_frame(bool v4, uint32_t payload, uint16_t mss) {
  uint32_t l3 = v4 ? 20 : 40, hdr = 14 + l3 + 20;
  rte_mbuf* m = rte_pktmbuf_alloc(jumbo_pool());
  uint8_t* f = reinterpret_cast<uint8_t*>(rte_pktmbuf_append(m, uint16_t(hdr + payload)));
  std::memset(f, 0, hdr);
  f[12] = v4 ? 0x08 : 0x86;
  f[13] = v4 ? 0x00 : 0xdd;
  if (v4) {
    auto* ip = reinterpret_cast<rte_ipv4_hdr*>(f + 14);
    ip->version_ihl = 0x45;
    ip->total_length = rte_cpu_to_be_16(uint16_t(l3 + 20 + payload));
    ip->packet_id = rte_cpu_to_be_16(100);
    ip->time_to_live = 64;
    ip->next_proto_id = 6;
    ip->src_addr = rte_cpu_to_be_32(0x0a000001);
    ip->dst_addr = rte_cpu_to_be_32(0x0a000002);
  } else {
    auto* ip6 = reinterpret_cast<rte_ipv6_hdr*>(f + 14);
    ip6->vtc_flow = rte_cpu_to_be_32(0x60000000);
    ip6->payload_len = rte_cpu_to_be_16(uint16_t(20 + payload));
    ip6->proto = 6;
    ip6->hop_limits = 64;
    ip6->src_addr[15] = 1;
    ip6->dst_addr[15] = 2;
  }
  auto* tcp = reinterpret_cast<rte_tcp_hdr*>(f + 14 + l3);
  tcp->sent_seq = rte_cpu_to_be_32(1000);
  tcp->data_off = 0x50;
  tcp->tcp_flags = RTE_TCP_ACK_FLAG | RTE_TCP_PSH_FLAG | RTE_TCP_FIN_FLAG;
  for (uint32_t i = 0; i < payload; i++) f[hdr + i] = uint8_t(i * 7);
  m->l2_len = 14;
  m->l3_len = uint16_t(l3);
  m->l4_len = 20;
  m->tso_segsz = mss;
  m->ol_flags = RTE_MBUF_F_TX_TCP_SEG | RTE_MBUF_F_TX_TCP_CKSUM | (v4 ? RTE_MBUF_F_TX_IPV4 : RTE_MBUF_F_TX_IPV6);
  meta_init(m, 7);
  return m;
}

class Gso : public ::testing::TestWithParam<bool> {};

TEST_P(Gso, SegmentsCarryThePayloadInOrderWithValidHeaders) {
  bool v4 = GetParam();
  const uint32_t payload = 10000, mss = 1448, l3 = v4 ? 20 : 40;
  rte_mbuf* out[64];
  uint16_t n = sw_offload(tso_frame(v4, payload, mss), eal().pool, out, 64);
  ASSERT_EQ(n, (payload + mss - 1) / mss);
  uint32_t off = 0;
  for (uint16_t k = 0; k < n; k++) {
    uint8_t* f = rte_pktmbuf_mtod(out[k], uint8_t*);
    uint32_t chunk = out[k]->pkt_len - (14 + l3 + 20);
    EXPECT_EQ(chunk, k + 1 < n ? mss : payload - off);
    auto* tcp = reinterpret_cast<rte_tcp_hdr*>(f + 14 + l3);
    EXPECT_EQ(rte_be_to_cpu_32(tcp->sent_seq), 1000 + off);
    EXPECT_EQ(bool(tcp->tcp_flags & RTE_TCP_FIN_FLAG), k + 1 == n);
    EXPECT_EQ(out[k]->ol_flags & kSwOffloadFlags, 0u);
    EXPECT_EQ(meta(out[k]).rx_if, 7u);
    for (uint32_t i = 0; i < chunk; i++) ASSERT_EQ(f[14 + l3 + 20 + i], uint8_t((off + i) * 7));
    if (v4) {
      auto* ip = reinterpret_cast<rte_ipv4_hdr*>(f + 14);
      EXPECT_EQ(rte_ipv4_cksum(ip), 0);
      EXPECT_EQ(rte_be_to_cpu_16(ip->packet_id), 100 + k);
      uint16_t c = tcp->cksum;
      tcp->cksum = 0;
      EXPECT_EQ(rte_ipv4_udptcp_cksum(ip, tcp), c);
    } else {
      auto* ip6 = reinterpret_cast<rte_ipv6_hdr*>(f + 14);
      EXPECT_EQ(rte_be_to_cpu_16(ip6->payload_len), 20 + chunk);
      uint16_t c = tcp->cksum;
      tcp->cksum = 0;
      EXPECT_EQ(rte_ipv6_udptcp_cksum(ip6, tcp), c);
    }
    off += chunk;
  }
  EXPECT_EQ(off, payload);
  rte_pktmbuf_free_bulk(out, n);
}

INSTANTIATE_TEST_SUITE_P(V4V6, Gso, ::testing::Values(true, false));

TEST(Gso, OversizeSegmentsAreRefused) {
  rte_mbuf* out[64];
  EXPECT_EQ(sw_offload(tso_frame(true, 9000, 4000), eal().pool, out, 64), 0);  // 4000 > a buffer
  EXPECT_EQ(sw_offload(tso_frame(true, 9000, 100), eal().pool, out, 64), 0);   // 90 segments > room
}

TEST(Gso, PartialChecksumIsCompleted) {
  rte_mbuf* m = tso_frame(true, 100, 1448);
  m->ol_flags = RTE_MBUF_F_TX_TCP_CKSUM | RTE_MBUF_F_TX_IPV4;
  uint8_t* f = rte_pktmbuf_mtod(m, uint8_t*);
  auto* ip = reinterpret_cast<rte_ipv4_hdr*>(f + 14);
  auto* tcp = reinterpret_cast<rte_tcp_hdr*>(f + 34);
  tcp->cksum = rte_ipv4_phdr_cksum(ip, 0);  // what a partial checksum holds
  rte_mbuf* out[1];
  ASSERT_EQ(sw_offload(m, eal().pool, out, 1), 1);
  uint16_t c = tcp->cksum;
  tcp->cksum = 0;
  EXPECT_EQ(rte_ipv4_udptcp_cksum(ip, tcp), c);
  rte_pktmbuf_free(out[0]);
}

}  // namespace
}  // namespace vp
