// Engine-wide commands: runtime and error counters, packet trace, threads,
// buffers, version, vector size and idle polling.
#include <rte_mempool.h>

#include <algorithm>
#include <map>

#include "control/cli.hpp"
#include "graph/rcu.hpp"
#include "graph/registry.hpp"
#include "graph/threads.hpp"
#include "infra/error.hpp"
#include "infra/tsc.hpp"
#include "io/eal.hpp"
#include "io/interface.hpp"

#ifndef VPLANE_VERSION
#define VPLANE_VERSION "0.0.0"
#endif

namespace vp {

namespace {

struct NodeBase {
  uint64_t calls = 0, vectors = 0, clocks = 0;
};
// Baselines kept by the reader: clearing never writes a worker's counters.
std::map<std::pair<uint32_t, NodeId>, NodeBase> g_rt_base;
std::map<uint16_t, uint64_t> g_err_base;
struct LoopBase {
  uint64_t hist[LoopTime::kBuckets] = {};
  uint64_t sum = 0;
};
std::map<uint32_t, LoopBase> g_loop_base;

// Poll-loop gaps since the last clear: quantiles (upper bound of the bucket
// they fall in), mean and maximum, in microseconds.
nlohmann::json loop_stats(uint32_t t) {
  LoopTime& lt = threads().at(t).loop_time();
  LoopBase& b = g_loop_base[t];
  uint64_t h[LoopTime::kBuckets], n = 0;
  for (int i = 0; i < LoopTime::kBuckets; i++) n += h[i] = lt.count(i) - b.hist[i];
  double us = 1e6 / double(tsc_hz());
  auto q = [&](double f) {
    uint64_t want = uint64_t(double(n) * f), seen = 0;
    for (int i = 0; i < LoopTime::kBuckets; i++)
      if ((seen += h[i]) > want) return double(LoopTime::lower(i + 1)) * us;
    return 0.0;
  };
  return {{"polls", n},          {"mean_us", n ? double(lt.sum() - b.sum) / double(n) * us : 0},
          {"p50_us", q(0.5)},    {"p99_us", q(0.99)},
          {"p999_us", q(0.999)}, {"max_us", double(lt.max()) * us}};
}

void show_runtime(Args& a, Out& o) {
  a.end();
  auto& th = threads();
  auto& reg = Registry::get();
  nlohmann::json arr = nlohmann::json::array();
  for (uint32_t t = 0; t < th.size(); t++) {
    Thread& T = th.at(t);
    auto info = th.info()[t];
    o.line("Thread {} {} (core {})", t, info.name, info.core);
    o.line("{:<28}{:>14}{:>16}{:>14}{:>14}", "Name", "Calls", "Vectors", "Clocks/pkt", "Vectors/Call");
    nlohmann::json nodes = nlohmann::json::array();
    for (auto& d : reg.nodes()) {
      NodeRt& r = T.node(d->id);
      auto& b = g_rt_base[{t, d->id}];
      uint64_t calls = cread(r.calls) - b.calls, vec = cread(r.vectors) - b.vectors, clk = cread(r.clocks) - b.clocks;
      if (!calls) continue;
      double cpp = vec ? double(clk) / double(vec) : 0, vpc = double(vec) / double(calls);
      o.line("{:<28}{:>14}{:>16}{:>14.2f}{:>14.2f}", d->name, calls, vec, cpp, vpc);
      nodes.push_back({{"name", d->name},
                       {"calls", calls},
                       {"vectors", vec},
                       {"clocks", clk},
                       {"clocks_per_packet", cpp},
                       {"vectors_per_call", vpc}});
    }
    auto lt = loop_stats(t);
    if (lt["polls"].get<uint64_t>())
      o.line("poll loop gaps (us): p50 {:.1f}  p99 {:.1f}  p99.9 {:.1f}  max {:.1f}  over {} polls",
             lt["p50_us"].get<double>(), lt["p99_us"].get<double>(), lt["p999_us"].get<double>(),
             lt["max_us"].get<double>(), lt["polls"].get<uint64_t>());
    arr.push_back({{"thread", t},
                   {"name", info.name},
                   {"core", info.core},
                   {"loops", T.loops()},
                   {"loop_time", lt},
                   {"nodes", nodes}});
  }
  if (o.json) o.j = {{"tsc_hz", tsc_hz()}, {"threads", arr}};
}

void clear_runtime(Args& a, Out&) {
  a.end();
  auto& th = threads();
  for (uint32_t t = 0; t < th.size(); t++) {
    for (auto& d : Registry::get().nodes()) {
      NodeRt& r = th.at(t).node(d->id);
      g_rt_base[{t, d->id}] = {cread(r.calls), cread(r.vectors), cread(r.clocks)};
    }
    LoopTime& lt = th.at(t).loop_time();
    LoopBase& b = g_loop_base[t];
    for (int i = 0; i < LoopTime::kBuckets; i++) b.hist[i] = lt.count(i);
    b.sum = lt.sum();
    lt.clear_max();
  }
}

uint64_t error_total(uint16_t id) {
  uint64_t s = 0;
  for (uint32_t t = 0; t < threads().size(); t++) s += threads().at(t).error_count(id);
  return s;
}

void show_errors(Args& a, Out& o) {
  a.end();
  auto& reg = Registry::get();
  nlohmann::json arr = nlohmann::json::array();
  o.line("{:>12}  {:<28}{}", "Count", "Node", "Reason");
  for (size_t id = 0; id < reg.errors().size(); id++) {
    uint64_t v = error_total(uint16_t(id)) - g_err_base[uint16_t(id)];
    if (!v) continue;
    auto& e = reg.errors()[id];
    o.line("{:>12}  {:<28}{}", v, reg.nodes()[e.node]->name, e.reason);
    arr.push_back({{"count", v}, {"node", reg.nodes()[e.node]->name}, {"reason", e.reason}});
  }
  if (o.json) o.j = arr;
}

void trace_add(Args& a, Out&) {
  auto name = a.word("input node");
  const NodeDef* d = Registry::get().find(name);
  if (!d) fail("unknown node '{}'", name);
  if (!d->input) fail("'{}' is not an input node (try af-packet-input, af-xdp-input, tap-input, pg-input...)", name);
  int32_t n = int32_t(a.num("count", 100000));
  a.end();
  for (uint32_t t = 0; t < threads().size(); t++) {
    auto& b = threads().at(t).node(d->id).trace_budget;
    b.store(b.load() + n);
  }
}

void show_trace(Args& a, Out& o) {
  a.end();
  auto& reg = Registry::get();
  nlohmann::json arr = nlohmann::json::array();
  double hz = double(tsc_hz());
  for (uint32_t t = 0; t < threads().size(); t++) {
    TraceBuf& tb = threads().at(t).trace_buf();
    uint32_t n = tb.size();
    if (!n) continue;
    o.line("------------------- Start of thread {} -------------------", t);
    // Group the records by packet, in order of first appearance.
    std::vector<uint32_t> order;
    std::map<uint32_t, std::vector<uint32_t>> by;
    for (uint32_t i = 0; i < n; i++) {
      if (!by.count(tb[i].id)) order.push_back(tb[i].id);
      by[tb[i].id].push_back(i);
    }
    for (uint32_t id : order) {
      o.line("Packet {}", id & 0xffffff);
      nlohmann::json recs = nlohmann::json::array();
      for (uint32_t i : by[id]) {
        const TraceRec& r = tb[i];
        double secs = double(r.tsc) / hz;
        o.line("{:02}:{:02}:{:02}:{:06}: {}", int(secs / 3600) % 24, int(secs / 60) % 60, int(secs) % 60,
               int((secs - double(int64_t(secs))) * 1e6), reg.nodes()[r.node]->name);
        o.line("  {}", std::string(r.text, r.len));
        recs.push_back({{"node", reg.nodes()[r.node]->name}, {"text", std::string(r.text, r.len)}});
      }
      o.line("");
      arr.push_back({{"thread", t}, {"packet", id & 0xffffff}, {"nodes", recs}});
    }
  }
  if (arr.empty()) o.line("No packets in trace buffer");
  if (o.json) o.j = arr;
}

void clear_trace(Args& a, Out&) {
  a.end();
  auto& reg = Registry::get();
  for (uint32_t t = 0; t < threads().size(); t++)
    for (auto& d : reg.nodes())
      if (d->input) threads().at(t).node(d->id).trace_budget.store(0);
  rcu().synchronize();  // nobody is appending any more
  for (uint32_t t = 0; t < threads().size(); t++) threads().at(t).trace_buf().reset();
}

CliRegistration cmds[] = {
    {{"show runtime", "show runtime", "per-node calls, vectors, clocks/packet, vectors/call, per thread",
      show_runtime}},
    {{"clear runtime", "clear runtime", "zero the runtime counters", clear_runtime}},
    {{"show errors", "show errors", "drop and error counters with their reasons", show_errors}},
    {{"clear errors", "clear errors", "zero the error counters",
      [](Args& a, Out&) {
        a.end();
        for (size_t id = 0; id < Registry::get().errors().size(); id++)
          g_err_base[uint16_t(id)] = error_total(uint16_t(id));
      }}},
    {{"trace add", "trace add <input-node> <count>", "trace the next <count> packets from an input node", trace_add}},
    {{"show trace", "show trace", "the path of traced packets through the graph", show_trace}},
    {{"clear trace", "clear trace", "stop tracing and empty the trace buffers", clear_trace}},
    {{"show threads", "show threads", "main thread and workers",
      [](Args& a, Out& o) {
        a.end();
        nlohmann::json arr = nlohmann::json::array();
        o.line("{:<4}{:<16}{:<10}{:>6}", "ID", "Name", "Type", "Core");
        for (auto& i : threads().info()) {
          const char* type = i.index == 0 ? (threads().single() ? "main+fwd" : "main") : "worker";
          o.line("{:<4}{:<16}{:<10}{:>6}", i.index, i.name, type, i.core);
          arr.push_back({{"id", i.index}, {"name", i.name}, {"type", type}, {"core", i.core}, {"tid", i.tid}});
        }
        if (o.json) o.j = arr;
      }}},
    {{"show buffers", "show buffers", "packet buffer pool",
      [](Args& a, Out& o) {
        a.end();
        auto& e = eal();
        unsigned avail = rte_mempool_avail_count(e.pool), used = rte_mempool_in_use_count(e.pool);
        o.line("{:<12}{:>10}{:>10}{:>10}{:>10}  {}", "Pool", "Size", "Avail", "In use", "Buf size", "Memory");
        o.line("{:<12}{:>10}{:>10}{:>10}{:>10}  {}", e.pool->name, e.buffers, avail, used, e.pool->elt_size,
               e.hugepages ? "hugepages" : "ordinary (no hugepages)");
        if (o.json)
          o.j = {{"pool", e.pool->name},
                 {"size", e.buffers},
                 {"available", avail},
                 {"in_use", used},
                 {"buffer_size", e.pool->elt_size},
                 {"hugepages", e.hugepages}};
      }}},
    {{"show version", "show version", "vplane version",
      [](Args& a, Out& o) {
        a.end();
        o.line("vplane {}", VPLANE_VERSION);
        if (o.json) o.j = {{"version", VPLANE_VERSION}};
      }}},
    {{"set vector-size", "set vector-size <1-256>", "maximum packets per vector (frame)",
      [](Args& a, Out&) {
        uint32_t v = uint32_t(a.num("vector size", 256));
        a.end();
        threads().set_vector_size(v);
      }}},
    {{"set polling idle-sleep", "set polling idle-sleep <max-us>",
      "adaptive polling: longest sleep of an idle thread (0 = busy poll)",
      [](Args& a, Out&) {
        uint32_t v = uint32_t(a.num("microseconds", 1000000));
        a.end();
        threads().set_idle_sleep(v);
      }}},
};

RunningConfigRegistration rc{1, [](std::vector<std::string>& out) {
                               auto& th = threads();
                               if (th.at(0).vsize() != kDefaultVectorSize)
                                 out.push_back(fmt::format("set vector-size {}", th.at(0).vsize()));
                               if (th.idle_sleep() != th.idle_sleep_configured())
                                 out.push_back(fmt::format("set polling idle-sleep {}", th.idle_sleep()));
                             }};

}  // namespace
}  // namespace vp
