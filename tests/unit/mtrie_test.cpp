// The multibit trie (IPv4 DIR-24-8) against a reference LPM, and under
// concurrent lookups.
#include "net/fib/mtrie.hpp"

#include <gtest/gtest.h>

#include <map>
#include <random>

#include "graph/rcu.hpp"
#include "lpm_test_util.hpp"

namespace vp {
namespace {

constexpr uint32_t kDefault = 7;

using Ref = test::RefLpm<uint32_t, kDefault>;

void check(const Ip4Mtrie& t, const Ref& r, std::mt19937& rng, int n) {
  for (int i = 0; i < n; i++) {
    uint32_t a = rng();
    ASSERT_EQ(t.lookup(a), r.lookup(a).first) << std::hex << a;
  }
  r.check_edges(t);
}

TEST(Ip4Mtrie, MatchesAReferenceThroughRandomNestedAddsAndDeletes) {
  std::mt19937 rng(42);
  Ip4Mtrie t(kDefault);
  Ref r;
  // Nested prefixes concentrated in a few /8s so that they overlap a lot.
  auto rand_prefix = [&] {
    uint8_t len = uint8_t(rng() % 33);
    uint32_t a = (uint32_t(10 + rng() % 3) << 24) | (rng() & 0x00ff0fff);
    if (rng() % 10 == 0) a = rng();
    return std::pair<uint8_t, uint32_t>{len, a & Ref::mask(len)};
  };
  for (int round = 0; round < 3; round++) {
    for (int i = 0; i < 400; i++) {
      auto [len, p] = rand_prefix();
      if (len < 4) continue;  // keep /0-/3 rare: each rewrites millions of entries
      uint32_t v = 100 + uint32_t(rng() % 100000);
      r.routes[{len, p}] = v;
      t.add(p, len, v);
    }
    check(t, r, rng, 20000);
    r.delete_half(t, rng);
    check(t, r, rng, 20000);
  }
  // /0 and /32 extremes, delete and re-add.
  t.add(0, 0, 55);
  r.routes[{0, 0}] = 55;
  t.add(0xc0000201, 32, 56);
  r.routes[{32, 0xc0000201}] = 56;
  check(t, r, rng, 5000);
  r.routes.erase({32, 0xc0000201});
  t.del(0xc0000201, 32, r.lookup(0xc0000201).first, r.lookup(0xc0000201).second);
  t.add(0xc0000201, 32, 57);
  r.routes[{32, 0xc0000201}] = 57;
  check(t, r, rng, 5000);
}

TEST(Ip4Mtrie, SecondLevelGroupsAreFoldedBackAndReused) {
  Ip4Mtrie t(kDefault);
  t.add(0x0a000000, 8, 1);
  t.add(0x0a000001, 32, 2);
  EXPECT_EQ(t.groups_in_use(), 1u);
  t.del(0x0a000001, 32, 1, 8);
  EXPECT_EQ(t.groups_in_use(), 0u);
  EXPECT_EQ(t.lookup(0x0a000001), 1u);
  rcu().reclaim();
  t.add(0x0b000001, 32, 3);
  EXPECT_EQ(t.groups_in_use(), 1u);
  EXPECT_EQ(t.lookup(0x0b000001), 3u);
  EXPECT_EQ(t.lookup(0x0a000001), 1u);
}

TEST(Ip4Mtrie, BulkLookupEqualsSingleLookups) {
  Ip4Mtrie t(kDefault);
  std::mt19937 rng(1);
  for (int i = 0; i < 2000; i++) t.add(rng(), uint8_t(16 + rng() % 17), 1 + rng() % 1000);
  uint32_t a[256], out[256];
  for (auto& x : a) x = rng();
  t.lookup_bulk(a, out, 256);
  for (int i = 0; i < 256; i++) EXPECT_EQ(out[i], t.lookup(a[i]));
}

// /32s under /16s, a million adds and deletes (lpm_test_util.hpp): groups are
// allocated, folded back and reused under the reader.
TEST(Ip4Mtrie, ConcurrentReadersNeverSeeAWrongOrFreedEntry) {
  Ip4Mtrie t(kDefault);
  // x: /16 (4 bits), /24 in it (8 bits), host in the /24 (4 bits).
  auto key = [](uint32_t x) { return 0x0a000000 | (x & 0xf) << 16 | (x >> 4 & 0xff) << 8 | x >> 12; };
  test::churn_under_reader(t, 1000000, 32, 16, key, 0u);
}

}  // namespace
}  // namespace vp
