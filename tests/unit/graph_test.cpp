// The engine: frames, dispatch order, next arcs, vector chunking, counters,
// handoff.
#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

#include "graph/registry.hpp"
#include "helpers.hpp"

namespace vp {
namespace {

std::vector<std::string> g_order;     // node names in the order they ran
std::vector<uint32_t> g_chunk_sizes;  // vector sizes seen by "t-sink"

// t-a sends even-length frames to t-b and odd ones to t-c; both go to t-sink.
void node_a(Thread& t, NodeRt& self, rte_mbuf** p, uint32_t n) {
  g_order.push_back("t-a");
  NodeId next[256];
  for (uint32_t i = 0; i < n; i++) next[i] = self.next[p[i]->pkt_len % 2 ? 1 : 0];
  t.enqueue_nexts(p, next, n);
}
void node_b(Thread& t, NodeRt& self, rte_mbuf** p, uint32_t n) {
  g_order.push_back("t-b");
  t.enqueue(self.next[0], p, n);
}
void node_c(Thread& t, NodeRt& self, rte_mbuf** p, uint32_t n) {
  g_order.push_back("t-c");
  t.enqueue(self.next[0], p, n);
}
void node_sink(Thread&, NodeRt&, rte_mbuf** p, uint32_t n) {
  g_order.push_back("t-sink");
  g_chunk_sizes.push_back(n);
  rte_pktmbuf_free_bulk(p, n);
}
void node_dropper(Thread& t, NodeRt& self, rte_mbuf** p, uint32_t n) {
  for (uint32_t i = 0; i < n; i++) t.drop(self, p[i], 1);
}

enum ANext : uint16_t { kToB, kToC, kANextCount };
NodeRegistration ra{{.name = "t-a", .fn = node_a, .next_names = names<kANextCount>({{kToB, "t-b"}, {kToC, "t-c"}})}};
NodeRegistration rb{{.name = "t-b", .fn = node_b, .next_names = {"t-sink"}}};
NodeRegistration rc{{.name = "t-c", .fn = node_c, .next_names = {"t-sink"}}};
NodeRegistration rs{{.name = "t-sink", .fn = node_sink}};
enum DropperErr : uint16_t { kFirst, kSecond, kDropperErrCount };
NodeRegistration rd{{.name = "t-dropper",
                     .fn = node_dropper,
                     .errors = names<kDropperErrCount>({{kFirst, "first reason"}, {kSecond, "second reason"}})}};

using test::frame;
using test::T;

std::vector<rte_mbuf*> frames(uint32_t n, bool alternate) {
  std::vector<rte_mbuf*> v;
  for (uint32_t i = 0; i < n; i++) v.push_back(frame(std::vector<uint8_t>(alternate && i % 2 ? 61 : 60, 0)));
  return v;
}

TEST(Graph, RegistryResolvesNextArcs) {
  auto& reg = Registry::get();
  const NodeDef* a = reg.find("t-a");
  ASSERT_NE(a, nullptr);
  ASSERT_EQ(a->next.size(), 2u);
  EXPECT_EQ(a->next[0], reg.id("t-b"));
  EXPECT_EQ(a->next[1], reg.id("t-c"));
  EXPECT_THROW(reg.id("no-such-node"), Error);
}

TEST(Graph, DispatchRunsEachNodeOnceOverItsWholeVectorInFifoOrder) {
  g_order.clear();
  g_chunk_sizes.clear();
  T().set_vsize(256);
  auto v = frames(100, true);
  T().enqueue(Registry::get().id("t-a"), v.data(), uint32_t(v.size()));
  T().run_pending();
  T().set_vsize(kDefaultVectorSize);
  // t-a ran once over all 100, then t-b and t-c (enqueued in that order),
  // then t-sink once with everything from both.
  EXPECT_EQ(g_order, (std::vector<std::string>{"t-a", "t-b", "t-c", "t-sink"}));
  ASSERT_EQ(g_chunk_sizes.size(), 1u);
  EXPECT_EQ(g_chunk_sizes[0], 100u);
}

TEST(Graph, EnqueueNextsKeepsPacketOrderWithinADestination) {
  std::vector<rte_mbuf*> v = frames(8, false);
  NodeId sink = Registry::get().id("t-sink");
  NodeId b = Registry::get().id("t-b");
  NodeId to[8] = {sink, sink, b, b, sink, b, sink, sink};
  T().enqueue_nexts(v.data(), to, 8);
  NodeRt& s = T().node(sink);
  ASSERT_EQ(s.n, 5u);
  EXPECT_EQ(s.buf[0], v[0]);
  EXPECT_EQ(s.buf[1], v[1]);
  EXPECT_EQ(s.buf[2], v[4]);
  EXPECT_EQ(s.buf[3], v[6]);
  EXPECT_EQ(s.buf[4], v[7]);
  EXPECT_EQ(T().node(b).n, 3u);
  g_order.clear();
  T().run_pending();
  EXPECT_EQ(T().node(sink).n, 0u);
}

// Runs of every length, ending anywhere within and across 8-entry blocks
// (the scan compares eight at a time), with packets sent nowhere.
TEST(Graph, EnqueueNextsSplitsRunsOfEveryLengthExactly) {
  NodeId sink = Registry::get().id("t-sink"), b = Registry::get().id("t-b");
  std::mt19937 rng(7);
  for (int round = 0; round < 500; round++) {
    uint32_t n = 1 + rng() % 256;
    std::vector<rte_mbuf*> v = frames(n, false);
    std::vector<NodeId> to(n);
    for (uint32_t i = 0; i < n;) {
      NodeId d = rng() % 5 == 0 ? kNoNode : rng() % 2 ? sink : b;
      for (uint32_t len = 1 + rng() % 20; len && i < n; len--) to[i++] = d;
    }
    T().enqueue_nexts(v.data(), to.data(), n);
    std::vector<rte_mbuf*> want_sink, want_b;
    for (uint32_t i = 0; i < n; i++) {
      if (to[i] == sink) want_sink.push_back(v[i]);
      if (to[i] == b) want_b.push_back(v[i]);
      if (to[i] == kNoNode) rte_pktmbuf_free(v[i]);  // nobody took it
    }
    NodeRt &s = T().node(sink), &nb = T().node(b);
    ASSERT_EQ(std::vector<rte_mbuf*>(s.buf, s.buf + s.n), want_sink) << round;
    ASSERT_EQ(std::vector<rte_mbuf*>(nb.buf, nb.buf + nb.n), want_b) << round;
    T().run_pending();
  }
  g_order.clear();
  g_chunk_sizes.clear();
}

TEST(Graph, VectorsAreCutAtTheConfiguredMaximum) {
  g_chunk_sizes.clear();
  T().set_vsize(64);
  auto v = frames(200, false);
  T().enqueue(Registry::get().id("t-sink"), v.data(), 200);
  T().run_pending();
  T().set_vsize(kDefaultVectorSize);
  EXPECT_EQ(g_chunk_sizes, (std::vector<uint32_t>{64, 64, 64, 8}));
}

TEST(Graph, BufferGrowsBeyondInitialCapacity) {
  g_chunk_sizes.clear();
  auto v = frames(3000, false);
  NodeId sink = Registry::get().id("t-sink");
  for (size_t off = 0; off < v.size(); off += 250)
    T().enqueue(sink, v.data() + off, uint32_t(std::min<size_t>(250, v.size() - off)));
  T().run_pending();
  uint32_t total = 0;
  for (auto c : g_chunk_sizes) {
    EXPECT_LE(c, 256u);
    total += c;
  }
  EXPECT_EQ(total, 3000u);
}

TEST(Graph, RuntimeCountersCountCallsAndVectors) {
  NodeRt& s = T().node(Registry::get().id("t-sink"));
  uint64_t calls = s.calls, vec = s.vectors, clk = s.clocks;
  auto v = frames(10, false);
  T().enqueue(s.id, v.data(), 10);
  T().run_pending();
  EXPECT_EQ(s.calls, calls + 1);
  EXPECT_EQ(s.vectors, vec + 10);
  EXPECT_GT(s.clocks, clk);
}

TEST(Graph, DropsAreCountedPerReasonAndPerInterface) {
  auto& reg = Registry::get();
  NodeId d = reg.id("t-dropper");
  uint16_t err = reg.error_id(d, 1);
  uint64_t before = T().error_count(err);
  auto v = frames(7, false);
  T().enqueue(d, v.data(), 7);
  T().run_pending();
  EXPECT_EQ(T().error_count(err), before + 7);
  EXPECT_EQ(reg.errors()[err].reason, "second reason");
}

TEST(Graph, HandoffContinuesAtTheRequestedNodeOnTheOtherThread) {
  // Two private thread replicas joined by one SP/SC ring.
  Thread a(0, 2, 256), b(1, 2, 256);
  rte_ring* r = rte_ring_create("ut-handoff", 256, SOCKET_ID_ANY, RING_F_SP_ENQ | RING_F_SC_DEQ);
  a.set_out_ring(1, r);
  b.set_handoff_ring(0, r);
  g_order.clear();
  g_chunk_sizes.clear();
  auto v = frames(5, false);
  for (auto* m : v) meta(m).next = Registry::get().id("t-sink");
  a.handoff(1, v.data(), 5);
  EXPECT_TRUE(g_order.empty());
  b.loop_once();
  EXPECT_EQ(g_order, (std::vector<std::string>{"t-sink"}));
  EXPECT_EQ(g_chunk_sizes, (std::vector<uint32_t>{5}));
  rte_ring_free(r);
}

TEST(Graph, HandoffToAFullRingDropsWithAReason) {
  Thread a(0, 2, 256);
  rte_ring* r = rte_ring_create("ut-handoff-full", 4, SOCKET_ID_ANY, RING_F_SP_ENQ | RING_F_SC_DEQ | RING_F_EXACT_SZ);
  a.set_out_ring(1, r);
  auto v = frames(6, false);
  for (auto* m : v) meta(m).next = Registry::get().id("t-sink");
  a.handoff(1, v.data(), 6);
  EXPECT_EQ(rte_ring_count(r), 4u);
  uint16_t err = Registry::get().error_id(Registry::get().id("handoff"), 0);
  a.run_pending();
  EXPECT_EQ(a.error_count(err), 2u);
  rte_mbuf* left[4];
  rte_ring_dequeue_burst(r, reinterpret_cast<void**>(left), 4, nullptr);
  rte_pktmbuf_free_bulk(left, 4);
  rte_ring_free(r);
}

}  // namespace
}  // namespace vp

namespace vp {
namespace {
enum NamesNext : uint16_t { kOne, kTwo, kThree, kNamesNextCount };

TEST(Graph, NamesMatchTheirEnumerators) {
  Names ok = names<kNamesNextCount>({{kOne, "one"}, {kTwo, "two"}, {kThree, "three"}});
  EXPECT_TRUE(ok.problem.empty()) << ok.problem;
  ASSERT_EQ(ok.size(), 3u);
  EXPECT_EQ(ok[kTwo], "two");
  // Listed out of order: the name at position 1 would be read for kThree.
  Names swapped = names<kNamesNextCount>({{kOne, "one"}, {kThree, "three"}, {kTwo, "two"}});
  EXPECT_EQ(swapped.problem, "'three' is listed at position 1 but its enumerator is 2");
  // One short: self.next[kThree] would read past the list.
  Names short_list = names<kNamesNextCount>({{kOne, "one"}, {kTwo, "two"}});
  EXPECT_EQ(short_list.problem, "2 names for 3 enumerators");
  Names single = "only";
  EXPECT_TRUE(single.problem.empty());
  EXPECT_EQ(single[0], "only");
}
}  // namespace
}  // namespace vp
