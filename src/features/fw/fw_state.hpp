#pragma once
// What the firewall's worker nodes read, and each worker's own state.
//
// Published by the main thread (fw_runtime.cpp), immutable once published,
// freed after an RCU grace period:
//   g_fw_state   the zone of every interface, each zone's host-inbound and
//                screen settings, the flow settings;
//   g_rulebase   the compiled policies (policy_compile.hpp).
// Per worker (FwWorker), written only by that worker: its session table,
// policy hit counters, session counters, and the mailbox through which the
// main thread asks it to clear sessions.
#include <atomic>
#include <cstdint>
#include <cstring>
#include <memory>
#include <vector>

#include "features/fw/fw_config.hpp"
#include "features/fw/fw_frag.hpp"
#include "features/fw/fw_log.hpp"
#include "features/fw/policy_compile.hpp"
#include "features/fw/session_table.hpp"
#include "graph/counter.hpp"
#include "infra/huge_map.hpp"
#include "net/ip/flow_owner.hpp"

namespace vp::fw {

// The router itself as a session endpoint's zone (Junos' junos-host).
inline constexpr uint8_t kHostZone = 255;

struct ZoneRt {
  uint32_t services = 0, protocols = 0;  // host-inbound-traffic
  bool screened = false;
  Screen screen;
};

// What a screen drops a packet for (screen_check's result, fw-ip4's drop
// reason after its own, and the per-zone counters).
enum ScreenReason : uint8_t {
  kScreenPass,
  kScreenIcmpFlood,
  kScreenUdpFlood,
  kScreenSynFlood,
  kScreenLand,
  kScreenSynFin,
  kScreenTcpNoFlag,
  kScreenFinNoAck,
  kScreenWinnuke,
  kScreenPingDeath,
  kScreenIcmpLarge,
  kScreenTearDrop,
  kScreenSourceRoute,
  kScreenSpoofing,
  kScreenCount,
};
// Junos' names for them, as `show security screen statistics` prints them.
extern const char* const kScreenNames[kScreenCount];

struct FwState {
  uint8_t if_zone[kMaxInterfaces] = {};  // sw_if_index -> zone id (kNoZone: unzoned)
  ZoneRt zone[256];
  FlowSettings flow;
  uint32_t per_worker_limit = 0;  // the session limit's share of each worker
  uint32_t workers = 1;           // forwarding threads (the flood thresholds' divisor)
  uint32_t per_source_limit = 0;  // a source's share on each worker, 0: no limit
  // The applications' inactivity-timeout classes: kTimeoutClasses ..
  // kTimeoutClasses + n_app_classes - 1, their seconds in flow.timeouts.
  uint32_t n_app_classes = 0;
  // The class of an application inactivity-timeout of `seconds`, 0 when it has none.
  uint8_t app_class(uint32_t seconds) const {
    for (uint32_t c = kTimeoutClasses; seconds && c < kTimeoutClasses + n_app_classes; c++)
      if (flow.timeouts.s[c] == seconds) return uint8_t(c);
    return 0;
  }
};

extern std::atomic<const FwState*> g_fw_state;
extern std::atomic<const Rulebase*> g_rulebase;

// What a session stores of a rulebase's generation (Session::gen); 0 before any is published.
inline uint16_t rulebase_gen(const Rulebase* rb) { return rb ? uint16_t(rb->generation()) : 0; }

// Session counters of one worker (read by the main thread, written by it only).
struct FwCounters {
  uint64_t created, closed_timeout, closed_tcp, closed_policy, closed_clear, early_aged;
  uint64_t host_out;  // sessions the router itself opened
  uint64_t log_lost;  // flow-log events that found the ring full
};

// A request from the main thread to a worker: remove the sessions the
// filter matches. The main thread writes the filter, then bumps `seq`; the
// worker runs it at its next poll and sets `done` to seq.
struct ClearFilter {
  bool all = true;
  bool has_src = false, has_dst = false;
  Prefix src, dst;
  int proto = -1;    // -1: any
  int dport = -1;    // host order, -1: any
  uint8_t zone = 0;  // 0: any
};
bool clear_matches(const ClearFilter& f, const Session& s);

// Sessions per source address of one worker: linear probing over a 64-bit
// hash of the address (a collision merges two sources' counts, at 2^-64 per
// pair), within a window of kProbe slots. A source whose count fell to zero
// keeps its slot until another source in its window needs one, so no
// tombstones are needed.
class SourceCounts {
 public:
  static constexpr uint32_t kSlots = 1u << 18, kProbe = 64;
  // The count slot of `addr` (16 bytes), or nullptr when the table is full
  // of other sources (the limit is then not applied to it).
  uint32_t* find(const uint8_t* addr) {
    uint64_t a[2];
    std::memcpy(a, addr, 16);
    const uint64_t h = (_mm_crc32_u64(_mm_crc32_u64(0x243f6a88, a[0]), a[1]) << 32 | _mm_crc32_u64(7, a[0] ^ a[1])) | 1;
    Entry* spare = nullptr;  // a source with no sessions left: its slot may be taken
    for (uint32_t i = uint32_t(h) & (kSlots - 1), n = 0; n < kProbe; i = (i + 1) & (kSlots - 1), n++) {
      if (e_[i].hash == h) return &e_[i].count;
      if (e_[i].hash == 0) {
        spare = spare ? spare : &e_[i];
        break;
      }
      if (e_[i].count == 0 && !spare) spare = &e_[i];
    }
    if (!spare) return nullptr;
    spare->hash = h;
    return &spare->count;
  }

