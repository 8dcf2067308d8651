#pragma once
// The fragment table: the first fragment's verdict applied to the rest of
// its datagram, without reassembly.
//
// All fragments of a datagram reach the same worker (the flow hash leaves
// out ports for fragments), but that worker need not own the session of the
// datagram's 5-tuple. So the worker that receives the fragments keeps the
// datagram's entry, and sends the first fragment to the session's owner
// through fw-ip4/fw-ip6 like any packet, marked kFragVerdict. Whichever node
// decides its fate posts the verdict back into the entry's worker's verdict
// ring; that worker applies it at its next poll (fw-timer) to the fragments
// it held, and to those still to come. Fragments that arrive before the
// first, or before its verdict, are held, at most kHeld per datagram and
// kHeldTotal per worker (so that a flood of lone fragments cannot take the
// buffers the rest of the traffic needs); an
// entry that gets no verdict in kTimeout seconds drops what it holds.
// Overlapping fragments are always dropped (RFC 5722 for IPv6; IPv4
// tear-drop attacks rely on them).
#include <rte_mbuf.h>
#include <rte_ring.h>

#include <cstdint>
#include <cstring>

namespace vp {
class Thread;
}

namespace vp::fw {

struct FwWorker;

struct FragKey {
  uint8_t src[16], dst[16];
  uint32_t id;
  uint16_t vrf;
  uint8_t proto;
  uint8_t zero = 0;
  bool operator==(const FragKey& o) const { return std::memcmp(this, &o, sizeof *this) == 0; }
};
static_assert(sizeof(FragKey) == 40);

enum class FragVerdict : uint8_t { kPending, kPermit, kDeny };

struct FragEntry {
  static constexpr uint32_t kHeld = 16, kRanges = 32;
  FragKey key;
  uint32_t expires = 0;  // second after which it goes; 0: free
  uint16_t gen = 0;      // bumped on every reuse: a late verdict for an older datagram is ignored
  FragVerdict verdict = FragVerdict::kPending;
  bool first_sent = false;
  uint8_t zone = 0;  // of the arrival interface (the tear-drop screen's counter)
  uint8_t n_ranges = 0, n_held = 0;
  struct {
    uint32_t lo, hi;  // payload bytes [lo, hi)
  } ranges[kRanges];
  rte_mbuf* held[kHeld];
};

// The scratch a first fragment carries to the owner of its session.
struct FragTicket {
  uint32_t magic;  // kTicketMagic: the opaque holds a ticket, not an ICMP request
  uint16_t entry, gen;
  uint8_t worker;  // thread index of the table's worker
};
inline constexpr uint32_t kTicketMagic = 0x46524147;  // "FRAG"

class FragTable {
 public:
  static constexpr uint32_t kSlots = 1024, kProbe = 8, kTimeout = 4, kHeldTotal = 1024;
  FragTable();
  ~FragTable();
  // The entry of `k`, created when new (kSlots' worth of datagrams in
  // flight at once per worker); -1 when the table is full.
  int find_or_add(const FragKey& k, uint32_t now);
  FragEntry& at(uint32_t i) { return e_[i]; }
  // The datagram's payload range [lo, hi): false when it overlaps one seen
  // (or the entry cannot record more ranges).
  static bool add_range(FragEntry& e, uint32_t lo, uint32_t hi);
  rte_ring* verdicts() const { return ring_; }
  // Posts a first fragment's verdict to the worker that holds its entry
  // (any thread; the ring is multi-producer).
  static void post(rte_ring* r, const FragTicket& t, bool permit);
  uint32_t size() const { return used_; }
  // Whether another fragment may be held, and the bookkeeping of holding.
  bool can_hold(const FragEntry& e) const { return e.n_held < FragEntry::kHeld && held_ < kHeldTotal; }
  void hold(FragEntry& e, rte_mbuf* m) {
    e.held[e.n_held++] = m;
    held_++;
  }
  void unheld(FragEntry& e) {
    held_ -= e.n_held;
    e.n_held = 0;
  }
  void release(uint32_t i);
  template <class Fn>
  void expire(uint32_t now, Fn&& drop_held) {
    for (uint32_t i = 0; i < kSlots; i++)
      if (e_[i].expires && e_[i].expires <= now) {
        for (uint32_t h = 0; h < e_[i].n_held; h++) drop_held(e_[i].held[h]);
        unheld(e_[i]);
        release(i);
      }
  }

 private:
  FragEntry e_[kSlots];
  uint32_t used_ = 0, held_ = 0;
  rte_ring* ring_;
};

// A first fragment's verdict, from the node that decided it (fw-ip4,
// fw-ip4-new and the IPv6 ones), when it carries a ticket.
void frag_verdict(rte_mbuf* m, bool permit);
// fw-timer: verdicts that arrived (every poll), entries that timed out (each tick).
uint32_t frag_verdicts(Thread& t, FwWorker& w);  // returns the fragments released
void frag_expire(Thread& t, FwWorker& w);

}  // namespace vp::fw
