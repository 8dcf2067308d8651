#pragma once
// The firewall session table of one worker: the owner of every flow whose
// symmetric hash picks it (net/ip/flow_owner.hpp), so no other thread reads
// or writes it and it takes no lock.
//
// Three flat arrays sized once, at construction, for the maximum number of
// sessions; nothing is allocated afterwards, and nothing holds a pointer:
//   - the session pool, indexed by a uint32 session index (104 B a slot,
//     IPv4 and IPv6 alike); free slots are chained through the timer wheel's
//     link, so the free list costs nothing;
//   - the hash index: 64-byte buckets of 8 (hash, session index) pairs, tags
//     and indices kept apart so the 8 tags can be compared together; the
//     bucket count keeps the index at most 80% full, and an entry whose home
//     bucket is full goes to the next one (linear probing over buckets);
//   - the timer wheel (timer_wheel.hpp): 12 B a session;
//   - in a table built for NAT, the translation records (Xlate, 16 B a
//     slot): a translated session has a second index entry, for its
//     translated tuple, so the index is sized for twice the sessions.
// Because they are plain arrays of indices, they can later be allocated in a
// named shared segment and re-attached by a restarted process.
//
// The node's shape (style.md): hash every packet's key and prefetch() its
// bucket in one pass; lookup_bulk() reads the buckets, prefetches the
// candidate sessions, then confirms each key in a second pass; misses go to
// the slow path, which calls insert().
//
// When the table is full, insert() fails and changes nothing: the caller
// drops the packet and counts "session table full"; sessions already in the
// table are unaffected. A per-source limit is the caller's (a later step).
#include <emmintrin.h>

#include <cstddef>
#include <cstdint>
#include <vector>

#include "features/fw/session_key.hpp"
#include "features/fw/tcp_state.hpp"
#include "features/fw/timeouts.hpp"
#include "features/fw/timer_wheel.hpp"
#include "infra/huge_map.hpp"

namespace vp::fw {

struct Session {
  enum : uint8_t {
    kInUse = 1,
    kInitSide = 2,   // the initiator is the key's endpoint 1 (addr[1], port[1])
    kReplySeen = 4,  // a packet has come from the responder
    kLogClose = 8,   // its policy logs session-close
    kNat = 16,       // translated: its Xlate holds the other tuple, indexed too
  };
  SessionKey key;
  uint32_t last_seen;  // second of the last packet either way (the lazy timer's reference)
  uint32_t policy;     // the policy that permitted it
  uint8_t zone[2];     // [0] the initiator's zone, [1] the responder's
  TcpState state;      // TCP only; kNone for the other protocols
  uint8_t tclass;      // TimeoutClass
  uint8_t flags;
  uint8_t app_class;  // the permitting application's inactivity-timeout class, 0: none
  // The low bits of the rulebase generation it was last matched against: a
  // packet of a session matched against an older one is re-matched.
  uint16_t gen;
  uint64_t bytes[2];  // [0] from the initiator, [1] from the responder
  // 32-bit packet counts, as VPP's NAT sessions keep: they wrap after 2^32
  // packets one way, where the byte counts do not.
  uint32_t packets[2];
  TcpTrack tcp;

  uint8_t init_side() const { return (flags & kInitSide) ? 1 : 0; }
  // The direction of a packet whose KeyBuild gave `src_side`: 0 = from the initiator.
  uint8_t dir_of(uint8_t src_side) const { return src_side ^ init_side(); }
};
static_assert(sizeof(Session) == 104, "session slot size is part of the memory budget");

// A translated session's other tuple, oriented as its initiator's packets
// leave the translation (IPv4, network order): [0] the initiator's endpoint,
// [1] the responder's. Both are stored whole, changed or not, so that the
// translated key is built without reading the original one.
struct Xlate {
  uint32_t addr[2];
  uint16_t port[2];  // the ICMP echo id in both, for echo
  uint16_t vrf;
  uint8_t init_side;  // the translated key's side of the initiator (KeyBuild::src_side)
  uint8_t pad;
};
static_assert(sizeof(Xlate) == 16);

// The translated key of a session whose original key is `k`.
inline SessionKey xlate_key(const SessionKey& k, const Xlate& x, uint8_t& init_side) {
  const uint64_t mapped = 0xffff0000ull;
  SessionKey out;
  detail::set_words(out, init_side, 0, mapped | uint64_t(x.addr[0]) << 32, 0, mapped | uint64_t(x.addr[1]) << 32,
                    x.port[0], x.port[1], x.vrf, k.proto);
  return out;
}

// The timeout class of a session in `base` (its protocol's, or its TCP
// state's): the application's inactivity-timeout replaces the idle ones
// (TCP established, UDP, ICMP, other), not the TCP handshake and closing ones.
inline TimeoutClass class_for(const Session& s, TimeoutClass base) {
  const bool idle = base == kTcpEstablished || base == kUdp || base == kIcmp || base == kOther;
  return idle && s.app_class ? TimeoutClass(s.app_class) : base;
}

class SessionTable {
 public:
  static constexpr uint32_t kNone = ~0u;
  static constexpr uint32_t kMaxSessions = 1u << 30;
  // Set in an index entry (lookup_bulk's and lookup_entry's results) that
  // was found through a session's translated tuple.
  static constexpr uint32_t kViaXlate = 1u << 31;
  static uint32_t slot_of(uint32_t entry) { return entry & ~kViaXlate; }

