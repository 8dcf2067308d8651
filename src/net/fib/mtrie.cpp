#include "net/fib/mtrie.hpp"

#include <sys/mman.h>

#include <cstdlib>
#include <cstring>

#include "graph/rcu.hpp"
#include "infra/error.hpp"
#include "infra/huge_map.hpp"

namespace vp {

namespace {
constexpr size_t kTbl24 = size_t(1) << 24;
constexpr size_t kChunkBytes = size_t(Mtrie<uint32_t>::kGroupsPerChunk) * 256 * sizeof(uint32_t);

template <class K>
K prefix_mask(uint8_t len) {
  return len ? ~K(0) << (sizeof(K) * 8 - len) : K(0);
}
}  // namespace

template <class K>
Mtrie<K>::Mtrie(uint32_t default_value) {
  tbl24_ = static_cast<uint32_t*>(huge_map(kTbl24 * sizeof(uint32_t)));
  depth24_ = static_cast<uint8_t*>(huge_map(kTbl24));
  if (default_value)
    for (size_t i = 0; i < kTbl24; i++) tbl24_[i] = default_value;
}

template <class K>
Mtrie<K>::~Mtrie() {
  if (prefault_.joinable()) prefault_.join();
  *alive_ = false;
  huge_unmap(tbl24_, kTbl24 * sizeof(uint32_t));
  huge_unmap(depth24_, kTbl24);
  for (auto& c : chunks_)
    if (auto* p = c.load()) huge_unmap(p, kChunkBytes);
}

template <class K>
uint32_t Mtrie<K>::alloc_group() {
  if (!free_groups_.empty()) {
    uint32_t g = free_groups_.back();
    free_groups_.pop_back();
    groups_used_++;
    return g;
  }
  uint32_t g = next_group_;
  if (g / kGroupsPerChunk >= kMaxChunks) fail("FIB: out of second-level tables ({} in use)", groups_used_);
  if (g % kGroupsPerChunk == 0) {
    depth_chunks_.emplace_back(new uint8_t[size_t(kGroupsPerChunk) * 256]());
    chunks_[g / kGroupsPerChunk].store(static_cast<uint32_t*>(huge_map(kChunkBytes)), std::memory_order_release);
  }
  next_group_++;
  groups_used_++;
  return g;
}

// Writes value/len into entries whose depth allows it (add: depth <= len;
// delete: depth == len, restoring the parent), descending into groups.
template <class K>
void Mtrie<K>::set_range(uint32_t* t, uint8_t* d, uint32_t first, uint32_t count, int bits, uint8_t len, uint32_t value,
                         bool del, uint32_t pv, uint8_t pl) {
  for (uint32_t i = first; i < first + count; i++) {
    uint32_t e = t[i];
    if (e & kExt) {
      uint32_t g = e & ~kExt;
      set_range(group(g), group_depth(g), 0, 256, bits + 8, len, value, del, pv, pl);
      maybe_collapse(t, d, i, bits);
    } else if (del ? d[i] == len : d[i] <= len) {
      store(t[i], del ? pv : value);
      d[i] = del ? pl : len;
    }
  }
}

template <class K>
void Mtrie<K>::add(K prefix, uint8_t len, uint32_t value) {
  if (value & kExt) fail("FIB: value {} out of range", value);
  if (len > kBits) fail("prefix length {} out of range", len);
  if (++adds_ == kPrefaultAfter)
    prefault_ = std::thread([t = tbl24_, d = depth24_] {
      // Populating never changes contents, so racing the main thread's writes is fine.
      madvise(t, kTbl24 * sizeof(uint32_t), MADV_POPULATE_WRITE);
      madvise(d, kTbl24, MADV_POPULATE_WRITE);
    });
  prefix &= prefix_mask<K>(len);
  if (len <= 24) return set_range(tbl24_, depth24_, top24(prefix), 1u << (24 - len), 24, len, value, false, 0, 0);
  uint32_t* t = tbl24_;
  uint8_t* d = depth24_;
  uint32_t i = top24(prefix);
  for (int bits = 24;; bits += 8) {
    uint32_t e = t[i];
    if (!(e & kExt)) {
      // Fill the new group with what the entry resolved to, then publish it.
      uint32_t g = alloc_group();
      uint32_t* gt = group(g);
      uint8_t* gd = group_depth(g);
      for (int j = 0; j < 256; j++) {
        gt[j] = e;
        gd[j] = d[i];
      }
      store(t[i], kExt | g);
      e = kExt | g;
    }
    t = group(e & ~kExt);
    d = group_depth(e & ~kExt);
    i = uint32_t(prefix >> (kBits - bits - 8)) & 0xff;
    if (len <= bits + 8) return set_range(t, d, i, 1u << (bits + 8 - len), bits + 8, len, value, false, 0, 0);
  }
}

template <class K>
void Mtrie<K>::del(K prefix, uint8_t len, uint32_t parent_value, uint8_t parent_len) {
  if (len > kBits) fail("prefix length {} out of range", len);
  prefix &= prefix_mask<K>(len);
  if (len <= 24)
    return set_range(tbl24_, depth24_, top24(prefix), 1u << (24 - len), 24, len, 0, true, parent_value, parent_len);
  struct Step {
    uint32_t* t;
    uint8_t* d;
    uint32_t i;
    int bits;
  };
  Step path[(kBits - 24) / 8 + 1];
  int n = 0;
  uint32_t* t = tbl24_;
  uint8_t* d = depth24_;
  uint32_t i = top24(prefix);
  for (int bits = 24;; bits += 8) {
    uint32_t e = t[i];
    if (!(e & kExt)) return;  // nothing this long was ever added here
    path[n++] = {t, d, i, bits};
    t = group(e & ~kExt);
    d = group_depth(e & ~kExt);
    i = uint32_t(prefix >> (kBits - bits - 8)) & 0xff;
    if (len <= bits + 8) {
      set_range(t, d, i, 1u << (bits + 8 - len), bits + 8, len, 0, true, parent_value, parent_len);
      break;
    }
  }
  while (n--) maybe_collapse(path[n].t, path[n].d, path[n].i, path[n].bits);
}

// A group whose 256 entries all came from one prefix no longer than the
// entry pointing to it is folded back into that entry; the group is reused
// after a grace period.
template <class K>
void Mtrie<K>::maybe_collapse(uint32_t* t, uint8_t* d, uint32_t i, int bits) {
  if (!(t[i] & kExt)) return;
  uint32_t g = t[i] & ~kExt;
  uint32_t* gt = group(g);
  uint8_t* gd = group_depth(g);
  if ((gt[0] & kExt) || gd[0] > bits) return;
  for (int j = 1; j < 256; j++)
    if (gt[j] != gt[0] || gd[j] != gd[0]) return;
  store(t[i], gt[0]);
  d[i] = gd[0];
  groups_used_--;
  rcu().defer([this, g, alive = alive_] {
    if (*alive) free_groups_.push_back(g);
  });
}

template <class K>
void Mtrie<K>::lookup_bulk(const K* addrs, uint32_t* out, uint32_t n) const {
  static_assert(kBits == 32, "one level of groups below the first");
  for (uint32_t i = 0; i < n; i++) __builtin_prefetch(&tbl24_[top24(addrs[i])]);
  // Packets whose first-level entry points to a group: only those read a second line.
  uint8_t walk[256];
  uint32_t w = 0;
  for (uint32_t i = 0; i < n; i++) {
    out[i] = load(tbl24_[top24(addrs[i])]);
    if (out[i] & kExt) {
      __builtin_prefetch(&group(out[i] & ~kExt)[addrs[i] & 0xff]);
      walk[w++] = uint8_t(i);
    }
  }
  for (uint32_t k = 0; k < w; k++) {
    uint32_t i = walk[k];
    out[i] = load(group(out[i] & ~kExt)[addrs[i] & 0xff]);
  }
}

template <class K>
size_t Mtrie<K>::memory_bytes() const {
  return kTbl24 * 5 + size_t(next_group_) * 256 * 5;
}

template class Mtrie<uint32_t>;

}  // namespace vp
