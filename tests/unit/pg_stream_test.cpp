// Packet-generator streams: parsing VPP's pg data syntax, field increments,
// and checksums that stay right as fields change.
#include <gtest/gtest.h>
#include <rte_ip.h>
#include <rte_udp.h>

#include <set>

#include "control/cli.hpp"
#include "helpers.hpp"
#include "io/ports/pg/stream.hpp"

namespace vp {
namespace {

StreamSpec parse(const std::string& s) { return parse_stream(Cli::tokenize(s), 0); }

// Recompute the UDP checksum from scratch and compare with what is there.
template <typename IpHdr, typename Fn>
bool udp_csum_ok(IpHdr* ip, Fn compute) {
  auto* udp = reinterpret_cast<rte_udp_hdr*>(ip + 1);
  uint16_t have = udp->dgram_cksum;
  udp->dgram_cksum = 0;
  uint16_t want = compute(ip, udp);
  if (want == 0) want = 0xffff;
  udp->dgram_cksum = have;
  return have == want;
}

TEST(PgStream, BuildsEthernetIpv4UdpTemplate) {
  auto s = parse(
      "name a size 100 data { IP4: 02:00:00:00:00:01 -> 02:00:00:00:00:02 vlan 7 UDP: 10.0.0.1 -> "
      "10.0.0.2 ttl 9 UDP: 1234 -> 5678 }");
  ASSERT_EQ(s.tmpl.size(), 100u);
  EXPECT_EQ(s.l3_off, 18);
  EXPECT_EQ(s.l4_off, 38);
  EXPECT_EQ(s.tmpl[12], 0x81);
  EXPECT_EQ(s.tmpl[16], 0x08);
  EXPECT_EQ(s.tmpl[18 + 8], 9);  // ttl
  EXPECT_EQ(s.tmpl[18 + 9], 17);
  EXPECT_TRUE(s.mods.empty());
}

TEST(PgStream, RangesIncrementAndChecksumsStayValid) {
  Stream st(
      parse("name b size 64 data { IP4: 02:00:00:00:00:01 -> 02:00:00:00:00:02 UDP: 10.0.0.1 -> "
            "10.1.0.250 - 10.1.1.5 UDP: 1000 - 1002 -> 53 }"));
  rte_mbuf* m[16];
  ASSERT_EQ(st.generate(eal().pool, m, 16, 0), 16u);
  for (int i = 0; i < 16; i++) {
    auto* ip = rte_pktmbuf_mtod_offset(m[i], rte_ipv4_hdr*, 14);
    EXPECT_EQ(rte_ipv4_cksum(ip), 0) << i;  // a correct header sums to 0xffff
    EXPECT_TRUE(udp_csum_ok(ip, [](auto* h, auto* l4) { return rte_ipv4_udptcp_cksum(h, l4); })) << i;
    uint32_t dst = rte_be_to_cpu_32(ip->dst_addr);
    uint32_t want = (10u << 24 | 1u << 16 | 250u) + uint32_t(i % 12);
    EXPECT_EQ(dst, want) << i;
    auto* udp = reinterpret_cast<rte_udp_hdr*>(ip + 1);
    EXPECT_EQ(rte_be_to_cpu_16(udp->src_port), 1000 + i % 3);
  }
  rte_pktmbuf_free_bulk(m, 16);
}

TEST(PgStream, VariableSizesRecomputeLengthsAndChecksums) {
  Stream st(
      parse("name c size 60-70 data { IP6: 02:00:00:00:00:01 -> 02:00:00:00:00:02 UDP: 2001:db8::1 -> "
            "2001:db8::10 - 2001:db8::20 random UDP: 1 -> 2 }"));
  rte_mbuf* m[22];
  ASSERT_EQ(st.generate(eal().pool, m, 22, 0), 22u);
  for (int i = 0; i < 22; i++) {
    EXPECT_EQ(m[i]->pkt_len, 62u + uint32_t(i % 9)) << i;  // template is 62 bytes long
    auto* ip6 = rte_pktmbuf_mtod_offset(m[i], rte_ipv6_hdr*, 14);
    EXPECT_EQ(rte_be_to_cpu_16(ip6->payload_len), m[i]->pkt_len - 54);
    EXPECT_TRUE(udp_csum_ok(ip6, [](auto* h, auto* l4) { return rte_ipv6_udptcp_cksum(h, l4); })) << i;
    EXPECT_GE(ip6->dst_addr[15], 0x10);
    EXPECT_LE(ip6->dst_addr[15], 0x20);
  }
  rte_pktmbuf_free_bulk(m, 22);
}

TEST(PgStream, Ipv6RangesVaryEveryWordThatDiffers) {
  Stream st(
      parse("name w size 64 data { IP6: 02:00:00:00:00:01 -> 02:00:00:00:00:02 UDP: 2001:db8::1 -> "
            "2a00:0:0:0:: - 2a00:ffff:ffff:0:: random UDP: 1 -> 2 }"));
  rte_mbuf* m[64];
  ASSERT_EQ(st.generate(eal().pool, m, 64, 0), 64u);
  std::set<uint32_t> w1;
  for (int i = 0; i < 64; i++) {
    auto* ip6 = rte_pktmbuf_mtod_offset(m[i], rte_ipv6_hdr*, 14);
    EXPECT_TRUE(udp_csum_ok(ip6, [](auto* h, auto* l4) { return rte_ipv6_udptcp_cksum(h, l4); })) << i;
    EXPECT_EQ(ip6->dst_addr[0], 0x2a);
    EXPECT_EQ(ip6->dst_addr[1], 0x00);
    uint32_t x;
    std::memcpy(&x, ip6->dst_addr + 4, 4);
    w1.insert(x);
    for (int b = 8; b < 16; b++) EXPECT_EQ(ip6->dst_addr[b], 0);
  }
  EXPECT_GT(w1.size(), 32u);  // the second word varies too
  rte_pktmbuf_free_bulk(m, 64);
}

TEST(PgStream, DestinationsFromAList) {
  std::string path = testing::TempDir() + "/dst.txt";
  FILE* f = std::fopen(path.c_str(), "w");
  std::fputs("# three destinations\n2001:db8:1::1\n2001:db8:2::2\n\n2a00::3\n", f);
  std::fclose(f);
  Stream st(parse("name l size 64 dst-list " + path +
                  " data { IP6: 02:00:00:00:00:01 -> 02:00:00:00:00:02 UDP: 2001:db8::1 -> 2001:db8::2 UDP: 1 -> 2 }"));
  EXPECT_NE(st.spec().text.find("dst-list " + path), std::string::npos);
  rte_mbuf* m[32];
  ASSERT_EQ(st.generate(eal().pool, m, 32, 0), 32u);
  std::set<std::string> seen;
  for (int i = 0; i < 32; i++) {
    auto* ip6 = rte_pktmbuf_mtod_offset(m[i], rte_ipv6_hdr*, 14);
    EXPECT_TRUE(udp_csum_ok(ip6, [](auto* h, auto* l4) { return rte_ipv6_udptcp_cksum(h, l4); })) << i;
    IpAddr a;
    a.v6 = true;
    std::memcpy(a.b.data(), ip6->dst_addr, 16);
    seen.insert(a.str());
  }
  EXPECT_EQ(seen, (std::set<std::string>{"2001:db8:1::1", "2001:db8:2::2", "2a00::3"}));
  rte_pktmbuf_free_bulk(m, 32);
  EXPECT_THROW(parse("name l dst-list /nonexistent data { IP6: 02:00:00:00:00:01 -> 02:00:00:00:00:02 }"), Error);
  f = std::fopen(path.c_str(), "w");
  std::fputs("10.0.0.1\n", f);
  std::fclose(f);
  EXPECT_THROW(parse("name l dst-list " + path +
                     " data { IP6: 02:00:00:00:00:01 -> 02:00:00:00:00:02 UDP: ::1 -> ::2 UDP: 1 -> 2 }"),
               Error);
}

TEST(PgStream, CountAndRateLimitGeneration) {
  Stream st(parse("name d size 64 count 10 data { IP4: 02:00:00:00:00:01 -> 02:00:00:00:00:02 }"));
  st.enabled = true;
  rte_mbuf* m[256];
  EXPECT_EQ(st.generate(eal().pool, m, 256, 0), 10u);
  rte_pktmbuf_free_bulk(m, 10);
  EXPECT_EQ(st.generate(eal().pool, m, 256, 0), 0u);
  EXPECT_FALSE(st.enabled);
}

TEST(PgStream, HexFrames) {
  auto s = parse("name e data { 020000000002020000000001 88b5 hex 0102 }");
  ASSERT_GE(s.tmpl.size(), 64u);
  EXPECT_EQ(s.tmpl[12], 0x88);
  EXPECT_EQ(s.tmpl[14], 0x01);
}

TEST(PgStream, BadSpecsAreRejected) {
  EXPECT_THROW(parse("name x data { IP4: 02:00:00:00:00:01 02:00:00:00:00:02 }"), Error);
  EXPECT_THROW(parse("name x data { UDP: 1 -> 2 }"), Error);
  EXPECT_THROW(parse("name x size 70-60 data { IP4: 02:00:00:00:00:01 -> 02:00:00:00:00:02 }"), Error);
  EXPECT_THROW(parse("name x size 5000 data { IP4: 02:00:00:00:00:01 -> 02:00:00:00:00:02 }"), Error);
  EXPECT_THROW(parse("name x data { IP4: 02:00:00:00:00:01 -> 02:00:00:00:00:02 UDP: 10.0.0.9 - 10.0.0.1 -> 1.1.1.1 }"),
               Error);
  EXPECT_THROW(parse("name x data { IP4: 02:00:00:00:00:01 -> 02:00:00:00:00:02"), Error);
}

}  // namespace
}  // namespace vp
