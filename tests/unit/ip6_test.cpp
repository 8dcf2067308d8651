// IPv6: the FIB with link-local tables, ND through the graph (solicitation
// answered, advertisement learned, a held packet released once its next hop
// resolves), ICMPv6 checksums and the symmetric flow hash.
#include "net/ip6/ip6.hpp"

#include <gtest/gtest.h>

#include "graph/registry.hpp"
#include "helpers.hpp"
#include "io/if_ops.hpp"
#include "io/interface.hpp"
#include "io/ports/loopback/loopback.hpp"
#include "io/ports/null_sink/null_sink.hpp"
#include "net/arp/neighbor.hpp"
#include "net/fib/adj.hpp"
#include "net/fib/fib.hpp"
#include "net/ip/ip_ops.hpp"
#include "net/ip6/nd_packet.hpp"

namespace vp {
namespace {

uint32_t resolve6(const char* a, uint32_t fib = 0) {
  IpAddr x = parse_ip(a);
  return lb_resolve(g_fib6[fib].load()->lookup(ip6_key(x.b.data())), 0);
}

uint64_t err(const char* node, uint16_t code) {
  auto& reg = Registry::get();
  return test::T().error_count(reg.error_id(reg.id(node), code));
}

void feed(rte_mbuf* m) {
  test::T().enqueue(Registry::get().id("ethernet-input"), &m, 1);
  test::T().run_pending();
}

// Two routed interfaces: a loopback (2001:db8:1::1/64) and a null sink that
// counts what leaves on it (2001:db8:2::1/64).
struct Net6 {
  uint32_t a, b;
  Net6() {
    a = ops::create_loopback(parse_mac("02:00:00:00:0a:01"));
    b = ops::create_null_sink(50);
    ops::set_interface_address(a, parse_prefix("2001:db8:1::1/64"), false);
    ops::set_interface_address(b, parse_prefix("2001:db8:2::1/64"), false);
    ops::set_state(a, true);
    ops::set_state(b, true);
  }
  ~Net6() {
    ops::delete_interface(a);
    ops::delete_interface(b);
  }
};

// An ICMPv6 frame to `to_mac` with a correct checksum.
rte_mbuf* icmp6_frame(uint32_t rx_if, const Mac& to_mac, const char* src, const char* dst, std::vector<uint8_t> icmp,
                      uint8_t hlim = 255) {
  std::vector<uint8_t> b(14 + 40 + icmp.size(), 0);
  std::memcpy(b.data(), to_mac.b.data(), 6);
  uint8_t smac[6] = {0x02, 0, 0, 0, 0x0b, 0x0b};
  std::memcpy(b.data() + 6, smac, 6);
  b[12] = 0x86, b[13] = 0xdd;
  auto* ip = reinterpret_cast<rte_ipv6_hdr*>(b.data() + 14);
  ip->vtc_flow = RTE_BE32(0x60000000);
  ip->payload_len = rte_cpu_to_be_16(uint16_t(icmp.size()));
  ip->proto = IPPROTO_ICMPV6;
  ip->hop_limits = hlim;
  std::memcpy(ip->src_addr, parse_ip(src).b.data(), 16);
  std::memcpy(ip->dst_addr, parse_ip(dst).b.data(), 16);
  std::memcpy(b.data() + 54, icmp.data(), icmp.size());
  uint16_t c = ip6_l4_cksum(ip, b.data() + 54);
  std::memcpy(b.data() + 56, &c, 2);
  rte_mbuf* m = test::frame(b, rx_if);
  return m;
}

std::vector<uint8_t> nd_msg(uint8_t type, const char* target, uint8_t opt_type, uint8_t flags = 0) {
  std::vector<uint8_t> v(32, 0);
  v[0] = type;
  v[4] = flags;
  std::memcpy(v.data() + 8, parse_ip(target).b.data(), 16);
  v[24] = opt_type;
  v[25] = 1;
  uint8_t mac[6] = {0x02, 0, 0, 0, 0x0b, 0x0b};
  std::memcpy(v.data() + 26, mac, 6);
  return v;
}

TEST(Ip6, LinkLocalAddressComesFromTheMacAndHasItsOwnTable) {
  Net6 n;
  Interface* a = ifs().at(n.a);
  EXPECT_EQ(a->ip6_ll.str(), "fe80::ff:fe00:a01");
  EXPECT_EQ(ops::link_local_from_mac(parse_mac("52:54:00:12:34:56")).str(), "fe80::5054:ff:fe12:3456");
  EXPECT_EQ(Dpo::type(resolve6("fe80::ff:fe00:a01", a->fib6_ll)), DpoType::local);
  EXPECT_EQ(Dpo::type(resolve6("fe80::1", a->fib6_ll)), DpoType::glean);
  EXPECT_EQ(Dpo::type(resolve6("fe80::ff:fe00:a01", 0)), DpoType::unreach);  // not in the global table
  // A link-local neighbour gets its host route in the link-local table only.
  neighbors().set(n.a, parse_ip("fe80::7"), parse_mac("02:00:00:00:00:07"), true);
  uint32_t d = resolve6("fe80::7", a->fib6_ll);
  ASSERT_EQ(Dpo::type(d), DpoType::adj);
  EXPECT_TRUE(adjs().get(Dpo::index(d))->complete);
  EXPECT_EQ(Dpo::type(resolve6("fe80::7", 0)), DpoType::unreach);
  // Removing the last global address keeps IPv6 only when enabled by command.
  ops::set_interface_address(n.a, parse_prefix("2001:db8:1::1/64"), true);
  EXPECT_FALSE(ifs().at(n.a)->ip6_on);
  EXPECT_EQ(neighbors().find(n.a, parse_ip("fe80::7")), nullptr);
  ops::ip6_enable(n.a, true);
  EXPECT_TRUE(ifs().at(n.a)->ip6_on);
  EXPECT_THROW(ops::set_interface_address(n.a, parse_prefix("fe80::9/64"), false), Error);
}

TEST(Ip6, RecursiveAndLinkLocalNextHops) {
  Net6 n;
  ops::Route r;
  r.prefix = parse_prefix("2001:db8:ff::/48");
  RoutePath p;
  p.nh = parse_ip("2001:db8:2::20");
  p.has_nh = true;
  r.path = p;
  ops::route_add(r);
  ops::Route c;
  c.prefix = parse_prefix("2001:db8:70::/48");
  p.nh = parse_ip("2001:db8:ff::1");
  c.path = p;
  ops::route_add(c);
  uint32_t d = resolve6("2001:db8:70::5");
  ASSERT_EQ(Dpo::type(d), DpoType::adj);
  EXPECT_EQ(adjs().get(Dpo::index(d))->sw_if, n.b);
  // The parent moves: the child follows.
  ops::route_del(r);
  r.path->nh = parse_ip("2001:db8:1::30");
  ops::route_add(r);
  EXPECT_EQ(adjs().get(Dpo::index(resolve6("2001:db8:70::5")))->sw_if, n.a);
  // A link-local next hop needs its interface.
  ops::Route ll;
  ll.prefix = parse_prefix("2001:db8:71::/48");
  p.nh = parse_ip("fe80::1");
  ll.path = p;
  EXPECT_THROW(ops::route_add(ll), Error);
  ll.path->sw_if = n.b;
  ops::route_add(ll);
  d = resolve6("2001:db8:71::1");
  EXPECT_EQ(adjs().get(Dpo::index(d))->nh.str(), "fe80::1");
  // Families never mix.
  ll.path->nh = parse_ip("10.0.0.1");
  EXPECT_THROW(ops::route_add(ll), Error);
  ops::route_del(c);
  ops::route_del(r);
}

TEST(Ip6, SolicitationIsAnsweredAndAdvertisementLearned) {
  Net6 n;
  Mac bmac = ifs().at(n.b)->mac;
  ifs().clear_counters();
  uint64_t answered = err("ip6-nd-input", 2), invalid = err("ip6-nd-input", 0);
  feed(icmp6_frame(n.b, parse_mac("33:33:ff:00:00:01"), "2001:db8:2::9", "ff02::1:ff00:1",
                   nd_msg(135, "2001:db8:2::1", 1)));
  EXPECT_EQ(err("ip6-nd-input", 2), answered + 1);
  EXPECT_EQ(ifs().counters(n.b).tx_packets, 1u);  // the advertisement
  // A solicitation with hop limit 64 did not come from the link: invalid.
  feed(icmp6_frame(n.b, parse_mac("33:33:ff:00:00:01"), "2001:db8:2::9", "ff02::1:ff00:1",
                   nd_msg(135, "2001:db8:2::1", 1), 64));
  EXPECT_EQ(err("ip6-nd-input", 0), invalid + 1);
  neighbors().poll(0);  // apply what the worker learned from the solicitation
  ASSERT_NE(neighbors().find(n.b, parse_ip("2001:db8:2::9")), nullptr);
  // An advertisement teaches the target's MAC.
  feed(icmp6_frame(n.b, bmac, "2001:db8:2::10", "2001:db8:2::1", nd_msg(136, "2001:db8:2::10", 2, 0x60)));
  neighbors().poll(0);
  const Mac* m = neighbors().find(n.b, parse_ip("2001:db8:2::10"));
  ASSERT_NE(m, nullptr);
  EXPECT_EQ(m->str(), "02:00:00:00:0b:0b");
  EXPECT_EQ(Dpo::type(resolve6("2001:db8:2::10")), DpoType::adj);
}

TEST(Ip6, HeldPacketLeavesOnceItsNextHopResolves) {
  Net6 n;
  ifs().clear_counters();
  uint64_t sent = err("ip6-nd", 0);
  Mac amac = ifs().at(n.a)->mac;
  std::vector<uint8_t> echo = {128, 0, 0, 0, 0, 1, 0, 1};
  feed(icmp6_frame(n.a, amac, "2001:db8:1::5", "2001:db8:2::77", echo, 64));
  EXPECT_EQ(err("ip6-nd", 0), sent + 1);          // a solicitation went out on b
  EXPECT_EQ(ifs().counters(n.b).tx_packets, 1u);  // ... and only that
  neighbors().set(n.b, parse_ip("2001:db8:2::77"), parse_mac("02:00:00:00:00:77"), false);
  test::T().loop_once();  // ip-neighbor-wait releases it
  test::T().run_pending();
  EXPECT_EQ(ifs().counters(n.b).tx_packets, 2u);
}

TEST(Ip6, SolicitationFrameChecksumVerifies) {
  uint8_t ll[16], tgt[16];
  std::memcpy(ll, parse_ip("fe80::1").b.data(), 16);
  std::memcpy(tgt, parse_ip("2001:db8::5").b.data(), 16);
  rte_mbuf* m = ns_frame(parse_mac("02:00:00:00:00:01"), ll, tgt, 0);
  auto* ip = rte_pktmbuf_mtod_offset(m, rte_ipv6_hdr*, 14);
  uint16_t c = ip6_l4_cksum(ip, ip + 1);
  EXPECT_TRUE(c == 0 || c == 0xffff);
  auto* eh = rte_pktmbuf_mtod(m, uint8_t*);
  uint8_t want[6] = {0x33, 0x33, 0xff, 0, 0, 5};
  EXPECT_EQ(std::memcmp(eh, want, 6), 0);  // solicited-node group
  EXPECT_EQ(parse_ip("ff02::1:ff00:5"), [&] {
    IpAddr a;
    a.v6 = true;
    std::memcpy(a.b.data(), ip->dst_addr, 16);
    return a;
  }());
  rte_pktmbuf_free(m);
}

TEST(Ip6, FlowHashIsSymmetric) {
  uint8_t f[48] = {}, r[48] = {};
  auto mk = [](uint8_t* b, const char* s, const char* d, uint16_t sp, uint16_t dp) {
    auto* h = reinterpret_cast<rte_ipv6_hdr*>(b);
    h->proto = IPPROTO_UDP;
    std::memcpy(h->src_addr, parse_ip(s).b.data(), 16);
    std::memcpy(h->dst_addr, parse_ip(d).b.data(), 16);
    uint16_t p[2] = {rte_cpu_to_be_16(sp), rte_cpu_to_be_16(dp)};
    std::memcpy(b + 40, p, 4);
    return h;
  };
  auto* a = mk(f, "2001:db8::1", "2001:db8:9::2", 1234, 53);
  auto* b = mk(r, "2001:db8:9::2", "2001:db8::1", 53, 1234);
  EXPECT_EQ(flow_hash6(a), flow_hash6(b));
  b = mk(r, "2001:db8:9::2", "2001:db8::1", 53, 1235);
  EXPECT_NE(flow_hash6(a), flow_hash6(b));
}

}  // namespace
}  // namespace vp
