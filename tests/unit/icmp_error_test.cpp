// ip4-icmp-error and ip6-icmp-error on their own: the error's headers,
// quote and checksum, what never gets an error, and the rate limit. The
// node's lookup next is pointed at a capture node for each test.
#include "net/ip/icmp_error.hpp"

#include <gtest/gtest.h>

#include "graph/registry.hpp"
#include "helpers.hpp"
#include "io/if_ops.hpp"
#include "io/ports/loopback/loopback.hpp"
#include "net/ip/ip_ops.hpp"
#include "net/ip4/ip4.hpp"
#include "net/ip6/ip6.hpp"

namespace vp {
namespace {

std::vector<std::vector<uint8_t>> g_captured;
std::vector<uint8_t> g_captured_flags;

void capture(Thread&, NodeRt&, rte_mbuf** p, uint32_t n) {
  for (uint32_t i = 0; i < n; i++) {
    const uint8_t* d = rte_pktmbuf_mtod(p[i], const uint8_t*);
    g_captured.emplace_back(d, d + p[i]->data_len);
    g_captured_flags.push_back(meta(p[i]).flags);
  }
  rte_pktmbuf_free_bulk(p, n);
}
NodeRegistration cap{{.name = "test-icmp-capture", .fn = capture}};

// Runs `node` on packets (L3 at offset 14, asking for type/code/param)
// with its lookup next sent to the capture node; returns the drops.
struct ErrorNode {
  NodeRt& rt;
  const NodeId* saved;
  NodeId nx[2];
  explicit ErrorNode(const char* node) : rt(test::T().node(Registry::get().id(node))), saved(rt.next) {
    nx[kIcmpErrorLookup] = Registry::get().id("test-icmp-capture");
    nx[kIcmpErrorDrop] = saved[kIcmpErrorDrop];
    rt.next = nx;
    g_captured.clear();
    g_captured_flags.clear();
  }
  ~ErrorNode() { rt.next = saved; }
  uint64_t count(uint16_t code) const { return test::T().error_count(uint16_t(rt.error_base + code)); }
  void run(std::vector<rte_mbuf*> v, uint8_t type, uint8_t code, uint32_t param = 0) {
    for (rte_mbuf* m : v) {
      meta(m).l3_off = 14;
      want_icmp(m, type, code, param);
    }
    test::T().enqueue(rt.id, v.data(), uint32_t(v.size()));
    test::T().run_pending();
  }
};

rte_mbuf* ip4_packet(uint32_t rx_if, const char* src, const char* dst, uint8_t proto, size_t len,
                     uint8_t first_payload_byte = 0) {
  std::vector<uint8_t> b = test::eth(0x0800, 14 + len);
  auto* ip = reinterpret_cast<rte_ipv4_hdr*>(b.data() + 14);
  ip->version_ihl = 0x45;
  ip->total_length = rte_cpu_to_be_16(uint16_t(len));
  ip->time_to_live = 1;
  ip->next_proto_id = proto;
  std::memcpy(&ip->src_addr, parse_ip(src).b.data(), 4);
  std::memcpy(&ip->dst_addr, parse_ip(dst).b.data(), 4);
  ip->hdr_checksum = rte_ipv4_cksum(ip);
  b[34] = first_payload_byte;
  return test::frame(b, rx_if);
}

rte_mbuf* ip6_packet(uint32_t rx_if, const char* src, const char* dst, uint8_t proto, size_t len,
                     uint8_t first_payload_byte = 0) {
  std::vector<uint8_t> b = test::eth(0x86dd, 14 + len);
  auto* ip = reinterpret_cast<rte_ipv6_hdr*>(b.data() + 14);
  ip->vtc_flow = RTE_BE32(0x60000000);
  ip->payload_len = rte_cpu_to_be_16(uint16_t(len - 40));
  ip->proto = proto;
  ip->hop_limits = 1;
  std::memcpy(ip->src_addr, parse_ip(src).b.data(), 16);
  std::memcpy(ip->dst_addr, parse_ip(dst).b.data(), 16);
  b[54] = first_payload_byte;
  return test::frame(b, rx_if);
}

struct Iface {
  uint32_t sw_if = ops::create_loopback(parse_mac("02:00:00:00:0c:01"));
  Iface() {
    ops::set_interface_address(sw_if, parse_prefix("192.0.2.1/24"), false);
    ops::set_interface_address(sw_if, parse_prefix("2001:db8:c::1/64"), false);
    ops::set_state(sw_if, true);
  }
  ~Iface() { ops::delete_interface(sw_if); }
};

TEST(IcmpError, Ip4ErrorQuotesTheOriginalWithin576BytesFromTheInterfaceAddress) {
  Iface in;
  ErrorNode node("ip4-icmp-error");
  uint64_t sent = node.count(kIcmpErrorSent);
  node.run({ip4_packet(in.sw_if, "192.0.2.9", "198.51.100.7", IPPROTO_UDP, 1000)}, 3, 4, 1400);
  ASSERT_EQ(g_captured.size(), 1u);
  EXPECT_EQ(node.count(kIcmpErrorSent), sent + 1);
  const std::vector<uint8_t>& e = g_captured[0];
  ASSERT_EQ(e.size(), 576u);
  auto* ip = reinterpret_cast<const rte_ipv4_hdr*>(e.data());
  EXPECT_EQ(rte_be_to_cpu_16(ip->total_length), 576);
  EXPECT_EQ(ip->next_proto_id, IPPROTO_ICMP);
  EXPECT_EQ(rte_ipv4_cksum(ip), 0);  // checksum over a header that carries it
  EXPECT_EQ(std::memcmp(&ip->src_addr, parse_ip("192.0.2.1").b.data(), 4), 0);
  EXPECT_EQ(std::memcmp(&ip->dst_addr, parse_ip("192.0.2.9").b.data(), 4), 0);
  EXPECT_EQ(e[20], 3);
  EXPECT_EQ(e[21], 4);
  EXPECT_EQ(e[26] << 8 | e[27], 1400);                         // next-hop MTU
  EXPECT_EQ(uint16_t(~rte_raw_cksum(e.data() + 20, 556)), 0);  // ICMP checksum verifies
  auto* quoted = reinterpret_cast<const rte_ipv4_hdr*>(e.data() + 28);
  EXPECT_EQ(std::memcmp(&quoted->dst_addr, parse_ip("198.51.100.7").b.data(), 4), 0);
}

TEST(IcmpError, Ip4NeverAnswersErrorsBroadcastSourcesOrLaterFragments) {
  Iface in;
  ErrorNode node("ip4-icmp-error");
  uint64_t refused = node.count(kIcmpErrorNotAllowed);
  rte_mbuf* frag = ip4_packet(in.sw_if, "192.0.2.9", "198.51.100.7", IPPROTO_UDP, 100);
  auto* fip = rte_pktmbuf_mtod_offset(frag, rte_ipv4_hdr*, 14);
  fip->fragment_offset = rte_cpu_to_be_16(100);
  node.run({ip4_packet(in.sw_if, "192.0.2.9", "198.51.100.7", IPPROTO_ICMP, 100, 3),  // an error itself
            ip4_packet(in.sw_if, "224.0.0.5", "198.51.100.7", IPPROTO_UDP, 100), frag},
           11, 0);
  EXPECT_TRUE(g_captured.empty());
  EXPECT_EQ(node.count(kIcmpErrorNotAllowed), refused + 3);
  // An echo request is not an error: it gets one.
  node.run({ip4_packet(in.sw_if, "192.0.2.9", "198.51.100.7", IPPROTO_ICMP, 100, 8)}, 11, 0);
  EXPECT_EQ(g_captured.size(), 1u);
}

TEST(IcmpError, RateLimitedPerThread) {
  Iface in;
  ErrorNode node("ip4-icmp-error");
  uint32_t rate = g_icmp_rate.load();
  g_icmp_rate = 10;  // a burst of rate/10 + 1 = 2
  test::T().run_pending();
  static_cast<IcmpBucket*>(node.rt.state)->tokens = 0;
  static_cast<IcmpBucket*>(node.rt.state)->last = 0;  // the next refill fills the bucket
  uint64_t limited = node.count(kIcmpErrorRateLimited);
  std::vector<rte_mbuf*> v;
  for (int i = 0; i < 5; i++) v.push_back(ip4_packet(in.sw_if, "192.0.2.9", "198.51.100.7", IPPROTO_UDP, 100));
  node.run(v, 11, 0);
  g_icmp_rate = rate;
  EXPECT_EQ(g_captured.size(), 2u);
  EXPECT_EQ(node.count(kIcmpErrorRateLimited), limited + 3);
}

TEST(IcmpError, Ip6PacketTooBigFitsIn1280BytesAndIsOurOwn) {
  Iface in;
  ErrorNode node("ip6-icmp-error");
  node.run({ip6_packet(in.sw_if, "2001:db8:c::9", "2001:db8:7::7", IPPROTO_UDP, 1500)}, 2, 0, 1400);
  ASSERT_EQ(g_captured.size(), 1u);
  const std::vector<uint8_t>& e = g_captured[0];
  ASSERT_EQ(e.size(), 1280u);
  auto* ip = reinterpret_cast<const rte_ipv6_hdr*>(e.data());
  EXPECT_EQ(rte_be_to_cpu_16(ip->payload_len), 1240);
  EXPECT_EQ(std::memcmp(ip->src_addr, parse_ip("2001:db8:c::1").b.data(), 16), 0);
  EXPECT_EQ(std::memcmp(ip->dst_addr, parse_ip("2001:db8:c::9").b.data(), 16), 0);
  EXPECT_EQ(e[40], 2);
  EXPECT_EQ(uint32_t(e[44] << 24 | e[45] << 16 | e[46] << 8 | e[47]), 1400u);  // MTU
  uint16_t c = ip6_l4_cksum(ip, e.data() + 40);
  EXPECT_TRUE(c == 0 || c == 0xffff);
  EXPECT_TRUE(g_captured_flags[0] & kLocalOrigin);
  // From a link-local source, the answer comes from our link-local address.
  node.run({ip6_packet(in.sw_if, "fe80::9", "2001:db8:7::7", IPPROTO_UDP, 100)}, 3, 0);
  ASSERT_EQ(g_captured.size(), 2u);
  auto* ll = reinterpret_cast<const rte_ipv6_hdr*>(g_captured[1].data());
  EXPECT_EQ(std::memcmp(ll->src_addr, ifs().at(in.sw_if)->ip6_ll.b.data(), 16), 0);
}

TEST(IcmpError, Ip6NeverAnswersErrorsOrMulticastSources) {
  Iface in;
  ErrorNode node("ip6-icmp-error");
  uint64_t refused = node.count(kIcmpErrorNotAllowed);
  node.run({ip6_packet(in.sw_if, "2001:db8:c::9", "2001:db8:7::7", IPPROTO_ICMPV6, 100, 1),  // an error itself
            ip6_packet(in.sw_if, "ff02::1", "2001:db8:7::7", IPPROTO_UDP, 100),
            ip6_packet(in.sw_if, "::", "2001:db8:7::7", IPPROTO_UDP, 100),
            ip6_packet(in.sw_if, "2001:db8:c::9", "ff02::5", IPPROTO_UDP, 100)},  // not "too big": refused
           1, 0);
  EXPECT_TRUE(g_captured.empty());
  EXPECT_EQ(node.count(kIcmpErrorNotAllowed), refused + 4);
  // Packet too big is the one error a multicast destination gets.
  node.run({ip6_packet(in.sw_if, "2001:db8:c::9", "ff02::5", IPPROTO_UDP, 1500)}, 2, 0, 1280);
  EXPECT_EQ(g_captured.size(), 1u);
}

}  // namespace
}  // namespace vp
