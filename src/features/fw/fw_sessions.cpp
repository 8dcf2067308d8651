#include "features/fw/fw_sessions.hpp"

#include <chrono>
#include <thread>

#include "features/fw/fw_names.hpp"
#include "graph/registry.hpp"
#include "graph/thread.hpp"
#include "graph/threads.hpp"
#include "infra/error.hpp"

namespace vp::fw {

uint64_t visit_sessions(const ClearFilter& f, uint64_t from, const std::function<bool(const SessionView&)>& fn) {
  for (uint32_t t : threads().forwarding()) {
    if (t < (from >> 32)) continue;
    FwWorker* w = g_fw_worker[t].load();
    if (!w) continue;
    const SessionTable& tab = *w->table;
    const uint32_t first = t == (from >> 32) ? uint32_t(from) : 0;
    for (uint32_t i = first; i < tab.capacity(); i++) {
      const Session s = tab.at(i);
      if (!(s.flags & Session::kInUse) || !clear_matches(f, s)) continue;
      const uint8_t ini = s.init_side(), rsp = ini ^ 1;
      const uint32_t timeout = tab.timeouts().s[s.tclass];
      SessionView v{.id = uint64_t(t) << 32 | i,
                    .worker = t,
                    .vrf = s.key.vrf,
                    .proto = s.key.proto,
                    .src = session_addr(s.key.addr[ini]),
                    .dst = session_addr(s.key.addr[rsp]),
                    .sport = rte_be_to_cpu_16(s.key.port[ini]),
                    .dport = rte_be_to_cpu_16(s.key.port[rsp]),
                    .zone = {s.zone[0], s.zone[1]},
                    .policy = s.policy,
                    .state = s.key.proto == IPPROTO_TCP ? tcp_state_name(s.state) : "valid",
                    .timeout_left = s.last_seen + timeout > w->now ? s.last_seen + timeout - w->now : 0,
                    .packets = {s.packets[0], s.packets[1]},
                    .bytes = {s.bytes[0], s.bytes[1]}};
      if (s.flags & Session::kNat) {
        const Xlate x = tab.xlate(i);
        v.nat = true;
        v.xsrc.b = {};
        v.xdst.b = {};
        std::memcpy(v.xsrc.b.data(), &x.addr[0], 4);
        std::memcpy(v.xdst.b.data(), &x.addr[1], 4);
        v.xsport = rte_be_to_cpu_16(x.port[0]);
        v.xdport = rte_be_to_cpu_16(x.port[1]);
      }
      if (!fn(v)) return v.id + 1;
    }
  }
  return 0;
}

uint64_t clear_sessions(const ClearFilter& f) {
  uint64_t n = 0;
  for (uint32_t t : threads().forwarding()) {
    FwWorker* w = g_fw_worker[t].load();
    if (!w) continue;
    w->clear = f;
    const uint32_t seq = w->clear_seq.load() + 1;
    w->clear_seq.store(seq, std::memory_order_release);
    if (threads().single()) {
      run_clear_request(*w);  // this thread is the worker
    } else {
      const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
      while (w->clear_done.load(std::memory_order_acquire) != seq) {
        if (std::chrono::steady_clock::now() > deadline) fail("worker {} did not answer the clear request", t);
        std::this_thread::sleep_for(std::chrono::microseconds(200));
      }
    }
    n += w->cleared.load();
  }
  return n;
}

std::vector<std::tuple<std::string, std::string, uint64_t>> node_counters() {
  std::vector<std::tuple<std::string, std::string, uint64_t>> out;
  const auto& reg = Registry::get();
  for (size_t id = 0; id < reg.errors().size(); id++) {
    const auto& e = reg.errors()[id];
    const std::string& node = reg.nodes()[e.node]->name;
    if (node.rfind("fw-", 0) != 0) continue;
    uint64_t v = 0;
    for (uint32_t t = 0; t < threads().size(); t++) v += threads().at(t).error_count(uint16_t(id));
    if (v) out.emplace_back(node, e.reason, v);
  }
  return out;
}

FlowTotals flow_totals() {
  FlowTotals r{};
  for (uint32_t t : threads().forwarding()) {
    FwWorker* w = g_fw_worker[t].load();
    if (!w) continue;
    r.sessions += w->table->size();
    r.capacity += w->table->capacity();
    r.c.created += cread(w->c.created);
    r.c.closed_timeout += cread(w->c.closed_timeout);
    r.c.closed_tcp += cread(w->c.closed_tcp);
    r.c.closed_policy += cread(w->c.closed_policy);
    r.c.closed_clear += cread(w->c.closed_clear);
    r.c.early_aged += cread(w->c.early_aged);
    r.c.host_out += cread(w->c.host_out);
    r.c.log_lost += cread(w->c.log_lost);
  }
  return r;
}

}  // namespace vp::fw
