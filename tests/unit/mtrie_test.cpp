// The multibit trie (IPv4 DIR-24-8 and IPv6 24-8-8-...) against a reference
// LPM, and under concurrent lookups.
#include "net/fib/mtrie.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <map>
#include <random>
#include <thread>

#include "graph/rcu.hpp"

namespace vp {
namespace {

constexpr uint32_t kDefault = 7;

struct Ref {
  std::map<std::pair<uint8_t, uint32_t>, uint32_t> routes;  // (len, prefix) -> value
  static uint32_t mask(uint8_t len) { return len ? ~0u << (32 - len) : 0; }
  std::pair<uint32_t, uint8_t> lookup(uint32_t a, uint8_t below = 33) const {
    for (int len = std::min<int>(32, below - 1); len >= 0; len--) {
      auto it = routes.find({uint8_t(len), a & mask(uint8_t(len))});
      if (it != routes.end()) return {it->second, uint8_t(len)};
    }
    return {kDefault, 0};
  }
};

void check(const Ip4Mtrie& t, const Ref& r, std::mt19937& rng, int n) {
  for (int i = 0; i < n; i++) {
    uint32_t a = rng();
    ASSERT_EQ(t.lookup(a), r.lookup(a).first) << std::hex << a;
  }
  for (auto& [k, v] : r.routes) {  // edges of every prefix
    uint32_t lo = k.second, hi = k.second | ~Ref::mask(k.first);
    ASSERT_EQ(t.lookup(lo), r.lookup(lo).first);
    ASSERT_EQ(t.lookup(hi), r.lookup(hi).first);
  }
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
    std::vector<std::pair<uint8_t, uint32_t>> keys;
    for (auto& [k, v] : r.routes) keys.push_back(k);
    std::shuffle(keys.begin(), keys.end(), rng);
    for (size_t i = 0; i < keys.size() / 2; i++) {
      auto [len, p] = keys[i];
      r.routes.erase(keys[i]);
      auto [pv, pl] = r.lookup(p, len);
      t.del(p, len, pv, pl);
    }
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

// A reader thread looks up addresses while the main thread adds and deletes
// /32s (allocating, folding back and reusing groups) a million times. Each
// address may only ever resolve to its own /32's value or its /16's: a
// recycled group seen too early would answer another address's value.
TEST(Ip4Mtrie, ConcurrentReadersNeverSeeAWrongOrFreedEntry) {
  Ip4Mtrie t(kDefault);
  Rcu& r = rcu();
  for (uint32_t b = 0; b < 16; b++) t.add(0x0a000000 | b << 16, 16, 1000 + b);
  auto host_value = [](uint32_t a) { return 100000 + (a & 0xfffff); };
  std::atomic<bool> stop{false};
  std::atomic<uint64_t> bad{0}, reads{0};
  r.reader_register(0);
  std::thread reader([&] {
    std::mt19937 rng(7);
    r.online(0);
    uint32_t a[64], out[64];
    while (!stop.load(std::memory_order_relaxed)) {
      for (auto& x : a) x = 0x0a000000 | (rng() & 0x000fff00) | (rng() & 0x3);
      t.lookup_bulk(a, out, 64);
      for (int i = 0; i < 64; i++)
        if (out[i] != 1000 + ((a[i] >> 16) & 0xf) && out[i] != host_value(a[i])) bad++;
      reads += 64;
      r.quiescent(0);
    }
    r.offline(0);
  });
  std::mt19937 rng(9);
  std::vector<uint32_t> live;
  for (int i = 0; i < 1000000; i++) {
    if (live.size() < 2000 || rng() % 2) {
      uint32_t a = 0x0a000000 | (rng() & 0x000fff00) | (rng() & 0x3);
      t.add(a, 32, host_value(a));
      live.push_back(a);
    } else {
      size_t k = rng() % live.size();
      uint32_t a = live[k];
      live[k] = live.back();
      live.pop_back();
      if (std::find(live.begin(), live.end(), a) == live.end()) t.del(a, 32, 1000 + ((a >> 16) & 0xf), 16);
    }
    if (i % 256 == 0) r.reclaim();
  }
  stop = true;
  reader.join();
  r.reader_unregister(0);
  r.reclaim();
  EXPECT_EQ(bad.load(), 0u);
  EXPECT_GT(reads.load(), 10000u);
}

// ---- IPv6

struct Ref6 {
  std::map<std::pair<uint8_t, u128>, uint32_t> routes;
  static u128 mask(uint8_t len) { return len ? ~u128(0) << (128 - len) : 0; }
  std::pair<uint32_t, uint8_t> lookup(u128 a, int below = 129) const {
    for (int len = std::min(128, below - 1); len >= 0; len--) {
      auto it = routes.find({uint8_t(len), a & mask(uint8_t(len))});
      if (it != routes.end()) return {it->second, uint8_t(len)};
    }
    return {kDefault, 0};
  }
};

u128 rand128(std::mt19937_64& rng) { return u128(rng()) << 64 | rng(); }

void check6(const Ip6Mtrie& t, const Ref6& r, std::mt19937_64& rng, int n, u128 base) {
  for (int i = 0; i < n; i++) {
    // Mostly under the base /16 so that lookups hit the deep levels.
    u128 a = rng() % 4 ? base | (rand128(rng) >> 16) : rand128(rng);
    ASSERT_EQ(t.lookup(a), r.lookup(a).first);
  }
  for (auto& [k, v] : r.routes) {
    u128 lo = k.second, hi = k.second | ~Ref6::mask(k.first);
    ASSERT_EQ(t.lookup(lo), r.lookup(lo).first);
    ASSERT_EQ(t.lookup(hi), r.lookup(hi).first);
  }
}

TEST(Ip6Mtrie, MatchesAReferenceThroughRandomNestedAddsAndDeletes) {
  std::mt19937_64 rng(42);
  Ip6Mtrie t(kDefault);
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
    std::vector<std::pair<uint8_t, u128>> keys;
    for (auto& [k, v] : r.routes) keys.push_back(k);
    std::shuffle(keys.begin(), keys.end(), rng);
    for (size_t i = 0; i < keys.size() / 2; i++) {
      auto [len, p] = keys[i];
      r.routes.erase(keys[i]);
      auto [pv, pl] = r.lookup(p, len);
      t.del(p, len, pv, pl);
    }
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

TEST(Ip6Mtrie, DeepChainsFoldBackCompletely) {
  Ip6Mtrie t(kDefault);
  const u128 host = u128(0x20010db8) << 96 | 1;
  t.add(host, 128, 9);
  EXPECT_EQ(t.groups_in_use(), 13u);  // one group per 8 bits below /24
  EXPECT_EQ(t.lookup(host), 9u);
  EXPECT_EQ(t.lookup(host + 1), kDefault);
  t.del(host, 128, kDefault, 0);
  EXPECT_EQ(t.groups_in_use(), 0u);
  EXPECT_EQ(t.lookup(host), kDefault);
}

TEST(Ip6Mtrie, BulkLookupEqualsSingleLookups) {
  Ip6Mtrie t(kDefault);
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
// the /48), where each is looked up on its own. Bulk results equal the
// reference whatever the runs.
TEST(Ip6Mtrie, RunsOfDestinationsInOneSlash48WalkOnce) {
  std::mt19937_64 rng(56);
  Ip6Mtrie t(kDefault);
  Ref6 r;
  const u128 base = u128(0x2a00) << 112;
  std::vector<u128> nets;
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
    }
  }
  t.add(base, 16, 9);
  r.routes[{16, base}] = 9;
  u128 a[256];
  uint32_t out[256];
  for (int round = 0; round < 200; round++) {
    for (int i = 0; i < 256;) {  // runs of 1-40 destinations in one /48 (or a /56 inside it)
      u128 net = nets[rng() % nets.size()];
      for (int k = int(1 + rng() % 40); k > 0 && i < 256; k--)
        a[i++] = net | (rng() % 2 ? rand128(rng) >> 48 : (rand128(rng) >> 56));
    }
    t.lookup_bulk(a, out, 256);
    for (int i = 0; i < 256; i++) ASSERT_EQ(out[i], r.lookup(a[i]).first) << i;
  }
}

// As the IPv4 test, with /64s under /48s: groups five levels deep are
// allocated, folded back and reused under a concurrent reader.
TEST(Ip6Mtrie, ConcurrentReadersNeverSeeAWrongOrFreedEntry) {
  Ip6Mtrie t(kDefault);
  Rcu& r = rcu();
  const u128 base = u128(0x20010db8) << 96;
  for (uint32_t b = 0; b < 16; b++) t.add(base | u128(b) << 80, 48, 1000 + b);
  auto key = [&](uint32_t x) { return base | u128(x & 0xf) << 80 | u128(x >> 4 & 0xfff) << 64; };
  auto host_value = [](uint32_t x) { return 100000 + (x & 0xffff); };
  std::atomic<bool> stop{false};
  std::atomic<uint64_t> bad{0}, reads{0};
  r.reader_register(0);
  std::thread reader([&] {
    std::mt19937 rng(7);
    r.online(0);
    u128 a[64];
    uint32_t x[64], out[64];
    while (!stop.load(std::memory_order_relaxed)) {
      for (int i = 0; i < 64; i++) a[i] = key(x[i] = rng() & 0xffff) | rng();
      t.lookup_bulk(a, out, 64);
      for (int i = 0; i < 64; i++)
        if (out[i] != 1000 + (x[i] & 0xf) && out[i] != host_value(x[i])) bad++;
      reads += 64;
      r.quiescent(0);
    }
    r.offline(0);
  });
  std::mt19937 rng(9);
  std::vector<uint32_t> live;
  for (int i = 0; i < 300000; i++) {
    if (live.size() < 2000 || rng() % 2) {
      uint32_t x = rng() & 0xffff;
      t.add(key(x), 64, host_value(x));
      live.push_back(x);
    } else {
      size_t k = rng() % live.size();
      uint32_t x = live[k];
      live[k] = live.back();
      live.pop_back();
      if (std::find(live.begin(), live.end(), x) == live.end()) t.del(key(x), 64, 1000 + (x & 0xf), 48);
    }
    if (i % 256 == 0) r.reclaim();
  }
  stop = true;
  reader.join();
  r.reader_unregister(0);
  r.reclaim();
  EXPECT_EQ(bad.load(), 0u);
  EXPECT_GT(reads.load(), 10000u);
}

}  // namespace
}  // namespace vp