 private:
  struct Entry {
    uint64_t hash = 0;  // 0: free
    uint32_t count = 0;
  };
  std::vector<Entry> e_ = std::vector<Entry>(kSlots);
};

// One destination's packets in the current second, per flood kind (SYN,
// ICMP, UDP): fw_screen.hpp.
struct FloodSlot {
  uint32_t tag = 0, second = 0;
  uint32_t count[3] = {};
};
inline constexpr uint32_t kFloodBits = 12;

struct FwWorker {
  std::unique_ptr<SessionTable> table;
  std::unique_ptr<FlowOwners> owners;                   // who owns a flow (ICMP errors, the router's own traffic)
  HugeArray<uint64_t> hits{kMaxPolicies, ZeroPages{}};  // by policy id (pages touched as ids are used)
  FwCounters c{};
  uint32_t now = 0;            // this worker's current second (fw-timer)
  uint64_t next_tick_tsc = 0;  // when `now` next advances
  FloodSlot flood[1u << kFloodBits];
  uint64_t screen_drops[256][kScreenCount] = {};  // by zone id
  ClearFilter clear;
  std::atomic<uint32_t> clear_seq{0}, clear_done{0};
  std::atomic<uint64_t> cleared{0};
  LogRing log;
  // Sessions per initiating address: made when a per-source limit is first
  // set (4 MB a worker), counted from then on, read by the worker with
  // acquire. Sessions opened before it existed are not counted.
  std::atomic<SourceCounts*> sources{nullptr};
  ~FwWorker() { delete sources.load(); }
  std::unique_ptr<FragTable> frags;
  // Early ageout: on while the table is above the high watermark, until it
  // falls below the low one; the walk's position in the pool.
  bool early = false;
  uint32_t early_cursor = 0;
  // NAT: this worker's share of the port range (its position among the
  // forwarding workers) and where its next port allocation starts.
  uint32_t nat_share = 0, nat_cursor = 0;
};

inline void log_push(FwWorker& w, const LogEvent& e) {
  if (!w.log.push(e)) cadd(w.c.log_lost, 1);
}
inline void log_session(FwWorker& w, LogKind k, const Session& s, CloseReason r) {
  LogEvent e;
  e.nat = s.flags & Session::kNat;
  if (e.nat) {
    const Xlate& x = w.table->xlate(w.table->index_of(s));
    e.xaddr[0] = x.addr[0];
    e.xaddr[1] = x.addr[1];
    e.xport[0] = x.port[0];
    e.xport[1] = x.port[1];
  }
  e.key = s.key;
  e.bytes[0] = s.bytes[0];
  e.bytes[1] = s.bytes[1];
  e.packets[0] = s.packets[0];
  e.packets[1] = s.packets[1];
  e.policy = s.policy;
  e.kind = k;
  e.reason = r;
  e.zone[0] = s.zone[0];
  e.zone[1] = s.zone[1];
  e.init_side = s.init_side();
  log_push(w, e);
}
// Every session's end, before it is erased: its close event when its
// policy asked for one, and its source's count.
void closing(FwWorker& w, const Session& s, CloseReason r);

// Why a session the timer ends is closing, as RT_FLOW says it.
inline CloseReason timeout_reason(const Session& s) {
  return s.state == TcpState::kClosed     ? CloseReason::kTcpRst
         : s.state == TcpState::kTimeWait ? CloseReason::kTcpFin
                                          : CloseReason::kTimeout;
}

// Runs a pending clear request on the worker's own thread (fw-timer), or on
// the main thread when it is the only forwarding thread.
void run_clear_request(FwWorker& w);

// Indexed by thread index; set for the forwarding threads when the firewall
// is first configured, before any interface has its nodes enabled.
extern std::atomic<FwWorker*> g_fw_worker[64];
inline FwWorker& fw_worker(uint32_t thread) { return *g_fw_worker[thread].load(std::memory_order_acquire); }

// Seconds on the workers' clock (TSC-based, shared by all threads).
uint32_t fw_now();

// A worker's share of the flow settings' session limit, and the table
// capacity behind it: the limit the operator sets is checked against this.
uint32_t fw_capacity_per_worker();

}  // namespace vp::fw