  // `now`: the current second on the caller's monotonic clock. `nat`: room
  // for translated sessions (their records and second index entries).
  SessionTable(uint32_t max_sessions, uint32_t now, bool nat = false);
  bool nat() const { return xlate_.size() != 0; }

  uint32_t capacity() const { return uint32_t(pool_.size()); }
  uint32_t size() const { return used_; }

  // Takes effect for a session when its timer next fires (or its class
  // changes): no walk over the table.
  void set_timeouts(const Timeouts& t) { timeouts_ = t; }
  const Timeouts& timeouts() const { return timeouts_; }

  void prefetch(uint32_t hash) const { __builtin_prefetch(&buckets_[bucket_of(hash)]); }

  // `hash` is always session_hash(key): erase() recomputes it from the key.
  // The index entry for `key` (a session index, with kViaXlate when `key`
  // is a session's translated tuple), or kNone.
  uint32_t lookup_entry(const SessionKey& key, uint32_t hash) const;
  // The session index for `key`, either tuple, or kNone.
  uint32_t lookup(const SessionKey& key, uint32_t hash) const {
    const uint32_t e = lookup_entry(key, hash);
    return e == kNone ? kNone : slot_of(e);
  }

  // out[i] = lookup_entry(keys[i], hashes[i]), for buckets already
  // prefetched: one pass over the buckets that prefetches the candidate
  // sessions, then one that confirms their keys. A miss costs no session read.
  void lookup_bulk(const SessionKey* keys, const uint32_t* hashes, uint32_t n, uint32_t* out) const;

  struct Inserted {
    uint32_t idx;  // kNone when the table is full
    bool created;  // false: the key was already there (idx is that session)
  };
  // A new session for `key`, its timer armed for its class' timeout from
  // `now`. `init_side` is the initiating packet's KeyBuild::src_side.
  Inserted insert(const SessionKey& key, uint32_t hash, uint8_t init_side, TimeoutClass cls, uint32_t now);

  // Makes session `idx` a translated one: `x` is its other tuple, indexed
  // from now on. False, changing nothing, when that tuple is already a
  // session's (either of its tuples) or the table has no room for NAT.
  bool set_xlate(uint32_t idx, const Xlate& x);
  // Whether `key` is free as a translated tuple (port allocation's test).
  bool free_key(const SessionKey& key) const { return lookup_entry(key, session_hash(key)) == kNone; }

  // Removes a session: index entries, timer and slot (reused by a later insert).
  void erase(uint32_t idx);

  Session& at(uint32_t idx) { return pool_[idx]; }
  const Session& at(uint32_t idx) const { return pool_[idx]; }
  const Xlate& xlate(uint32_t idx) const { return xlate_[idx]; }
  // The index of a session of this table's pool.
  uint32_t index_of(const Session& s) const { return uint32_t(&s - &pool_[0]); }
  SessionKey xkey(uint32_t idx) const {
    uint8_t side;
    return xlate_key(pool_[idx].key, xlate_[idx], side);
  }

  // The per-packet update of a session hit: counters and last-seen only.
  // The timer is not touched: when it fires, expire() sees the later
  // last-seen and re-arms it.
  static void touch(Session& s, uint8_t dir, uint32_t bytes, uint32_t now) {
    s.last_seen = now;
    s.packets[dir]++;
    s.bytes[dir] += bytes;
    s.flags |= dir ? Session::kReplySeen : 0;
  }

