// fw-timer: each forwarding thread's firewall housekeeping, polled like an
// input once per loop. It keeps the thread's second counter (the sessions'
// clock: read per vector, never computed per packet), advances the timer
// wheel once a second (expiry visits only the seconds that passed, never the
// table), and runs the main thread's clear requests. Costs one load per
// loop while the firewall is not configured, and one TSC read besides while
// it is.
#include "features/fw/fw_state.hpp"
#include "graph/registry.hpp"
#include "graph/thread.hpp"
#include "infra/tsc.hpp"

namespace vp::fw {

void run_clear_request(FwWorker& w) {
  const uint32_t seq = w.clear_seq.load(std::memory_order_acquire);
  if (seq == w.clear_done.load(std::memory_order_relaxed)) return;
  SessionTable& tab = *w.table;
  uint64_t n = 0;
  for (uint32_t i = 0; i < tab.capacity(); i++) {
    const Session& s = tab.at(i);
    if ((s.flags & Session::kInUse) && clear_matches(w.clear, s)) {
      closing(w, s, CloseReason::kClear);
      tab.erase(i);
      n++;
    }
  }
  cadd(w.c.closed_clear, n);
  w.cleared.store(n, std::memory_order_relaxed);
  w.clear_done.store(seq, std::memory_order_release);
}

namespace {
// Early ageout (Junos' words): between the watermarks, sessions idle for
// the early-ageout time go, whatever their timeout. The timer wheel holds
// each session at its own timeout, so this walks the pool instead, a slice
// per tick (a pass over the table every 8 ticks, about a second), and only
// while the table is above the high watermark until it falls below the low.
void early_ageout(FwWorker& w, const FwState& st) {
  const EarlyAgeout& e = st.flow.early;
  SessionTable& tab = *w.table;
  if (!e.seconds || !st.per_worker_limit) {
    w.early = false;
    return;
  }
  const uint64_t pct = uint64_t(tab.size()) * 100 / st.per_worker_limit;
  if (!w.early && pct >= e.high) w.early = true;
  if (w.early && pct <= e.low) w.early = false;
  if (!w.early) return;
  const uint32_t slice = tab.capacity() / 8 + 1;
  uint64_t aged = 0;
  for (uint32_t k = 0; k < slice; k++) {
    const uint32_t i = w.early_cursor;
    w.early_cursor = i + 1 < tab.capacity() ? i + 1 : 0;
    const Session& s = tab.at(i);
    if ((s.flags & Session::kInUse) && s.last_seen + e.seconds <= w.now) {
      closing(w, s, CloseReason::kTimeout);
      tab.erase(i);
      aged++;
    }
  }
  cadd(w.c.early_aged, aged);
}

uint32_t fw_timer(Thread& t, NodeRt&) {
  FwWorker* w = g_fw_worker[t.index()].load(std::memory_order_acquire);
  if (__builtin_expect(!w, 1)) return 0;
  const uint64_t now = rdtsc();
  if (now >= w->next_tick_tsc) {
    w->now = fw_now();
    w->next_tick_tsc = now + tsc_hz() / 8;  // the second boundary is found within 1/8 s
    cadd(w->c.closed_timeout,
         w->table->expire(w->now, [w](uint32_t, const Session& s) { closing(*w, s, timeout_reason(s)); }));
    early_ageout(*w, *g_fw_state.load(std::memory_order_acquire));
    frag_expire(t, *w);
  }
  const uint32_t released = frag_verdicts(t, *w);
  run_clear_request(*w);
  return released;
}
}  // namespace

static NodeRegistration reg{{.name = "fw-timer", .input = fw_timer}};

}  // namespace vp::fw
