#pragma once
// Beside the IPv6 trie: every /48 route with no longer route under it (most
// of the public IPv6 table) in a hash table keyed by the top 48 bits, so
// that a destination inside one is answered by one probe instead of four
// dependent trie levels. An accelerator only: a key that is not found (or
// did not fit its bucket) is looked up in the trie.
//
// Workers read without locks. A slot's value changes with one atomic store;
// a slot that held another key is reused only after an RCU grace period (a
// reader that matched the old key may still be about to read its value);
// a table that grows is built aside and swapped in, the old one freed after
// a grace period.
#include <absl/container/flat_hash_map.h>

#include <atomic>
#include <cstdint>
#include <vector>

namespace vp {

class Exact48 {
 public:
  Exact48() = default;
  ~Exact48();
  Exact48(const Exact48&) = delete;

  // Main thread. key: the top 48 bits of the /48.
  void set(uint64_t key, uint32_t value);
  void erase(uint64_t key);
  size_t size() const { return all_.size(); }
  size_t memory_bytes() const;

  // Any thread.
  void prefetch(uint64_t key) const {
    if (const Table* t = t_.load(std::memory_order_acquire)) __builtin_prefetch(t->bucket(key));
  }
  bool find(uint64_t key, uint32_t& value) const {
    const Table* t = t_.load(std::memory_order_acquire);
    if (!t) return false;
    const Slot* b = t->bucket(key);
    const uint64_t k = key | kUsed;
    for (int s = 0; s < kWays; s++)
      if (b[s].key.load(std::memory_order_acquire) == k) {
        value = b[s].value.load(std::memory_order_relaxed);
        return true;
      }
    return false;
  }

 private:
  static constexpr uint64_t kUsed = 1ull << 63;  // an empty slot's key is 0
  static constexpr int kWays = 4;                // slots per bucket: one cache line
  struct Slot {
    std::atomic<uint64_t> key{0};
    std::atomic<uint32_t> value{0};
    uint32_t pad = 0;
  };
  struct alignas(64) Bucket {
    Slot s[kWays];
  };
  struct Table {
    explicit Table(uint32_t n) : buckets(n), mask(n - 1), reuse_after(size_t(n) * kWays, 0) {}
    std::vector<Bucket> buckets;
    uint32_t mask;
    std::vector<uint64_t> reuse_after;  // per slot: RCU token of its last erase (main thread)
    const Slot* bucket(uint64_t key) const { return buckets[hash(key) & mask].s; }
    Slot* bucket(uint64_t key) { return buckets[hash(key) & mask].s; }
    static uint32_t hash(uint64_t key) { return uint32_t((key * 0x9e3779b97f4a7c15ull) >> 32); }
  };
  bool place(Table& t, uint64_t key, uint32_t value);  // false: the bucket is full
  void grow();

  std::atomic<Table*> t_{nullptr};
  absl::flat_hash_map<uint64_t, uint32_t> all_;  // main thread: what the table should hold
};

}  // namespace vp
