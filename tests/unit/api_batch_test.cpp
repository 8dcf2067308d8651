// The API's route batches: per-item and atomic semantics, request
// validation, replace, and source priority, applied as the main thread
// does for Routes.Apply and each message of Routes.Stream.
#include <gtest/gtest.h>

#include "api/convert.hpp"
#include "io/if_ops.hpp"
#include "io/ports/loopback/loopback.hpp"
#include "net/fib/adj.hpp"
#include "net/fib/fib.hpp"
#include "net/ip/route_batch_api.hpp"

namespace vp {
namespace {

namespace pb = ::vplane::v1;

struct Net {
  uint32_t a, b;
  Net() {
    a = ops::create_loopback({});
    b = ops::create_loopback({});
    ops::set_interface_address(a, parse_prefix("192.168.11.1/24"), false);
    ops::set_interface_address(b, parse_prefix("192.168.12.1/24"), false);
  }
  ~Net() {
    ops::delete_interface(a);
    ops::delete_interface(b);
  }
};

std::string ip(const char* s) { return api::ip_bytes(parse_ip(s)); }

pb::RouteUpdate* add(pb::RouteBatch& b, const char* pfx, const char* nh, pb::RouteOp op = pb::ROUTE_ADD) {
  auto* u = b.add_updates();
  u->set_op(op);
  Prefix p = parse_prefix(pfx);
  u->mutable_route()->mutable_prefix()->set_address(api::ip_bytes(p.addr));
  u->mutable_route()->mutable_prefix()->set_length(p.len);
  if (nh) u->mutable_route()->add_paths()->set_next_hop(ip(nh));
  return u;
}

const Adj* via(const char* addr) {
  uint32_t d = lb_resolve(g_fib4[0].load()->lookup(parse_ip(addr).v4_host()), 0);
  return Dpo::type(d) == DpoType::adj ? adjs().get(Dpo::index(d)) : nullptr;
}

TEST(ApiBatch, EachItemStandsAlone) {
  Net n;
  size_t before = fib4().size(0);
  pb::RouteBatch b;
  b.set_batch_id(42);
  add(b, "10.21.0.0/16", "192.168.11.5");
  add(b, "10.22.0.0/16", "2001:db8::1");  // mixed families
  add(b, "10.23.0.0/16", "192.168.12.5");
  b.add_updates()->mutable_route()->mutable_prefix()->set_address("abc");  // 3-byte address
  add(b, "10.24.0.0/16", "192.168.12.6")->mutable_route()->set_table(77);  // no such table
  add(b, "10.99.0.0/16", nullptr, pb::ROUTE_DEL);                          // nothing to delete
  pb::BatchReply r;
  api::apply_batch(b, &r);
  EXPECT_EQ(r.batch_id(), 42u);
  EXPECT_EQ(r.applied(), 2u);
  ASSERT_EQ(r.rejected_size(), 4);
  EXPECT_EQ(r.rejected(0).index(), 1u);
  EXPECT_NE(r.rejected(0).reason().find("different families"), std::string::npos);
  EXPECT_EQ(r.rejected(1).index(), 3u);
  EXPECT_NE(r.rejected(1).reason().find("4 (IPv4) or 16 (IPv6) bytes"), std::string::npos);
  EXPECT_EQ(r.rejected(2).index(), 4u);
  EXPECT_NE(r.rejected(2).reason().find("no IPv4 table 77"), std::string::npos);
  EXPECT_EQ(r.rejected(3).index(), 5u);
  EXPECT_EQ(fib4().size(0), before + 2);
  ASSERT_NE(via("10.21.1.1"), nullptr);
  EXPECT_EQ(via("10.21.1.1")->sw_if, n.a);
  EXPECT_EQ(via("10.22.1.1"), nullptr);
}

TEST(ApiBatch, AtomicAppliesNothingWhenOneItemIsBad) {
  Net n;
  size_t before = fib4().size(0);
  pb::RouteBatch b;
  b.set_atomic(true);
  add(b, "10.31.0.0/16", "192.168.11.5");
  add(b, "10.32.0.0/16", "192.168.11.5");  // made a /33 below: the whole batch is refused
  b.mutable_updates(1)->mutable_route()->mutable_prefix()->set_length(33);
  add(b, "10.33.0.0/16", "192.168.12.5");
  pb::BatchReply r;
  api::apply_batch(b, &r);
  EXPECT_EQ(r.applied(), 0u);
  ASSERT_EQ(r.rejected_size(), 1);
  EXPECT_EQ(r.rejected(0).index(), 1u);
  EXPECT_EQ(fib4().size(0), before);
  // The same batch without the bad item goes in whole.
  b.mutable_updates()->DeleteSubrange(1, 1);
  pb::BatchReply ok;
  api::apply_batch(b, &ok);
  EXPECT_EQ(ok.applied(), 2u);
  EXPECT_EQ(fib4().size(0), before + 2);
}

TEST(ApiBatch, ReplaceChangesTheNextHopInOneStepAndDeleteRemovesIt) {
  Net n;
  pb::RouteBatch b;
  add(b, "10.41.0.0/16", "192.168.11.5");
  pb::BatchReply r;
  api::apply_batch(b, &r);
  ASSERT_EQ(r.applied(), 1u);
  pb::RouteBatch rep;
  add(rep, "10.41.0.0/16", "192.168.12.9", pb::ROUTE_REPLACE);
  api::apply_batch(rep, &r);
  ASSERT_EQ(via("10.41.0.1")->sw_if, n.b);  // not both paths: replaced
  auto e = fib4().lookup_show(0, parse_ip("10.41.0.1"));
  ASSERT_TRUE(e);
  EXPECT_EQ(e->paths.size(), 1u);
  pb::RouteBatch del;
  add(del, "10.41.0.0/16", nullptr, pb::ROUTE_DEL);
  pb::BatchReply d;
  api::apply_batch(del, &d);
  EXPECT_EQ(d.applied(), 1u);
  EXPECT_FALSE(fib4().has(0, parse_prefix("10.41.0.0/16"), RouteSource::api));
}

TEST(ApiBatch, StaticRoutesWinOverApiRoutesAndTheApiRouteReturns) {
  Net n;
  pb::RouteBatch b;
  add(b, "10.51.0.0/16", "192.168.11.5");
  auto* s = add(b, "10.51.0.0/16", "192.168.12.5");
  s->mutable_route()->set_source(pb::SOURCE_STATIC);
  add(b, "10.52.0.0/16", "192.168.11.5");
  add(b, "10.52.0.0/16", "192.168.12.5")->mutable_route()->set_source(pb::SOURCE_NETLINK);
  pb::BatchReply r;
  api::apply_batch(b, &r);
  ASSERT_EQ(r.applied(), 4u);
  EXPECT_EQ(via("10.51.0.1")->sw_if, n.b);  // static (1) beats api (5)
  EXPECT_EQ(via("10.52.0.1")->sw_if, n.a);  // api (5) beats netlink (20)
  pb::RouteBatch del;
  add(del, "10.51.0.0/16", nullptr, pb::ROUTE_DEL)->mutable_route()->set_source(pb::SOURCE_STATIC);
  api::apply_batch(del, &r);
  EXPECT_EQ(via("10.51.0.1")->sw_if, n.a);  // the api route is back
}

TEST(ApiBatch, RequestValidation) {
  Net n;
  pb::RouteBatch b;
  add(b, "10.61.0.0/16", nullptr);  // no path
  add(b, "10.62.0.0/16", "192.168.11.5")->mutable_route()->mutable_paths(0)->set_weight(70000);
  add(b, "10.63.0.0/16", "192.168.11.5")->mutable_route()->set_kind(pb::ROUTE_DROP);  // drop with a path
  add(b, "10.64.0.0/16", "192.168.11.5")->mutable_route()->mutable_paths(0)->set_sw_if_index(999999);
  add(b, "10.65.0.0/16", nullptr)->mutable_route()->set_kind(static_cast<pb::RouteKind>(9));
  pb::BatchReply r;
  api::apply_batch(b, &r);
  EXPECT_EQ(r.applied(), 0u);
  EXPECT_EQ(r.rejected_size(), 5);
  for (auto& e : r.rejected()) EXPECT_FALSE(e.reason().empty());
}

}  // namespace
}  // namespace vp
