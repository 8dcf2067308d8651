#pragma once
// What a FIB lookup resolves to. A load-balance (Lb) is an array of buckets,
// a power of two long, each a Dpo: where packets of that bucket go. A route
// entry owns one Lb whose index never changes while the entry exists, so a
// recursive route that points at it follows every change of its parent.
#include <atomic>
#include <cstdint>
#include <cstdlib>

#include "graph/published.hpp"

namespace vp {

enum class DpoType : uint8_t {
  unreach = 0,  // no route: ICMP destination unreachable (net)
  adj,          // rewrite with adjacency index
  glean,        // attached subnet: resolve the packet's destination (index: glean adjacency)
  local,        // one of our addresses
  drop,         // blackhole: silent
  prohibit,     // ICMP administratively prohibited
  lb,           // recursive: continue with load-balance index
};

struct Dpo {
  static constexpr uint32_t kIndexMask = (1u << 28) - 1;
  static uint32_t make(DpoType t, uint32_t index = 0) { return uint32_t(t) << 28 | (index & kIndexMask); }
  static DpoType type(uint32_t d) { return DpoType(d >> 28); }
  static uint32_t index(uint32_t d) { return d & kIndexMask; }
};

struct Lb {
  uint32_t n_buckets;  // power of two
  uint32_t buckets[1];
  static Lb* make(uint32_t n) {
    auto* l = static_cast<Lb*>(std::malloc(sizeof(Lb) + (n - 1) * sizeof(uint32_t)));
    l->n_buckets = n;
    return l;
  }
};
struct LbFree {
  void operator()(const Lb* l) const { std::free(const_cast<Lb*>(l)); }
};

using LbPool = PublishedPool<Lb, LbFree>;
LbPool* make_lb_pool();  // with kLbNoRoute in place
// Inline: lookups resolve through these for every packet.
inline LbPool& lbs() {
  static LbPool* p = make_lb_pool();
  return *p;
}

// One 32-bit word per load-balance index: its only bucket, or kLbMulti when
// it has several. A flat array (pages touched on use) that ip4-lookup can
// prefetch for a whole vector, so a table far larger than the caches costs
// two overlapped misses per packet (trie, summary) instead of a chain of
// dependent ones through the pool.
inline constexpr uint32_t kLbMulti = 0xffffffffu;
class LbSummary {
 public:
  LbSummary();
  uint32_t get(uint32_t i) const { return std::atomic_ref<uint32_t>(a_[i & kMask]).load(std::memory_order_acquire); }
  const uint32_t* addr(uint32_t i) const { return &a_[i & kMask]; }
  void set(uint32_t i, uint32_t v) { std::atomic_ref<uint32_t>(a_[i & kMask]).store(v, std::memory_order_release); }

 private:
  static constexpr uint32_t kMask = (1u << 24) - 1;  // = the pool's index space
  uint32_t* a_;
};
inline LbSummary& lb_summary() {
  static LbSummary* s = new LbSummary;
  return *s;
}

// Index 0: the "no route" load-balance every table's default points at.
inline constexpr uint32_t kLbNoRoute = 0;

// Resolves without a flow hash when every level has a single bucket (the
// common case); false when some level balances and needs the hash.
inline bool lb_resolve_single(uint32_t lb_index, uint32_t& dpo) {
  const LbSummary& s = lb_summary();
  for (int depth = 0; depth < 4; depth++) {
    dpo = s.get(lb_index);
    if (dpo == kLbMulti) return false;
    if (Dpo::type(dpo) != DpoType::lb) return true;
    lb_index = Dpo::index(dpo);
  }
  dpo = Dpo::make(DpoType::drop);
  return true;
}

// Chooses a bucket of l and follows recursion (bounded) to a terminal Dpo.
inline uint32_t lb_pick(const Lb* l, uint32_t hash) {
  for (int depth = 0;; depth++) {
    if (__builtin_expect(!l, 0)) return Dpo::make(DpoType::unreach);
    uint32_t d = l->buckets[hash & (l->n_buckets - 1)];
    if (Dpo::type(d) != DpoType::lb) return d;
    if (depth == 3) return Dpo::make(DpoType::drop);  // a recursion loop
    l = lbs().get(Dpo::index(d));
  }
}

inline uint32_t lb_resolve(uint32_t lb_index, uint32_t hash) { return lb_pick(lbs().get(lb_index), hash); }

}  // namespace vp