  // A class change (a TCP state change): a shorter timeout re-arms the timer
  // now (a closing session must not wait out the established timeout); a
  // longer one is left to the lazy re-arm.
  void set_class(uint32_t idx, TimeoutClass cls);

  // Advances the wheel to `now`. A session whose timer fires but has seen
  // traffic since is re-armed for last_seen + timeout; the others are passed
  // to on_expire(idx, const Session&) (the close log, a later step) and then
  // erased. Returns how many expired.
  template <class Fn>
  uint32_t expire(uint32_t now, Fn&& on_expire) {
    uint32_t expired = 0;
    wheel_.advance(now, [&](uint32_t i) -> uint32_t {
      const Session& s = pool_[i];
      const uint32_t deadline = s.last_seen + timeouts_.s[s.tclass];
      if (deadline > now) return deadline;
      on_expire(i, s);
      erase(i);
      expired++;
      return 0;
    });
    return expired;
  }

  const TimerWheel& wheel() const { return wheel_; }

  // Bytes held by the arrays, and the same for a table of `max` sessions
  // without building one (the memory budget's figure).
  size_t memory_bytes() const { return memory_bytes_for(capacity(), nat()); }
  static size_t memory_bytes_for(uint32_t max, bool nat = false);

 private:
  static constexpr uint32_t kWays = 8;
  struct alignas(64) Bucket {
    uint32_t tag[kWays];  // the entry's full hash: its tag, and its home bucket for deletion
    uint32_t idx[kWays];  // session index, kNone when the way is empty
  };
  static_assert(sizeof(Bucket) == 64);
  static constexpr uint32_t kProbe = kNone - 1;  // lookup_bulk: the home bucket alone cannot tell

  static uint32_t buckets_for(uint32_t entries) {
    return uint32_t((entries * uint64_t(10) + 8 * kWays - 1) / (8 * kWays));
  }
  // Whether index entry e's tuple is `key`.
  bool entry_is(uint32_t e, const SessionKey& key) const {
    return (e & kViaXlate) ? xkey(slot_of(e)) == key : pool_[e].key == key;
  }
  void index_add(uint32_t entry, uint32_t hash);
  // Multiply-shift range reduction: any bucket count, no division.
  uint32_t bucket_of(uint32_t hash) const { return uint32_t((uint64_t(hash) * buckets_.size()) >> 32); }
  uint32_t next_bucket(uint32_t b) const { return b + 1 == buckets_.size() ? 0 : b + 1; }
  // Bit j set: way j is empty. Two 4-wide compares, no branch per way.
  static uint32_t empty_ways(const Bucket& b) {
    const __m128i none = _mm_set1_epi32(-1);
    const __m128i lo = _mm_cmpeq_epi32(_mm_load_si128(reinterpret_cast<const __m128i*>(b.idx)), none);
    const __m128i hi = _mm_cmpeq_epi32(_mm_load_si128(reinterpret_cast<const __m128i*>(b.idx + 4)), none);
    return uint32_t(_mm_movemask_ps(_mm_castsi128_ps(lo)) | _mm_movemask_ps(_mm_castsi128_ps(hi)) << 4);
  }
  // Bit j set: way j holds an entry whose tag is `hash` (an empty way's tag is stale).
  static uint32_t match(const Bucket& b, uint32_t hash) {
    const __m128i h = _mm_set1_epi32(int(hash));
    const __m128i lo = _mm_cmpeq_epi32(_mm_load_si128(reinterpret_cast<const __m128i*>(b.tag)), h);
    const __m128i hi = _mm_cmpeq_epi32(_mm_load_si128(reinterpret_cast<const __m128i*>(b.tag + 4)), h);
    return uint32_t(_mm_movemask_ps(_mm_castsi128_ps(lo)) | _mm_movemask_ps(_mm_castsi128_ps(hi)) << 4) &
           ~empty_ways(b);
  }
  static bool full(const Bucket& b) { return !empty_ways(b); }
  void index_remove(uint32_t idx, uint32_t hash);

  // In huge pages: random lookups into tables of millions of sessions
  // would miss the TLB on nearly every bucket and session with 4 KB pages.
  HugeArray<Session> pool_;
  HugeArray<Xlate> xlate_;  // empty in a table without NAT
  HugeArray<Bucket> buckets_;
  TimerWheel wheel_;
  Timeouts timeouts_;
  uint32_t free_head_ = kNone;
  uint32_t used_ = 0;
};

}  // namespace vp::fw
