// The firewall's main-thread side: from the Config to what the workers read.
//
// Zones, screens and flow settings are small: every change rebuilds FwState
// and publishes it at once. The rulebase is compiled on a timer instead,
// once the changes stop for kQuiet (or kMaxDelay after the first one, under
// a steady stream), so a script of a thousand policy lines compiles once,
// and the published rulebase is current within 50 ms of the last line.
//
// The worker state (session tables, hit counters) is allocated when the
// first zone appears, before any interface's nodes are enabled, and sized
// from the session limit.
#include "features/fw/fw_runtime.hpp"

#include <fmt/format.h>
#include <unistd.h>

#include <chrono>
#include <set>

#include "control/event_loop.hpp"
#include "control/lifecycle.hpp"
#include "features/fw/fw_state.hpp"
#include "features/nat/nat_runtime.hpp"
#include "features/nat/nat_state.hpp"
#include "graph/rcu.hpp"
#include "graph/threads.hpp"
#include "infra/error.hpp"
#include "infra/log.hpp"
#include "infra/tsc.hpp"
#include "io/interface.hpp"

namespace vp::fw {

std::atomic<const FwState*> g_fw_state;
std::atomic<const Rulebase*> g_rulebase{nullptr};
std::atomic<FwWorker*> g_fw_worker[64];

namespace {
using Clock = std::chrono::steady_clock;
constexpr auto kQuiet = std::chrono::milliseconds(10);
constexpr auto kMaxDelay = std::chrono::milliseconds(40);

const FwState& empty_state() {
  static const FwState* s = new FwState();
  return *s;
}
[[maybe_unused]] const bool g_state_init = [] {
  g_fw_state.store(&empty_state());
  return true;
}();

struct Runtime {
  bool workers = false;
  bool nat = false;       // the tables have room for translations
  uint32_t capacity = 0;  // per worker
  uint64_t config_gen = 0, published_gen = 0, compiled_gen = 0;
  bool dirty = false;
  Clock::time_point first_change, last_change;
  std::string last_error;
  std::vector<uint64_t> hit_base = std::vector<uint64_t>(kMaxPolicies);
};
Runtime& rt() {
  static Runtime r;
  return r;
}

uint32_t default_sessions() {
  // 1/256 of the memory at 128 B a session, between 64k and 4M.
  const uint64_t mem = uint64_t(sysconf(_SC_PHYS_PAGES)) * uint64_t(sysconf(_SC_PAGESIZE));
  return uint32_t(std::clamp<uint64_t>(mem / 256 / 128, 65536, 4u << 20));
}

uint32_t total_limit() {
  const uint32_t l = config().flow.session_limit;
  return l ? l : default_sessions();
}

uint32_t n_workers() { return uint32_t(threads().forwarding().size()); }

// Allocates the worker state for `per_worker` sessions each. A larger limit
// than the tables hold, or NAT on tables without room for translations,
// replaces them: their sessions are lost (logged).
void size_workers(uint32_t per_worker, bool nat) {
  Runtime& r = rt();
  if (r.workers && per_worker <= r.capacity && (r.nat || !nat)) return;
  uint64_t lost = 0;
  for (uint32_t t : threads().forwarding())
    if (FwWorker* w = g_fw_worker[t].load()) lost += w->table->size();
  if (lost)
    log::warn("fw: {}: new session tables, {} sessions cleared",
              per_worker > r.capacity ? fmt::format("session limit raised above the tables' capacity ({} per worker)",
                                                    r.capacity)
                                      : std::string("NAT enabled"),
              lost);
  per_worker = std::max(per_worker, r.capacity);
  nat |= r.nat;
  const uint32_t now = fw_now();
  const auto fwd = threads().forwarding();
  for (uint32_t k = 0; k < fwd.size(); k++) {
    const uint32_t t = fwd[k];
    auto* w = new FwWorker;  // default-initialized: the log ring's slots are written before they are read
    w->nat_share = k;
    w->table = std::make_unique<SessionTable>(per_worker, now, nat);
    w->table->set_timeouts(config().flow.timeouts);
    w->owners = std::make_unique<FlowOwners>(fwd);
    w->frags = std::make_unique<FragTable>();
    w->now = now;
    if (FwWorker* old = g_fw_worker[t].exchange(w, std::memory_order_acq_rel)) {
      for (uint32_t i = 0; i < kMaxPolicies; i++)
        if (old->hits[i]) w->hits[i] = old->hits[i];
      w->c = old->c;
      rcu().defer([old] { delete old; });
    }
  }
  r.workers = true;
  r.nat = nat;
  r.capacity = per_worker;
}

// Whether interface i is a Linux mirror cross-connected to a zoned interface.
bool mirror_of_zoned(const Interface& i, const FwState& st) {
  return i.owner == "lcp" && i.xc_tx != kNoIf && i.xc_tx < kMaxInterfaces && st.if_zone[i.xc_tx] != kNoZone;
}

// Enables or disables one of the firewall's nodes on an interface, when it
// is not already so (each change republishes the interface).
void want(Interface& i, const char* arc, const char* node, bool on) {
  const ArcDef* a = Arcs::get().find(arc);
  auto it = i.module_features.find(a->index);
  const bool has =
      it != i.module_features.end() && std::find(it->second.begin(), it->second.end(), node) != it->second.end();
  if (has != on) ifs().set_module_feature(i, arc, node, on);
}

// The firewall's nodes on every interface. Zoned interfaces get the
// session lookup; the flow handoff before it only when there are several
// forwarding workers (with one, it would always keep the packet, for
// 12 ticks a packet); the unzoned-to-zoned check on their output only while
// some routed interface is in no zone (else nothing can come from one).
// Mirrors of zoned interfaces get fw-host-out. Interfaces with a NAT44
// role get the IPv4 session lookup too, behind NAT's own handoff (its
// owner follows translations), and with output-feature somewhere every
// routed interface is a possible inside one.
void set_nodes(const FwState& st) {
  const bool multi = n_workers() > 1;
  bool unzoned = false, output_feature = false;
  for (Interface* i : ifs().all()) {
    unzoned |= st.if_zone[i->index] == kNoZone && i->l2 != L2Mode::xconnect && i->owner != "lcp";
    output_feature |= (nat::role(i->index) & nat::kOutputFeature) != 0;
  }
  for (Interface* i : ifs().all()) {
    const bool l3 = st.if_zone[i->index] != kNoZone;
    const bool routed = i->l2 != L2Mode::xconnect && i->owner != "lcp";
    const bool nat = routed && (nat::role(i->index) || output_feature);
    want(*i, "ip4-unicast", "ip4-flow-handoff", l3 && multi && !nat);
    want(*i, "ip4-unicast", "nat44-handoff", nat && multi);
    want(*i, "ip6-unicast", "ip6-flow-handoff", l3 && multi);
    want(*i, "ip4-unicast", "fw-ip4", l3 || nat);
    want(*i, "ip6-unicast", "fw-ip6", l3);
    want(*i, "ip4-output", "fw-ip4-out", l3 && unzoned);
    want(*i, "ip6-output", "fw-ip6-out", l3 && unzoned);
    want(*i, "device-input", "fw-host-out", mirror_of_zoned(*i, st));
  }
}

void publish_state() {
  const Config& c = config();
  auto st = std::make_unique<FwState>();
  for (auto& [name, z] : c.zones) {
    for (auto& ifn : z.interfaces)
      if (Interface* i = ifs().find(ifn)) st->if_zone[i->index] = z.id;
    ZoneRt& zr = st->zone[z.id];
    zr.services = z.services;
    zr.protocols = z.protocols;
    if (auto it = c.screens.find(z.screen); !z.screen.empty() && it != c.screens.end()) {
      zr.screened = true;
      zr.screen = it->second;
    }
  }
  st->flow = c.flow;
  // One timeout class per distinct application inactivity-timeout.
  std::set<uint32_t> app_timeouts;
  for (auto& [name, app] : c.applications)
    for (auto& [term, t] : app.terms)
      if (t.inactivity_timeout) app_timeouts.insert(t.inactivity_timeout);
  for (uint32_t secs : app_timeouts) {
    if (kTimeoutClasses + st->n_app_classes == kMaxTimeoutClasses) break;
    st->flow.timeouts.s[kTimeoutClasses + st->n_app_classes++] = secs;
  }
  const uint32_t n = std::max(1u, n_workers());
  const uint32_t per_worker = (total_limit() + n - 1) / n;
  if (!c.zones.empty() || nat::active()) size_workers(per_worker, nat::active());
  st->per_worker_limit = per_worker;
  st->workers = n;
  // A source's flows spread over the workers like any flows: each allows
  // its share, rounded up.
  st->per_source_limit = c.flow.per_source ? (c.flow.per_source + n - 1) / n : 0;
  if (c.flow.per_source)
    for (uint32_t t : threads().forwarding())
      if (FwWorker* w = g_fw_worker[t].load(); w && !w->sources.load())
        w->sources.store(new SourceCounts(), std::memory_order_release);
  for (uint32_t t : threads().forwarding())
    if (FwWorker* w = g_fw_worker[t].load()) w->table->set_timeouts(st->flow.timeouts);
  const FwState* old = g_fw_state.exchange(st.release(), std::memory_order_acq_rel);
  if (old != &empty_state()) rcu().defer([old] { delete old; });
  // Nodes are enabled after the state they read is published, and
  // disabled before the tables could go.
  set_nodes(*g_fw_state.load());
}

void compile_now() {
  Runtime& r = rt();
  const uint64_t gen = r.config_gen;
  try {
    auto rb = Rulebase::compile(config(), ++r.published_gen);
    const Rulebase* old = g_rulebase.exchange(rb.release(), std::memory_order_acq_rel);
    if (old) rcu().defer([old] { delete old; });
    r.compiled_gen = gen;
    r.last_error.clear();
  } catch (const std::exception& e) {
    r.last_error = e.what();
    log::error("fw: the rulebase was not published: {}", e.what());
  }
  r.dirty = r.compiled_gen != r.config_gen;
}

void tick() {
  Runtime& r = rt();
  if (!r.dirty) return;
  const auto now = Clock::now();
  if (now - r.last_change >= kQuiet || now - r.first_change >= kMaxDelay) compile_now();
}

StartRegistration start{[](EventLoop& loop) {
  loop.every(5, tick);
  // A new, changed or deleted interface may change which nodes the others
  // need (an unzoned routed interface, a mirror made or cross-connected).
  ifs().watch([](Interface&, IfEvent e) {
    if (!rt().workers || e == IfEvent::addresses) return;
    set_nodes(*g_fw_state.load());
  });
}};
}  // namespace

uint32_t fw_now() { return uint32_t(rdtsc() / tsc_hz()) + 1; }

uint32_t fw_capacity_per_worker() { return rt().capacity; }

void changed(Change c) {
  Runtime& r = rt();
  if (c == Change::kRules || c == Change::kZones) {
    const auto now = Clock::now();
    if (!r.dirty) r.first_change = now;
    r.last_change = now;
    r.dirty = true;
    r.config_gen++;
  }
  if (c != Change::kLog) publish_state();
}

void publish_now() {
  if (rt().dirty) compile_now();
}

RulebaseStatus rulebase_status() {
  const Runtime& r = rt();
  const Rulebase* rb = g_rulebase.load();
  return {.current = !r.dirty,
          .config_generation = r.config_gen,
          .published_generation = r.published_gen,
          .rules = rb ? rb->rules() : 0};
}

uint64_t policy_hits(uint32_t id) {
  if (id >= kMaxPolicies) return 0;
  uint64_t sum = 0;
  for (uint32_t t : threads().forwarding())
    if (FwWorker* w = g_fw_worker[t].load()) sum += cread(w->hits[id]);
  return sum - rt().hit_base[id];
}

void reset_policy_hits(uint32_t id) {
  if (id < kMaxPolicies) rt().hit_base[id] += policy_hits(id);
}

}  // namespace vp::fw
