// ip4-lookup and ip4-rewrite (and the IPv6 pair) on whole vectors: under
// ECMP every packet leaves with the MAC of the next hop its flow hash picks,
// whatever mix of routes and next hops the vector holds. The rewrite nodes
// take a vector for one run when its first, middle and last packets share
// an adjacency, and the lookup reuses the last multi-bucket load-balance:
// both shortcuts must give what a packet-by-packet lookup gives.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <array>
#include <random>

#include "graph/feature.hpp"
#include "graph/registry.hpp"
#include "helpers.hpp"
#include "io/if_ops.hpp"
#include "io/ports/loopback/loopback.hpp"
#include "net/arp/neighbor.hpp"
#include "net/fib/adj.hpp"
#include "net/fib/fib.hpp"
#include "net/ip/ip_ops.hpp"
#include "net/ip4/ip4.hpp"
#include "net/ip6/ip6.hpp"

namespace vp {
namespace {

std::vector<std::array<uint8_t, 6>> g_dst_macs;

// Sits on the output arcs of the egress interface: records each packet's
// destination MAC, in order.
void capture(Thread&, NodeRt&, rte_mbuf** p, uint32_t n) {
  for (uint32_t i = 0; i < n; i++) {
    std::array<uint8_t, 6> mac;
    std::memcpy(mac.data(), rte_pktmbuf_mtod(p[i], const uint8_t*), 6);
    g_dst_macs.push_back(mac);
  }
  rte_pktmbuf_free_bulk(p, n);
}
NodeRegistration cap{{.name = "t-fwd-capture", .fn = capture}};
FeatureRegistration f4{{.arc = "ip4-output", .node = "t-fwd-capture"}};
FeatureRegistration f6{{.arc = "ip6-output", .node = "t-fwd-capture"}};

Mac hop_mac(int k) { return parse_mac(fmt::format("02:00:00:00:01:{:02x}", k)); }

// in (192.0.2.1/24, 2001:db8:c::1/64) -> out (198.51.100.1/24,
// 2001:db8:d::1/64) with eight neighbours; 203.0.113.0/24 and 2001:db8:e::/48
// over all eight, 203.0.113.64/26 and 2001:db8:e:4000::/50 over the last
// four, 203.0.113.128/25 and 2001:db8:e:8000::/49 via the first.
struct Net {
  uint32_t in = ops::create_loopback(parse_mac("02:00:00:00:0c:01"));
  uint32_t out = ops::create_loopback(parse_mac("02:00:00:00:0d:01"));
  Net() {
    ops::set_interface_address(in, parse_prefix("192.0.2.1/24"), false);
    ops::set_interface_address(in, parse_prefix("2001:db8:c::1/64"), false);
    ops::set_interface_address(out, parse_prefix("198.51.100.1/24"), false);
    ops::set_interface_address(out, parse_prefix("2001:db8:d::1/64"), false);
    ops::set_state(in, true);
    ops::set_state(out, true);
    for (int k = 0; k < 8; k++) {
      ops::neighbor_add(out, parse_ip(fmt::format("198.51.100.{}", 10 + k)), hop_mac(k));
      ops::neighbor_add(out, parse_ip(fmt::format("2001:db8:d::{}", 10 + k)), hop_mac(k));
      ops::route_add(via("203.0.113.0/24", fmt::format("198.51.100.{}", 10 + k)));
      ops::route_add(via("2001:db8:e::/48", fmt::format("2001:db8:d::{}", 10 + k)));
    }
    for (int k = 4; k < 8; k++) {  // a second multi-bucket load-balance
      ops::route_add(via("203.0.113.64/26", fmt::format("198.51.100.{}", 10 + k)));
      ops::route_add(via("2001:db8:e:4000::/50", fmt::format("2001:db8:d::{}", 10 + k)));
    }
    ops::route_add(via("203.0.113.128/25", "198.51.100.10"));
    ops::route_add(via("2001:db8:e:8000::/49", "2001:db8:d::10"));
    ops::set_feature(out, "ip4-output", "t-fwd-capture", true);
    ops::set_feature(out, "ip6-output", "t-fwd-capture", true);
  }
  ~Net() {
    ops::delete_interface(in);
    ops::delete_interface(out);
  }
  static ops::Route via(const char* pfx, const std::string& nh) {
    ops::Route r;
    r.prefix = parse_prefix(pfx);
    r.source = RouteSource::static_cli;
    RoutePath p;
    p.nh = parse_ip(nh);
    p.has_nh = true;
    r.path = p;
    return r;
  }
};

// The next hop (0-7) a destination's packet must leave by.
int expected_hop(const rte_mbuf* m, bool v6) {
  uint32_t d;
  if (v6) {
    auto* ip = rte_pktmbuf_mtod_offset(m, const rte_ipv6_hdr*, 14);
    d = lb_resolve(g_fib6[0].load()->lookup(ip6_key(ip->dst_addr)), flow_hash6(ip));
  } else {
    auto* ip = rte_pktmbuf_mtod_offset(m, const rte_ipv4_hdr*, 14);
    d = lb_resolve(g_fib4[0].load()->lookup(rte_be_to_cpu_32(ip->dst_addr)), flow_hash4(ip));
  }
  const Adj* a = adjs().get(Dpo::index(d));
  EXPECT_TRUE(a && Dpo::type(d) == DpoType::adj);
  return a ? a->rewrite[5] : -1;  // hop_mac(k)'s last byte
}

rte_mbuf* udp4(uint32_t in, uint32_t dst, uint16_t sport) {
  std::vector<uint8_t> b = test::eth(0x0800, 14 + 28);
  b[4] = 0x0c, b[5] = 0x01;  // to in's MAC
  auto* ip = reinterpret_cast<rte_ipv4_hdr*>(b.data() + 14);
  ip->version_ihl = 0x45;
  ip->total_length = rte_cpu_to_be_16(28);
  ip->time_to_live = 64;
  ip->next_proto_id = IPPROTO_UDP;
  ip->src_addr = rte_cpu_to_be_32(0xc0000209);  // 192.0.2.9
  ip->dst_addr = rte_cpu_to_be_32(dst);
  ip->hdr_checksum = rte_ipv4_cksum(ip);
  b[34] = uint8_t(sport >> 8), b[35] = uint8_t(sport);
  b[36] = 0x16, b[37] = 0x2e;
  return test::frame(b, in);
}

rte_mbuf* udp6(uint32_t in, uint16_t net, uint16_t host, uint16_t sport) {
  std::vector<uint8_t> b = test::eth(0x86dd, 14 + 48);
  b[4] = 0x0c, b[5] = 0x01;
  auto* ip = reinterpret_cast<rte_ipv6_hdr*>(b.data() + 14);
  ip->vtc_flow = RTE_BE32(0x60000000);
  ip->payload_len = rte_cpu_to_be_16(8);
  ip->proto = IPPROTO_UDP;
  ip->hop_limits = 64;
  std::memcpy(ip->src_addr, parse_ip("2001:db8:c::9").b.data(), 16);
  std::memcpy(ip->dst_addr, parse_ip("2001:db8:e::").b.data(), 16);
  ip->dst_addr[6] = uint8_t(net >> 8), ip->dst_addr[7] = uint8_t(net);
  ip->dst_addr[14] = uint8_t(host >> 8), ip->dst_addr[15] = uint8_t(host);
  b[54] = uint8_t(sport >> 8), b[55] = uint8_t(sport);
  return test::frame(b, in);
}

// Vectors of every shape: all on one route, all ECMP, ECMP with runs, and
// mixes where the first, middle and last packets share a next hop but others
// do not (the rewrite's "one run" guess is wrong for them).
void check(bool v6) {
  Net net;
  std::mt19937 rng(v6 ? 6 : 4);
  for (int round = 0; round < 40; round++) {
    uint32_t n = 1 + rng() % 256;
    int shape = round % 4;
    std::vector<rte_mbuf*> v;
    for (uint32_t i = 0; i < n; i++) {
      bool single = shape == 0 || (shape == 3 && (i == 0 || i == n / 2 || i == n - 1 || rng() % 2));
      // Shape 2: runs of eight packets of one flow.
      uint32_t r = shape == 2 ? i / 8 * 2654435761u : rng();
      uint16_t sport = uint16_t(r >> 16);
      if (v6)
        v.push_back(udp6(net.in, single ? 0x8000 | uint16_t(r) : uint16_t(r & 0x7fff), uint16_t(r >> 3), sport));
      else
        v.push_back(udp4(net.in, single ? 0xcb007180 | (r & 0x7f) : 0xcb007100 | (r & 0x7f), sport));
    }
    std::vector<int> want;
    for (auto* m : v) want.push_back(expected_hop(m, v6));
    g_dst_macs.clear();
    test::T().enqueue(Registry::get().id("ethernet-input"), v.data(), n);
    test::T().run_pending();
    ASSERT_EQ(g_dst_macs.size(), n) << "round " << round;
    for (uint32_t i = 0; i < n; i++) {
      ASSERT_EQ(g_dst_macs[i][5], want[i]) << "round " << round << " packet " << i;
      ASSERT_EQ(g_dst_macs[i][4], 0x01);
    }
  }
}

// ECMP where one next hop is not resolved: packets whose bucket is that
// one go to the resolver (ip4-rewrite sends an incomplete adjacency there),
// and the rest of the vector, before and after them, still leaves by the
// buckets' next hops in order. Once the next hop resolves, the held packets
// leave by it.
TEST(IpForward, EcmpBucketWithoutANeighbourGoesToTheResolver) {
  Net net;
  for (int k = 0; k < 4; k++) ops::route_add(Net::via("203.0.112.0/24", fmt::format("198.51.100.{}", 10 + k)));
  ops::route_add(Net::via("203.0.112.0/24", "198.51.100.99"));  // no neighbour yet
  std::mt19937 rng(99);
  std::vector<rte_mbuf*> v;
  std::vector<int> want;
  uint32_t unresolved = 0;
  for (int i = 0; i < 200; i++) {
    rte_mbuf* m = udp4(net.in, 0xcb007000 | (rng() & 0xff), uint16_t(rng()));
    auto* ip = rte_pktmbuf_mtod_offset(m, const rte_ipv4_hdr*, 14);
    const uint32_t d = lb_resolve(g_fib4[0].load()->lookup(rte_be_to_cpu_32(ip->dst_addr)), flow_hash4(ip));
    const Adj* a = adjs().get(Dpo::index(d));
    ASSERT_TRUE(a && Dpo::type(d) == DpoType::adj);
    if (a->complete)
      want.push_back(a->rewrite[5]);
    else
      unresolved++;
    v.push_back(m);
  }
  ASSERT_GT(unresolved, 10u);
  g_dst_macs.clear();
  test::T().enqueue(Registry::get().id("ethernet-input"), v.data(), uint32_t(v.size()));
  test::T().run_pending();
  ASSERT_EQ(g_dst_macs.size(), want.size());
  for (size_t i = 0; i < want.size(); i++) ASSERT_EQ(g_dst_macs[i][5], want[i]) << "packet " << i;
  neighbors().set(net.out, parse_ip("198.51.100.99"), hop_mac(9), false);
  test::T().loop_once();  // ip-neighbor-wait releases what it held
  test::T().run_pending();
  ASSERT_GT(g_dst_macs.size(), want.size());
  for (size_t i = want.size(); i < g_dst_macs.size(); i++) EXPECT_EQ(g_dst_macs[i][5], 9);
}

TEST(IpForward, Ip4EveryPacketLeavesByItsOwnNextHop) { check(false); }
TEST(IpForward, Ip6EveryPacketLeavesByItsOwnNextHop) { check(true); }

}  // namespace
}  // namespace vp
