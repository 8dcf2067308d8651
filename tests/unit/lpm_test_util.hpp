#pragma once
// Shared by the IPv4 trie's and Lpm6's tests: a reference LPM, and
// churn_under_reader: a reader thread looks up
// addresses while the main thread adds and deletes host routes, allocating,
// folding back and reusing the table's memory. Host x (16 bits) is the
// route key(x)/host_len, under the cover key(x)/cover_len whose value is
// 1000 + (x & 0xf) (key must put x & 0xf, and only it, in the cover's
// bits). An address of host x may only ever resolve to the host's value or
// the cover's: memory recycled before its grace period would answer
// another address's value.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <map>
#include <random>
#include <thread>
#include <vector>

#include "graph/rcu.hpp"

namespace vp::test {

// Longest match by probing every length, from a map of (len, prefix).
template <class K, uint32_t kDefault>
struct RefLpm {
  static constexpr int kBits = sizeof(K) * 8;
  std::map<std::pair<uint8_t, K>, uint32_t> routes;
  static K mask(uint8_t len) { return len ? ~K(0) << (kBits - len) : K(0); }
  // The longest route shorter than `below`: its value and length.
  std::pair<uint32_t, uint8_t> lookup(K a, int below = kBits + 1) const {
    for (int len = std::min(kBits, below - 1); len >= 0; len--) {
      auto it = routes.find({uint8_t(len), a & mask(uint8_t(len))});
      if (it != routes.end()) return {it->second, uint8_t(len)};
    }
    return {kDefault, 0};
  }
  // Deletes half the routes, in random order, from the reference and from t
  // (with the covering route's value and length, as the FIB passes them).
  template <class T, class Rng>
  void delete_half(T& t, Rng& rng) {
    std::vector<std::pair<uint8_t, K>> keys;
    for (auto& [k, v] : routes) keys.push_back(k);
    std::shuffle(keys.begin(), keys.end(), rng);
    for (size_t i = 0; i < keys.size() / 2; i++) {
      auto [len, p] = keys[i];
      routes.erase(keys[i]);
      auto [pv, pl] = lookup(p, len);
      t.del(p, len, pv, pl);
    }
  }
  // Table t answers as the reference at both ends of every route.
  template <class T>
  void check_edges(const T& t) const {
    for (auto& [k, v] : routes) {
      K lo = k.second, hi = k.second | ~mask(k.first);
      ASSERT_EQ(t.lookup(lo), lookup(lo).first);
      ASSERT_EQ(t.lookup(hi), lookup(hi).first);
    }
  }
};

template <class T, class K, class KeyFn>
void churn_under_reader(T& t, int ops, uint8_t host_len, uint8_t cover_len, KeyFn key, K noise_mask) {
  Rcu& r = rcu();
  const K cover_mask = ~K(0) << (sizeof(K) * 8 - cover_len);
  for (uint32_t b = 0; b < 16; b++) t.add(key(b) & cover_mask, cover_len, 1000 + b);
  auto host_value = [](uint32_t x) { return 100000 + x; };
  std::atomic<bool> stop{false};
  std::atomic<uint64_t> bad{0}, reads{0};
  r.reader_register(0);
  std::thread reader([&] {
    std::mt19937 rng(7);
    r.online(0);
    K a[64];
    uint32_t x[64], out[64];
    while (!stop.load(std::memory_order_relaxed)) {
      for (int i = 0; i < 64; i++) a[i] = key(x[i] = rng() & 0xffff) | (K(rng()) & noise_mask);
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
  for (int i = 0; i < ops; i++) {
    if (live.size() < 2000 || rng() % 2) {
      uint32_t x = rng() & 0xffff;
      t.add(key(x), host_len, host_value(x));
      live.push_back(x);
    } else {
      size_t k = rng() % live.size();
      uint32_t x = live[k];
      live[k] = live.back();
      live.pop_back();
      if (std::find(live.begin(), live.end(), x) == live.end()) t.del(key(x), host_len, 1000 + (x & 0xf), cover_len);
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

}  // namespace vp::test
