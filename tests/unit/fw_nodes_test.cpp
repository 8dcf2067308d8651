// The firewall's nodes on the real graph (single thread): two loopback
// interfaces in two zones, packets in through ethernet-input, what leaves
// either interface captured on its output arc after fw-ip4-out/fw-ip6-out.
// Sessions, return traffic, deny/reject, TCP SYN checking, zoned/unzoned
// boundaries, policy changes, related ICMP, fragments, screens and the
// session limit.
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <rte_icmp.h>
#include <rte_tcp.h>
#include <rte_udp.h>

#include <nlohmann/json.hpp>

#include "control/cli.hpp"
#include "features/fw/fw_runtime.hpp"
#include "features/fw/fw_state.hpp"
#include "graph/feature.hpp"
#include "graph/registry.hpp"
#include "helpers.hpp"
#include "io/if_ops.hpp"
#include "io/interface.hpp"
#include "io/ports/loopback/loopback.hpp"
#include "net/arp/neighbor.hpp"
#include "net/ip/ip_ops.hpp"

namespace vp {
namespace {

struct Seen {
  uint32_t tx_if;
  std::vector<uint8_t> bytes;
};
std::vector<Seen> g_out;

void capture(Thread&, NodeRt&, rte_mbuf** p, uint32_t n) {
  for (uint32_t i = 0; i < n; i++) {
    const auto* b = rte_pktmbuf_mtod(p[i], const uint8_t*);
    g_out.push_back({meta(p[i]).tx_if, std::vector<uint8_t>(b, b + rte_pktmbuf_data_len(p[i]))});
  }
  rte_pktmbuf_free_bulk(p, n);
}
NodeRegistration cap{{.name = "t-fw-capture", .fn = capture}};
FeatureRegistration f4{{.arc = "ip4-output", .node = "t-fw-capture", .runs_after = {"fw-ip4-out"}}};
FeatureRegistration f6{{.arc = "ip6-output", .node = "t-fw-capture", .runs_after = {"fw-ip6-out"}}};

using test::cli;
using test::cli_json;
using test::err;

// A packet from `src` to `dst` (IPv4 or IPv6 text), arriving on `in`.
struct Pkt {
  std::string src, dst;
  uint8_t proto = IPPROTO_UDP;
  uint16_t sport = 1000, dport = 53;
  uint8_t flags = 0;  // TCP
  uint32_t seq = 1, ack = 0;
  uint8_t icmp_type = 8, icmp_code = 0;
  uint16_t payload = 8;
  std::vector<uint8_t> l4_override;  // the L4 bytes as given (ICMP errors)
  uint16_t frag_off = 0;             // bytes
  bool more_frags = false;
  uint16_t ip_id = 7;
  uint8_t dst_mac_last = 0x01;
};

std::vector<uint8_t> build(const Pkt& p) {
  const IpAddr s = parse_ip(p.src), d = parse_ip(p.dst);
  std::vector<uint8_t> l4;
  if (!p.l4_override.empty()) {
    l4 = p.l4_override;
  } else if (p.proto == IPPROTO_TCP) {
    l4.resize(20 + p.payload);
    auto* th = reinterpret_cast<rte_tcp_hdr*>(l4.data());
    th->src_port = rte_cpu_to_be_16(p.sport);
    th->dst_port = rte_cpu_to_be_16(p.dport);
    th->sent_seq = rte_cpu_to_be_32(p.seq);
    th->recv_ack = rte_cpu_to_be_32(p.ack);
    th->data_off = 5 << 4;
    th->tcp_flags = p.flags;
    th->rx_win = rte_cpu_to_be_16(65535);
  } else if (p.proto == IPPROTO_UDP) {
    l4.resize(8 + p.payload);
    auto* uh = reinterpret_cast<rte_udp_hdr*>(l4.data());
    uh->src_port = rte_cpu_to_be_16(p.sport);
    uh->dst_port = rte_cpu_to_be_16(p.dport);
    uh->dgram_len = rte_cpu_to_be_16(uint16_t(l4.size()));
  } else {
    l4.resize(8 + p.payload);
    l4[0] = p.icmp_type;
    l4[1] = p.icmp_code;
    l4[4] = uint8_t(p.sport >> 8), l4[5] = uint8_t(p.sport);  // echo id
  }
  std::vector<uint8_t> b = test::eth(s.v6 ? 0x86dd : 0x0800, 14);
  b[5] = p.dst_mac_last;
  if (!s.v6) {
    std::vector<uint8_t> ip(20);
    auto* h = reinterpret_cast<rte_ipv4_hdr*>(ip.data());
    h->version_ihl = 0x45;
    h->total_length = rte_cpu_to_be_16(uint16_t(20 + l4.size()));
    h->packet_id = rte_cpu_to_be_16(p.ip_id);
    h->fragment_offset = rte_cpu_to_be_16(uint16_t(p.frag_off / 8) | (p.more_frags ? RTE_IPV4_HDR_MF_FLAG : 0));
    h->time_to_live = 64;
    h->next_proto_id = p.proto;
    std::memcpy(&h->src_addr, s.b.data(), 4);
    std::memcpy(&h->dst_addr, d.b.data(), 4);
    h->hdr_checksum = rte_ipv4_cksum(h);
    b.insert(b.end(), ip.begin(), ip.end());
  } else {
    const bool frag = p.frag_off || p.more_frags;
    std::vector<uint8_t> ip(40 + (frag ? 8 : 0));
    auto* h = reinterpret_cast<rte_ipv6_hdr*>(ip.data());
    h->vtc_flow = RTE_BE32(0x60000000);
    h->payload_len = rte_cpu_to_be_16(uint16_t(l4.size() + (frag ? 8 : 0)));
    h->proto = frag ? uint8_t(IPPROTO_FRAGMENT) : p.proto;
    h->hop_limits = 64;
    std::memcpy(h->src_addr, s.b.data(), 16);
    std::memcpy(h->dst_addr, d.b.data(), 16);
    if (frag) {
      ip[40] = p.proto;
      const uint16_t off = uint16_t(p.frag_off | (p.more_frags ? 1 : 0));
      ip[42] = uint8_t(off >> 8), ip[43] = uint8_t(off);
      ip[47] = uint8_t(p.ip_id);
    }
    b.insert(b.end(), ip.begin(), ip.end());
  }
  b.insert(b.end(), l4.begin(), l4.end());
  return b;
}

// trust (in, 192.0.2.1/24, 2001:db8:1::1/64) and untrust (out,
// 198.51.100.1/24, 2001:db8:2::1/64), hosts .2 on each side resolved, and
// an unzoned third interface (side, 203.0.113.1/24).
struct Lab {
  uint32_t in = ops::create_loopback(parse_mac("02:00:00:00:00:01"));
  uint32_t out = ops::create_loopback(parse_mac("02:00:00:00:00:02"));
  uint32_t side = ops::create_loopback(parse_mac("02:00:00:00:00:03"));
  std::string in_name = ifs().at(in)->name, out_name = ifs().at(out)->name, side_name = ifs().at(side)->name;
  Lab() {
    ops::set_interface_address(in, parse_prefix("192.0.2.1/24"), false);
    ops::set_interface_address(in, parse_prefix("2001:db8:1::1/64"), false);
    ops::set_interface_address(out, parse_prefix("198.51.100.1/24"), false);
    ops::set_interface_address(out, parse_prefix("2001:db8:2::1/64"), false);
    ops::set_interface_address(side, parse_prefix("203.0.113.1/24"), false);
    for (uint32_t i : {in, out, side}) {
      ops::set_state(i, true);
      ops::set_feature(i, "ip4-output", "t-fw-capture", true);
      ops::set_feature(i, "ip6-output", "t-fw-capture", true);
    }
    ops::neighbor_add(in, parse_ip("192.0.2.2"), parse_mac("02:00:00:00:01:02"));
    ops::neighbor_add(out, parse_ip("198.51.100.2"), parse_mac("02:00:00:00:02:02"));
    ops::neighbor_add(side, parse_ip("203.0.113.2"), parse_mac("02:00:00:00:03:02"));
    ops::neighbor_add(in, parse_ip("2001:db8:1::2"), parse_mac("02:00:00:00:01:02"));
    ops::neighbor_add(out, parse_ip("2001:db8:2::2"), parse_mac("02:00:00:00:02:02"));
    cli("set security zones security-zone trust interfaces " + in_name);
    cli("set security zones security-zone untrust interfaces " + out_name);
    cli("set security policies from-zone trust to-zone untrust policy out match source-address any");
    cli("set security policies from-zone trust to-zone untrust policy out match destination-address any");
    cli("set security policies from-zone trust to-zone untrust policy out match application any");
    cli("set security policies from-zone trust to-zone untrust policy out then permit");
    fw::publish_now();
  }
  ~Lab() {
    cli("clear security flow session");
    cli("delete security policies from-zone trust to-zone untrust policy out");
    for (const char* p : {"deny-in", "rej"})
      Cli::get().execute(fmt::format("delete security policies from-zone untrust to-zone trust policy {}", p), false);
    cli("delete security zones security-zone trust");
    cli("delete security zones security-zone untrust");
    Cli::get().execute("delete security screen ids-option scr", false);
    Cli::get().execute("delete security flow session-limit", false);
    fw::publish_now();
    for (uint32_t i : {in, out, side}) ops::delete_interface(i);
  }
  // Sends the packets in one vector and returns what left, by interface.
  std::vector<Seen> send(const std::vector<Pkt>& ps, uint32_t rx) {
    g_out.clear();
    std::vector<rte_mbuf*> v;
    for (auto& p : ps) {
      Pkt q = p;
      q.dst_mac_last = uint8_t(rx == in ? 0x01 : rx == out ? 0x02 : 0x03);
      v.push_back(test::frame(build(q), rx));
    }
    test::T().enqueue(Registry::get().id("ethernet-input"), v.data(), uint32_t(v.size()));
    test::T().run_pending();
    return g_out;
  }
  uint64_t sessions() { return cli_json("show security flow session summary")["total"]; }
};

Pkt udp(const char* s, const char* d, uint16_t sp = 1000, uint16_t dp = 53) {
  Pkt p;
  p.src = s, p.dst = d, p.sport = sp, p.dport = dp;
  return p;
}
Pkt tcp(const char* s, const char* d, uint16_t sp, uint16_t dp, uint8_t flags, uint32_t seq = 1, uint32_t ack = 0) {
  Pkt p;
  p.src = s, p.dst = d, p.proto = IPPROTO_TCP, p.sport = sp, p.dport = dp, p.flags = flags, p.seq = seq, p.ack = ack;
  p.payload = 0;
  return p;
}

TEST(FwNodes, PermittedFlowOpensASessionAndItsRepliesPass) {
  Lab lab;
  auto o = lab.send({udp("192.0.2.2", "198.51.100.2")}, lab.in);
  ASSERT_EQ(o.size(), 1u);
  EXPECT_EQ(o[0].tx_if, lab.out);
  EXPECT_EQ(lab.sessions(), 1u);
  o = lab.send({udp("198.51.100.2", "192.0.2.2", 53, 1000)}, lab.out);  // the reply
  ASSERT_EQ(o.size(), 1u);
  EXPECT_EQ(o[0].tx_if, lab.in);
  o = lab.send({udp("198.51.100.2", "192.0.2.2", 53, 1001)}, lab.out);  // unsolicited
  EXPECT_TRUE(o.empty());
  EXPECT_GE(err("fw-ip4-new", "denied by policy"), 1u);
  auto s = cli_json("show security flow session")["sessions"][0];
  EXPECT_EQ(s["source"], "192.0.2.2");
  EXPECT_EQ(s["destination_port"], 53);
  EXPECT_EQ(s["from_zone"], "trust");
  EXPECT_EQ(s["to_zone"], "untrust");
  EXPECT_EQ(s["policy"], "out");
  EXPECT_EQ(s["packets_in"], 1);
  EXPECT_EQ(s["packets_out"], 1);
}

TEST(FwNodes, Ipv6FlowsAreTrackedToo) {
  Lab lab;
  auto o = lab.send({udp("2001:db8:1::2", "2001:db8:2::2")}, lab.in);
  ASSERT_EQ(o.size(), 1u);
  o = lab.send({udp("2001:db8:2::2", "2001:db8:1::2", 53, 1000), udp("2001:db8:2::2", "2001:db8:1::2", 53, 9)},
               lab.out);
  ASSERT_EQ(o.size(), 1u);  // the reply, not the unsolicited one
  EXPECT_EQ(lab.sessions(), 1u);
}

TEST(FwNodes, TcpNeedsASynAndTracksTheHandshake) {
  Lab lab;
  EXPECT_TRUE(lab.send({tcp("192.0.2.2", "198.51.100.2", 4000, 80, RTE_TCP_ACK_FLAG)}, lab.in).empty());
  EXPECT_GE(err("fw-ip4-new", "TCP without SYN and no session"), 1u);
  EXPECT_EQ(lab.send({tcp("192.0.2.2", "198.51.100.2", 4000, 80, RTE_TCP_SYN_FLAG, 100)}, lab.in).size(), 1u);
  EXPECT_EQ(
      lab.send({tcp("198.51.100.2", "192.0.2.2", 80, 4000, RTE_TCP_SYN_FLAG | RTE_TCP_ACK_FLAG, 500, 101)}, lab.out)
          .size(),
      1u);
  EXPECT_EQ(lab.send({tcp("192.0.2.2", "198.51.100.2", 4000, 80, RTE_TCP_ACK_FLAG, 101, 501)}, lab.in).size(), 1u);
  EXPECT_EQ(cli_json("show security flow session")["sessions"][0]["state"], "established");
  // An RST far outside the window is refused; one at the expected sequence closes.
  EXPECT_TRUE(
      lab.send({tcp("198.51.100.2", "192.0.2.2", 80, 4000, RTE_TCP_RST_FLAG, 500 + (1u << 31))}, lab.out).empty());
  EXPECT_GE(err("fw-ip4", "TCP RST outside the window"), 1u);
  EXPECT_EQ(lab.send({tcp("198.51.100.2", "192.0.2.2", 80, 4000, RTE_TCP_RST_FLAG, 501)}, lab.out).size(), 1u);
}

TEST(FwNodes, RejectAnswersTcpWithResetAndUdpWithProhibited) {
  Lab lab;
  for (const char* w :
       {"match source-address any", "match destination-address any", "match application any", "then reject"})
    cli(std::string("set security policies from-zone untrust to-zone trust policy rej ") + w);
  fw::publish_now();
  auto o = lab.send({tcp("198.51.100.2", "192.0.2.2", 5555, 22, RTE_TCP_SYN_FLAG, 1000)}, lab.out);
  ASSERT_EQ(o.size(), 1u);
  EXPECT_EQ(o[0].tx_if, lab.out);  // back to the sender
  const auto* ip = reinterpret_cast<const rte_ipv4_hdr*>(o[0].bytes.data() + 14);
  const auto* th = reinterpret_cast<const rte_tcp_hdr*>(ip + 1);
  EXPECT_EQ(th->tcp_flags, RTE_TCP_RST_FLAG | RTE_TCP_ACK_FLAG);
  EXPECT_EQ(rte_be_to_cpu_32(th->recv_ack), 1001u);
  EXPECT_EQ(rte_be_to_cpu_16(th->src_port), 22);
  std::vector<uint8_t> copy(o[0].bytes.begin() + 14, o[0].bytes.end());
  auto* cth = reinterpret_cast<rte_tcp_hdr*>(copy.data() + 20);
  cth->cksum = 0;
  EXPECT_EQ(rte_ipv4_udptcp_cksum(reinterpret_cast<const rte_ipv4_hdr*>(copy.data()), cth), th->cksum);
  o = lab.send({udp("198.51.100.2", "192.0.2.2")}, lab.out);
  ASSERT_EQ(o.size(), 1u);
  const auto* icmp = o[0].bytes.data() + 14 + 20;
  EXPECT_EQ(icmp[0], 3);
  EXPECT_EQ(icmp[1], 13);
  EXPECT_EQ(lab.sessions(), 0u);
}

TEST(FwNodes, ZonedAndUnzonedInterfacesDoNotTalk) {
  Lab lab;
  EXPECT_TRUE(lab.send({udp("192.0.2.2", "203.0.113.2")}, lab.in).empty());
  EXPECT_GE(err("fw-ip4-new", "between a zoned and an unzoned interface"), 1u);
  EXPECT_TRUE(lab.send({udp("203.0.113.2", "192.0.2.2")}, lab.side).empty());
  EXPECT_GE(err("fw-ip4-out", "between an unzoned and a zoned interface"), 1u);
}

TEST(FwNodes, PolicyChangeClosesSessionsItNoLongerPermits) {
  Lab lab;
  ASSERT_EQ(lab.send({udp("192.0.2.2", "198.51.100.2")}, lab.in).size(), 1u);
  cli("set security policies from-zone trust to-zone untrust policy out then deny");
  fw::publish_now();
  EXPECT_TRUE(lab.send({udp("192.0.2.2", "198.51.100.2")}, lab.in).empty());
  EXPECT_GE(err("fw-ip4-new", "session closed by a policy change"), 1u);
  EXPECT_EQ(lab.sessions(), 0u);
  cli("set security policies from-zone trust to-zone untrust policy out then permit");
  fw::publish_now();
  ASSERT_EQ(lab.send({udp("192.0.2.2", "198.51.100.2")}, lab.in).size(), 1u);
  cli("set security policies from-zone trust to-zone untrust policy out then count");
  fw::publish_now();  // still permits: the session is re-matched and kept
  ASSERT_EQ(lab.send({udp("192.0.2.2", "198.51.100.2")}, lab.in).size(), 1u);
  EXPECT_GE(err("fw-ip4-new", "session re-matched after a policy change"), 1u);
  EXPECT_EQ(lab.sessions(), 1u);
}

TEST(FwNodes, IcmpErrorsPassOnlyForTheirSession) {
  Lab lab;
  ASSERT_EQ(lab.send({udp("192.0.2.2", "198.51.100.2", 1000, 9999)}, lab.in).size(), 1u);
  // Port unreachable from the far host, quoting the datagram.
  auto quoted = build(udp("192.0.2.2", "198.51.100.2", 1000, 9999));
  std::vector<uint8_t> l4 = {3, 3, 0, 0, 0, 0, 0, 0};
  l4.insert(l4.end(), quoted.begin() + 14, quoted.begin() + 14 + 28);
  Pkt e = udp("198.51.100.2", "192.0.2.2");
  e.proto = IPPROTO_ICMP;
  e.l4_override = l4;
  EXPECT_EQ(lab.send({e}, lab.out).size(), 1u);
  // The same error about a datagram that never went out.
  auto other = build(udp("192.0.2.2", "198.51.100.2", 1000, 7777));
  std::copy(other.begin() + 14, other.begin() + 14 + 28, e.l4_override.begin() + 8);
  EXPECT_TRUE(lab.send({e}, lab.out).empty());
  EXPECT_GE(err("fw-ip4", "ICMP error without a session"), 1u);
}

TEST(FwNodes, FragmentsFollowTheirFirstFragmentsVerdict) {
  Lab lab;
  Pkt first = udp("192.0.2.2", "198.51.100.2", 1000, 53);
  first.payload = 24, first.more_frags = true, first.ip_id = 41;
  Pkt second = first;
  second.l4_override.assign(32, 0xab);
  second.frag_off = 32, second.more_frags = false;
  // The second before the first: held, then released by the first's verdict.
  EXPECT_TRUE(lab.send({second}, lab.in).empty());
  EXPECT_EQ(lab.send({first}, lab.in).size(), 1u);
  g_out.clear();
  test::T().loop_once();  // fw-timer applies the verdict
  test::T().run_pending();
  EXPECT_EQ(g_out.size(), 1u) << err("fw-ip4-frag", "fragment held until its first arrives") << " held, "
                              << err("fw-ip4-frag", "fragment passed (datagram permitted)") << " passed";
  // An overlapping fragment is dropped.
  Pkt overlap = second;
  overlap.frag_off = 24;
  EXPECT_TRUE(lab.send({overlap}, lab.in).empty());
  EXPECT_GE(err("fw-ip4-frag", "overlapping fragment"), 1u);
  // A datagram whose first fragment is denied: its fragments go too.
  Pkt dfirst = udp("198.51.100.2", "192.0.2.2", 53, 2000);  // no session: the default policy denies
  dfirst.payload = 24, dfirst.more_frags = true, dfirst.ip_id = 42;
  Pkt dsecond = dfirst;
  dsecond.l4_override.assign(16, 0xcd);
  dsecond.frag_off = 32, dsecond.more_frags = false;
  EXPECT_TRUE(lab.send({dfirst}, lab.out).empty());
  test::T().loop_once();
  test::T().run_pending();
  EXPECT_TRUE(lab.send({dsecond}, lab.out).empty());
  EXPECT_GE(err("fw-ip4-frag", "fragment of a denied datagram"), 1u);
}

TEST(FwNodes, ScreensDropWhatTheyScreen) {
  Lab lab;
  cli("set security screen ids-option scr tcp land");
  cli("set security screen ids-option scr tcp syn-fin");
  cli("set security screen ids-option scr tcp tcp-no-flag");
  cli("set security screen ids-option scr udp flood threshold 5");
  cli("set security zones security-zone trust screen scr");
  EXPECT_TRUE(lab.send({tcp("192.0.2.2", "198.51.100.2", 1, 2, RTE_TCP_SYN_FLAG | RTE_TCP_FIN_FLAG)}, lab.in).empty());
  EXPECT_TRUE(lab.send({tcp("192.0.2.2", "198.51.100.2", 1, 2, 0)}, lab.in).empty());
  EXPECT_TRUE(lab.send({tcp("198.51.100.2", "198.51.100.2", 1, 2, RTE_TCP_SYN_FLAG)}, lab.in).empty());
  std::vector<Pkt> flood;
  for (uint16_t i = 0; i < 20; i++) flood.push_back(udp("192.0.2.2", "198.51.100.2", uint16_t(2000 + i)));
  const size_t passed = lab.send(flood, lab.in).size();
  EXPECT_LE(passed, 5u);
  auto j = cli_json("show security screen statistics zone trust")["counters"];
  EXPECT_EQ(j["TCP SYN FIN"], 1);
  EXPECT_EQ(j["TCP no flag"], 1);
  EXPECT_EQ(j["TCP land attack"], 1);
  EXPECT_EQ(j["UDP flood"], 20 - passed);
}

TEST(FwNodes, AFullTableRefusesNewSessionsAndKeepsTheOldOnes) {
  Lab lab;
  cli("set security flow session-limit 2");
  EXPECT_EQ(lab.send({udp("192.0.2.2", "198.51.100.2", 1), udp("192.0.2.2", "198.51.100.2", 2),
                      udp("192.0.2.2", "198.51.100.2", 3)},
                     lab.in)
                .size(),
            2u);
  EXPECT_GE(err("fw-ip4-new", "session table full"), 1u);
  EXPECT_EQ(lab.send({udp("198.51.100.2", "192.0.2.2", 53, 1)}, lab.out).size(), 1u);
  cli("clear security flow session");
  EXPECT_EQ(lab.sessions(), 0u);
}

TEST(FwNodes, PerSourceLimitRefusesOneSourceNotTheOthers) {
  Lab lab;
  cli("set security flow session-limit 1000 per-source 2");
  EXPECT_EQ(lab.send({udp("192.0.2.2", "198.51.100.2", 1), udp("192.0.2.2", "198.51.100.2", 2),
                      udp("192.0.2.2", "198.51.100.2", 3), udp("192.0.2.3", "198.51.100.2", 4)},
                     lab.in)
                .size(),
            3u);
  EXPECT_GE(err("fw-ip4-new", "per-source session limit"), 1u);
  cli("clear security flow session");  // frees the source's count
  EXPECT_EQ(lab.send({udp("192.0.2.2", "198.51.100.2", 5)}, lab.in).size(), 1u);
  cli("delete security flow session-limit");
}

}  // namespace
}  // namespace vp
