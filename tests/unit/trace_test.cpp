// Packet trace: input nodes mark up to their budget, every node a traced
// packet passes appends one record; untraced packets leave no record.
#include <gtest/gtest.h>

#include "graph/registry.hpp"
#include "helpers.hpp"
#include "io/if_ops.hpp"
#include "io/interface.hpp"
#include "io/ports/loopback/loopback.hpp"
#include "io/ports/null_sink/null_sink.hpp"

namespace vp {
namespace {

TEST(Trace, MarksUpToTheBudgetAndRecordsEachNode) {
  Thread& t = test::T();
  uint32_t pg = ops::create_loopback({});
  uint32_t sink = ops::create_null_sink(77);
  ops::set_state(pg, true);
  ops::set_state(sink, true);
  ops::set_xconnect(pg, sink);
  NodeRt& in = t.node(Registry::get().id("loopback-input"));
  in.trace_budget.store(2);
  t.trace_buf().reset();
  std::vector<rte_mbuf*> v;
  for (int i = 0; i < 5; i++) v.push_back(test::frame(test::eth(0x0800), pg));
  // A loopback transmits into its own input node: that is our rx here.
  ifs().at(pg)->port->tx(t, v.data(), 5);
  t.run_pending();
  EXPECT_EQ(in.trace_budget.load(), 0);
  TraceBuf& tb = t.trace_buf();
  std::map<uint32_t, std::vector<std::string>> paths;
  for (uint32_t i = 0; i < tb.size(); i++) paths[tb[i].id].push_back(Registry::get().nodes()[tb[i].node]->name);
  ASSERT_EQ(paths.size(), 2u);
  for (auto& [id, path] : paths)
    EXPECT_EQ(path, (std::vector<std::string>{"loopback-input", "ethernet-input", "l2-xconnect", "interface-output"}));
  std::string first(tb[0].text, tb[0].len);
  EXPECT_NE(first.find("rx len 64"), std::string::npos) << first;
  ops::delete_interface(pg);
  ops::delete_interface(sink);
  t.trace_buf().reset();
}

}  // namespace
}  // namespace vp
