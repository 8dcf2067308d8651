// TCP MSS clamping: the option walk and the incremental checksum on raw
// headers (every checksum checked against a full recomputation), then the
// four nodes on the real graph (two loopbacks routing IPv4 and IPv6, what
// leaves captured on the output arc after the clamp), then the commands:
// their errors change nothing, show and running-config say what is set.
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <rte_ip.h>
#include <rte_tcp.h>

#include <nlohmann/json.hpp>
#include <random>

#include "control/cli.hpp"
#include "features/mss_clamp/mss_clamp_ops.hpp"
#include "features/mss_clamp/mss_clamp_tcp.hpp"
#include "graph/feature.hpp"
#include "graph/registry.hpp"
#include "helpers.hpp"
#include "io/if_ops.hpp"
#include "io/interface.hpp"
#include "io/ports/loopback/loopback.hpp"
#include "net/ip/ip_ops.hpp"

namespace vp {
namespace {

using mss::Clamp;

// ---- headers

// A TCP header with `opts` (padded with end-of-list to a multiple of 4)
// and `payload` bytes of data.
std::vector<uint8_t> tcp_hdr(uint8_t flags, const std::vector<uint8_t>& opts, size_t payload = 0) {
  std::vector<uint8_t> o = opts;
  while (o.size() % 4) o.push_back(0);
  std::vector<uint8_t> b(20);
  b[0] = 0x30, b[1] = 0x39, b[2] = 0x00, b[3] = 0x50;  // 12345 -> 80
  b[4] = 0x12, b[5] = 0x34, b[6] = 0x56, b[7] = 0x78;
  b[12] = uint8_t((20 + o.size()) / 4 << 4);
  b[13] = flags;
  b[14] = 0xfa, b[15] = 0xf0;
  b.insert(b.end(), o.begin(), o.end());
  for (size_t k = 0; k < payload; k++) b.push_back(uint8_t(k * 7 + 1));
  return b;
}

std::vector<uint8_t> mss_opt(uint16_t v) { return {2, 4, uint8_t(v >> 8), uint8_t(v)}; }
std::vector<uint8_t> cat(std::initializer_list<std::vector<uint8_t>> parts) {
  std::vector<uint8_t> o;
  for (auto& p : parts) o.insert(o.end(), p.begin(), p.end());
  return o;
}
const std::vector<uint8_t> kNop = {1};
const std::vector<uint8_t> kSackOk = {4, 2};
const std::vector<uint8_t> kTimestamp = {8, 10, 0, 0, 0, 1, 0, 0, 0, 0};
const std::vector<uint8_t> kWscale = {3, 3, 7};

// An IPv4 (or IPv6) header in front of `l4` (protocol TCP), with the IP
// header checksum and the TCP checksum right.
std::vector<uint8_t> ip_pkt(bool v6, std::vector<uint8_t> l4, uint16_t frag = 0) {
  std::vector<uint8_t> b;
  if (!v6) {
    b.resize(20);
    auto* h = reinterpret_cast<rte_ipv4_hdr*>(b.data());
    h->version_ihl = 0x45;
    h->total_length = rte_cpu_to_be_16(uint16_t(20 + l4.size()));
    h->fragment_offset = rte_cpu_to_be_16(frag);
    h->time_to_live = 64;
    h->next_proto_id = IPPROTO_TCP;
    h->src_addr = RTE_BE32(0xc0000202);  // 192.0.2.2
    h->dst_addr = RTE_BE32(0xc6336402);  // 198.51.100.2
    h->hdr_checksum = rte_ipv4_cksum(h);
  } else {
    b.resize(40);
    auto* h = reinterpret_cast<rte_ipv6_hdr*>(b.data());
    h->vtc_flow = RTE_BE32(0x60000000);
    h->payload_len = rte_cpu_to_be_16(uint16_t(l4.size()));
    h->proto = IPPROTO_TCP;
    h->hop_limits = 64;
    const IpAddr s = parse_ip("2001:db8:1::2"), d = parse_ip("2001:db8:2::2");
    std::memcpy(h->src_addr, s.b.data(), 16);
    std::memcpy(h->dst_addr, d.b.data(), 16);
  }
  const size_t l3 = b.size();
  b.insert(b.end(), l4.begin(), l4.end());
  if (l4.size() >= 20 && !frag) {
    auto* th = reinterpret_cast<rte_tcp_hdr*>(b.data() + l3);
    th->cksum = 0;
    th->cksum = v6 ? rte_ipv6_udptcp_cksum(reinterpret_cast<rte_ipv6_hdr*>(b.data()), th)
                   : rte_ipv4_udptcp_cksum(reinterpret_cast<rte_ipv4_hdr*>(b.data()), th);
  }
  return b;
}

// The TCP checksum of an IP packet as stored, and as a full recomputation
// gives it (0x0000 and 0xffff are the same ones' complement zero).
std::pair<uint16_t, uint16_t> tcp_csums(std::vector<uint8_t> ip) {
  const bool v6 = (ip[0] >> 4) == 6;
  const size_t l3 = v6 ? 40 : 20;
  auto* th = reinterpret_cast<rte_tcp_hdr*>(ip.data() + l3);
  const uint16_t stored = th->cksum;
  th->cksum = 0;
  uint16_t full = v6 ? rte_ipv6_udptcp_cksum(reinterpret_cast<rte_ipv6_hdr*>(ip.data()), th)
                     : rte_ipv4_udptcp_cksum(reinterpret_cast<rte_ipv4_hdr*>(ip.data()), th);
  return {stored == 0xffff ? 0 : stored, full == 0xffff ? 0 : full};
}
#define EXPECT_TCP_CSUM_OK(ip)           \
  do {                                   \
    auto [stored, full] = tcp_csums(ip); \
    EXPECT_EQ(stored, full);             \
  } while (0)

// The MSS values of every MSS option in the TCP header at `th`.
std::vector<uint16_t> mss_values(const uint8_t* th) {
  std::vector<uint16_t> v;
  const uint32_t hl = uint32_t(th[12] >> 4) * 4;
  for (uint32_t o = 20; o < hl && th[o] != 0;) {
    if (th[o] == 1) {
      o++;
      continue;
    }
    if (th[o] == 2) v.push_back(uint16_t(th[o + 2] << 8 | th[o + 3]));
    o += std::max<uint32_t>(th[o + 1], 1);
  }
  return v;
}

// Clamps the TCP header of an IPv4 packet built from `opts` in place.
Clamp clamp4(std::vector<uint8_t>& ip, uint16_t to) {
  return mss::clamp_mss(ip.data() + 20, uint32_t(ip.size() - 20), to, false);
}

TEST(MssClampTcp, LowersAnMssAboveTheClampAndKeepsTheChecksumRight) {
  auto ip = ip_pkt(false, tcp_hdr(RTE_TCP_SYN_FLAG, mss_opt(1460), 5));
  uint16_t was = 0;
  EXPECT_EQ(mss::clamp_mss(ip.data() + 20, uint32_t(ip.size() - 20), 1400, false, &was), Clamp::kClamped);
  EXPECT_EQ(was, 1460);
  EXPECT_EQ(mss_values(ip.data() + 20), std::vector<uint16_t>{1400});
  EXPECT_TCP_CSUM_OK(ip);
}

TEST(MssClampTcp, LeavesAnMssAtOrBelowTheClampAndSegmentsWithoutOne) {
  for (uint16_t v : {1400, 1399, 536}) {
    auto ip = ip_pkt(false, tcp_hdr(RTE_TCP_SYN_FLAG, mss_opt(v)));
    const auto before = ip;
    EXPECT_EQ(clamp4(ip, 1400), Clamp::kUnchanged);
    EXPECT_EQ(ip, before);
  }
  auto ip = ip_pkt(false, tcp_hdr(RTE_TCP_SYN_FLAG, cat({kSackOk, kWscale, kTimestamp})));
  const auto before = ip;
  EXPECT_EQ(clamp4(ip, 1000), Clamp::kUnchanged);
  EXPECT_EQ(ip, before);
  auto bare = ip_pkt(false, tcp_hdr(RTE_TCP_SYN_FLAG, {}));
  EXPECT_EQ(clamp4(bare, 1000), Clamp::kUnchanged);
}

TEST(MssClampTcp, FindsTheMssBehindOtherOptionsAtEvenAndOddOffsets) {
  // Linux's SYN order, and orders that put the MSS value at every offset
  // parity (no-operations shift it by one).
  const std::vector<std::vector<uint8_t>> opts = {
      cat({mss_opt(1460), kSackOk, kTimestamp, kNop, kWscale}),
      cat({kNop, mss_opt(9000)}),
      cat({kNop, kNop, kNop, mss_opt(65535), kNop}),
      cat({kSackOk, kNop, mss_opt(1460)}),
      cat({kTimestamp, kNop, kNop, kNop, mss_opt(8960), kWscale}),
      cat({kWscale, mss_opt(1460)}),
  };
  for (bool v6 : {false, true})
    for (size_t k = 0; k < opts.size(); k++) {
      auto ip = ip_pkt(v6, tcp_hdr(RTE_TCP_SYN_FLAG | RTE_TCP_ACK_FLAG, opts[k], k));
      const size_t l3 = v6 ? 40 : 20;
      EXPECT_EQ(mss::clamp_mss(ip.data() + l3, uint32_t(ip.size() - l3), 1200, false), Clamp::kClamped) << k;
      EXPECT_EQ(mss_values(ip.data() + l3), std::vector<uint16_t>{1200}) << k;
      EXPECT_TCP_CSUM_OK(ip);
    }
}

TEST(MssClampTcp, IncrementalChecksumMatchesAFullOneForAnyValueAndOffset) {
  std::mt19937 rng(1624);
  for (int round = 0; round < 2000; round++) {
    std::vector<uint8_t> opts(rng() % 8, 1);  // 0-7 no-operations: any parity
    auto m = mss_opt(uint16_t(rng()));
    opts.insert(opts.end(), m.begin(), m.end());
    const bool v6 = round & 1;
    const size_t l3 = v6 ? 40 : 20;
    auto ip = ip_pkt(v6, tcp_hdr(RTE_TCP_SYN_FLAG, opts, rng() % 9));
    for (size_t k = l3 + 4; k < l3 + 12; k++) ip[k] = uint8_t(rng());  // sequence and ack: any checksum to start from
    auto* th = reinterpret_cast<rte_tcp_hdr*>(ip.data() + l3);
    th->cksum = 0;
    th->cksum = v6 ? rte_ipv6_udptcp_cksum(reinterpret_cast<rte_ipv6_hdr*>(ip.data()), th)
                   : rte_ipv4_udptcp_cksum(reinterpret_cast<rte_ipv4_hdr*>(ip.data()), th);
    mss::clamp_mss(ip.data() + l3, uint32_t(ip.size() - l3), uint16_t(mss::kMinMss + rng() % 65000), false);
    auto [stored, full] = tcp_csums(ip);
    ASSERT_EQ(stored, full) << "round " << round;
  }
}

TEST(MssClampTcp, ClampsEveryMssOptionOfSeveral) {
  auto ip = ip_pkt(false, tcp_hdr(RTE_TCP_SYN_FLAG, cat({mss_opt(1460), kNop, mss_opt(9000)})));
  EXPECT_EQ(clamp4(ip, 1300), Clamp::kClamped);
  EXPECT_EQ(mss_values(ip.data() + 20), (std::vector<uint16_t>{1300, 1300}));
  EXPECT_TCP_CSUM_OK(ip);
}

TEST(MssClampTcp, MalformedOptionsAreLeftAsTheyCame) {
  const std::vector<std::vector<uint8_t>> bad = {
      cat({mss_opt(1460), {8, 0}}),   // length 0
      cat({mss_opt(1460), {8, 1}}),   // length 1
      cat({mss_opt(1460), {8, 40}}),  // past the options
      {2, 3, 5, 0xb4},                // MSS of length 3
      {2, 6, 5, 0xb4, 0, 0},          // MSS of length 6
      cat({kNop, kNop, kNop, {2}}),   // a kind with no length byte
  };
  for (size_t k = 0; k < bad.size(); k++) {
    auto ip = ip_pkt(false, tcp_hdr(RTE_TCP_SYN_FLAG, bad[k]));
    const auto before = ip;
    EXPECT_EQ(clamp4(ip, 1000), Clamp::kMalformed) << k;
    EXPECT_EQ(ip, before) << k;
  }
  // A data offset below 5, or past the bytes there are.
  auto ip = ip_pkt(false, tcp_hdr(RTE_TCP_SYN_FLAG, mss_opt(1460)));
  ip[20 + 12] = 4 << 4;
  EXPECT_EQ(clamp4(ip, 1000), Clamp::kMalformed);
  ip[20 + 12] = 15 << 4;
  EXPECT_EQ(clamp4(ip, 1000), Clamp::kMalformed);
  EXPECT_EQ(mss_values(ip.data() + 20).at(0), 1460);
}

TEST(MssClampTcp, StopsAtTheEndOfOptionList) {
  auto ip = ip_pkt(false, tcp_hdr(RTE_TCP_SYN_FLAG, cat({{0, 0, 0, 0}, mss_opt(1460)})));
  EXPECT_EQ(clamp4(ip, 1000), Clamp::kUnchanged);
}

TEST(MssClampTcp, APartialChecksumIsLeftToTheOffload) {
  auto ip = ip_pkt(false, tcp_hdr(RTE_TCP_SYN_FLAG, mss_opt(1460)));
  const uint16_t c = reinterpret_cast<rte_tcp_hdr*>(ip.data() + 20)->cksum;
  EXPECT_EQ(mss::clamp_mss(ip.data() + 20, uint32_t(ip.size() - 20), 1400, true), Clamp::kClamped);
  EXPECT_EQ(reinterpret_cast<rte_tcp_hdr*>(ip.data() + 20)->cksum, c);
  EXPECT_EQ(mss_values(ip.data() + 20), std::vector<uint16_t>{1400});
}

TEST(MssClampTcp, DefaultIsTheMtuLessTheHeaders) {
  EXPECT_EQ(mss::default_mss(1500, false), 1460);
  EXPECT_EQ(mss::default_mss(1500, true), 1440);
  EXPECT_EQ(mss::default_mss(9000, false), 8960);
  EXPECT_EQ(mss::default_mss(64, true), mss::kMinMss);
}

// ---- the nodes on the graph

struct Seen {
  uint32_t tx_if;
  std::vector<uint8_t> ip;  // from the IP header on
};
std::vector<Seen> g_out;

void capture(Thread&, NodeRt&, rte_mbuf** p, uint32_t n) {
  for (uint32_t i = 0; i < n; i++) {
    const auto* b = rte_pktmbuf_mtod(p[i], const uint8_t*) + meta(p[i]).l3_off;
    g_out.push_back({meta(p[i]).tx_if, std::vector<uint8_t>(b, b + rte_pktmbuf_data_len(p[i]) - meta(p[i]).l3_off)});
  }
  rte_pktmbuf_free_bulk(p, n);
}
NodeRegistration cap{{.name = "t-mss-capture", .fn = capture}};
FeatureRegistration f4{{.arc = "ip4-output", .node = "t-mss-capture", .runs_after = {"tcp-mss-clamping-ip4-out"}}};
FeatureRegistration f6{{.arc = "ip6-output", .node = "t-mss-capture", .runs_after = {"tcp-mss-clamping-ip6-out"}}};

CliResult run(const std::string& c, bool json = false) { return Cli::get().execute(c, json); }
std::string cli(const std::string& c) {
  auto r = run(c);
  EXPECT_TRUE(r.ok) << c << ": " << r.text;
  return r.text;
}
nlohmann::json cli_json(const std::string& c) {
  auto r = run(c, true);
  EXPECT_TRUE(r.ok) << c << ": " << r.text;
  return nlohmann::json::parse(r.text);
}

uint64_t counter(const std::string& node, const std::string& reason) {
  for (auto& e : cli_json("show errors"))
    if (e["node"] == node && e["reason"] == reason) return e["count"];
  return 0;
}

// in (192.0.2.1/24, 2001:db8:1::1/64) and out (198.51.100.1/24,
// 2001:db8:2::1/64), with the far hosts resolved; packets enter on `in`.
struct Lab {
  uint32_t in = ops::create_loopback(parse_mac("02:00:00:00:10:01"));
  uint32_t out = ops::create_loopback(parse_mac("02:00:00:00:10:02"));
  std::string in_name = ifs().at(in)->name, out_name = ifs().at(out)->name;
  Lab() {
    ops::set_interface_address(in, parse_prefix("192.0.2.1/24"), false);
    ops::set_interface_address(in, parse_prefix("2001:db8:1::1/64"), false);
    ops::set_interface_address(out, parse_prefix("198.51.100.1/24"), false);
    ops::set_interface_address(out, parse_prefix("2001:db8:2::1/64"), false);
    for (uint32_t i : {in, out}) {
      ops::set_state(i, true);
      ops::set_feature(i, "ip4-output", "t-mss-capture", true);
      ops::set_feature(i, "ip6-output", "t-mss-capture", true);
    }
    ops::neighbor_add(out, parse_ip("198.51.100.2"), parse_mac("02:00:00:00:20:02"));
    ops::neighbor_add(out, parse_ip("2001:db8:2::2"), parse_mac("02:00:00:00:20:02"));
    cli("clear errors");
  }
  ~Lab() {
    for (uint32_t i : {in, out}) ops::delete_interface(i);
  }
  // Sends IP packets (in one vector) into `in` and returns what left.
  std::vector<Seen> send(const std::vector<std::vector<uint8_t>>& ips) {
    g_out.clear();
    std::vector<rte_mbuf*> v;
    for (auto& ip : ips) {
      std::vector<uint8_t> f = {0x02, 0, 0, 0, 0x10, 0x01, 0x02, 0, 0, 0, 0x20, 0x01, 0, 0};
      f[12] = (ip[0] >> 4) == 6 ? 0x86 : 0x08;
      f[13] = (ip[0] >> 4) == 6 ? 0xdd : 0x00;
      f.insert(f.end(), ip.begin(), ip.end());
      v.push_back(test::frame(f, in));
    }
    test::T().enqueue(Registry::get().id("ethernet-input"), v.data(), uint32_t(v.size()));
    test::T().run_pending();
    return g_out;
  }
  // One packet through; what the TCP header looks like on the way out.
  std::vector<uint16_t> through(const std::vector<uint8_t>& ip) {
    auto o = send({ip});
    EXPECT_EQ(o.size(), 1u);
    if (o.size() != 1) return {};
    EXPECT_TCP_CSUM_OK(o[0].ip);
    return mss_values(o[0].ip.data() + ((o[0].ip[0] >> 4) == 6 ? 40 : 20));
  }
};

bool has_node(uint32_t sw_if, const char* arc, const char* node) {
  const Interface* i = ifs().at(sw_if);
  auto it = i->module_features.find(Arcs::get().find(arc)->index);
  return it != i->module_features.end() && std::find(it->second.begin(), it->second.end(), node) != it->second.end();
}

std::vector<uint8_t> syn(bool v6, uint16_t mss, uint8_t flags = RTE_TCP_SYN_FLAG) {
  return ip_pkt(v6, tcp_hdr(flags, cat({mss_opt(mss), kSackOk, kTimestamp, kNop, kWscale})));
}

TEST(MssClampNodes, RxClampsOnArrivalTxOnDeparture) {
  // Packets arrive on `in` and leave by `out`: rx on in and tx on out
  // apply, while a lower clamp for the other direction of each does not.
  for (bool rx : {true, false}) {
    Lab lab;
    const std::string& on = rx ? lab.in_name : lab.out_name;
    const std::string& off = rx ? lab.out_name : lab.in_name;
    const char* dir = rx ? "rx" : "tx";
    cli(fmt::format("set interface tcp-mss-clamp {} ip4 {} ip4-mss 1400 ip6 {} ip6-mss 1300", on, dir, dir));
    cli(fmt::format("set interface tcp-mss-clamp {} ip4 {} ip4-mss 1000 ip6 {} ip6-mss 1000", off, dir, dir));
    EXPECT_EQ(lab.through(syn(false, 1460)), std::vector<uint16_t>{1400}) << dir;
    EXPECT_EQ(lab.through(syn(false, 1460, RTE_TCP_SYN_FLAG | RTE_TCP_ACK_FLAG)), std::vector<uint16_t>{1400});
    EXPECT_EQ(lab.through(syn(false, 1200)), std::vector<uint16_t>{1200});
    EXPECT_EQ(lab.through(syn(true, 1440)), std::vector<uint16_t>{1300});
    EXPECT_EQ(lab.through(syn(true, 1440, RTE_TCP_SYN_FLAG | RTE_TCP_ACK_FLAG)), std::vector<uint16_t>{1300});
    const char *used = rx ? "in" : "out", *unused = rx ? "out" : "in";
    EXPECT_EQ(counter(fmt::format("tcp-mss-clamping-ip4-{}", used), "MSS clamped"), 2u) << dir;
    EXPECT_EQ(counter(fmt::format("tcp-mss-clamping-ip6-{}", used), "MSS clamped"), 2u) << dir;
    EXPECT_EQ(counter(fmt::format("tcp-mss-clamping-ip4-{}", unused), "MSS clamped"), 0u) << dir;
  }
}

TEST(MssClampNodes, EnableWithoutAnMssClampsToTheMtuAndFollowsIt) {
  Lab lab;
  cli("set interface tcp-mss-clamp " + lab.in_name + " ip4 enable ip6 enable");
  EXPECT_EQ(lab.through(syn(false, 9000)), std::vector<uint16_t>{1460});
  EXPECT_EQ(lab.through(syn(true, 9000)), std::vector<uint16_t>{1440});
  cli("set interface mtu 1400 " + lab.in_name);
  EXPECT_EQ(lab.through(syn(false, 9000)), std::vector<uint16_t>{1360});
  EXPECT_EQ(lab.through(syn(true, 9000)), std::vector<uint16_t>{1340});
}

TEST(MssClampNodes, OtherSegmentsAndPacketsPassUntouched) {
  Lab lab;
  cli("set interface tcp-mss-clamp " + lab.in_name + " ip4 enable ip4-mss 1000 ip6 enable ip6-mss 1000");
  cli("set interface tcp-mss-clamp " + lab.out_name + " ip4 enable ip4-mss 1000 ip6 enable ip6-mss 1000");
  // An ACK, a FIN and an RST carrying what looks like an MSS option, a
  // SYN without one, and a non-first fragment whose data looks like a SYN.
  std::vector<std::vector<uint8_t>> ps;
  for (bool v6 : {false, true}) {
    for (uint8_t f : {RTE_TCP_ACK_FLAG, RTE_TCP_FIN_FLAG | RTE_TCP_ACK_FLAG, RTE_TCP_RST_FLAG})
      ps.push_back(ip_pkt(v6, tcp_hdr(f, mss_opt(1460), 10)));
    ps.push_back(ip_pkt(v6, tcp_hdr(RTE_TCP_SYN_FLAG, cat({kSackOk, kTimestamp}))));
  }
  ps.push_back(ip_pkt(false, tcp_hdr(RTE_TCP_SYN_FLAG, mss_opt(1460)), 100));                   // offset 800
  ps.push_back(ip_pkt(false, tcp_hdr(RTE_TCP_SYN_FLAG, mss_opt(1460)), RTE_IPV4_HDR_MF_FLAG));  // first of several
  // IPv4 and IPv6 take different nodes: compare what is above IP, in any order.
  auto l4s = [](auto&& ips) {
    std::vector<std::vector<uint8_t>> v;
    for (const std::vector<uint8_t>& ip : ips) v.emplace_back(ip.begin() + ((ip[0] >> 4) == 6 ? 40 : 20), ip.end());
    std::sort(v.begin(), v.end());
    return v;
  };
  std::vector<std::vector<uint8_t>> out;
  for (auto& s : lab.send(ps)) out.push_back(s.ip);
  EXPECT_EQ(l4s(out), l4s(ps));
  for (const char* n :
       {"tcp-mss-clamping-ip4-in", "tcp-mss-clamping-ip4-out", "tcp-mss-clamping-ip6-in", "tcp-mss-clamping-ip6-out"})
    EXPECT_EQ(counter(n, "MSS clamped"), 0u) << n;
}

TEST(MssClampNodes, TruncatedHeadersAreDroppedMalformedOptionsPass) {
  Lab lab;
  cli("set interface tcp-mss-clamp " + lab.in_name + " ip4 rx ip4-mss 1000 ip6 rx ip6-mss 1000");
  auto bad = ip_pkt(false, tcp_hdr(RTE_TCP_SYN_FLAG, cat({mss_opt(1460), {8, 0}})));
  auto o = lab.send({bad});
  ASSERT_EQ(o.size(), 1u);
  EXPECT_TRUE(std::equal(bad.begin() + 20, bad.end(), o[0].ip.begin() + 20));
  EXPECT_EQ(counter("tcp-mss-clamping-ip4-in", "malformed TCP options (passed unchanged)"), 1u);
  for (bool v6 : {false, true}) {
    auto cut = ip_pkt(v6, std::vector<uint8_t>(12, 0x02));  // 12 bytes of a TCP header
    EXPECT_TRUE(lab.send({cut}).empty());
  }
  EXPECT_EQ(counter("tcp-mss-clamping-ip4-in", "TCP header truncated"), 1u);
  EXPECT_EQ(counter("tcp-mss-clamping-ip6-in", "TCP header truncated"), 1u);
}

TEST(MssClampNodes, Ipv6ExtensionHeadersAreWalked) {
  Lab lab;
  cli("set interface tcp-mss-clamp " + lab.in_name + " ip6 rx ip6-mss 1220");
  auto ip = syn(true, 1440);
  // A destination-options header (8 bytes: PadN) before TCP.
  std::vector<uint8_t> dst = {IPPROTO_TCP, 0, 1, 4, 0, 0, 0, 0};
  ip.insert(ip.begin() + 40, dst.begin(), dst.end());
  ip[6] = 60;
  ip[5] = uint8_t(ip[5] + 8);
  auto o = lab.send({ip});
  ASSERT_EQ(o.size(), 1u);
  EXPECT_EQ(mss_values(o[0].ip.data() + 48), std::vector<uint16_t>{1220});
  // The checksum covers the segment and the pseudo-header only.
  std::vector<uint8_t> plain(o[0].ip.begin(), o[0].ip.begin() + 40);
  plain.insert(plain.end(), o[0].ip.begin() + 48, o[0].ip.end());
  plain[6] = IPPROTO_TCP;
  plain[5] = uint8_t(plain[5] - 8);
  EXPECT_TCP_CSUM_OK(plain);
}

TEST(MssClampNodes, DisableAndInterfaceDeletionTurnItOff) {
  Lab lab;
  cli("set interface tcp-mss-clamp " + lab.in_name + " ip4 enable ip4-mss 1000 ip6 rx");
  cli("set interface tcp-mss-clamp " + lab.in_name + " ip4 disable");
  EXPECT_EQ(lab.through(syn(false, 1460)), std::vector<uint16_t>{1460});
  EXPECT_EQ(lab.through(syn(true, 9000)), std::vector<uint16_t>{1440});  // ip6 kept
  EXPECT_FALSE(has_node(lab.in, "ip4-unicast", "tcp-mss-clamping-ip4-in"));
  EXPECT_FALSE(has_node(lab.in, "ip4-output", "tcp-mss-clamping-ip4-out"));
  EXPECT_TRUE(has_node(lab.in, "ip6-unicast", "tcp-mss-clamping-ip6-in"));
  EXPECT_FALSE(has_node(lab.in, "ip6-output", "tcp-mss-clamping-ip6-out"));
  cli("set interface tcp-mss-clamp " + lab.in_name + " ip6 disable");
  EXPECT_EQ(cli_json("show interface tcp-mss-clamp").size(), 0u);
  const uint32_t idx = lab.in;
  cli("set interface tcp-mss-clamp " + lab.in_name + " ip4 tx ip4-mss 1000");
  ops::delete_interface(idx);
  lab.in = ops::create_loopback(parse_mac("02:00:00:00:10:01"));  // the lowest free index: the same one
  ASSERT_EQ(lab.in, idx);
  EXPECT_EQ(mss::g_mss[idx].load(), 0u);
  EXPECT_EQ(cli_json("show interface tcp-mss-clamp").size(), 0u);
}

// ---- commands

TEST(MssClampCli, ShowAndRunningConfigSayWhatIsSet) {
  Lab lab;
  cli("set interface tcp-mss-clamp " + lab.in_name + " ip4 rx ip4-mss 1400");
  cli("set interface tcp-mss-clamp " + lab.out_name + " ip4 enable ip6 tx ip6-mss 1220");
  auto j = cli_json("show interface tcp-mss-clamp");
  ASSERT_EQ(j.size(), 2u);
  EXPECT_EQ(j[0]["interface"], lab.in_name);
  EXPECT_EQ(j[0]["ip4"], (nlohmann::json{{"rx", true}, {"tx", false}, {"mss", 1400}, {"configured_mss", 1400}}));
  EXPECT_EQ(j[0]["ip6"]["rx"], false);
  EXPECT_EQ(j[1]["ip4"], (nlohmann::json{{"rx", true}, {"tx", true}, {"mss", 1460}, {"configured_mss", 0}}));
  EXPECT_EQ(j[1]["ip6"]["mss"], 1220);
  EXPECT_EQ(cli_json("show interface tcp-mss-clamp " + lab.out_name).size(), 1u);
  const std::string text = cli("show interface tcp-mss-clamp");
  EXPECT_NE(text.find("1460 (MTU 1500)"), std::string::npos) << text;
  EXPECT_NE(text.find("rx tx"), std::string::npos) << text;
  auto rc = cli_json("show running-config");
  EXPECT_NE(std::find(rc.begin(), rc.end(), "set interface tcp-mss-clamp " + lab.in_name + " ip4 rx ip4-mss 1400"),
            rc.end());
  EXPECT_NE(std::find(rc.begin(), rc.end(),
                      "set interface tcp-mss-clamp " + lab.out_name + " ip4 enable ip6 tx ip6-mss 1220"),
            rc.end());
}

TEST(MssClampCli, BadLinesSayWhatIsWrongAndChangeNothing) {
  Lab lab;
  const std::string cmd = "set interface tcp-mss-clamp " + lab.in_name;
  cli(cmd + " ip4 rx ip4-mss 1400");
  const auto before = cli_json("show interface tcp-mss-clamp");
  const std::vector<std::pair<std::string, std::string>> bad = {
      {"set interface tcp-mss-clamp", "missing interface name"},
      {"set interface tcp-mss-clamp nosuch0 ip4 enable", "unknown interface 'nosuch0'"},
      {cmd, "is incomplete: expected ip4 or ip6"},
      {cmd + " ip4", "is incomplete: expected enable, disable, rx or tx"},
      {cmd + " ip4 sideways", "unknown word 'sideways' after"},
      {cmd + " ip4 enable ip4-mss", "missing ip4-mss"},
      {cmd + " ip4 enable ip4-mss lots", "bad ip4-mss 'lots'"},
      {cmd + " ip4 enable ip4-mss 65536", "ip4-mss 65536 is out of range (max 65535)"},
      {cmd + " ip4 enable ip4-mss 0", "ip4-mss 0 is below 88"},
      {cmd + " ip6 enable ip6-mss 40", "ip6-mss 40 is below 88"},
      {cmd + " ip4 disable ip4-mss 1400", "ip4-mss 1400 with ip4 disabled"},
      {cmd + " ip6 rx ip4-mss 1400", "ip4-mss needs"},
      {cmd + " ip4 rx ip4 tx", "'ip4' given twice"},
      {cmd + " ip4 rx ip6 tx ip6-mss 1300 mtu", "unknown word 'mtu'"},
  };
  for (auto& [line, want] : bad) {
    auto r = run(line);
    EXPECT_FALSE(r.ok) << line;
    EXPECT_NE(r.text.find(want), std::string::npos) << line << ": " << r.text;
    EXPECT_EQ(r.text.find('\n'), std::string::npos) << r.text;
  }
  EXPECT_EQ(cli_json("show interface tcp-mss-clamp"), before);
  EXPECT_FALSE(run("show interface tcp-mss-clamp nosuch0").ok);
  EXPECT_THROW(mss::set(lab.in, mss::Family{.dir = 7}, std::nullopt), Error);
  EXPECT_THROW(mss::set(kMaxInterfaces - 1, mss::Family{.dir = mss::kRx}, std::nullopt), Error);
  EXPECT_EQ(cli_json("show interface tcp-mss-clamp"), before);
}

}  // namespace
}  // namespace vp
