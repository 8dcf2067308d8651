#include "net/fib/lpm6.hpp"

// GCC 12's AVX-512 headers warn of their own undefined vectors (GCC bug 105593).
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#include <immintrin.h>
#pragma GCC diagnostic pop

#include <algorithm>
#include <atomic>
#include <bit>
#include <cstdlib>
#include <cstring>

#include "graph/rcu.hpp"
#include "infra/error.hpp"
#include "infra/huge_map.hpp"

namespace vp {

namespace {
constexpr uint32_t kDirectSize = 1u << Lpm6::kDirect;
constexpr uint64_t kSolo = uint64_t(1) << 56;

u128 mask(int len) { return len <= 0 ? 0 : len >= 128 ? ~u128(0) : ~u128(0) << (128 - len); }
// The 64 bits of a from bit `level` on (zeros past bit 128).
uint64_t window(u128 a, uint32_t level) { return uint64_t((a << level) >> 64); }
// Bits [level, level + 6) of a.
uint32_t slot(u128 a, int level) { return uint32_t(window(a, uint32_t(level)) >> 58); }
// 63 - the slot at `level` (< 58) of an address's high word: shifting a
// node's map left by it puts the slot's bit on top, the slots before it
// below.
uint32_t up_of(uint64_t high, uint32_t level) { return uint32_t(~(high << level) >> 58); }
// The region of slot k of the node at `level` under prefix p.
u128 slot_prefix(u128 p, int level, uint32_t k) {
  int end = level + Lpm6::kStride;
  return end <= 128 ? p | u128(k) << (128 - end) : p | u128(k >> (end - 128));
}
bool is_solo(const Lpm6::Rec& r) { return r.w[3] & kSolo; }
// A node's second word marks where each run of equal leaves starts among
// its leaf slots, and which of its children are solos among its child
// slots: the bulk walk stops as it reaches a solo instead of spending a
// round finding out (most walks of a large table end on one).
uint64_t leaf_runs(const Lpm6::Rec& node) { return node.w[1] & ~node.w[0]; }
// A node's folded levels: single-child levels above it whose other slots
// all resolve to its inherited value, folded into the node: how many, and
// the bits an address must have there (the first level's highest).
constexpr int kGuardShift = 32, kSkipShift = 50;
constexpr uint64_t kGuardMask = (uint64_t(1) << 18) - 1;
uint32_t skips(const Lpm6::Rec& r) { return uint32_t(r.w[3] >> kSkipShift) & 3; }
uint32_t guard(const Lpm6::Rec& r) { return uint32_t(r.w[3] >> kGuardShift & kGuardMask); }
Lpm6::Rec with_skips(Lpm6::Rec r, uint32_t n, uint64_t g) {
  r.w[3] = (r.w[3] & ~(kGuardMask << kGuardShift | uint64_t(3) << kSkipShift)) | g << kGuardShift |
           uint64_t(n) << kSkipShift;
  return r;
}
// Whether a window's first `bits` bits (0-18) equal g.
bool guard_ok(uint64_t win, uint32_t bits, uint32_t g) { return ((win >> 1) >> (63 - bits)) == g; }
// c ? a : b without a branch: gcc turns the ternary into one in the bulk
// lookup's level loop, where children and stops mix unpredictably.
uint32_t select(uint32_t c, uint32_t a, uint32_t b) {
  asm("test %1, %1\n\tcmovnz %2, %0" : "+r"(b) : "r"(c), "r"(a) : "cc");
  return b;
}
// A solo's value for the address hi:lo: its prefix's first min(len, 64)
// bits in the high word, the rest in the low one. Two 64-bit compares and a
// select: a 128-bit shift made gcc spill, and whether a solo matches mixes
// unpredictably in the bulk lookup.
uint32_t solo_value(const Lpm6::Rec& r, uint64_t hi, uint64_t lo) {
  const uint32_t len = uint32_t(r.w[3] & 0xff);  // 25-128
  const uint64_t miss_hi = (hi ^ r.w[0]) >> ((64 - std::min(len, 64u)) & 63);
  const uint64_t miss_lo = ((lo ^ r.w[1]) >> ((128 - len) & 63)) & -uint64_t(len > 64);
  return select(uint32_t((miss_hi | miss_lo) == 0), uint32_t(r.w[2]), uint32_t(r.w[2] >> 32));
}
uint64_t upto(uint32_t s) { return (uint64_t(2) << s) - 1; }  // bits 0..s
// The first-level entry for an address's high word (the main thread
// publishes entries with a release store).
uint32_t entry(const uint32_t* direct, uint64_t high) {
  return __atomic_load_n(&direct[high >> (64 - Lpm6::kDirect)], __ATOMIC_ACQUIRE);
}
// Where a node's children start, as its third word keeps it: the byte
// offset of the record before the first child (wrapping below 0), so that
// the bulk walk finds a child's offset by adding its rank times 32.
constexpr uint32_t kRecBytes = sizeof(Lpm6::Rec);
uint32_t kids_word(uint32_t first) { return (first - 1) * kRecBytes; }
uint32_t first_kid(const Lpm6::Rec& node) { return (uint32_t(node.w[2]) + kRecBytes) / kRecBytes; }

}  // namespace

template <class T>
void Lpm6::Arena<T>::init(uint32_t capacity) {
  cap = capacity;
  base = static_cast<T*>(huge_map(size_t(cap) * sizeof(T)));
}

template <class T>
Lpm6::Arena<T>::~Arena() {
  if (base) huge_unmap(base, size_t(cap) * sizeof(T));
}

template <class T>
uint32_t Lpm6::Arena<T>::alloc(uint32_t n) {
  if (!free[n].empty()) {
    uint32_t i = free[n].back();
    free[n].pop_back();
    used += n;
    fresh.push_back({i, n});
    return i;
  }
  if (next + n > cap) fail("IPv6 FIB: out of memory for lookup nodes ({} in use)", used);
  next += n;
  used += n;
  fresh.push_back({next - n, n});
  return next - n;
}

template <class T>
void Lpm6::Arena<T>::give_back() {
  for (auto [i, n] : fresh) {
    free[n].push_back(i);
    used -= n;
  }
  fresh.clear();
}

Lpm6::Lpm6(uint32_t default_value, uint32_t max_records) {
  // Zero pages until written: an empty table costs no memory.
  direct_ = static_cast<uint32_t*>(huge_map(kDirectSize * sizeof(uint32_t)));
  dlen_ = static_cast<uint8_t*>(huge_map(kDirectSize));
  if (default_value)
    for (uint32_t i = 0; i < kDirectSize; i++) direct_[i] = default_value;
  const uint32_t cap = max_records ? std::min(max_records, kIndex + 1) : kIndex + 1;
  recs_.init(cap);
  leaves_.init(2 * cap);  // 256 MB by default
}

Lpm6::~Lpm6() {
  *alive_ = false;
  huge_unmap(direct_, kDirectSize * sizeof(uint32_t));
  huge_unmap(dlen_, kDirectSize);
}

// A leaf, a solo or a node for the routes longer than `level` under p
// (p/level), whose addresses resolve to `inherited` where none matches.
Lpm6::Slot Lpm6::build(u128 p, int level, uint32_t inherited) {
  const u128 last = p | ~mask(level);
  auto first = routes_.lower_bound(Key{p, uint8_t(level + 1)});
  auto in = [&](auto it) { return it != routes_.end() && it->first.prefix <= last; };
  auto it = first;
  int count = 0;
  for (; in(it) && count < 2; ++it) count++;
  if (count == 0) return {false, inherited, {}};
  if (count == 1) {
    const Key& k = first->first;
    return {true,
            0,
            {{uint64_t(k.prefix >> 64), uint64_t(k.prefix), first->second | uint64_t(inherited) << 32, k.len | kSolo}}};
  }
  uint32_t val[64];
  uint8_t depth[64] = {};
  bool deep[64] = {};
  for (auto& v : val) v = inherited;
  const int end = level + kStride;
  for (it = first; in(it); ++it) {
    if (it->first.len > end)
      deep[slot(it->first.prefix, level)] = true;
    else
      paint(it->first, it->second, level, val, depth);
  }
  Slot slots[64];
  for (uint32_t k = 0; k < 64; k++)
    slots[k] = deep[k] ? build(slot_prefix(p, level, k), end, val[k]) : Slot{false, val[k], {}};
  return node_slot(slots, level, inherited);
}

// Route k (longer than `level`, ending within the node at `level`) onto the
// node's slot values, where no longer route painted them.
void Lpm6::paint(const Key& k, uint32_t value, int level, uint32_t* val, uint8_t* depth) {
  const uint32_t s = slot(k.prefix, level), n = 1u << (level + kStride - k.len);
  for (uint32_t i = s; i < s + n; i++)
    if (depth[i] <= k.len) {
      val[i] = value;
      depth[i] = k.len;
    }
}

// A node holding these slots, or, from /48 down, when only one slot goes on
// (to a node that resolves alike outside its own region) and every other
// resolves to `inherited`, that child with this level folded into it: a
// /128 next to another under a /64 walks 5 records instead of 18 levels.
// Not above /48: folding makes each packet's level its own, and the bulk
// walk of the public table's prefixes runs faster with one level per
// round (ip6-lookup measured 10% slower with folding at every level).
Lpm6::Slot Lpm6::node_slot(const Slot* slots, int level, uint32_t inherited) {
  if (level < kFoldFrom) return {true, 0, make_node(slots, inherited)};
  int only = -1;
  for (int k = 0; k < 64; k++) {
    if (slots[k].rec) {
      if (only >= 0) return {true, 0, make_node(slots, inherited)};
      only = k;
    } else if (slots[k].leaf != inherited) {
      return {true, 0, make_node(slots, inherited)};
    }
  }
  const Rec& c = slots[only].r;
  if (is_solo(c) || skips(c) == 3 || uint32_t(c.w[3]) != inherited) return {true, 0, make_node(slots, inherited)};
  const uint32_t n = skips(c);
  return {true, 0, with_skips(c, n + 1, uint64_t(only) << (kStride * n) | guard(c))};
}

Lpm6::Rec Lpm6::make_node(const Slot* slots, uint32_t inherited) {
  uint64_t children = 0, runs = 0;
  Rec kids[64];
  uint32_t vals[64], nk = 0, nv = 0;
  for (uint32_t k = 0; k < 64; k++) {
    if (slots[k].rec) {
      children |= uint64_t(1) << k;
      if (is_solo(slots[k].r)) runs |= uint64_t(1) << k;
      kids[nk++] = slots[k].r;
    } else if (nv == 0 || vals[nv - 1] != slots[k].leaf) {
      runs |= uint64_t(1) << k;
      vals[nv++] = slots[k].leaf;
    }
  }
  uint32_t kb = nk ? recs_.alloc(nk) : 0, vb = nv ? leaves_.alloc(nv) : 0;
  std::memcpy(&recs_.base[kb], kids, nk * sizeof(Rec));
  std::memcpy(&leaves_.base[vb], vals, nv * sizeof(uint32_t));
  return {{children, runs, kids_word(kb) | uint64_t(vb) << 32, inherited}};
}

void Lpm6::unpack(const Rec& node, Slot* slots) const {
  const uint32_t kb = first_kid(node), vb = uint32_t(node.w[2] >> 32);
  for (uint32_t k = 0; k < 64; k++) {
    if (node.w[0] >> k & 1)
      slots[k] = {true, 0, recs_.base[kb + std::popcount(node.w[0] & upto(k)) - 1]};
    else
      slots[k] = {false, leaves_.base[vb + std::popcount(leaf_runs(node) & upto(k)) - 1], {}};
  }
}

void Lpm6::retire_node(const Rec& node) {
  if (uint32_t n = uint32_t(std::popcount(node.w[0]))) retired_recs_.push_back({first_kid(node), n});
  if (uint32_t n = uint32_t(std::popcount(leaf_runs(node)))) retired_leaves_.push_back({uint32_t(node.w[2] >> 32), n});
}

void Lpm6::retire_subtree(const Slot& s) {
  if (!s.rec || is_solo(s.r)) return;
  const uint32_t kb = first_kid(s.r), n = uint32_t(std::popcount(s.r.w[0]));
  for (uint32_t k = 0; k < n; k++) retire_subtree({true, 0, recs_.base[kb + k]});
  retire_node(s.r);
}

int Lpm6::deeper_routes(u128 p, int level, int stop) const {
  const u128 last = p | ~mask(level);
  int n = 0;
  for (auto it = routes_.lower_bound(Key{p, uint8_t(level + 1)});
       it != routes_.end() && it->first.prefix <= last && n < stop; ++it)
    n++;
  return n;
}

// The slot p/level (holding `old`) after the route q/len (len > level)
// was added, changed or removed: nodes on q's path are copied with the
// slot below them replaced, the slots q covers rebuilt from the routes.
Lpm6::Slot Lpm6::rebuild_path(const Slot& old, u128 p, int level, uint32_t inherited, u128 q, uint8_t len) {
  if (!old.rec || is_solo(old.r)) return build(p, level, inherited);  // at most one route was below
  if (deeper_routes(p, level, 2) < 2) {
    retire_subtree(old);
    return build(p, level, inherited);
  }
  Slot slots[64];
  const uint32_t folded = skips(old.r);
  if (folded) {  // unfold the first folded level: the node, one level down, is its only child
    for (auto& x : slots) x = {false, inherited, {}};
    const uint32_t low = kStride * (folded - 1);
    slots[guard(old.r) >> low] = {true, 0, with_skips(old.r, folded - 1, guard(old.r) & ((1u << low) - 1))};
  } else {
    unpack(old.r, slots);
  }
  const uint32_t s = slot(q, level);
  if (len <= level + kStride) {
    // The slots q/len covers, rebuilt. What they inherit: the longest
    // route of this node's levels covering all of them (q/len itself, or
    // shorter), then the routes of those levels inside q/len.
    uint32_t val[64], base = inherited;
    uint8_t depth[64] = {};
    for (int l = len; l > level; l--) {
      auto it = routes_.find(Key{q & mask(l), uint8_t(l)});
      if (it != routes_.end()) {
        base = it->second;
        break;
      }
    }
    const uint32_t n = 1u << (level + kStride - len);
    for (uint32_t k = s; k < s + n; k++) val[k] = base;
    const u128 last = q | ~mask(len);
    for (auto it = routes_.lower_bound(Key{q, uint8_t(len + 1)}); it != routes_.end() && it->first.prefix <= last; ++it)
      if (it->first.len <= level + kStride) paint(it->first, it->second, level, val, depth);
    for (uint32_t k = s; k < s + n; k++) {
      retire_subtree(slots[k]);
      slots[k] = build(slot_prefix(p, level, k), level + kStride, val[k]);
    }
  } else {
    // The route is below this slot, so what the slot inherits is unchanged.
    slots[s] = rebuild_path(slots[s], slot_prefix(p, level, s), level + kStride, value_outside(slots[s]), q, len);
  }
  if (!folded) retire_node(old.r);
  return node_slot(slots, level, inherited);
}

uint32_t Lpm6::entry_for(const Slot& s) {
  if (!s.rec) return s.leaf;
  const uint32_t r = recs_.alloc(1);
  recs_.base[r] = s.r;
  return kRef | r | (is_solo(s.r) ? kRefSolo : 0);
}

void Lpm6::publish(uint32_t i, uint32_t e) {
  std::atomic_ref<uint32_t>(direct_[i]).store(e, std::memory_order_release);
  recs_.keep();
  leaves_.keep();
  published_recs_ = retired_recs_.size();
  published_leaves_ = retired_leaves_.size();
}

template <class F, class Undo>
void Lpm6::update(F&& f, Undo&& undo) {
  try {
    f();
  } catch (...) {
    // Out of node memory: what was retired for a path that never got
    // published is still live, and what was allocated for it is not.
    retired_recs_.resize(published_recs_);
    retired_leaves_.resize(published_leaves_);
    recs_.give_back();
    leaves_.give_back();
    flush_retired();
    undo();
    throw;
  }
  recs_.keep();
  leaves_.keep();
  flush_retired();
}

uint32_t Lpm6::inherited(uint32_t i) const {
  const uint32_t e = direct_[i];
  return value_outside(e & kRef ? Slot{true, 0, recs_.base[e & kIndex]} : Slot{false, e, {}});
}

void Lpm6::change(u128 q, uint8_t len) {
  const uint32_t i = top(q);
  const uint32_t e = direct_[i], inh = inherited(i);
  Slot old{false, e, {}};
  if (e & kRef) {
    old = {true, 0, recs_.base[e & kIndex]};
    retired_recs_.push_back({e & kIndex, 1});
  }
  publish(i, entry_for(rebuild_path(old, u128(i) << (128 - kDirect), kDirect, inh, q, len)));
}

void Lpm6::flush_retired() {
  if (retired_recs_.empty() && retired_leaves_.empty()) return;
  for (auto [i, n] : retired_recs_) recs_.used -= n;
  for (auto [i, n] : retired_leaves_) leaves_.used -= n;
  rcu().defer([this, alive = alive_, r = std::move(retired_recs_), l = std::move(retired_leaves_)] {
    if (!*alive) return;
    for (auto [i, n] : r) recs_.free[n].push_back(i);
    for (auto [i, n] : l) leaves_.free[n].push_back(i);
  });
  retired_recs_.clear();
  retired_leaves_.clear();
  published_recs_ = published_leaves_ = 0;
}

template <class Take>
void Lpm6::repaint(u128 prefix, uint8_t len, uint32_t value, uint8_t new_len, Take take) {
  // Every entry's new subtree is built before any is published, so that
  // running out of node memory part way changes nothing.
  std::vector<std::pair<uint32_t, uint32_t>> next;  // first-level index, new entry
  for (uint32_t i = top(prefix), n = 1u << (kDirect - len); n--; i++) {
    if (!take(dlen_[i])) continue;
    // Nothing longer under it: the value itself.
    next.push_back({i, direct_[i] & kRef ? entry_for(build(u128(i) << (128 - kDirect), kDirect, value)) : value});
  }
  for (auto [i, e] : next) {
    dlen_[i] = new_len;
    if (const uint32_t old = direct_[i]; old & kRef) {
      retire_subtree({true, 0, recs_.base[old & kIndex]});
      retired_recs_.push_back({old & kIndex, 1});
    }
    publish(i, e);
  }
}

void Lpm6::add(u128 prefix, uint8_t len, uint32_t value) {
  if (value & kRef) fail("FIB: value {} out of range", value);
  if (len > 128) fail("prefix length {} out of range", len);
  prefix &= mask(len);
  const Key k{prefix, len};
  auto [it, fresh] = routes_.try_emplace(k, value);
  const uint32_t before = it->second;
  it->second = value;
  auto undo = [&] {
    if (fresh)
      routes_.erase(k);
    else
      routes_[k] = before;
  };
  if (len <= kDirect)
    return update([&] { repaint(prefix, len, value, len, [len](uint8_t l) { return l <= len; }); }, undo);
  update([&] { change(prefix, len); }, undo);
}

void Lpm6::del(u128 prefix, uint8_t len, uint32_t parent_value, uint8_t parent_len) {
  if (len > 128) fail("prefix length {} out of range", len);
  prefix &= mask(len);
  const Key k{prefix, len};
  auto it = routes_.find(k);
  if (it == routes_.end()) return;
  const uint32_t before = it->second;
  routes_.erase(it);
  auto undo = [&] { routes_[k] = before; };
  if (len <= kDirect)
    return update([&] { repaint(prefix, len, parent_value, parent_len, [len](uint8_t l) { return l == len; }); }, undo);
  update([&] { change(prefix, len); }, undo);
}

uint32_t Lpm6::lookup(u128 a) const { return walk_from(entry(direct_, uint64_t(a >> 64)), kDirect, a); }

uint32_t Lpm6::walk_from(uint32_t e, uint32_t level, u128 a) const {
  for (; e & kRef; level += kStride) {
    const Rec& r = recs_.base[e & kIndex];
    if (is_solo(r)) return solo_value(r, uint64_t(a >> 64), uint64_t(a));
    const uint64_t win = window(a, level);
    const uint32_t bits = kStride * skips(r);
    if (!guard_ok(win, bits, guard(r))) return uint32_t(r.w[3]);
    level += bits;
    const uint32_t s = uint32_t((win << bits) >> 58);
    if (!(r.w[0] >> s & 1)) return leaves_.base[uint32_t(r.w[2] >> 32) + std::popcount(leaf_runs(r) & upto(s)) - 1];
    e = kRef | (first_kid(r) + std::popcount(r.w[0] & upto(s)) - 1);
  }
  return e;
}

namespace {
// The bulk walk's lists: packets still walking, those that reached a solo,
// those that reached a leaf; one array per field, so that the AVX-512
// round loads and compresses eight packets at a time. A compressing store
// writes eight lanes whatever it keeps, hence the slack.
struct BulkLists {
  static constexpr size_t kCap = 256 + 8;
  uint32_t wi[kCap], wc[kCap];            // walking: packet, record (byte offset)
  uint64_t wh[kCap];                      // and its address's high word
  uint32_t si[kCap], sc[kCap];            // at a solo: packet, the solo
  uint64_t sh[kCap];                      // and the address's high word
  uint32_t li[kCap], lc[kCap], lu[kCap];  // at a leaf: packet, its node, up_of() there
  size_t w = 0, ns = 0, nl = 0;           // 64-bit: no zero-extending copy per append
};

// One level of the walk for every walking packet. Per packet only what
// decides where it goes: the slot's bit in the children map and the
// child's rank, both from the map shifted so that the slot's bit is its
// top bit, and whether that child is a solo (flagged in the leaf-run map).
// A packet that stops joins the solo or the leaf list without a branch:
// children, solos and leaves mix at every level of a large table, and one
// loop deciding both kinds after the walk had a branch on the kind that
// mispredicted and cost as much as the walk itself (13-14 of 48 clocks per
// packet in the graph).
[[gnu::always_inline]] inline void round_scalar(BulkLists& L, const char* recs, uint32_t level) {
  size_t left = 0;
  for (size_t k = 0; k < L.w; k++) {
    const uint32_t i = L.wi[k], c = L.wc[k];
    const uint64_t h = L.wh[k];
    const auto& r = *reinterpret_cast<const Lpm6::Rec*>(recs + c);
    const uint32_t up = up_of(h, level);
    const uint64_t t = r.w[0] << up;
    const uint32_t child = uint32_t(t >> 63);
    const uint32_t to = select(child, uint32_t(r.w[2]) + uint32_t(std::popcount(t)) * kRecBytes, c);
    __builtin_prefetch(recs + to);
    const uint64_t flag = r.w[1] << up;  // at a child's slot: a solo
    L.wi[left] = i;
    L.wc[left] = to;
    L.wh[left] = h;
    left += (t & ~flag) >> 63;
    L.si[L.ns] = i;
    L.sc[L.ns] = to;
    L.sh[L.ns] = h;
    L.ns += (t & flag) >> 63;
    L.li[L.nl] = i;
    L.lc[L.nl] = c;
    L.lu[L.nl] = up;
    L.nl += child ^ 1;
  }
  L.w = left;
}

// The first level for the m packets in L.wi/L.wh (each the first of its
// run), sorted in place: a packet whose entry points to a node walks on,
// one whose entry points to a solo has stopped already. Every packet's
// entry goes to out: where it is a leaf, it is the result.
[[gnu::always_inline]] inline void first_scalar(BulkLists& L, size_t m, const uint32_t* direct, const char* recs,
                                                uint32_t* out) {
  size_t w = 0;
  for (size_t k = 0; k < m; k++) {
    const uint32_t i = L.wi[k];
    const uint64_t h = L.wh[k];
    const uint32_t e = entry(direct, h), c = (e & Lpm6::kIndex) * kRecBytes;
    out[i] = e;
    __builtin_prefetch(recs + select(e >> 31, c, 0));  // where leaves and nodes mix, no branch
    L.wi[w] = i;
    L.wc[w] = c;
    L.wh[w] = h;
    w += (e >> 31) & ~(e >> 30);
    L.si[L.ns] = i;
    L.sc[L.ns] = c;
    L.sh[L.ns] = h;
    L.ns += (e >> 31) & (e >> 30);
  }
  L.w = w;
}

// Each solo's value for its packet (and how deep that decided it).
[[gnu::always_inline]] inline void solos_scalar(const BulkLists& L, const char* recs, const u128* addrs, uint32_t* out,
                                                uint8_t* decided) {
  for (size_t k = 0; k < L.ns; k++) {
    const uint32_t i = L.si[k];
    const auto& r = *reinterpret_cast<const Lpm6::Rec*>(recs + L.sc[k]);
    out[i] = solo_value(r, L.sh[k], uint64_t(addrs[i]));
    decided[i] = uint8_t(r.w[3]);  // the solo's length
  }
}

// AVX-512 as the walk uses it, where avx512_walk() says the CPU has it.
#define VP_AVX512 gnu::target("avx512f,avx512vl,avx512dq,avx512bw,avx512vpopcntdq")

// Records o[0..8) as four vectors of eight, one per word: eight aligned
// 32-byte loads and a transpose. Gathers took 40% longer on the machine
// we measure (docs/performance.md).
struct RecWords {
  __m512i w[4];
};
[[VP_AVX512, gnu::always_inline]] inline __m512i two_recs(const char* recs, const uint32_t* o) {
  return _mm512_inserti64x4(_mm512_castsi256_si512(_mm256_load_si256(reinterpret_cast<const __m256i*>(recs + o[0]))),
                            _mm256_load_si256(reinterpret_cast<const __m256i*>(recs + o[1])), 1);
}
[[VP_AVX512, gnu::always_inline]] inline RecWords load_recs(const char* recs, const uint32_t* o) {
  const __m512i a0 = two_recs(recs, o), a1 = two_recs(recs, o + 2), a2 = two_recs(recs, o + 4),
                a3 = two_recs(recs, o + 6);
  // Words 0 and 1 of four records, then words 2 and 3.
  const __m512i w01 = _mm512_set_epi64(13, 9, 5, 1, 12, 8, 4, 0), w23 = _mm512_set_epi64(15, 11, 7, 3, 14, 10, 6, 2);
  const __m512i lo01 = _mm512_permutex2var_epi64(a0, w01, a1), hi01 = _mm512_permutex2var_epi64(a2, w01, a3);
  const __m512i lo23 = _mm512_permutex2var_epi64(a0, w23, a1), hi23 = _mm512_permutex2var_epi64(a2, w23, a3);
  return {{_mm512_shuffle_i64x2(lo01, hi01, 0x44), _mm512_shuffle_i64x2(lo01, hi01, 0xee),
           _mm512_shuffle_i64x2(lo23, hi23, 0x44), _mm512_shuffle_i64x2(lo23, hi23, 0xee)}};
}
// The lanes of a group of eight starting at k that hold list entries.
[[VP_AVX512, gnu::always_inline]] inline __mmask8 lanes(size_t k, size_t n) {
  return n - k >= 8 ? 0xff : __mmask8((1u << (n - k)) - 1);
}
// Eight prefetches, one per lane of record offsets (idle lanes: record 0).
[[VP_AVX512, gnu::always_inline]] inline void prefetch8(const char* recs, __m256i off) {
  alignas(32) uint32_t o[8];
  _mm256_store_si256(reinterpret_cast<__m256i*>(o), off);
  for (uint32_t x : o) __builtin_prefetch(recs + x);
}
// Stores the lanes of v in `keep` side by side at `to`, then zeros up to
// eight lanes (the lists have the slack); the caller advances its count.
[[VP_AVX512, gnu::always_inline]] inline void append(uint32_t* to, __mmask8 keep, __m256i v) {
  _mm256_storeu_si256(reinterpret_cast<__m256i*>(to), _mm256_maskz_compress_epi32(keep, v));
}
[[VP_AVX512, gnu::always_inline]] inline void append(uint64_t* to, __mmask8 keep, __m512i v) {
  _mm512_storeu_si512(to, _mm512_maskz_compress_epi64(keep, v));
}

// Lanes `on` join the walking list (its count at w), lanes `solo` the
// solo list; either way their record is `to`.
[[VP_AVX512, gnu::always_inline]] inline void walk_or_solo(BulkLists& L, size_t& w, __mmask8 on, __mmask8 solo,
                                                           __m256i i, __m256i to, __m512i h) {
  append(L.wi + w, on, i);
  append(L.wc + w, on, to);
  append(L.wh + w, on, h);
  w += size_t(__builtin_popcount(on));
  append(L.si + L.ns, solo, i);
  append(L.sc + L.ns, solo, to);
  append(L.sh + L.ns, solo, h);
  L.ns += size_t(__builtin_popcount(solo));
}

// The same round eight packets at a time, the lists appended by
// compressing stores. Idle lanes read record 0, so a round leaves the
// walking list's tail zeroed.
[[VP_AVX512]] void round_avx512(BulkLists& L, const char* recs, uint32_t level) {
  size_t left = 0;
  const __m512i ones = _mm512_set1_epi64(-1);
  const __m128i shift = _mm_cvtsi32_si128(int(level));
  for (size_t k = 0; k < L.w; k += 8) {
    const __mmask8 valid = lanes(k, L.w);
    const __m256i i = _mm256_maskz_loadu_epi32(valid, L.wi + k), c = _mm256_maskz_loadu_epi32(valid, L.wc + k);
    const __m512i h = _mm512_maskz_loadu_epi64(valid, L.wh + k);
    const RecWords r = load_recs(recs, L.wc + k);  // idle lanes: record 0 (the list's tail is zeroed)
    const __m512i up = _mm512_srli_epi64(_mm512_xor_si512(_mm512_sll_epi64(h, shift), ones), 58);
    const __m512i t = _mm512_sllv_epi64(r.w[0], up), flag = _mm512_sllv_epi64(r.w[1], up);
    const __mmask8 child = _mm512_movepi64_mask(t) & valid;
    const __mmask8 on = _mm512_movepi64_mask(_mm512_andnot_si512(flag, t)) & valid;
    const __mmask8 solo = child & ~on;
    const __mmask8 leaf = valid & ~child;
    const __m256i rank = _mm512_cvtepi64_epi32(_mm512_popcnt_epi64(t));
    const __m256i to = _mm256_mask_add_epi32(c, child, _mm512_cvtepi64_epi32(r.w[2]), _mm256_slli_epi32(rank, 5));
    prefetch8(recs, to);
    walk_or_solo(L, left, on, solo, i, to, h);
    append(L.li + L.nl, leaf, i);
    append(L.lc + L.nl, leaf, c);
    append(L.lu + L.nl, leaf, _mm512_cvtepi64_epi32(up));
    L.nl += size_t(__builtin_popcount(leaf));
  }
  L.w = left;
  _mm256_storeu_si256(reinterpret_cast<__m256i*>(L.wc + left), _mm256_setzero_si256());
}

// The first level eight packets at a time: entries read one by one (a
// gather is no faster), then sorted into the lists as the rounds do.
[[VP_AVX512]] void first_avx512(BulkLists& L, size_t m, const uint32_t* direct, const char* recs, uint32_t* out) {
  alignas(32) uint32_t ent[BulkLists::kCap];
  for (size_t k = 0; k < m; k++) out[L.wi[k]] = ent[k] = entry(direct, L.wh[k]);
  const __m256i index = _mm256_set1_epi32(int(Lpm6::kIndex));
  size_t w = 0;
  for (size_t k = 0; k < m; k += 8) {
    const __mmask8 valid = lanes(k, m);
    const __m256i e = _mm256_maskz_loadu_epi32(valid, ent + k), i = _mm256_maskz_loadu_epi32(valid, L.wi + k);
    const __m512i h = _mm512_maskz_loadu_epi64(valid, L.wh + k);
    const __mmask8 ref = _mm256_movepi32_mask(e) & valid, solo = ref & _mm256_movepi32_mask(_mm256_slli_epi32(e, 1));
    const __mmask8 node = ref & ~solo;
    const __m256i c = _mm256_maskz_slli_epi32(ref, _mm256_and_si256(e, index), 5);  // a leaf: record 0
    prefetch8(recs, c);
    walk_or_solo(L, w, node, solo, i, c, h);
  }
  L.w = w;
}

// The solos eight at a time, as solo_value() (a shift by 64 or more gives
// 0 here, so no masks); the addresses' low words by a gather, one per eight.
[[VP_AVX512]] void solos_avx512(const BulkLists& L, const char* recs, const u128* addrs, uint32_t* out,
                                uint8_t* decided) {
  const __m512i byte = _mm512_set1_epi64(0xff), n64 = _mm512_set1_epi64(64), n128 = _mm512_set1_epi64(128);
  const auto* lo_words = reinterpret_cast<const long long*>(addrs);
  for (size_t k = 0; k < L.ns; k += 8) {
    const __mmask8 valid = lanes(k, L.ns);
    const RecWords r = load_recs(recs, L.sc + k);  // idle lanes: record 0 (the list's tail is zeroed)
    const __m256i i = _mm256_maskz_loadu_epi32(valid, L.si + k);
    const __m512i hi = _mm512_maskz_loadu_epi64(valid, L.sh + k);
    const __m512i lo = _mm512_mask_i32gather_epi64(_mm512_setzero_si512(), valid, _mm256_slli_epi32(i, 1), lo_words, 8);
    const __m512i len = _mm512_and_si512(r.w[3], byte);
    const __m512i miss_hi =
        _mm512_srlv_epi64(_mm512_xor_si512(hi, r.w[0]), _mm512_sub_epi64(n64, _mm512_min_epu64(len, n64)));
    const __m512i miss_lo = _mm512_srlv_epi64(_mm512_xor_si512(lo, r.w[1]), _mm512_sub_epi64(n128, len));
    const __m512i miss = _mm512_or_si512(miss_hi, miss_lo);
    const __mmask8 match = _mm512_testn_epi64_mask(miss, miss);
    const __m256i v = _mm512_cvtepi64_epi32(_mm512_mask_blend_epi64(match, _mm512_srli_epi64(r.w[2], 32), r.w[2]));
    alignas(32) uint32_t val[8], at[8], depth[8];
    _mm256_store_si256(reinterpret_cast<__m256i*>(val), v);
    _mm256_store_si256(reinterpret_cast<__m256i*>(at), i);
    _mm256_store_si256(reinterpret_cast<__m256i*>(depth), _mm512_cvtepi64_epi32(len));
    for (size_t j = 0, e = std::min<size_t>(8, L.ns - k); j < e; j++) {
      out[at[j]] = val[j];
      decided[at[j]] = uint8_t(depth[j]);
    }
  }
}

#undef VP_AVX512

bool avx512_walk() {
  __builtin_cpu_init();
  return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512vl") &&
         __builtin_cpu_supports("avx512dq") && __builtin_cpu_supports("avx512bw") &&
         __builtin_cpu_supports("avx512vpopcntdq");
}
std::atomic<bool> g_simd{avx512_walk()};
}  // namespace

bool Lpm6::use_simd(bool on) {
  const bool can = avx512_walk();
  g_simd.store(on && can, std::memory_order_relaxed);
  return can;
}

__attribute__((target_clones("arch=x86-64-v3", "default"))) void Lpm6::lookup_bulk(const u128* addrs, uint32_t* out,
                                                                                   uint32_t n) const {
  // A packet with the same top 48 bits as the one before it follows that
  // packet's walk instead of walking (a burst towards one /48 walks once);
  // the two resolve alike when that walk was decided within 48 bits. The
  // run's first packet is kept in a register: reading it back from the
  // array it was just stored to made each packet wait for that store.
  uint8_t rep[256], decided[256];
  BulkLists L;
  size_t m = 0;
  uint32_t run = 0;
  uint64_t prev = ~uint64_t(0);
  bool shared = false;
  for (uint32_t i = 0; i < n; i++) {
    const uint64_t h = uint64_t(addrs[i] >> 64);
    if ((h >> 16) == prev) {
      rep[i] = uint8_t(run);
      shared = true;
      continue;
    }
    prev = h >> 16;
    rep[i] = uint8_t(run = i);
    L.wi[m] = i;
    L.wh[m++] = h;
    __builtin_prefetch(&direct_[h >> (64 - kDirect)]);
  }
  // How deep each walk went matters only to the runs' later packets; the
  // walk's end records it, and a walk that ends at the first level (no
  // record) went kDirect deep.
  if (shared) std::memset(decided, kDirect, n);
  // A packet's record is kept as its byte offset (as nodes keep their
  // children): no scaling per step. Down to /48 no level is folded, so
  // every packet of a round is at the same level, and its bits are in the
  // address's high word. No solo is read as a node: first-level entries
  // and leaf-run maps say where they are. Where each round's leaves start
  // in their list says how deep they went.
  const char* recs = reinterpret_cast<const char*>(recs_.base);
  // A few walks do not pay for the vector code's setup (and the 512-bit
  // units' wake-up): one /48's vector took 3 clocks more per packet in
  // the graph with it.
  const bool simd = m >= 16 && g_simd.load(std::memory_order_relaxed);
  if (simd)
    first_avx512(L, m, direct_, recs, out);
  else
    first_scalar(L, m, direct_, recs, out);
  std::fill_n(L.wc + L.w, 8, 0);  // the AVX-512 round's idle lanes read record 0
  size_t leaves_from[(kFoldFrom - kDirect) / kStride + 1] = {};
  uint32_t rounds = 0;
  for (uint32_t level = kDirect; L.w && level < kFoldFrom; level += kStride) {
    leaves_from[rounds++] = L.nl;
    if (simd)
      round_avx512(L, recs, level);
    else
      round_scalar(L, recs, level);
  }
  leaves_from[rounds] = L.nl;
  // Past /48 (routes longer than the public table's, levels may be folded
  // there): one packet at a time.
  for (size_t k = 0; k < L.w; k++) {
    const uint32_t i = L.wi[k];
    out[i] = walk_from(kRef | L.wc[k] / kRecBytes, kFoldFrom, addrs[i]);
    decided[i] = 128;
  }
  // The leaves' indices first, so that their misses overlap the solos'
  // work, then the leaves.
  auto rec = [recs](uint32_t off) -> const Rec& { return *reinterpret_cast<const Rec*>(recs + off); };
  const uint32_t* leaves = leaves_.base;
  for (size_t k = 0; k < L.nl; k++) {
    const Rec& r = rec(L.lc[k]);
    const uint32_t li = uint32_t(r.w[2] >> 32) + uint32_t(std::popcount(leaf_runs(r) << L.lu[k])) - 1;
    __builtin_prefetch(&leaves[li]);
    out[L.li[k]] = li;
  }
  std::fill_n(L.sc + L.ns, 8, 0);
  if (simd)
    solos_avx512(L, recs, addrs, out, decided);
  else
    solos_scalar(L, recs, addrs, out, decided);
  for (size_t k = 0; k < L.nl; k++) out[L.li[k]] = leaves[out[L.li[k]]];
  // A run's later packets towards the very same address (a flow to a
  // host route) share the result however deep the walk went.
  if (!shared) return;
  for (uint32_t r = 0; r < rounds; r++)
    for (size_t k = leaves_from[r]; k < leaves_from[r + 1]; k++)
      decided[L.li[k]] = uint8_t(kDirect + (r + 1) * kStride);
  for (uint32_t i = 0; i < n; i++)
    if (rep[i] != i) out[i] = decided[rep[i]] <= 48 || addrs[i] == addrs[rep[i]] ? out[rep[i]] : lookup(addrs[i]);
}

size_t Lpm6::memory_bytes() const {
  return size_t(kDirectSize) * 5 + size_t(recs_.next) * sizeof(Rec) + size_t(leaves_.next) * sizeof(uint32_t) +
         routes_.size() * sizeof(std::pair<Key, uint32_t>);
}

}  // namespace vp
