#pragma once
// IPv4 longest-prefix match, DIR-24-8: a 2^24-entry first level indexed by
// the top 24 bits and 256-entry second-level groups ("tbl8") for prefixes
// longer than /24. A leaf is a 31-bit value (a load-balance index).
//
// Why our own and not DPDK's: rte_lpm finds a rule by a linear scan over all
// rules of the same length (O(n) per insert: a million /24s takes minutes),
// and rte_fib frees tbl8 groups immediately on delete, under concurrent
// readers. Here the main thread is the only writer; every entry is written
// with one aligned 32-bit store, a new tbl8 group is filled before the
// first-level entry that points to it is published, and a group is recycled
// only after an RCU grace period, so workers look up without any lock.
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

namespace vp {

class Ip4Mtrie {
 public:
  static constexpr uint32_t kExt = 1u << 31;  // first-level entry points to a tbl8 group
  static constexpr uint32_t kGroupsPerChunk = 1024;
  static constexpr uint32_t kMaxChunks = 4096;  // 4M groups at most

  explicit Ip4Mtrie(uint32_t default_value);
  ~Ip4Mtrie();
  Ip4Mtrie(const Ip4Mtrie&) = delete;

  // Main thread. Prefixes are in host byte order; values < 2^31.
  void add(uint32_t prefix, uint8_t len, uint32_t value);
  // Removes prefix/len; its addresses fall back to the covering prefix
  // (parent_value / parent_len, the default with len 0 when there is none).
  void del(uint32_t prefix, uint8_t len, uint32_t parent_value, uint8_t parent_len);

  // Any thread.
  uint32_t lookup(uint32_t addr) const {
    uint32_t e = load(tbl24_[addr >> 8]);
    if (__builtin_expect(e & kExt, 0)) e = load(group(e & ~kExt)[addr & 0xff]);
    return e;
  }
  // Issued by ip4-input, a whole node before ip4-lookup reads the entry.
  void prefetch(uint32_t addr) const { __builtin_prefetch(&tbl24_[addr >> 8]); }
  // Prefetches the whole vector's entries before reading any of them: the
  // table is far larger than the caches.
  void lookup_bulk(const uint32_t* addrs, uint32_t* out, uint32_t n) const;

  size_t memory_bytes() const;
  uint32_t groups_in_use() const { return groups_used_; }

 private:
  static uint32_t load(const uint32_t& e) {
    return std::atomic_ref<uint32_t>(const_cast<uint32_t&>(e)).load(std::memory_order_acquire);
  }
  static void store(uint32_t& e, uint32_t v) { std::atomic_ref<uint32_t>(e).store(v, std::memory_order_release); }
  uint32_t* group(uint32_t g) const {
    return chunks_[g / kGroupsPerChunk].load(std::memory_order_acquire) + (g % kGroupsPerChunk) * 256;
  }
  uint8_t* group_depth(uint32_t g) { return depth_chunks_[g / kGroupsPerChunk].get() + (g % kGroupsPerChunk) * 256; }
  uint32_t alloc_group();
  void maybe_collapse(uint32_t i24);
  void set_range24(uint32_t first, uint32_t count, uint8_t len, uint32_t value, bool del, uint32_t pv, uint8_t pl);
  void set_range8(uint32_t g, uint32_t first, uint32_t count, uint8_t len, uint32_t value, bool del, uint32_t pv,
                  uint8_t pl);

  uint32_t* tbl24_;
  std::unique_ptr<uint8_t[]> depth24_;  // main thread only
  std::atomic<uint32_t*> chunks_[kMaxChunks]{};
  std::vector<std::unique_ptr<uint8_t[]>> depth_chunks_;
  std::vector<uint32_t> free_groups_;
  uint32_t next_group_ = 0, groups_used_ = 0;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);  // deferred frees outliving us are no-ops
};

}  // namespace vp
