#include "features/fw/session_table.hpp"

#include <cstring>

#include "infra/error.hpp"

namespace vp::fw {

namespace {
// The empty index: every way kNone. Tags of empty ways are never read.
template <class B>
B empty_bucket() {
  B b;
  for (auto& t : b.tag) t = 0;
  for (auto& i : b.idx) i = SessionTable::kNone;
  return b;
}

uint32_t checked(uint32_t max) {
  if (max == 0 || max > SessionTable::kMaxSessions)
    fail("session limit must be between 1 and {}, not {}", SessionTable::kMaxSessions, max);
  return max;
}
}  // namespace

SessionTable::SessionTable(uint32_t max_sessions, uint32_t now, bool nat)
    : pool_(checked(max_sessions)),
      xlate_(nat ? max_sessions : 0, ZeroPages{}),
      buckets_(buckets_for(nat ? 2 * max_sessions : max_sessions), empty_bucket<Bucket>()),
      wheel_(max_sessions, now) {
  // Lowest indices first out, so a young table's sessions sit together.
  for (uint32_t i = max_sessions; i-- > 0;) {
    wheel_.spare_link(i) = free_head_;
    free_head_ = i;
  }
}

size_t SessionTable::memory_bytes_for(uint32_t max, bool nat) {
  return size_t(max) * (sizeof(Session) + (nat ? sizeof(Xlate) : 0)) +
         size_t(buckets_for(nat ? 2 * max : max)) * sizeof(Bucket) + TimerWheel::memory_bytes_for(max);
}

uint32_t SessionTable::lookup_entry(const SessionKey& key, uint32_t hash) const {
  // An entry lies in its home bucket or past it only across full buckets:
  // the first bucket with an empty way ends the search.
  for (uint32_t b = bucket_of(hash);; b = next_bucket(b)) {
    const Bucket& k = buckets_[b];
    bool full = true;
    for (uint32_t j = 0; j < kWays; j++) {
      const uint32_t i = k.idx[j];
      if (i == kNone) {
        full = false;
        continue;
      }
      if (k.tag[j] == hash && entry_is(i, key)) return i;
    }
    if (!full) return kNone;
  }
}

void SessionTable::lookup_bulk(const SessionKey* keys, const uint32_t* hashes, uint32_t n, uint32_t* out) const {
  // Pass 1: the home bucket's first tag match becomes the candidate, and its
  // session (key at its start, 40 bytes that may cross a line) is fetched.
  for (uint32_t i = 0; i < n; i++) {
    const Bucket& k = buckets_[bucket_of(hashes[i])];
    const uint32_t hit = match(k, hashes[i]), empty = empty_ways(k);
    const uint32_t cand = hit ? k.idx[__builtin_ctz(hit)] : empty ? kNone : kProbe;
    out[i] = cand;
    if (cand < kProbe) {
      const auto* s = reinterpret_cast<const char*>(&pool_[slot_of(cand)]);
      __builtin_prefetch(s);
      __builtin_prefetch(s + sizeof(SessionKey) - 1);
      if (cand & kViaXlate) __builtin_prefetch(&xlate_[slot_of(cand)]);
    }
  }
  // Pass 2: confirm. A wrong candidate (two hashes alike) or an entry that
  // may lie past a full home bucket takes the full search.
  for (uint32_t i = 0; i < n; i++) {
    if (out[i] == kNone) continue;
    if (out[i] != kProbe && entry_is(out[i], keys[i])) continue;
    out[i] = lookup_entry(keys[i], hashes[i]);
  }
}

SessionTable::Inserted SessionTable::insert(const SessionKey& key, uint32_t hash, uint8_t init_side, TimeoutClass cls,
                                            uint32_t now) {
  if (uint32_t i = lookup(key, hash); i != kNone) return {i, false};
  if (free_head_ == kNone) return {kNone, false};
  const uint32_t i = free_head_;
  free_head_ = wheel_.spare_link(i);

  Session& s = pool_[i];
  std::memset(static_cast<void*>(&s), 0, sizeof s);
  s.key = key;
  s.flags = Session::kInUse | (init_side ? Session::kInitSide : 0);
  s.tclass = cls;
  s.last_seen = now;

  index_add(i, hash);
  wheel_.schedule(i, now + timeouts_.s[cls]);
  used_++;
  return {i, true};
}

// The index is never more than 80% full, so an empty way exists.
void SessionTable::index_add(uint32_t entry, uint32_t hash) {
  for (uint32_t b = bucket_of(hash);; b = next_bucket(b)) {
    Bucket& k = buckets_[b];
    for (uint32_t j = 0; j < kWays; j++)
      if (k.idx[j] == kNone) {
        k.tag[j] = hash;
        k.idx[j] = entry;
        return;
      }
  }
}

bool SessionTable::set_xlate(uint32_t idx, const Xlate& x) {
  if (!nat()) return false;
  Session& s = pool_[idx];
  Xlate& r = xlate_[idx];
  r = x;
  const SessionKey k = xlate_key(s.key, x, r.init_side);
  const uint32_t h = session_hash(k);
  if (lookup_entry(k, h) != kNone) return false;
  index_add(idx | kViaXlate, h);
  s.flags |= Session::kNat;
  return true;
}

void SessionTable::erase(uint32_t idx) {
  Session& s = pool_[idx];
  if (!(s.flags & Session::kInUse)) return;
  wheel_.cancel(idx);
  index_remove(idx, session_hash(s.key));
  if (s.flags & Session::kNat) index_remove(idx | kViaXlate, session_hash(xkey(idx)));
  s.flags = 0;
  wheel_.spare_link(idx) = free_head_;
  free_head_ = idx;
  used_--;
}

// Deletion without tombstones: an entry sits past its home bucket only if
// every bucket from its home up to its own was full when it went in, which
// lookup relies on. Emptying a way can break that for entries further on,
// so the first one whose probe path crosses the hole moves into it, and the
// hole moves on, until a bucket that already had an empty way (no entry
// past it can cross it). With 8 ways and 80% load, that is rarely more than
// the next bucket.
void SessionTable::index_remove(uint32_t idx, uint32_t hash) {
  const uint32_t nb = uint32_t(buckets_.size());
  uint32_t hole = bucket_of(hash), way = 0;
  for (;; hole = next_bucket(hole)) {
    Bucket& k = buckets_[hole];
    for (way = 0; way < kWays && k.idx[way] != idx; way++) {
    }
    if (way < kWays) break;
  }
  bool was_full = full(buckets_[hole]);
  buckets_[hole].idx[way] = kNone;
  for (uint32_t c = next_bucket(hole); was_full; c = next_bucket(c)) {
    Bucket& k = buckets_[c];
    const bool c_full = full(k);
    for (uint32_t j = 0; j < kWays; j++) {
      if (k.idx[j] == kNone) continue;
      const uint32_t home = bucket_of(k.tag[j]);
      // Its path runs from home up to c (excluded): does it cross the hole?
      if ((hole + nb - home) % nb < (c + nb - home) % nb) {
        buckets_[hole].tag[way] = k.tag[j];
        buckets_[hole].idx[way] = k.idx[j];
        k.idx[j] = kNone;
        hole = c;
        way = j;
        break;
      }
    }
    was_full = c_full;
  }
}

void SessionTable::set_class(uint32_t idx, TimeoutClass cls) {
  Session& s = pool_[idx];
  s.tclass = cls;
  const uint32_t deadline = s.last_seen + timeouts_.s[cls];
  if (wheel_.armed(idx) && deadline < wheel_.due(idx)) wheel_.schedule(idx, deadline);
}

}  // namespace vp::fw
