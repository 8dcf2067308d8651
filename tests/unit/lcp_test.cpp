// Linux mirrors against the real kernel: lcp-punt hands frames to the
// mirror's TAP, the shared ring brings frames the kernel sends back to the
// right interface, and a deleted mirror leaves Linux. Runs as root in a
// namespace of its own.
#include "features/lcp/lcp.hpp"

#include <arpa/inet.h>
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <nlohmann/json.hpp>

#include "features/lcp/mirror.hpp"
#include "graph/feature.hpp"
#include "graph/registry.hpp"
#include "helpers.hpp"
#include "io/if_ops.hpp"
#include "io/interface.hpp"
#include "io/netns.hpp"
#include "io/ports/null_sink/null_sink.hpp"

namespace vp {
namespace {

std::string run(const std::string& cmd) {
  std::string out;
  FILE* f = popen(cmd.c_str(), "r");
  char buf[4096];
  while (f && fgets(buf, sizeof buf, f)) out += buf;
  if (f) pclose(f);
  return out;
}

// Removed even when a test fails half way.
struct Netns {
  std::string name = fmt::format("vpu{}", getpid());
  Netns() {
    run("ip netns add " + name);
    // Quiet mirrors: no router solicitations or MLD reports of the kernel's own.
    run(fmt::format("ip netns exec {} sysctl -qw net.ipv6.conf.default.disable_ipv6=1", name));
  }
  ~Netns() { run("ip netns del " + name); }
};

struct Lab {
  Netns netns;
  const std::string& ns = netns.name;
  uint32_t a, b;
  Lab() {
    a = ops::create_null_sink(71);
    b = ops::create_null_sink(72);
    ops::set_state(a, true);
    ops::set_state(b, true);
    ops::lcp_create(a, "m0", ns);
    ops::lcp_create(b, "m1", ns);
  }
  ~Lab() {
    for (uint32_t i : {a, b}) {
      if (ops::lcp_mirror_of(i) != kNoIf) ops::lcp_delete(i);
      ops::delete_interface(i);
    }
    mirror_flush_retired();
  }
  uint64_t kernel_rx(const std::string& dev) {
    auto j = nlohmann::json::parse(run(fmt::format("ip -n {} -s -j link show {}", ns, dev)));
    return j[0]["stats64"]["rx"]["packets"].get<uint64_t>();
  }
  uint32_t mirror(uint32_t i) { return ops::lcp_mirror_of(i); }
};

rte_mbuf* punted(uint32_t rx_if) {
  rte_mbuf* m = test::frame(test::eth(0x0800, 60), rx_if);
  PktMeta& pm = meta(m);
  pm.arc = Arcs::get().find("ip4-punt")->index;
  pm.arc_pos = 0;
  return m;
}

// Frames the kernel sends out of dev, as a routing daemon's would.
void send_raw(const std::string& ns, const char* dev, int n) {
  NetnsGuard g(ns);
  int s = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, 0);
  ASSERT_GE(s, 0);
  sockaddr_ll to{};
  to.sll_family = AF_PACKET;
  to.sll_ifindex = int(if_nametoindex(dev));
  to.sll_halen = 6;
  auto f = test::eth(0x88b5, 80);
  for (int i = 0; i < n; i++) EXPECT_EQ(sendto(s, f.data(), f.size(), 0, (sockaddr*)&to, sizeof to), 80);
  close(s);
}

uint64_t err(const char* node, uint16_t code) {
  auto& reg = Registry::get();
  return test::T().error_count(reg.error_id(reg.id(node), code));
}

TEST(Lcp, PuntReachesTheKernelThroughTheMirrorOfTheArrivalInterface) {
  Lab l;
  uint64_t k0 = l.kernel_rx("m0"), k1 = l.kernel_rx("m1"), p0 = err("lcp-punt", 0);
  uint32_t plain = ops::create_null_sink(73);  // no mirror: continues along the arc
  ops::set_state(plain, true);
  std::vector<rte_mbuf*> v = {punted(l.a), punted(l.a), punted(plain)};
  test::T().enqueue(Registry::get().id("lcp-punt"), v.data(), uint32_t(v.size()));
  test::T().run_pending();
  EXPECT_EQ(err("lcp-punt", 0), p0 + 2);
  EXPECT_EQ(ifs().counters(l.mirror(l.a)).tx_packets, 2u);
  EXPECT_EQ(ifs().counters(l.mirror(l.b)).tx_packets, 0u);
  EXPECT_EQ(ifs().counters(l.a).punts, 2u);
  EXPECT_EQ(ifs().counters(plain).punts, 0u);
  // The writes complete in the kernel shortly after.
  auto until = std::chrono::steady_clock::now() + std::chrono::seconds(2);
  while (l.kernel_rx("m0") < k0 + 2 && std::chrono::steady_clock::now() < until) usleep(10000);
  EXPECT_EQ(l.kernel_rx("m0"), k0 + 2);
  EXPECT_EQ(l.kernel_rx("m1"), k1);
  ops::delete_interface(plain);
}

TEST(Lcp, WhatTheKernelSendsOnAMirrorLeavesOnItsInterface) {
  Lab l;
  uint64_t a0 = ifs().counters(l.a).tx_packets, b0 = ifs().counters(l.b).tx_packets;
  send_raw(l.ns, "m1", 3);
  auto until = std::chrono::steady_clock::now() + std::chrono::seconds(2);
  while (ifs().counters(l.b).tx_packets < b0 + 3 && std::chrono::steady_clock::now() < until) test::T().loop_once();
  EXPECT_EQ(ifs().counters(l.b).tx_packets, b0 + 3);
  EXPECT_EQ(ifs().counters(l.a).tx_packets, a0);
  EXPECT_EQ(ifs().counters(l.mirror(l.b)).rx_packets, 3u);
  EXPECT_EQ(mirror_hub_stats()["mirrors"], 2u);
}

TEST(Lcp, ADeletedMirrorLeavesLinuxAndItsNameCanBeUsedAgainAtOnce) {
  Lab l;
  ops::lcp_delete(l.a);
  EXPECT_EQ(mirror_hub_stats()["mirrors"], 1u);
  ops::lcp_create(l.a, "m0", l.ns);  // the old m0 is removed first
  ops::lcp_delete(l.a);
  mirror_flush_retired();
  EXPECT_EQ(run(fmt::format("ip -n {} -o link show m0 2>/dev/null", l.ns)), "");
  EXPECT_NE(run(fmt::format("ip -n {} -o link show m1", l.ns)), "");
  // The one left still receives.
  uint64_t b0 = ifs().counters(l.b).tx_packets;
  send_raw(l.ns, "m1", 1);
  auto until = std::chrono::steady_clock::now() + std::chrono::seconds(2);
  while (ifs().counters(l.b).tx_packets == b0 && std::chrono::steady_clock::now() < until) test::T().loop_once();
  EXPECT_GT(ifs().counters(l.b).tx_packets, b0);
}

}  // namespace
}  // namespace vp
