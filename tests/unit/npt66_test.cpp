// NPTv6 (RFC 6296): the translation itself (the RFC's example, checksum
// neutrality over random prefixes, addresses and payloads, prefixes longer
// than /48, the 0xFFFF words, round trips), then npt66-in and npt66-out on
// the real graph: an inside and an outside loopback, packets in through
// ethernet-input, what leaves either interface captured on its output arc
// after npt66-out. The commands' errors, show npt66, the running config,
// the firewall seeing internal addresses, and interface deletion.
#include "features/npt66/npt66.hpp"

#include <gtest/gtest.h>
#include <rte_ip.h>
#include <rte_tcp.h>
#include <rte_udp.h>

#include <algorithm>
#include <nlohmann/json.hpp>
#include <random>

#include "control/cli.hpp"
#include "features/fw/fw_runtime.hpp"
#include "features/npt66/npt66_ops.hpp"
#include "graph/feature.hpp"
#include "graph/registry.hpp"
#include "helpers.hpp"
#include "io/if_ops.hpp"
#include "io/interface.hpp"
#include "io/ports/loopback/loopback.hpp"
#include "net/ip/ip_ops.hpp"
#include "net/ip6/ip6.hpp"

namespace vp {
namespace {

using npt66::Map;
using npt66::Result;

std::array<uint8_t, 16> addr(const char* s) { return parse_ip(s).b; }
std::string text(const uint8_t* a) {
  IpAddr x;
  x.v6 = true;
  std::memcpy(x.b.data(), a, 16);
  return x.str();
}
uint64_t first64(const char* s) {
  uint64_t v;
  std::memcpy(&v, addr(s).data(), 8);
  return rte_be_to_cpu_64(v);
}
// Both directions of a binding, as the control plane builds them.
std::pair<Map, Map> maps(const char* internal, const char* external, unsigned len) {
  return {npt66::make_map(first64(internal), first64(external), len),
          npt66::make_map(first64(external), first64(internal), len)};
}
uint16_t sum16(const uint8_t* a) {
  uint32_t s = 0;
  for (int i = 0; i < 16; i += 2) s += uint32_t(a[i]) << 8 | a[i + 1];
  while (s >> 16) s = (s & 0xffff) + (s >> 16);
  return uint16_t(s);
}

TEST(Npt66, Rfc6296Example) {
  auto [out, in] = maps("fd01:203:405::", "2001:db8:1::", 48);
  EXPECT_EQ(rte_be_to_cpu_16(out.adj), 0xd54f);
  auto a = addr("fd01:203:405:1::1234");
  ASSERT_EQ(npt66::translate(out, a.data()), Result::kTranslated);
  EXPECT_EQ(text(a.data()), "2001:db8:1:d550::1234");
  ASSERT_EQ(npt66::translate(in, a.data()), Result::kTranslated);
  EXPECT_EQ(text(a.data()), "fd01:203:405:1::1234");
  auto other = addr("fd01:203:406:1::1234");
  EXPECT_EQ(npt66::translate(out, other.data()), Result::kNoMatch);
  EXPECT_EQ(text(other.data()), "fd01:203:406:1::1234");
}

// Every subnet but 0xFFFF maps to a distinct subnet that is never 0xFFFF,
// and back: the mapping is one to one.
TEST(Npt66, SubnetWordIsABijectionWithoutFfff) {
  auto [out, in] = maps("fd01:203:405::", "2001:db8:1::", 48);
  std::vector<bool> seen(65536);
  for (uint32_t s = 0; s < 0xffff; s++) {
    auto a = addr("fd01:203:405::7");
    a[6] = uint8_t(s >> 8), a[7] = uint8_t(s);
    ASSERT_EQ(npt66::translate(out, a.data()), Result::kTranslated);
    const uint16_t t = uint16_t(a[6] << 8 | a[7]);
    ASSERT_NE(t, 0xffff) << s;
    ASSERT_FALSE(seen[t]) << s;
    seen[t] = true;
    ASSERT_EQ(npt66::translate(in, a.data()), Result::kTranslated);
    ASSERT_EQ(uint32_t(a[6] << 8 | a[7]), s);
  }
  auto ffff = addr("fd01:203:405:ffff::7");
  EXPECT_EQ(npt66::translate(out, ffff.data()), Result::kNoMapping);
  EXPECT_EQ(text(ffff.data()), "fd01:203:405:ffff::7");  // left as it was
  auto ext_ffff = addr("2001:db8:1:ffff::7");
  EXPECT_EQ(npt66::translate(in, ext_ffff.data()), Result::kNoMapping);
}

// Longer than /48: the first word of the interface identifier that is not
// 0xFFFF takes the adjustment; all four 0xFFFF has no mapping.
TEST(Npt66, LongerPrefixesAdjustTheFirstIidWordNotFfff) {
  auto [out, in] = maps("fd01:203:405:600::", "2001:db8:1:f00::", 56);
  auto a = addr("fd01:203:405:6ab:1:2:3:4");
  const uint16_t before = sum16(a.data());
  ASSERT_EQ(npt66::translate(out, a.data()), Result::kTranslated);
  EXPECT_TRUE(text(a.data()).starts_with("2001:db8:1:fab:")) << text(a.data());
  EXPECT_EQ(a[10], 0) << "words after the first are untouched";
  EXPECT_EQ(a[11], 2);
  EXPECT_EQ(sum16(a.data()), before);
  auto b = addr("fd01:203:405:6ab:ffff:ffff:3:4");
  ASSERT_EQ(npt66::translate(out, b.data()), Result::kTranslated);
  EXPECT_EQ(b[8], 0xff);
  EXPECT_EQ(b[9], 0xff);
  EXPECT_EQ(b[10], 0xff);
  EXPECT_EQ(b[11], 0xff);
  EXPECT_FALSE(b[12] == 0 && b[13] == 3) << "the third word takes it";
  ASSERT_EQ(npt66::translate(in, b.data()), Result::kTranslated);
  EXPECT_EQ(text(b.data()), "fd01:203:405:6ab:ffff:ffff:3:4");
  auto c = addr("fd01:203:405:6ab:ffff:ffff:ffff:ffff");
  EXPECT_EQ(npt66::translate(out, c.data()), Result::kNoMapping);
  // The subnet's last byte (bits 56..63) is the address's own.
  auto d = addr("fd01:203:405:7ab::1");
  EXPECT_EQ(npt66::translate(out, d.data()), Result::kNoMatch);
}

// A prefix ending inside a byte: the bits past it are the address's own.
TEST(Npt66, PrefixesNotOnByteBoundaries) {
  auto [out, in] = maps("fd00:8000:1000::", "2001:db8:f000::", 36);
  auto a = addr("fd00:8000:1abc:5678::9");
  ASSERT_EQ(npt66::translate(out, a.data()), Result::kTranslated);
  EXPECT_TRUE(text(a.data()).starts_with("2001:db8:fabc:")) << text(a.data());
  ASSERT_EQ(npt66::translate(in, a.data()), Result::kTranslated);
  EXPECT_EQ(text(a.data()), "fd00:8000:1abc:5678::9");
  auto b = addr("fd00:8000:2abc:5678::9");
  EXPECT_EQ(npt66::translate(out, b.data()), Result::kNoMatch);
}

// Prefixes of different lengths are extended with zeros to the longer.
TEST(Npt66, DifferentLengthsTranslateAtTheLonger) {
  auto [out, in] = maps("fd01:203:405::", "2001:db8:1:100::", 56);
  auto a = addr("fd01:203:405:42::1");
  ASSERT_EQ(npt66::translate(out, a.data()), Result::kTranslated);
  EXPECT_TRUE(text(a.data()).starts_with("2001:db8:1:142:")) << text(a.data());
  auto b = addr("fd01:203:405:142::1");  // outside the internal /48 extended to /56
  EXPECT_EQ(npt66::translate(out, b.data()), Result::kNoMatch);
}

// Random prefixes of every length, random addresses in them and random
// payloads: a TCP or UDP checksum computed before the translation still
// verifies after it, and the way back gives the address again.
TEST(Npt66, ChecksumNeutralAndRoundTripOverRandomPacketsAndPrefixes) {
  std::mt19937_64 rng(6296);
  uint32_t checked = 0;
  for (int round = 0; round < 4000; round++) {
    const unsigned len = 1 + unsigned(rng() % 64);
    const uint64_t mask = ~uint64_t(0) << (64 - len);
    const uint64_t ip = rng() & mask, ep = rng() & mask;
    const Map out = npt66::make_map(ip, ep, len), in = npt66::make_map(ep, ip, len);
    std::vector<uint8_t> pkt(40 + 20 + rng() % 200);
    for (auto& b : pkt) b = uint8_t(rng());
    auto* h = reinterpret_cast<rte_ipv6_hdr*>(pkt.data());
    h->vtc_flow = RTE_BE32(0x60000000);
    h->payload_len = rte_cpu_to_be_16(uint16_t(pkt.size() - 40));
    const bool tcp = rng() & 1;
    h->proto = tcp ? IPPROTO_TCP : IPPROTO_UDP;
    // The source in the internal prefix (the rest of it random), or for
    // the inbound direction the destination in the external one.
    const bool outbound = rng() & 1;
    uint8_t* a = outbound ? h->src_addr : h->dst_addr;
    uint64_t hi = (rng() & ~mask) | (outbound ? ip : ep);
    if (rng() % 8 == 0) hi |= 0xffff & ~mask;  // now and then a 0xFFFF subnet word
    if (rng() % 8 == 0) std::memset(a + 8, 0xff, 8 - 2 * (rng() % 4));
    hi = rte_cpu_to_be_64(hi);
    std::memcpy(a, &hi, 8);
    uint8_t* l4 = pkt.data() + 40;
    if (tcp) {
      auto* th = reinterpret_cast<rte_tcp_hdr*>(l4);
      th->cksum = 0;
      th->cksum = rte_ipv6_udptcp_cksum(h, th);
    } else {
      auto* uh = reinterpret_cast<rte_udp_hdr*>(l4);
      uh->dgram_len = h->payload_len;
      uh->dgram_cksum = 0;
      uh->dgram_cksum = rte_ipv6_udptcp_cksum(h, uh);
    }
    ASSERT_EQ(ip6_l4_cksum(h, l4), 0);
    const std::vector<uint8_t> orig = pkt;
    const Result r = npt66::translate(outbound ? out : in, a);
    ASSERT_NE(r, Result::kNoMatch);
    if (r == Result::kNoMapping) {
      ASSERT_EQ(pkt, orig);
      continue;
    }
    checked++;
    ASSERT_EQ(ip6_l4_cksum(h, l4), 0) << "len " << len << " " << text(a);
    uint64_t now;
    std::memcpy(&now, a, 8);
    ASSERT_EQ(rte_be_to_cpu_64(now) & mask, outbound ? ep : ip);
    ASSERT_EQ(npt66::translate(outbound ? in : out, a), Result::kTranslated);
    ASSERT_EQ(pkt, orig) << "round trip, len " << len;
  }
  EXPECT_GT(checked, 3000u);
}

// ---- the nodes

std::vector<std::pair<uint32_t, std::vector<uint8_t>>> g_out;
void capture(Thread&, NodeRt&, rte_mbuf** p, uint32_t n) {
  for (uint32_t i = 0; i < n; i++) {
    const auto* b = rte_pktmbuf_mtod(p[i], const uint8_t*);
    g_out.push_back({meta(p[i]).tx_if, std::vector<uint8_t>(b, b + rte_pktmbuf_data_len(p[i]))});
  }
  rte_pktmbuf_free_bulk(p, n);
}
NodeRegistration cap{{.name = "t-npt-capture", .fn = capture}};
FeatureRegistration fcap{{.arc = "ip6-output", .node = "t-npt-capture", .runs_after = {"npt66-out", "fw-ip6-out"}}};

using test::cli;
using test::cli_json;
using test::err;
CliResult run(const std::string& c) { return Cli::get().execute(c, false); }

// An IPv6 packet behind an Ethernet header: UDP (or TCP) with a valid
// checksum, or ICMPv6 with the given body (checksummed).
std::vector<uint8_t> v6(const char* src, const char* dst, uint8_t proto, std::vector<uint8_t> l4 = {}) {
  if (l4.empty()) l4.resize(proto == IPPROTO_TCP ? 20 : 8 + 12, 0x5a);
  std::vector<uint8_t> b = test::eth(0x86dd, 14);
  std::vector<uint8_t> ip(40);
  auto* h = reinterpret_cast<rte_ipv6_hdr*>(ip.data());
  h->vtc_flow = RTE_BE32(0x60000000);
  h->payload_len = rte_cpu_to_be_16(uint16_t(l4.size()));
  h->proto = proto;
  h->hop_limits = 64;
  std::memcpy(h->src_addr, addr(src).data(), 16);
  std::memcpy(h->dst_addr, addr(dst).data(), 16);
  ip.insert(ip.end(), l4.begin(), l4.end());
  h = reinterpret_cast<rte_ipv6_hdr*>(ip.data());
  uint8_t* p = ip.data() + 40;
  if (proto == IPPROTO_UDP) {
    auto* uh = reinterpret_cast<rte_udp_hdr*>(p);
    uh->src_port = RTE_BE16(5000);
    uh->dst_port = RTE_BE16(53);
    uh->dgram_len = h->payload_len;
    uh->dgram_cksum = 0;
    uh->dgram_cksum = rte_ipv6_udptcp_cksum(h, uh);
  } else if (proto == IPPROTO_TCP) {
    auto* th = reinterpret_cast<rte_tcp_hdr*>(p);
    th->src_port = RTE_BE16(5000);
    th->dst_port = RTE_BE16(80);
    th->data_off = 5 << 4;
    th->tcp_flags = RTE_TCP_SYN_FLAG;
    th->rx_win = RTE_BE16(65535);
    th->cksum = 0;
    th->cksum = rte_ipv6_udptcp_cksum(h, th);
  } else {
    p[2] = p[3] = 0;
    const uint16_t c = ip6_l4_cksum(h, p);
    std::memcpy(p + 2, &c, 2);
  }
  b.insert(b.end(), ip.begin(), ip.end());
  return b;
}
const rte_ipv6_hdr* ip_of(const std::vector<uint8_t>& frame) {
  return reinterpret_cast<const rte_ipv6_hdr*>(frame.data() + 14);
}
bool l4_ok(const std::vector<uint8_t>& frame) {
  const auto* h = ip_of(frame);
  return ip6_l4_cksum(h, h + 1) == 0;
}

// inside (fd01:203:405:1::1/64, host ::2) and outside (2001:db8:2::1/64,
// host ::2), NPTv6 fd01:203:405::/48 <->
// 2001:db8:1::/48 on outside. fd01:203:405:1::2 is 2001:db8:1:d550::2 out there.
struct Lab {
  uint32_t in = ops::create_loopback(parse_mac("02:00:00:00:00:01"));
  uint32_t out = ops::create_loopback(parse_mac("02:00:00:00:00:02"));
  std::string in_name = ifs().at(in)->name, out_name = ifs().at(out)->name;
  Lab() {
    ops::set_interface_address(in, parse_prefix("fd01:203:405:1::1/64"), false);
    ops::set_interface_address(out, parse_prefix("2001:db8:2::1/64"), false);
    for (uint32_t i : {in, out}) {
      ops::set_state(i, true);
      ops::set_feature(i, "ip6-output", "t-npt-capture", true);
    }
    ops::neighbor_add(in, parse_ip("fd01:203:405:1::2"), parse_mac("02:00:00:00:01:02"));
    ops::neighbor_add(out, parse_ip("2001:db8:2::2"), parse_mac("02:00:00:00:02:02"));
    cli("set interface npt66 " + out_name + " internal fd01:203:405::/48 external 2001:db8:1::/48");
  }
  ~Lab() {
    for (uint32_t i : {in, out}) ops::delete_interface(i);
  }
  std::vector<std::pair<uint32_t, std::vector<uint8_t>>> send(std::vector<std::vector<uint8_t>> frames, uint32_t rx) {
    g_out.clear();
    std::vector<rte_mbuf*> v;
    for (auto& f : frames) {
      f[5] = uint8_t(rx == in ? 0x01 : 0x02);  // to the router's MAC
      v.push_back(test::frame(f, rx));
    }
    test::T().enqueue(Registry::get().id("ethernet-input"), v.data(), uint32_t(v.size()));
    test::T().run_pending();
    return g_out;
  }
};

TEST(Npt66Nodes, SourcesGoOutExternalAndRepliesComeBackInternal) {
  Lab lab;
  const uint64_t t_out = err("npt66-out", "translated"), t_in = err("npt66-in", "translated");
  auto o = lab.send(
      {v6("fd01:203:405:1::2", "2001:db8:2::2", IPPROTO_UDP), v6("fd01:203:405:1::2", "2001:db8:2::2", IPPROTO_TCP)},
      lab.in);
  ASSERT_EQ(o.size(), 2u);
  for (auto& [tx, f] : o) {
    EXPECT_EQ(tx, lab.out);
    EXPECT_EQ(text(ip_of(f)->src_addr), "2001:db8:1:d550::2");
    EXPECT_EQ(text(ip_of(f)->dst_addr), "2001:db8:2::2");
    EXPECT_TRUE(l4_ok(f)) << "checksum untouched and still valid";
  }
  o = lab.send({v6("2001:db8:2::2", "2001:db8:1:d550::2", IPPROTO_UDP)}, lab.out);
  ASSERT_EQ(o.size(), 1u);
  EXPECT_EQ(o[0].first, lab.in);
  EXPECT_EQ(text(ip_of(o[0].second)->dst_addr), "fd01:203:405:1::2");
  EXPECT_TRUE(l4_ok(o[0].second));
  EXPECT_EQ(err("npt66-out", "translated"), t_out + 2);
  EXPECT_EQ(err("npt66-in", "translated"), t_in + 1);
  auto b = cli_json("show npt66")[0];
  EXPECT_EQ(b["interface"], lab.out_name);
  EXPECT_EQ(b["internal"], "fd01:203:405::/48");
  EXPECT_EQ(b["external"], "2001:db8:1::/48");
  EXPECT_EQ(b["adjustment"], 0xd54f);
  EXPECT_EQ(b["translated_out"], 2);
  EXPECT_EQ(b["translated_in"], 1);
  const std::string s = cli("show npt66 bindings");
  EXPECT_NE(s.find("internal: fd01:203:405::/48 external: 2001:db8:1::/48 interface: " + lab.out_name),
            std::string::npos)
      << s;
}

TEST(Npt66Nodes, AddressesOutsideThePrefixesPassUntouched) {
  Lab lab;
  const uint64_t before = err("npt66-out", "not in a translated prefix (passed untouched)");
  auto o = lab.send({v6("fd01:203:406:1::2", "2001:db8:2::2", IPPROTO_UDP)}, lab.in);
  ASSERT_EQ(o.size(), 1u);
  EXPECT_EQ(text(ip_of(o[0].second)->src_addr), "fd01:203:406:1::2");
  EXPECT_EQ(err("npt66-out", "not in a translated prefix (passed untouched)"), before + 1);
  // To the router's own outside address: not translated, answered.
  o = lab.send({v6("2001:db8:2::2", "2001:db8:2::1", IPPROTO_ICMPV6, {128, 0, 0, 0, 0, 1, 0, 1})}, lab.out);
  ASSERT_EQ(o.size(), 1u);
  EXPECT_EQ(o[0].second[14 + 40], 129);  // echo reply
}

TEST(Npt66Nodes, AnFfffSubnetHasNoMappingAndDrawsAnUnreachable) {
  Lab lab;
  auto o = lab.send({v6("2001:db8:2::2", "2001:db8:1:ffff::2", IPPROTO_UDP)}, lab.out);
  ASSERT_EQ(o.size(), 1u);
  EXPECT_EQ(o[0].first, lab.out);
  const auto* h = ip_of(o[0].second);
  EXPECT_EQ(text(h->src_addr), "2001:db8:2::1");
  EXPECT_EQ(text(h->dst_addr), "2001:db8:2::2");
  const uint8_t* icmp = reinterpret_cast<const uint8_t*>(h + 1);
  EXPECT_EQ(icmp[0], 1);
  EXPECT_EQ(icmp[1], 3);
  EXPECT_GE(err("npt66-in", "no mapping for a 0xffff word (dropped, ICMPv6 sent)"), 1u);
  // Going out: the inside host hears that its source failed the policy.
  ops::set_interface_address(lab.in, parse_prefix("fd01:203:405:ffff::1/64"), false);
  ops::neighbor_add(lab.in, parse_ip("fd01:203:405:ffff::2"), parse_mac("02:00:00:00:01:03"));
  o = lab.send({v6("fd01:203:405:ffff::2", "2001:db8:2::2", IPPROTO_UDP)}, lab.in);
  ASSERT_EQ(o.size(), 1u);
  EXPECT_EQ(o[0].first, lab.in);
  icmp = reinterpret_cast<const uint8_t*>(ip_of(o[0].second) + 1);
  EXPECT_EQ(icmp[0], 1);
  EXPECT_EQ(icmp[1], 5);
}

// An error from outside about a packet that left translated quotes the
// external source: it comes in quoting the internal one. And an error an
// inside host sends about a packet that came in quotes the internal
// destination: it leaves quoting the external one. Checksums stay valid.
TEST(Npt66Nodes, IcmpErrorsHaveTheirQuotedPacketTranslated) {
  Lab lab;
  auto sent = v6("2001:db8:1:d550::2", "2001:db8:2::2", IPPROTO_UDP);  // as it left
  std::vector<uint8_t> body = {1, 4, 0, 0, 0, 0, 0, 0};                // port unreachable
  body.insert(body.end(), sent.begin() + 14, sent.end());
  const uint64_t before = err("npt66-in", "address quoted in an ICMPv6 error translated");
  auto o = lab.send({v6("2001:db8:2::2", "2001:db8:1:d550::2", IPPROTO_ICMPV6, body)}, lab.out);
  ASSERT_EQ(o.size(), 1u);
  const auto* h = ip_of(o[0].second);
  EXPECT_EQ(text(h->dst_addr), "fd01:203:405:1::2");
  const auto* q = reinterpret_cast<const rte_ipv6_hdr*>(reinterpret_cast<const uint8_t*>(h + 1) + 8);
  EXPECT_EQ(text(q->src_addr), "fd01:203:405:1::2");
  EXPECT_EQ(text(q->dst_addr), "2001:db8:2::2");
  EXPECT_TRUE(l4_ok(o[0].second));
  EXPECT_EQ(ip6_l4_cksum(q, q + 1), 0) << "the quoted datagram's checksum holds too";
  EXPECT_EQ(err("npt66-in", "address quoted in an ICMPv6 error translated"), before + 1);

  auto came = v6("2001:db8:2::2", "fd01:203:405:1::2", IPPROTO_UDP);  // as it was delivered
  body = {1, 4, 0, 0, 0, 0, 0, 0};
  body.insert(body.end(), came.begin() + 14, came.end());
  o = lab.send({v6("fd01:203:405:1::2", "2001:db8:2::2", IPPROTO_ICMPV6, body)}, lab.in);
  ASSERT_EQ(o.size(), 1u);
  h = ip_of(o[0].second);
  EXPECT_EQ(text(h->src_addr), "2001:db8:1:d550::2");
  q = reinterpret_cast<const rte_ipv6_hdr*>(reinterpret_cast<const uint8_t*>(h + 1) + 8);
  EXPECT_EQ(text(q->dst_addr), "2001:db8:1:d550::2");
  EXPECT_TRUE(l4_ok(o[0].second));
}

// The firewall runs after npt66-in: it sees the reply's internal
// destination and matches it to the session the inside host opened.
TEST(Npt66Nodes, TheFirewallSeesInternalAddressesBothWays) {
  Lab lab;
  cli("set security zones security-zone trust interfaces " + lab.in_name);
  cli("set security zones security-zone untrust interfaces " + lab.out_name);
  for (const char* w :
       {"match source-address any", "match destination-address any", "match application any", "then permit"})
    cli(std::string("set security policies from-zone trust to-zone untrust policy out ") + w);
  fw::publish_now();
  EXPECT_EQ(lab.send({v6("fd01:203:405:1::2", "2001:db8:2::2", IPPROTO_UDP)}, lab.in).size(), 1u);
  auto s = cli_json("show security flow session")["sessions"][0];
  EXPECT_EQ(s["source"], "fd01:203:405:1::2");
  EXPECT_EQ(lab.send({v6("2001:db8:2::2", "2001:db8:1:d550::2", IPPROTO_UDP)}, lab.out).size(), 0u)
      << "the reply's ports are the other way round: no session";
  auto reply = v6("2001:db8:2::2", "2001:db8:1:d550::2", IPPROTO_UDP);
  auto* uh = reinterpret_cast<rte_udp_hdr*>(reply.data() + 14 + 40);
  const uint16_t sport = uh->src_port;  // swapped: the same checksum, the sum of the words is the same
  uh->src_port = uh->dst_port;
  uh->dst_port = sport;
  auto o = lab.send({reply}, lab.out);
  ASSERT_EQ(o.size(), 1u);
  EXPECT_EQ(text(ip_of(o[0].second)->dst_addr), "fd01:203:405:1::2");
  EXPECT_EQ(cli_json("show security flow session")["sessions"][0]["packets_out"], 1);
  cli("clear security flow session");
  cli("delete security policies from-zone trust to-zone untrust policy out");
  cli("delete security zones security-zone trust");
  cli("delete security zones security-zone untrust");
  fw::publish_now();
}

TEST(Npt66Nodes, TheNodesRunOnlyOnTheBindingsInterface) {
  Lab lab;
  auto has = [](uint32_t sw, const char* arc, const char* node) {
    const auto& mf = ifs().at(sw)->module_features;
    auto it = mf.find(Arcs::get().find(arc)->index);
    return it != mf.end() && std::ranges::find(it->second, node) != it->second.end();
  };
  EXPECT_TRUE(has(lab.out, "ip6-unicast", "npt66-in"));
  EXPECT_TRUE(has(lab.out, "ip6-output", "npt66-out"));
  EXPECT_FALSE(has(lab.in, "ip6-unicast", "npt66-in"));
  cli("set interface npt66 " + lab.out_name + " internal fd01:203:405::/48 external 2001:db8:1::/48 del");
  EXPECT_FALSE(has(lab.out, "ip6-unicast", "npt66-in"));
  EXPECT_FALSE(has(lab.out, "ip6-output", "npt66-out"));
  auto o = lab.send({v6("fd01:203:405:1::2", "2001:db8:2::2", IPPROTO_UDP)}, lab.in);
  ASSERT_EQ(o.size(), 1u);
  EXPECT_EQ(text(ip_of(o[0].second)->src_addr), "fd01:203:405:1::2");
  EXPECT_TRUE(cli_json("show npt66").empty());
}

TEST(Npt66Nodes, RunningConfigReplaysAndADeletedInterfaceTakesItsBindings) {
  Lab lab;
  cli("set interface npt66 " + lab.out_name + " internal fd02::/32 external 2001:db8:8000::/40");
  const std::string rc = cli("show running-config");
  EXPECT_NE(rc.find("set interface npt66 " + lab.out_name + " internal fd01:203:405::/48 external 2001:db8:1::/48"),
            std::string::npos)
      << rc;
  EXPECT_NE(rc.find("set interface npt66 " + lab.out_name + " internal fd02::/32 external 2001:db8:8000::/40"),
            std::string::npos);
  // Each binding counts its own packets, in one vector.
  auto o = lab.send(
      {v6("fd02:0:12:1::5", "2001:db8:2::2", IPPROTO_UDP), v6("fd01:203:405:1::2", "2001:db8:2::2", IPPROTO_UDP),
       v6("fd02:0:12:1::6", "2001:db8:2::2", IPPROTO_UDP)},
      lab.in);
  ASSERT_EQ(o.size(), 3u);
  EXPECT_TRUE(text(ip_of(o[0].second)->src_addr).starts_with("2001:db8:8012:")) << text(ip_of(o[0].second)->src_addr);
  EXPECT_TRUE(l4_ok(o[0].second));
  auto j = cli_json("show npt66");
  ASSERT_EQ(j.size(), 2u);
  EXPECT_EQ(j[0]["translated_out"], 1);
  EXPECT_EQ(j[1]["translated_out"], 2);
  EXPECT_EQ(j[1]["length"], 40);
  EXPECT_NE(cli("show npt66").find("(both as /40)"), std::string::npos);
  ops::delete_interface(lab.out);
  EXPECT_TRUE(cli_json("show npt66").empty());
  EXPECT_EQ(npt66::g_if_maps[lab.out].load(), nullptr);
  lab.out = ops::create_loopback(parse_mac("02:00:00:00:00:02"));  // for ~Lab, maybe on the same index
  ops::set_interface_address(lab.out, parse_prefix("2001:db8:2::1/64"), false);
  ops::neighbor_add(lab.out, parse_ip("2001:db8:2::2"), parse_mac("02:00:00:00:02:02"));
  EXPECT_EQ(npt66::g_if_maps[lab.out].load(), nullptr);
}

TEST(Npt66Cli, BadInputIsOneLineAndChangesNothing) {
  Lab lab;
  const std::string set = "set interface npt66 " + lab.out_name + " ";
  const std::pair<std::string, std::string> bad[] = {
      {set + "internal 10.0.0.0/8 external 2001:db8:1::/48", "internal prefix 10.0.0.0/8 is not IPv6"},
      {set + "internal fd00::/48 external 2001:db8::/80", "external prefix 2001:db8::/80 is longer than /64"},
      {set + "internal ::/0 external ::/0", "internal prefix ::/0 has no prefix bits"},
      {set + "internal fd00::1/48 external 2001:db8:5::/48",
       "internal prefix fd00::1/48 has bits set past /48 (did you mean fd00::/48?)"},
      {set + "internal fd00::/48", "missing external <prefix>"},
      {set + "external 2001:db8:5::/48", "missing internal <prefix>"},
      {set + "internal fd00::/48 external 2001:db8:5::/48 now", "unknown word 'now'"},
      {set + "internal fd00::/48 external", "missing external prefix"},
      {set + "internal fd00:: external 2001:db8:5::/48", "bad prefix 'fd00::'"},
      {set + "internal fd00::/48 external 2001:db8:5::/48 del", "no NPTv6 binding"},
      {set + "internal fd01:203:405:100::/56 external 2001:db8:5::/56", "overlaps binding"},
      {set + "internal fd09::/48 external 2001:db8:1:8000::/49", "external prefix 2001:db8:1:8000::/49 overlaps"},
      {"set interface npt66 nosuch0 internal fd00::/48 external 2001:db8:5::/48", "nosuch0"},
  };
  const std::string before = cli("show running-config");
  for (auto& [c, want] : bad) {
    auto r = run(c);
    EXPECT_FALSE(r.ok) << c;
    EXPECT_NE(r.text.find(want), std::string::npos) << c << ": " << r.text;
    std::string line = r.text;
    if (line.ends_with('\n')) line.pop_back();
    EXPECT_EQ(line.find('\n'), std::string::npos) << "one line: " << r.text;
  }
  EXPECT_EQ(cli("show running-config"), before);
  EXPECT_EQ(cli_json("show npt66").size(), 1u);
  // The same binding again is no change and no error.
  cli(set + "internal fd01:203:405::/48 external 2001:db8:1::/48");
  EXPECT_EQ(cli_json("show npt66").size(), 1u);
}

}  // namespace
}  // namespace vp
