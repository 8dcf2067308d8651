#include "net/fib/exact48.hpp"

#include "graph/rcu.hpp"

namespace vp {

Exact48::~Exact48() { delete t_.load(); }

size_t Exact48::memory_bytes() const {
  const Table* t = t_.load();
  return (t ? t->buckets.size() * (sizeof(Bucket) + kWays * 8) : 0) + all_.capacity() * 16;
}

bool Exact48::place(Table& t, uint64_t key, uint32_t value) {
  Slot* b = t.bucket(key);
  const size_t first = size_t(&b[0] - &t.buckets[0].s[0]);
  const uint64_t k = key | kUsed;
  for (int s = 0; s < kWays; s++)
    if (b[s].key.load(std::memory_order_relaxed) == k) {
      b[s].value.store(value, std::memory_order_release);
      return true;
    }
  Rcu& r = rcu();
  for (int s = 0; s < kWays; s++)
    if (!b[s].key.load(std::memory_order_relaxed) && r.passed(t.reuse_after[first + size_t(s)])) {
      b[s].value.store(value, std::memory_order_relaxed);
      b[s].key.store(k, std::memory_order_release);
      return true;
    }
  return false;
}

void Exact48::set(uint64_t key, uint32_t value) {
  all_[key] = value;
  Table* t = t_.load(std::memory_order_relaxed);
  if (!t || all_.size() * 2 > t->buckets.size() * kWays) return grow();
  place(*t, key, value);  // a full bucket leaves the key to the trie
}

void Exact48::erase(uint64_t key) {
  if (!all_.erase(key)) return;
  Table* t = t_.load(std::memory_order_relaxed);
  Slot* b = t->bucket(key);
  for (int s = 0; s < kWays; s++)
    if (b[s].key.load(std::memory_order_relaxed) == (key | kUsed)) {
      b[s].key.store(0, std::memory_order_release);
      t->reuse_after[size_t(&b[s] - &t->buckets[0].s[0])] = rcu().retire_token();
    }
}

// Four times the keys in slots (a quarter full), all placed again.
void Exact48::grow() {
  uint32_t n = 64;
  while (size_t(n) * kWays < all_.size() * 4) n *= 2;
  auto* t = new Table(n);
  for (auto& [k, v] : all_) place(*t, k, v);
  Table* old = t_.exchange(t, std::memory_order_acq_rel);
  if (old) rcu().defer([old] { delete old; });
}

}  // namespace vp
