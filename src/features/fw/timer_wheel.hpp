#pragma once
// A single-level hashed timer wheel over entry indices (the session pool's),
// with 1-second ticks: the firewall's timeouts are whole seconds.
//
// kSlots (4096) slots of one second each: an entry due at second `at` is
// linked into slot at % kSlots. Every default timeout (1800 s at most) is
// under one revolution, so a visited slot holds only due entries; a longer
// timeout stays in its slot across revolutions and is passed over (not
// expired) on each visit before its own, once every 68 minutes.
//
// The links are intrusive and index-based (prev, next, due time: 12 bytes
// per entry in a parallel array, plus 16 KiB of slot heads), so schedule,
// cancel and reschedule are O(1) and the wheel could live in a shared
// segment. advance() visits only the slots of the seconds that passed:
// expiry never scans the table.
//
// Refresh by traffic is lazy and is the caller's: the per-packet path only
// writes the session's last-seen time and never touches the wheel. When an
// entry fires, the callback looks at last-seen and returns a later due time
// to re-arm it, or 0 to let it go. A session busy for an hour costs one
// re-arm per timeout period, not one wheel operation per packet.
//
// One wheel per worker, like the table it serves: no locks.
#include <cstddef>
#include <cstdint>
#include <vector>

#include "infra/huge_map.hpp"

namespace vp::fw {

class TimerWheel {
 public:
  static constexpr uint32_t kSlots = 4096;
  static constexpr uint32_t kNil = ~0u;

  // `n` entries (indices 0..n-1); `now` is the current second. Times are
  // seconds on the caller's monotonic clock, and 0 means "not armed".
  TimerWheel(uint32_t n, uint32_t now);

  // Arms `i` to fire at second `at`, or moves it there if already armed.
  // A due time not after the last second advanced fires at the next one.
  void schedule(uint32_t i, uint32_t at) {
    if (link_[i].at) unlink(i);
    if (at <= now_) at = now_ + 1;
    Link& l = link_[i];
    uint32_t& head = head_[at % kSlots];
    l.at = at;
    l.prev = kNil;
    l.next = head;
    if (head != kNil) link_[head].prev = i;
    head = i;
    armed_++;
  }

  void cancel(uint32_t i) {
    if (link_[i].at) unlink(i);
  }

  bool armed(uint32_t i) const { return link_[i].at != 0; }
  uint32_t due(uint32_t i) const { return link_[i].at; }
  uint32_t now() const { return now_; }
  uint32_t size() const { return armed_; }

  // The `next` link of an entry that is not armed is free for its owner:
  // the session table chains its free slots through it, so the free list
  // costs no memory of its own.
  uint32_t& spare_link(uint32_t i) { return link_[i].next; }

  // Runs every second after the last one advanced up to `now`. For each
  // entry due by then, in second order: the entry is disarmed, then
  // fn(index) returns 0 (the entry is gone; the callback may free and reuse
  // the index) or a due time after `now` to re-arm it. The callback may
  // schedule or cancel only the index it was given. Returns how many
  // entries fired. A gap of a revolution or more visits each slot once
  // (then the order is by slot, not by second).
  template <class Fn>
  uint32_t advance(uint32_t now, Fn&& fn) {
    if (now <= now_) return 0;
    const uint32_t from = now_ + 1;
    const uint32_t ticks = now - now_ < kSlots ? now - now_ : kSlots;
    now_ = now;  // from here on, re-arms land after `now`
    uint32_t fired = 0;
    for (uint32_t t = 0; t < ticks; t++) {
      uint32_t& head = head_[(from + t) % kSlots];
      uint32_t i = head;
      head = kNil;  // walk a detached list: re-arms and survivors relink into slots
      while (i != kNil) {
        Link& l = link_[i];
        const uint32_t next = l.next;
        const uint32_t at = l.at;
        armed_--;
        l.at = 0;
        if (at > now) {
          schedule(i, at);  // a later revolution's: back into its slot
        } else {
          fired++;
          if (uint32_t again = fn(i)) schedule(i, again);
        }
        i = next;
      }
    }
    return fired;
  }

  size_t memory_bytes() const { return memory_bytes_for(uint32_t(link_.size())); }
  static size_t memory_bytes_for(uint32_t n) { return size_t(n) * sizeof(Link) + kSlots * sizeof(uint32_t); }

 private:
  struct Link {
    uint32_t prev, next, at;
  };

  void unlink(uint32_t i) {
    Link& l = link_[i];
    if (l.prev != kNil)
      link_[l.prev].next = l.next;
    else
      head_[l.at % kSlots] = l.next;
    if (l.next != kNil) link_[l.next].prev = l.prev;
    l.at = 0;
    armed_--;
  }

  HugeArray<Link> link_;
  std::vector<uint32_t> head_;
  uint32_t now_;
  uint32_t armed_ = 0;
};

}  // namespace vp::fw
