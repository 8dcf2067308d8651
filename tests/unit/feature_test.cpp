// Feature arcs: ordering constraints, per-interface enable/disable, walking.
#include "graph/feature.hpp"

#include <gtest/gtest.h>

#include "graph/registry.hpp"
#include "helpers.hpp"
#include "io/if_ops.hpp"
#include "io/input.hpp"
#include "io/interface.hpp"
#include "io/ports/loopback/loopback.hpp"

namespace vp {
namespace {

std::vector<std::string> g_seen;

void feat(Thread& t, NodeRt& self, rte_mbuf** p, uint32_t n) {
  g_seen.push_back(self.def->name);
  for (uint32_t i = 0; i < n; i++) t.enqueue1(feature_next(meta(p[i])), p[i]);
}
void arc_end(Thread&, NodeRt&, rte_mbuf** p, uint32_t n) {
  g_seen.push_back("t-arc-end");
  rte_pktmbuf_free_bulk(p, n);
}

NodeRegistration n1{{.name = "t-feat-1", .fn = feat}};
NodeRegistration n2{{.name = "t-feat-2", .fn = feat}};
NodeRegistration n3{{.name = "t-feat-3", .fn = feat}};
NodeRegistration ne{{.name = "t-arc-end", .fn = arc_end}};
ArcRegistration arc{{.name = "t-arc", .end_node = "t-arc-end"}};
// Registered out of order on purpose: constraints decide.
FeatureRegistration f3{{.arc = "t-arc", .node = "t-feat-3", .runs_after = {"t-feat-2"}}};
FeatureRegistration f1{{.arc = "t-arc", .node = "t-feat-1", .runs_before = {"t-feat-2"}}};
FeatureRegistration f2{{.arc = "t-arc", .node = "t-feat-2"}};

TEST(FeatureArc, OrderFollowsConstraintsNotRegistration) {
  const ArcDef* a = Arcs::get().find("t-arc");
  ASSERT_NE(a, nullptr);
  EXPECT_EQ(a->feature_names, (std::vector<std::string>{"t-feat-1", "t-feat-2", "t-feat-3"}));
  EXPECT_EQ(a->end, Registry::get().id("t-arc-end"));
}

TEST(FeatureArc, CompileKeepsArcOrderAndEndsAtTheEndNode) {
  const ArcDef* a = Arcs::get().find("t-arc");
  EXPECT_EQ(Arcs::get().compile(a->index, {}), nullptr);
  const ArcCfg* c = Arcs::get().compile(a->index, {"t-feat-3", "t-feat-1"});
  ASSERT_NE(c, nullptr);
  ASSERT_EQ(c->n, 3);
  EXPECT_EQ(c->nodes[0], Registry::get().id("t-feat-1"));
  EXPECT_EQ(c->nodes[1], Registry::get().id("t-feat-3"));
  EXPECT_EQ(c->nodes[2], a->end);
  Arcs::release(c);
}

TEST(FeatureArc, EnableDisablePerInterfaceChangesThePath) {
  uint32_t a = ops::create_loopback({});
  uint32_t b = ops::create_loopback({});
  const ArcDef* arc = Arcs::get().find("t-arc");
  ops::set_feature(a, "t-arc", "t-feat-2", true);
  ops::set_feature(a, "t-arc", "t-feat-3", true);
  auto walk = [&](uint32_t sw_if) {
    g_seen.clear();
    rte_mbuf* m = test::frame(test::eth(0x0800), sw_if);
    const ArcCfg* c = if_fast(sw_if)->arcs[arc->index];
    meta(m).arc = arc->index;
    meta(m).arc_pos = 0;
    test::T().enqueue1(c ? c->nodes[0] : arc->end, m);
    test::T().run_pending();
    return g_seen;
  };
  EXPECT_EQ(walk(a), (std::vector<std::string>{"t-feat-2", "t-feat-3", "t-arc-end"}));
  EXPECT_EQ(walk(b), (std::vector<std::string>{"t-arc-end"}));
  ops::set_feature(a, "t-arc", "t-feat-2", false);
  EXPECT_EQ(walk(a), (std::vector<std::string>{"t-feat-3", "t-arc-end"}));
  EXPECT_THROW(ops::set_feature(a, "t-arc", "t-a", true), Error);
  EXPECT_THROW(ops::set_feature(a, "no-arc", "t-feat-1", true), Error);
  ops::delete_interface(a);
  ops::delete_interface(b);
}

TEST(FeatureArc, DeviceInputArcIsFirstAndEndsAtEthernetInput) {
  EXPECT_EQ(Arcs::get().arc(kArcDeviceInput).name, "device-input");
  EXPECT_EQ(Arcs::get().arc(kArcDeviceInput).end, Registry::get().id("ethernet-input"));
}

}  // namespace
}  // namespace vp
