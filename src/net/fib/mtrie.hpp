#pragma once
// Longest-prefix match for IPv4: a 2^24-entry first level indexed by the
// top 24 bits of the address, then 256-entry groups consuming the last 8
// (DIR-24-8). A leaf is a 31-bit value (a load-balance index). Keys are
// host-order integers. IPv6 uses Lpm6 (lpm6.hpp): this shape, 24-8-8-...,
// takes 258 MB and four misses per lookup on a 200k-prefix table.
//
// Why our own and not DPDK's: rte_lpm finds a rule by a linear scan over all
// rules of the same length (O(n) per insert: a million /24s takes minutes),
// rte_lpm6 has no RCU reclamation, and rte_fib/rte_fib6 free groups
// immediately on delete, under concurrent readers. Here the main thread is
// the only writer; every entry is written with one aligned 32-bit store, a
// new group is filled before the entry that points to it is published, and
// a group is recycled only after an RCU grace period, so workers look up
// without any lock.
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <thread>
#include <vector>

namespace vp {

template <class K>
class Mtrie {
 public:
  static constexpr int kBits = sizeof(K) * 8;
  static constexpr uint32_t kExt = 1u << 31;         // entry points to a group
  static constexpr uint32_t kGroupsPerChunk = 2048;  // 2 MB: one transparent hugepage
  static constexpr uint32_t kMaxChunks = 2048;       // 4M groups at most

  explicit Mtrie(uint32_t default_value);
  ~Mtrie();
  Mtrie(const Mtrie&) = delete;

  // Main thread. Values < 2^31.
  void add(K prefix, uint8_t len, uint32_t value);
  // Removes prefix/len; its addresses fall back to the covering prefix
  // (parent_value / parent_len, the default with len 0 when there is none).
  void del(K prefix, uint8_t len, uint32_t parent_value, uint8_t parent_len);

  // Any thread.
  uint32_t lookup(K addr) const {
    uint32_t e = load(tbl24_[top24(addr)]);
    int shift = kBits - 32;
    while (__builtin_expect(e & kExt, 0)) {
      e = load(group(e & ~kExt)[uint32_t(addr >> shift) & 0xff]);
      shift -= 8;
    }
    return e;
  }
  // Issued by ip4-input/ip6-input, a whole node before the lookup reads it.
  void prefetch(K addr) const { __builtin_prefetch(&tbl24_[top24(addr)]); }
  // Level by level for the whole vector: every packet's entry at one level
  // is prefetched before any is read, so a table far larger than the caches
  // costs one overlapped miss per level instead of a chain per packet.
  void lookup_bulk(const K* addrs, uint32_t* out, uint32_t n) const;

  size_t memory_bytes() const;
  uint32_t groups_in_use() const { return groups_used_; }

 private:
  static uint32_t top24(K a) { return uint32_t(a >> (kBits - 24)); }
  static uint32_t load(const uint32_t& e) {
    return std::atomic_ref<uint32_t>(const_cast<uint32_t&>(e)).load(std::memory_order_acquire);
  }
  static void store(uint32_t& e, uint32_t v) { std::atomic_ref<uint32_t>(e).store(v, std::memory_order_release); }
  uint32_t* group(uint32_t g) const {
    return chunks_[g / kGroupsPerChunk].load(std::memory_order_acquire) + (g % kGroupsPerChunk) * 256;
  }
  uint8_t* group_depth(uint32_t g) const {
    return depth_chunks_[g / kGroupsPerChunk].get() + (g % kGroupsPerChunk) * 256;
  }
  uint32_t alloc_group();
  // Entries t[i] (depths d[i]) at a level whose entries end at bit `bits`.
  void set_range(uint32_t* t, uint8_t* d, uint32_t first, uint32_t count, int bits, uint8_t len, uint32_t value,
                 bool del, uint32_t pv, uint8_t pl);
  void maybe_collapse(uint32_t* t, uint8_t* d, uint32_t i, int bits);

  uint32_t* tbl24_;
  uint8_t* depth24_;  // main thread only
  std::atomic<uint32_t*> chunks_[kMaxChunks]{};
  std::vector<std::unique_ptr<uint8_t[]>> depth_chunks_;
  std::vector<uint32_t> free_groups_;
  uint32_t next_group_ = 0, groups_used_ = 0;
  // Faults the first level in from another thread once the table grows big:
  // on a VM a first touch costs a hypervisor exit per page, a quarter of
  // the main thread's time while a full table loads.
  static constexpr uint32_t kPrefaultAfter = 4096;
  uint32_t adds_ = 0;
  std::thread prefault_;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);  // deferred frees outliving us are no-ops
};

using Ip4Mtrie = Mtrie<uint32_t>;
extern template class Mtrie<uint32_t>;

}  // namespace vp
