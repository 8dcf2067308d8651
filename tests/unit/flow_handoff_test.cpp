// ip4-flow-handoff / ip6-flow-handoff: owner selection, symmetry of both
// directions, spread over threads, the keep path along the arc and the
// handoff path between two thread replicas.
#include <gtest/gtest.h>
#include <rte_ring.h>

#include <array>
#include <map>
#include <random>

#include "graph/feature.hpp"
#include "graph/registry.hpp"
#include "helpers.hpp"
#include "io/if_ops.hpp"
#include "io/ports/loopback/loopback.hpp"
#include "io/interface.hpp"
#include "net/ip/flow_owner.hpp"

namespace vp {
namespace {

// A feature after the handoff node on both arcs: records where each packet
// ended up (thread, flow hash, the flow and direction written in its payload).
struct Seen {
  uint32_t thread, hash, flow, dir;
};
std::vector<Seen> g_seen;

constexpr uint32_t kPayloadOff = 14 + 40 + 8;  // past Ethernet, IPv6 or IPv4 (padded below) and UDP

void sink(Thread& t, NodeRt&, rte_mbuf** p, uint32_t n) {
  for (uint32_t i = 0; i < n; i++) {
    uint32_t tag[2];
    std::memcpy(tag, rte_pktmbuf_mtod_offset(p[i], uint8_t*, kPayloadOff), sizeof tag);
    g_seen.push_back({t.index(), meta(p[i]).flow_hash, tag[0], tag[1]});
  }
  rte_pktmbuf_free_bulk(p, n);
}
NodeRegistration sink_reg{{.name = "t-after-flow-handoff", .fn = sink}};
FeatureRegistration sink4{{.arc = "ip4-unicast", .node = "t-after-flow-handoff", .runs_after = {"ip4-flow-handoff"}}};
FeatureRegistration sink6{{.arc = "ip6-unicast", .node = "t-after-flow-handoff", .runs_after = {"ip6-flow-handoff"}}};

struct Flow {
  std::array<uint8_t, 16> src{}, dst{};  // IPv4 uses the first 4 bytes
  uint16_t sport, dport;
};

Flow random_flow(std::mt19937& rng) {
  Flow f;
  for (auto& b : f.src) b = uint8_t(rng());
  for (auto& b : f.dst) b = uint8_t(rng());
  f.sport = uint16_t(rng());
  f.dport = uint16_t(rng());
  return f;
}

Flow reversed(const Flow& f) { return {f.dst, f.src, f.dport, f.sport}; }

// A UDP packet of `f` that has entered the arc on `sw_if` (as ip4-input or
// ip6-input leave it), tagged with (flow, dir) in its payload.
rte_mbuf* packet(bool v6, const Flow& f, uint32_t sw_if, uint32_t flow, uint32_t dir) {
  std::vector<uint8_t> b = test::eth(v6 ? 0x86dd : 0x0800, kPayloadOff + 8);
  uint8_t* ip = b.data() + 14;
  uint8_t* udp;
  if (v6) {
    ip[0] = 0x60;
    ip[6] = 17;  // next header: UDP
    ip[7] = 64;
    std::memcpy(ip + 8, f.src.data(), 16);
    std::memcpy(ip + 24, f.dst.data(), 16);
    udp = ip + 40;
  } else {
    // A 40-byte header (20 of options) keeps the payload at the same offset.
    ip[0] = 0x4a;
    ip[8] = 64;
    ip[9] = 17;
    std::memcpy(ip + 12, f.src.data(), 4);
    std::memcpy(ip + 16, f.dst.data(), 4);
    udp = ip + 40;
  }
  udp[0] = uint8_t(f.sport >> 8), udp[1] = uint8_t(f.sport);
  udp[2] = uint8_t(f.dport >> 8), udp[3] = uint8_t(f.dport);
  uint32_t tag[2] = {flow, dir};
  std::memcpy(b.data() + kPayloadOff, tag, sizeof tag);
  rte_mbuf* m = test::frame(b, sw_if);
  meta(m).l3_off = 14;
  return m;
}

// Enters the packet on its interface's arc; returns the first node.
NodeId enter(rte_mbuf* m, bool v6) {
  const ArcDef* arc = Arcs::get().find(v6 ? "ip6-unicast" : "ip4-unicast");
  return arc_enter(if_fast(meta(m).rx_if), *arc, meta(m));
}

uint64_t counter(Thread& t, const char* node, uint16_t code) {
  return t.error_count(Registry::get().error_id(Registry::get().id(node), code));
}

TEST(FlowOwner, SlotCoversTheRangeEvenly) {
  EXPECT_EQ(flow_owner_slot(0, 1), 0u);
  EXPECT_EQ(flow_owner_slot(0xffffffff, 1), 0u);
  EXPECT_EQ(flow_owner_slot(0, 3), 0u);
  EXPECT_EQ(flow_owner_slot(0xffffffff, 3), 2u);
  // n equal slices of the hash range, split at ceil(k * 2^32 / n).
  EXPECT_EQ(flow_owner_slot(0x55555555, 3), 0u);
  EXPECT_EQ(flow_owner_slot(0x55555556, 3), 1u);
  EXPECT_EQ(flow_owner_slot(0x7fffffff, 2), 0u);
  EXPECT_EQ(flow_owner_slot(0x80000000, 2), 1u);
  FlowOwners o({4, 7, 9});
  EXPECT_EQ(o.owner(0), 4u);
  EXPECT_EQ(o.owner(0x80000000), 7u);
  EXPECT_EQ(o.owner(0xffffffff), 9u);
}

// Single-thread mode (the unit-test engine): every packet is kept and
// continues along the arc, with its flow hash stored.
TEST(FlowHandoff, OneForwardingThreadKeepsEveryPacketOnTheArc) {
  ASSERT_EQ(threads().forwarding(), std::vector<uint32_t>{0});
  uint32_t lo = ops::create_loopback({});
  ops::set_feature(lo, "ip4-unicast", "ip4-flow-handoff", true);
  ops::set_feature(lo, "ip4-unicast", "t-after-flow-handoff", true);
  std::mt19937 rng(1);
  uint64_t kept = counter(test::T(), "ip4-flow-handoff", 1);
  g_seen.clear();
  for (uint32_t i = 0; i < 50; i++) {
    rte_mbuf* m = packet(false, random_flow(rng), lo, i, 0);
    NodeId first = enter(m, false);
    ASSERT_EQ(first, Registry::get().id("ip4-flow-handoff"));
    test::T().enqueue1(first, m);
  }
  test::T().run_pending();
  ASSERT_EQ(g_seen.size(), 50u);
  for (auto& s : g_seen) {
    EXPECT_EQ(s.thread, 0u);
    EXPECT_NE(s.hash, 0u);
  }
  EXPECT_EQ(counter(test::T(), "ip4-flow-handoff", 1), kept + 50);
  EXPECT_EQ(counter(test::T(), "ip4-flow-handoff", 0), 0u);

  // With no other feature after it, a kept packet goes to the arc's end.
  ops::set_feature(lo, "ip4-unicast", "t-after-flow-handoff", false);
  NodeRt& lookup = test::T().node(Registry::get().id("ip4-lookup"));
  uint64_t before = lookup.vectors;
  g_seen.clear();
  for (uint32_t i = 0; i < 5; i++) {
    rte_mbuf* m = packet(false, random_flow(rng), lo, i, 0);
    test::T().enqueue1(enter(m, false), m);
  }
  test::T().run_pending();
  EXPECT_EQ(lookup.vectors, before + 5);
  EXPECT_TRUE(g_seen.empty());
  ops::delete_interface(lo);
}

// Two forwarding threads (private replicas joined by SP/SC rings both ways):
// each flow's forward direction arrives on thread 0 and its reverse on
// thread 1. Both directions must carry the same hash and be processed by the
// same thread, the owner; the owners spread over both threads; exactly one
// direction of each flow is handed off.
void two_threads(bool v6, uint32_t flows) {
  const char* node = v6 ? "ip6-flow-handoff" : "ip4-flow-handoff";
  const char* arc = v6 ? "ip6-unicast" : "ip4-unicast";
  Thread a(0, 2, 256), b(1, 2, 256);
  rte_ring* ab = rte_ring_create(v6 ? "ut-fh6-01" : "ut-fh4-01", 4096, SOCKET_ID_ANY, RING_F_SP_ENQ | RING_F_SC_DEQ);
  rte_ring* ba = rte_ring_create(v6 ? "ut-fh6-10" : "ut-fh4-10", 4096, SOCKET_ID_ANY, RING_F_SP_ENQ | RING_F_SC_DEQ);
  ASSERT_TRUE(ab && ba);
  a.set_out_ring(1, ab);
  b.set_handoff_ring(0, ab);
  b.set_out_ring(0, ba);
  a.set_handoff_ring(1, ba);
  // What the node's init reads from threads() in a daemon with two workers.
  const NodeId id = Registry::get().id(node);
  for (Thread* t : {&a, &b}) {
    delete static_cast<FlowOwners*>(t->node(id).state);
    t->node(id).state = new FlowOwners({0, 1});
  }
  uint32_t lo = ops::create_loopback({});
  ops::set_feature(lo, arc, node, true);
  ops::set_feature(lo, arc, "t-after-flow-handoff", true);

  std::mt19937 rng(v6 ? 6 : 4);
  g_seen.clear();
  // In vectors of up to 200, as they would arrive.
  for (uint32_t f = 0; f < flows;) {
    for (uint32_t k = 0; k < 200 && f < flows; k++, f++) {
      Flow fw = random_flow(rng);
      rte_mbuf* m = packet(v6, fw, lo, f, 0);
      a.enqueue1(enter(m, v6), m);
      m = packet(v6, reversed(fw), lo, f, 1);
      b.enqueue1(enter(m, v6), m);
    }
    a.run_pending();
    b.run_pending();
    a.loop_once();  // drains what b handed off
    b.loop_once();  // drains what a handed off
  }

  ASSERT_EQ(g_seen.size(), 2 * flows);
  std::vector<std::array<Seen, 2>> by(flows);
  std::vector<uint32_t> count(flows * 2, 0);
  for (auto& s : g_seen) {
    ASSERT_LT(s.flow, flows);
    ASSERT_LT(s.dir, 2u);
    by[s.flow][s.dir] = s;
    count[s.flow * 2 + s.dir]++;
  }
  for (uint32_t c : count) ASSERT_EQ(c, 1u);
  uint32_t on0 = 0;
  for (uint32_t f = 0; f < flows; f++) {
    EXPECT_EQ(by[f][0].hash, by[f][1].hash) << "flow " << f;
    EXPECT_EQ(by[f][0].thread, by[f][1].thread) << "flow " << f;
    EXPECT_EQ(by[f][0].thread, flow_owner_slot(by[f][0].hash, 2)) << "flow " << f;
    on0 += by[f][0].thread == 0;
  }
  EXPECT_GE(on0, flows * 35 / 100);
  EXPECT_LE(on0, flows * 65 / 100);
  EXPECT_EQ(counter(a, node, 0), flows - on0);  // forward packets of flows thread 1 owns
  EXPECT_EQ(counter(b, node, 0), on0);          // reverse packets of flows thread 0 owns
  EXPECT_EQ(counter(a, node, 1), on0);
  EXPECT_EQ(counter(b, node, 1), flows - on0);
  EXPECT_EQ(rte_ring_count(ab) + rte_ring_count(ba), 0u);

  ops::delete_interface(lo);
  for (Thread* t : {&a, &b}) {
    delete static_cast<FlowOwners*>(t->node(id).state);
    t->node(id).state = nullptr;
  }
  rte_ring_free(ab);
  rte_ring_free(ba);
}

TEST(FlowHandoff, BothDirectionsOfAnIp4FlowMeetOnTheOwner) { two_threads(false, 1000); }
TEST(FlowHandoff, BothDirectionsOfAnIp6FlowMeetOnTheOwner) { two_threads(true, 1000); }

}  // namespace
}  // namespace vp
