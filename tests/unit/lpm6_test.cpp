// Lpm6 (the IPv6 lookup structure) against a reference LPM, and under
// concurrent lookups.
#include "net/fib/lpm6.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <random>
#include <string>

#include "graph/rcu.hpp"
#include "lpm_test_util.hpp"

namespace vp {
namespace {

constexpr uint32_t kDefault = 7;

using Ref6 = test::RefLpm<u128, kDefault>;

u128 rand128(std::mt19937_64& rng) { return u128(rng()) << 64 | rng(); }

// Every test twice: the bulk walk eight packets at a time with AVX-512
// (skipped on a CPU without it), and one at a time.
class Lpm6Test : public testing::TestWithParam<bool> {
 protected:
  void SetUp() override {
    if (!Lpm6::use_simd(GetParam()) && GetParam()) GTEST_SKIP() << "no AVX-512 on this CPU";
  }
  void TearDown() override { Lpm6::use_simd(true); }
};
INSTANTIATE_TEST_SUITE_P(Walk, Lpm6Test, testing::Values(true, false),
                         [](const testing::TestParamInfo<bool>& i) { return i.param ? "Avx512" : "Scalar"; });

void check6(const Lpm6& t, const Ref6& r, std::mt19937_64& rng, int n, u128 base) {
  for (int i = 0; i < n; i++) {
    // Mostly under the base /16 so that lookups hit the deep levels.
    u128 a = rng() % 4 ? base | (rand128(rng) >> 16) : rand128(rng);
    ASSERT_EQ(t.lookup(a), r.lookup(a).first);
  }
  r.check_edges(t);
}

TEST_P(Lpm6Test, MatchesAReferenceThroughRandomNestedAddsAndDeletes) {
  std::mt19937_64 rng(42);
  Lpm6 t(kDefault);
  Ref6 r;
  const u128 base = u128(0x20010db8) << 96;
  // Nested prefixes from /8 to /128 under a few /32s, mostly /48 and /64 as
  // in real tables, some anywhere.
  auto rand_prefix = [&] {
    static const uint8_t lens[] = {12, 20, 29, 32, 36, 40, 44, 48, 48, 48, 56, 64, 64, 80, 96, 112, 127, 128};
    uint8_t len = lens[rng() % sizeof lens];
    u128 a = base | (u128(rng() % 4) << 96) | (rand128(rng) >> 40 & ((u128(1) << 88) - 1));
    if (rng() % 10 == 0) a = rand128(rng);
    return std::pair<uint8_t, u128>{len, a & Ref6::mask(len)};
  };
  for (int round = 0; round < 3; round++) {
    for (int i = 0; i < 400; i++) {
      auto [len, p] = rand_prefix();
      uint32_t v = 100 + uint32_t(rng() % 100000);
      r.routes[{len, p}] = v;
      t.add(p, len, v);
    }
    check6(t, r, rng, 20000, base);
    r.delete_half(t, rng);
    check6(t, r, rng, 20000, base);
  }
  // ::/0 and a /128, delete and re-add.
  t.add(0, 0, 55);
  r.routes[{0, 0}] = 55;
  u128 host = base | 0x1234;
  t.add(host, 128, 56);
  r.routes[{128, host}] = 56;
  check6(t, r, rng, 5000, base);
  r.routes.erase({128, host});
  t.del(host, 128, r.lookup(host).first, r.lookup(host).second);
  t.add(host, 128, 57);
  r.routes[{128, host}] = 57;
  check6(t, r, rng, 5000, base);
}

// A route alone under its first-level entry is one solo record. A second
// one differing only in the last bit needs a node at every level below
// (24, 30, ... 126): from /48 down, single-child levels fold into the node
// below them, up to three per record, so the 18 levels take 4 + 4
// records. Routes that land on folded levels unfold them; deleting
// everything folds back.
TEST_P(Lpm6Test, LoneRoutesAreSolosAndChainsFold) {
  Lpm6 t(kDefault);
  Ref6 r;
  const u128 host = u128(0x20010db8) << 96 | 2;
  auto add = [&](u128 p, uint8_t len, uint32_t v) {
    t.add(p, len, v);
    r.routes[{len, p & Ref6::mask(len)}] = v;
  };
  auto del = [&](u128 p, uint8_t len) {
    r.routes.erase({len, p & Ref6::mask(len)});
    auto [pv, pl] = r.lookup(p, len);
    t.del(p, len, pv, pl);
  };
  auto check = [&] {
    for (u128 a : {host, host | 1, host + 2, host - 1, host ^ (u128(1) << 40), host ^ (u128(1) << 70),
                   host ^ (u128(1) << 90), host ^ (u128(1) << 100)})
      ASSERT_EQ(t.lookup(a), r.lookup(a).first);
    u128 a[8] = {host,
                 host | 1,
                 host + 2,
                 host - 1,
                 host ^ (u128(1) << 40),
                 host ^ (u128(1) << 70),
                 host ^ 4,
                 host ^ (u128(1) << 100)};
    uint32_t out[8];
    t.lookup_bulk(a, out, 8);
    for (int i = 0; i < 8; i++) ASSERT_EQ(out[i], r.lookup(a[i]).first) << i;
  };
  add(host, 128, 9);
  EXPECT_EQ(t.records_in_use(), 1u);
  EXPECT_EQ(t.leaves_in_use(), 0u);
  check();
  add(host | 1, 128, 10);
  EXPECT_EQ(t.records_in_use(), 8u);
  check();
  // On folded levels: a /64 and a /100 above both hosts, a /128 beside them.
  add(host, 64, 11);
  check();
  add(host, 100, 12);
  check();
  add(host ^ (u128(1) << 70), 128, 13);
  check();
  for (uint8_t len : {64, 100}) {
    del(host, len);
    check();
  }
  del(host ^ (u128(1) << 70), 128);
  check();
  EXPECT_EQ(t.records_in_use(), 8u);
  del(host | 1, 128);
  EXPECT_EQ(t.records_in_use(), 1u);
  EXPECT_EQ(t.leaves_in_use(), 0u);
  del(host, 128);
  EXPECT_EQ(t.records_in_use(), 0u);
  EXPECT_EQ(t.lookup(host), kDefault);
}

// Out of node memory (a 300-record arena): an update that does not fit
// fails with an error and changes nothing: the table answers as before it,
// nothing still in use is freed, and what it had allocated is given back,
// so that once every route is deleted nothing is left in use. Deletes copy
// a path too, so near the limit they can fail the same way (the route
// stays) and succeed once other deletes have freed room.
TEST_P(Lpm6Test, RunningOutOfNodeMemoryChangesNothing) {
  Lpm6 t(kDefault, 300);
  Ref6 r;
  std::mt19937_64 rng(9);
  const u128 base = u128(0x2a00) << 112;
  int failed = 0;
  auto out_of_memory = [&](const std::exception& e) {
    EXPECT_NE(std::string(e.what()).find("out of memory"), std::string::npos) << e.what();
    failed++;
  };
  auto fill = [&] {
    for (int i = 0; i < 2000; i++) {
      const uint8_t len = uint8_t(40 + rng() % 89);
      const u128 p = (base | rand128(rng) >> 16) & Ref6::mask(len);
      const uint32_t v = 100 + uint32_t(i);
      try {
        t.add(p, len, v);
        r.routes[{len, p}] = v;
      } catch (const std::exception& e) {
        out_of_memory(e);
      }
    }
  };
  auto check = [&] {
    check6(t, r, rng, 5000, base);
    u128 a[256];
    uint32_t out[256];
    for (auto& x : a) x = base | rand128(rng) >> 16;
    t.lookup_bulk(a, out, 256);
    for (int i = 0; i < 256; i++) ASSERT_EQ(out[i], r.lookup(a[i]).first) << i;
  };
  auto delete_all = [&] {
    for (int pass = 0; pass < 100 && !r.routes.empty(); pass++) {
      std::vector<std::pair<uint8_t, u128>> keys;
      for (auto& [k, v] : r.routes) keys.push_back(k);
      std::shuffle(keys.begin(), keys.end(), rng);
      for (auto [len, p] : keys) {
        auto [pv, pl] = r.lookup(p, len);
        try {
          t.del(p, len, pv, pl);
          r.routes.erase({len, p});
        } catch (const std::exception& e) {
          out_of_memory(e);
        }
      }
      rcu().synchronize();
      rcu().reclaim();
      check();
    }
  };
  fill();
  EXPECT_GT(failed, 0);
  check();
  delete_all();
  ASSERT_TRUE(r.routes.empty());
  EXPECT_EQ(t.records_in_use(), 0u);
  EXPECT_EQ(t.leaves_in_use(), 0u);
  fill();  // the arena is whole again
  check();
  // A second host route beside a first needs 8 records (LoneRoutes above)
  // where 7 are left: the deepest arrays are allocated, then it fails.
  Lpm6 small(kDefault, 8);
  const u128 host = u128(0x20010db8) << 96 | 2;
  small.add(host, 128, 1);
  EXPECT_THROW(small.add(host | 1, 128, 2), std::runtime_error);
  EXPECT_EQ(small.records_in_use(), 1u);
  EXPECT_EQ(small.lookup(host), 1u);
  EXPECT_EQ(small.lookup(host | 1), kDefault);
  // A /20 over 16 first-level entries, each with two host routes below
  // (every subtree rebuilt with the /20's value under it), where there is
  // room for a few of the new subtrees only: none is published.
  Lpm6 wide(kDefault, 100);  // the 32 routes take 64 records, rebuilding them 64 more
  Ref6 wr;
  const u128 net = u128(0x2a0b1230) << 96;  // a /20's first /24
  for (uint32_t k = 0; k < 16; k++)
    for (u128 h : {u128(0), u128(1)}) {
      const u128 a = net | u128(k) << 104 | u128(0x99) << 80 | h;
      wide.add(a, 128, 10 + k);
      wr.routes[{128, a}] = 10 + k;
    }
  const uint32_t used = wide.records_in_use();
  EXPECT_THROW(wide.add(net, 20, 5), std::runtime_error);
  EXPECT_EQ(wide.records_in_use(), used);
  wr.check_edges(wide);
  for (uint32_t k = 0; k < 16; k++) EXPECT_EQ(wide.lookup(net | u128(k) << 104 | 7), kDefault) << k;
}

TEST_P(Lpm6Test, BulkLookupEqualsSingleLookups) {
  Lpm6 t(kDefault);
  std::mt19937_64 rng(1);
  const u128 base = u128(0x2a00) << 112;
  for (int i = 0; i < 3000; i++) t.add(base | (rand128(rng) >> 20), uint8_t(29 + rng() % 100), 1 + rng() % 1000);
  u128 a[256];
  uint32_t out[256];
  for (auto& x : a) x = base | (rand128(rng) >> 20);
  t.lookup_bulk(a, out, 256);
  for (int i = 0; i < 256; i++) EXPECT_EQ(out[i], t.lookup(a[i]));
}

// Runs of destinations in one /48 walk once: the rest of the run takes the
// first one's result, unless its walk went below /48 (a /56 or a /128 under
// the /48), where each is looked up on its own, or is towards the very
// same address (a flow to a host). Bulk results equal the reference
// whatever the runs.
TEST_P(Lpm6Test, RunsOfDestinationsInOneSlash48WalkOnce) {
  std::mt19937_64 rng(56);
  Lpm6 t(kDefault);
  Ref6 r;
  const u128 base = u128(0x2a00) << 112;
  std::vector<u128> nets, deep;
  for (int i = 0; i < 300; i++) {
    u128 p = (base | (rand128(rng) >> 24)) & Ref6::mask(48);
    nets.push_back(p);
    r.routes[{48, p}] = 100 + uint32_t(i);
    t.add(p, 48, 100 + uint32_t(i));
    if (i % 3 == 0) {  // something longer under a third of them
      uint8_t len = i % 2 ? 56 : 128;
      u128 q = (p | (rand128(rng) >> 48)) & Ref6::mask(len);
      r.routes[{len, q}] = 5000 + uint32_t(i);
      t.add(q, len, 5000 + uint32_t(i));
      deep.push_back(q);
    }
  }
  t.add(base, 16, 9);
  r.routes[{16, base}] = 9;
  u128 a[256];
  uint32_t out[256];
  for (int round = 0; round < 200; round++) {
    for (int i = 0; i < 256;) {
      // Runs of 1-40 destinations in one /48 (or a /56 inside it), or of
      // one address: a host route's, or another in the same /48.
      u128 net = nets[rng() % nets.size()], one = 0;
      const int kind = int(rng() % 4);
      if (kind == 2) one = deep[rng() % deep.size()];
      if (kind == 3) one = net | (rand128(rng) >> 48);
      for (int k = int(1 + rng() % 40); k > 0 && i < 256; k--)
        a[i++] = one ? one : net | (rng() % 2 ? rand128(rng) >> 48 : (rand128(rng) >> 56));
    }
    t.lookup_bulk(a, out, 256);
    for (int i = 0; i < 256; i++) ASSERT_EQ(out[i], r.lookup(a[i]).first) << i;
  }
}

// /64s under /48s, 300k adds and deletes (lpm_test_util.hpp): nodes and solos
// are built, replaced by copies, folded and reused under the reader.
TEST_P(Lpm6Test, ConcurrentReadersNeverSeeAWrongOrFreedEntry) {
  Lpm6 t(kDefault);
  const u128 base = u128(0x20010db8) << 96;
  auto key = [&](uint32_t x) { return base | u128(x & 0xf) << 80 | u128(x >> 4 & 0xfff) << 64; };
  test::churn_under_reader(t, 300000, 64, 48, key, ~u128(0) >> 64);
}

}  // namespace
}  // namespace vp
