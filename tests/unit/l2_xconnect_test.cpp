// ethernet-input + l2-xconnect + interface-output, fed with synthetic frames.
#include <gtest/gtest.h>

#include "graph/registry.hpp"
#include "helpers.hpp"
#include "io/if_ops.hpp"
#include "io/interface.hpp"
#include "io/ports/loopback/loopback.hpp"
#include "io/ports/null_sink/null_sink.hpp"

namespace vp {
namespace {

struct Pair {
  uint32_t a, b;
  Pair() {
    a = ops::create_loopback({});
    b = ops::create_null_sink(50);
    ops::set_state(a, true);
    ops::set_state(b, true);
  }
  ~Pair() {
    ops::delete_interface(a);
    ops::delete_interface(b);
  }
};

uint64_t err(const char* node, uint16_t code) {
  auto& reg = Registry::get();
  return test::T().error_count(reg.error_id(reg.id(node), code));
}

void feed(std::vector<rte_mbuf*> v) {
  test::T().enqueue(Registry::get().id("ethernet-input"), v.data(), uint32_t(v.size()));
  test::T().run_pending();
}

TEST(L2Xconnect, FramesOfAnyEthertypeLeaveOnThePeer) {
  Pair p;
  ops::set_xconnect(p.a, p.b);
  ifs().clear_counters();
  std::vector<rte_mbuf*> v;
  for (uint16_t type : {0x0800, 0x86dd, 0x8100, 0x88b5, 0x0806})
    v.push_back(test::frame(test::eth(type, 60 + type % 7), p.a));
  uint64_t bytes = 0;
  for (auto* m : v) bytes += m->pkt_len;
  feed(v);
  IfCounters c = ifs().counters(p.b);
  EXPECT_EQ(c.tx_packets, 5u);
  EXPECT_EQ(c.tx_bytes, bytes);
  EXPECT_EQ(ifs().counters(p.a).drops, 0u);
}

TEST(L2Xconnect, RuntsAreDroppedWithAReason) {
  Pair p;
  ops::set_xconnect(p.a, p.b);
  ifs().clear_counters();
  uint64_t before = err("ethernet-input", 0);
  feed({test::frame(std::vector<uint8_t>(10, 0), p.a)});
  EXPECT_EQ(err("ethernet-input", 0), before + 1);
  EXPECT_EQ(ifs().counters(p.a).drops, 1u);
  EXPECT_EQ(ifs().counters(p.b).tx_packets, 0u);
}

TEST(L2Xconnect, L3InterfaceDropsUnknownEthertypesAndOtherMacs) {
  Pair p;  // not cross-connected: L3, and no L3 protocol handles 0x88b5
  uint64_t unknown = err("ethernet-input", 1), other = err("ethernet-input", 2);
  auto f = test::eth(0x88b5);
  std::memcpy(f.data(), ifs().at(p.a)->mac.b.data(), 6);
  feed({test::frame(f, p.a)});
  EXPECT_EQ(err("ethernet-input", 1), unknown + 1);
  feed({test::frame(test::eth(0x0800), p.a)});  // unicast to 02:00:00:00:00:02, not us
  EXPECT_EQ(err("ethernet-input", 2), other + 1);
}

TEST(L2Xconnect, DownPeerDropsWithAReason) {
  Pair p;
  ops::set_xconnect(p.a, p.b);
  ops::set_state(p.b, false);
  uint64_t before = err("interface-output", 1);
  feed({test::frame(test::eth(0x0800), p.a)});
  EXPECT_EQ(err("interface-output", 1), before + 1);
}

TEST(L2Xconnect, DeletingThePeerReturnsToL3) {
  uint32_t a = ops::create_loopback({});
  uint32_t b = ops::create_null_sink(51);
  ops::set_xconnect(a, b);
  ops::delete_interface(b);
  EXPECT_EQ(ifs().at(a)->l2, L2Mode::l3);
  EXPECT_EQ(if_fast(a)->xc_tx, kNoIf);
  ops::delete_interface(a);
}

}  // namespace
}  // namespace vp
