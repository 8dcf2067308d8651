// The interface model: stable indices, reuse, snapshots, counter baselines.
#include "io/interface.hpp"

#include <gtest/gtest.h>

#include "helpers.hpp"
#include "io/if_ops.hpp"
#include "io/ports/loopback/loopback.hpp"
#include "io/ports/null_sink/null_sink.hpp"

namespace vp {
namespace {

TEST(Interfaces, CreatedDownWithStableIndicesReusedAfterDelete) {
  uint32_t a = ops::create_loopback({});
  uint32_t b = ops::create_loopback({});
  EXPECT_NE(a, b);
  EXPECT_FALSE(ifs().at(a)->admin_up);
  EXPECT_FALSE(if_fast(a)->admin_up);
  ops::delete_interface(a);
  EXPECT_EQ(if_fast(a), nullptr);
  EXPECT_EQ(ifs().at(b)->index, b);
  uint32_t c = ops::create_loopback({});
  EXPECT_EQ(c, a);
  ops::delete_interface(b);
  ops::delete_interface(c);
}

TEST(Interfaces, ChangesArePublishedAsNewSnapshots) {
  uint32_t a = ops::create_loopback(parse_mac("02:00:00:00:00:aa"));
  const IfFast* f0 = if_fast(a);
  ops::set_mtu(a, 9000);
  const IfFast* f1 = if_fast(a);
  EXPECT_NE(f0, f1);
  EXPECT_EQ(f1->mtu, 9000u);
  EXPECT_EQ(f1->mac.str(), "02:00:00:00:00:aa");
  EXPECT_THROW(ops::set_mtu(a, 10), Error);
  EXPECT_EQ(if_fast(a)->mtu, 9000u);
  ops::delete_interface(a);
}

TEST(Interfaces, RecycledIndexStartsWithZeroCounters) {
  uint32_t a = ops::create_loopback({});
  cadd(test::T().ifc(a).rx_packets, 42);
  EXPECT_EQ(ifs().counters(a).rx_packets, 42u);
  ifs().clear_counters();
  EXPECT_EQ(ifs().counters(a).rx_packets, 0u);
  cadd(test::T().ifc(a).rx_packets, 1);
  ops::delete_interface(a);
  uint32_t b = ops::create_loopback({});
  ASSERT_EQ(a, b);
  EXPECT_EQ(ifs().counters(b).rx_packets, 0u);
  ops::delete_interface(b);
}

TEST(Interfaces, NamesAreUnique) {
  uint32_t a = ops::create_null_sink(60);
  EXPECT_THROW(ops::create_null_sink(60), Error);
  ops::delete_interface(a);
}

}  // namespace
}  // namespace vp
