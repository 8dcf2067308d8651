#include "net/fib/ip4_mtrie.hpp"

#include <sys/mman.h>

#include <cstdlib>
#include <cstring>

#include "graph/rcu.hpp"
#include "infra/error.hpp"

namespace vp {

namespace {
constexpr size_t kTbl24Bytes = (size_t(1) << 24) * sizeof(uint32_t);
constexpr size_t kChunkBytes = size_t(Ip4Mtrie::kGroupsPerChunk) * 256 * sizeof(uint32_t);

void* huge_alloc(size_t bytes) {
  void* p = mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (p == MAP_FAILED) fail("cannot allocate {} MB for an IPv4 FIB", bytes >> 20);
  madvise(p, bytes, MADV_HUGEPAGE);  // transparent hugepages: fewer TLB misses on lookups
  return p;
}
}  // namespace

Ip4Mtrie::Ip4Mtrie(uint32_t default_value) : depth24_(new uint8_t[size_t(1) << 24]()) {
  tbl24_ = static_cast<uint32_t*>(huge_alloc(kTbl24Bytes));
  for (size_t i = 0; i < (size_t(1) << 24); i++) tbl24_[i] = default_value;
}

Ip4Mtrie::~Ip4Mtrie() {
  *alive_ = false;
  munmap(tbl24_, kTbl24Bytes);
  for (auto& c : chunks_)
    if (auto* p = c.load()) munmap(p, kChunkBytes);
}

uint32_t Ip4Mtrie::alloc_group() {
  if (!free_groups_.empty()) {
    uint32_t g = free_groups_.back();
    free_groups_.pop_back();
    groups_used_++;
    return g;
  }
  uint32_t g = next_group_;
  if (g / kGroupsPerChunk >= kMaxChunks) fail("IPv4 FIB: out of second-level tables ({} in use)", groups_used_);
  if (g % kGroupsPerChunk == 0) {
    depth_chunks_.emplace_back(new uint8_t[size_t(kGroupsPerChunk) * 256]());
    chunks_[g / kGroupsPerChunk].store(static_cast<uint32_t*>(huge_alloc(kChunkBytes)), std::memory_order_release);
  }
  next_group_++;
  groups_used_++;
  return g;
}

// Writes value/len into entries whose depth allows it (add: depth <= len;
// delete: depth == len, restoring the parent), descending into groups.
void Ip4Mtrie::set_range24(uint32_t first, uint32_t count, uint8_t len, uint32_t value, bool del, uint32_t pv,
                           uint8_t pl) {
  for (uint32_t i = first; i < first + count; i++) {
    uint32_t e = tbl24_[i];
    if (e & kExt) {
      set_range8(e & ~kExt, 0, 256, len, value, del, pv, pl);
      maybe_collapse(i);
    } else if (del ? depth24_[i] == len : depth24_[i] <= len) {
      store(tbl24_[i], del ? pv : value);
      depth24_[i] = del ? pl : len;
    }
  }
}

void Ip4Mtrie::set_range8(uint32_t g, uint32_t first, uint32_t count, uint8_t len, uint32_t value, bool del,
                          uint32_t pv, uint8_t pl) {
  uint32_t* t = group(g);
  uint8_t* d = group_depth(g);
  for (uint32_t j = first; j < first + count; j++)
    if (del ? d[j] == len : d[j] <= len) {
      store(t[j], del ? pv : value);
      d[j] = del ? pl : len;
    }
}

void Ip4Mtrie::add(uint32_t prefix, uint8_t len, uint32_t value) {
  if (value & kExt) fail("IPv4 FIB: value {} out of range", value);
  if (len > 32) fail("IPv4 prefix length {} out of range", len);
  prefix = len ? prefix & (~0u << (32 - len)) : 0;
  if (len <= 24) return set_range24(prefix >> 8, 1u << (24 - len), len, value, false, 0, 0);
  uint32_t i = prefix >> 8;
  uint32_t e = tbl24_[i];
  if (!(e & kExt)) {
    // Fill the new group with what the /24 resolved to, then publish it.
    uint32_t g = alloc_group();
    uint32_t* t = group(g);
    uint8_t* d = group_depth(g);
    for (int j = 0; j < 256; j++) {
      t[j] = e;
      d[j] = depth24_[i];
    }
    store(tbl24_[i], kExt | g);
    e = kExt | g;
  }
  set_range8(e & ~kExt, prefix & 0xff, 1u << (32 - len), len, value, false, 0, 0);
}

void Ip4Mtrie::del(uint32_t prefix, uint8_t len, uint32_t parent_value, uint8_t parent_len) {
  if (len > 32) fail("IPv4 prefix length {} out of range", len);
  prefix = len ? prefix & (~0u << (32 - len)) : 0;
  if (len <= 24) return set_range24(prefix >> 8, 1u << (24 - len), len, 0, true, parent_value, parent_len);
  uint32_t i = prefix >> 8;
  uint32_t e = tbl24_[i];
  if (!(e & kExt)) return;
  set_range8(e & ~kExt, prefix & 0xff, 1u << (32 - len), len, 0, true, parent_value, parent_len);
  maybe_collapse(i);
}

// A group whose 256 entries all came from one prefix of /24 or shorter is
// folded back into the first level; the group is reused after a grace period.
void Ip4Mtrie::maybe_collapse(uint32_t i24) {
  uint32_t g = tbl24_[i24] & ~kExt;
  uint32_t* t = group(g);
  uint8_t* d = group_depth(g);
  if (d[0] > 24) return;
  for (int j = 1; j < 256; j++)
    if (t[j] != t[0] || d[j] != d[0]) return;
  store(tbl24_[i24], t[0]);
  depth24_[i24] = d[0];
  groups_used_--;
  rcu().defer([this, g, alive = alive_] {
    if (*alive) free_groups_.push_back(g);
  });
}

void Ip4Mtrie::lookup_bulk(const uint32_t* addrs, uint32_t* out, uint32_t n) const {
  for (uint32_t i = 0; i < n; i++) __builtin_prefetch(&tbl24_[addrs[i] >> 8]);
  bool ext = false;
  for (uint32_t i = 0; i < n; i++) {
    out[i] = load(tbl24_[addrs[i] >> 8]);
    if (out[i] & kExt) {
      __builtin_prefetch(&group(out[i] & ~kExt)[addrs[i] & 0xff]);
      ext = true;
    }
  }
  if (__builtin_expect(ext, 0))
    for (uint32_t i = 0; i < n; i++)
      if (out[i] & kExt) out[i] = load(group(out[i] & ~kExt)[addrs[i] & 0xff]);
}

size_t Ip4Mtrie::memory_bytes() const { return kTbl24Bytes + (size_t(1) << 24) + size_t(next_group_) * 256 * 5; }

}  // namespace vp
