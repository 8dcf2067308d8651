#pragma once
// Longest-prefix match for IPv6, shaped after poptrie (Asai & Ohara, 2015):
// a 2^24-entry first level indexed by the top 24 bits, then nodes that each
// consume 6 bits, holding two 64-bit maps instead of 64 entries: which
// slots continue into a child node, and where a run of equal leaves
// starts. A node's children sit side by side in one array and its leaves in
// another, so the rank of a slot (a popcount) finds either. A slot whose
// subtree holds a single route points to a "solo" record (that prefix, its
// value and the value of the rest) instead of a chain of nodes. From /48
// down, a level with a single child node is folded into that node (up to
// three, checked by a guard of their bits), so host routes sit a few
// records deep rather than a level per 6 bits.
//
// Why not the 8-bit trie IPv4 uses: on a 200k-prefix table that trie
// takes 258 MB and four lines per lookup; this structure takes about
// 10 MB and 3.8 lines (docs/performance.md has the figures; inside the
// graph both still miss to DRAM on this machine).
//
// Updates: the main thread is the only writer. Records are never changed
// once published: an update copies the path from the first level down to
// the node it changes (a node's children array and leaves array, at most 64
// entries each), publishes it with one 32-bit store into the first level,
// and frees what it replaced after an RCU grace period, so workers look up
// without any lock. The routes themselves are kept in an ordered map, from
// which changed slots are rebuilt.
#include <absl/container/btree_map.h>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

namespace vp {

using u128 = unsigned __int128;

class Lpm6 {
 public:
  static constexpr int kDirect = 24, kStride = 6;
  static constexpr int kFoldFrom = 48;  // levels from here down may be folded (lpm6.cpp)
  // A first-level entry that points to a record (its index in bits 0-24),
  // and one that points to a solo.
  static constexpr uint32_t kRef = 1u << 31, kRefSolo = 1u << 30, kIndex = (1u << 25) - 1;

  // max_records: the node arena's size (0: the most, 1 GB of address
  // space, touched as used; tests make it small to run out of it).
  explicit Lpm6(uint32_t default_value, uint32_t max_records = 0);
  ~Lpm6();
  Lpm6(const Lpm6&) = delete;

  // Main thread. Values < 2^31.
  void add(u128 prefix, uint8_t len, uint32_t value);
  // Removes prefix/len; its addresses fall back to the covering prefix
  // (parent_value / parent_len, the default with len 0 when there is none).
  void del(u128 prefix, uint8_t len, uint32_t parent_value, uint8_t parent_len);

  // Any thread.
  uint32_t lookup(u128 addr) const;
  // From first-level entry or record reference e at `level`.
  uint32_t walk_from(uint32_t e, uint32_t level, u128 addr) const;
  // Issued by ip6-input, a whole node before the lookup reads it.
  void prefetch(u128 addr) const { __builtin_prefetch(&direct_[top(addr)]); }
  // Level by level for the whole vector, each level's records prefetched
  // for every packet before any is read.
  void lookup_bulk(const u128* addrs, uint32_t* out, uint32_t n) const;
  // Whether lookup_bulk walks eight packets at a time with AVX-512 (the
  // default where the CPU has it); returns whether it has. Tests and the
  // engine bench run both ways.
  static bool use_simd(bool on);

  size_t memory_bytes() const;
  // Records (nodes and solos) and leaves in use: both 0 when only routes
  // of /24 or shorter are left.
  uint32_t records_in_use() const { return recs_.used; }
  uint32_t leaves_in_use() const { return leaves_.used; }

  // 32 bytes. A node: children map, leaf-run map (at child slots: which
  // children are solos), where its children start (the byte offset of the
  // record before the first) | first leaf << 32, and a last word of
  // inherited value (bits 0-31: what the node's region resolves to above
  // its own level), guard (32-49) and number (50-51) of folded levels. A
  // solo: prefix (high, low), value | the rest's value << 32, length. The
  // kind (1: solo) is the top byte of the last word.
  struct alignas(32) Rec {
    uint64_t w[4];
  };

 private:
  struct Key {
    u128 prefix;
    uint8_t len;
    bool operator<(const Key& o) const { return prefix != o.prefix ? prefix < o.prefix : len < o.len; }
  };
  // What a slot holds: a leaf value, or a record to place in its parent's
  // children array.
  struct Slot {
    bool rec;
    uint32_t leaf;
    Rec r;
  };
  // What a slot's region resolves to outside the routes below it: a leaf's
  // value, a solo's other value, a node's inherited value.
  static uint32_t value_outside(const Slot& s) {
    return !s.rec ? s.leaf : uint32_t(s.r.w[3] >> 56 ? s.r.w[2] >> 32 : s.r.w[3]);
  }
  // Arrays of 1-64 records or leaves, in one reserved mapping indexed from
  // its base; freed arrays are kept per size for reuse.
  template <class T>
  struct Arena {
    T* base = nullptr;
    uint32_t cap = 0, next = 0, used = 0;
    std::vector<uint32_t> free[65];
    // Allocated since the last publication: (index, size).
    std::vector<std::pair<uint32_t, uint32_t>> fresh;
    void init(uint32_t capacity);
    ~Arena();
    uint32_t alloc(uint32_t n);
    void keep() { fresh.clear(); }  // published: in use now
    void give_back();               // never published: free at once, no reader saw it
  };

  static uint32_t top(u128 a) { return uint32_t(a >> (128 - kDirect)); }

  Slot build(u128 p, int level, uint32_t inherited);
  Slot rebuild_path(const Slot& old, u128 p, int level, uint32_t inherited, u128 q, uint8_t len);
  Slot node_slot(const Slot* slots, int level, uint32_t inherited);
  Rec make_node(const Slot* slots, uint32_t inherited);
  static void paint(const Key& k, uint32_t value, int level, uint32_t* val, uint8_t* depth);
  int deeper_routes(u128 p, int level, int stop) const;
  void unpack(const Rec& node, Slot* slots) const;
  void retire_node(const Rec& node);  // its arrays, not its children's
  void retire_subtree(const Slot& s);
  uint32_t entry_for(const Slot& s);     // the first-level entry for s, its record allocated
  void publish(uint32_t i, uint32_t e);  // into first-level entry i
  void change(u128 prefix, uint8_t len);
  // A route of /24 or shorter: first-level entries whose covering length
  // passes `take` get value/new_len, their subtrees rebuilt.
  template <class Take>
  void repaint(u128 prefix, uint8_t len, uint32_t value, uint8_t new_len, Take take);
  uint32_t inherited(uint32_t i) const;  // what first-level entry i resolves to outside its routes
  // Runs one change; frees what it replaced once published, and only that
  // when it fails part way (out of node memory), then runs `undo`.
  template <class F, class Undo>
  void update(F&& f, Undo&& undo);
  void flush_retired();

  uint32_t* direct_;
  Arena<Rec> recs_;
  Arena<uint32_t> leaves_;
  // Main thread only: the routes, and per first-level entry the length of
  // the longest route of /24 or shorter covering it.
  absl::btree_map<Key, uint32_t> routes_;
  uint8_t* dlen_;
  // Arrays replaced by the update in progress: (index, size), records and leaves.
  std::vector<std::pair<uint32_t, uint32_t>> retired_recs_, retired_leaves_;
  size_t published_recs_ = 0, published_leaves_ = 0;            // of those, replaced by a published store
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);  // deferred frees outliving us are no-ops
};

}  // namespace vp
