// show security flow session, clear security flow session, show security
// flow statistics: the sessions of every worker, in Junos' shape.
//
// `show` reads the workers' tables from the main thread while they run: a
// session changing under the read may show half-updated counters, never a
// wrong session (the slot is copied, then its in-use flag checked).
// `clear` is run by each table's own worker (fw-timer): the main thread
// posts the filter and waits for every worker to answer.
#include <fmt/format.h>

#include <chrono>
#include <thread>

#include "control/cli.hpp"
#include "features/fw/fw_names.hpp"
#include "features/fw/fw_runtime.hpp"
#include "features/fw/fw_state.hpp"
#include "graph/registry.hpp"
#include "graph/threads.hpp"
#include "infra/error.hpp"

namespace vp::fw {

namespace {

int parse_proto(const std::string& w) {
  for (int p : {int(IPPROTO_TCP), int(IPPROTO_UDP), int(IPPROTO_ICMP), int(IPPROTO_ICMPV6)})
    if (w == proto_name(uint8_t(p))) return p;
  return int(parse_uint(w, 255, "protocol (tcp, udp, icmp, icmp6 or a number)"));
}

ClearFilter parse_filter(Args& a, bool& summary) {
  ClearFilter f;
  summary = false;
  while (!a.done()) {
    if (a.accept("source-prefix")) {
      f.src = parse_prefix(a.word("prefix")).masked();
      f.has_src = true;
    } else if (a.accept("destination-prefix")) {
      f.dst = parse_prefix(a.word("prefix")).masked();
      f.has_dst = true;
    } else if (a.accept("protocol")) {
      f.proto = parse_proto(a.word("protocol"));
    } else if (a.accept("destination-port")) {
      f.dport = int(a.num("destination-port", 65535));
    } else if (a.accept("zone")) {
      const std::string z = a.word("zone");
      f.zone = config().zone_id(z);
      if (f.zone == kNoZone) fail("no zone '{}': see show security zones", z);
    } else if (a.accept("summary")) {
      summary = true;
    } else if (a.accept("all")) {
      // Everything: the same as no filter.
    } else {
      fail("unknown word '{}': expected source-prefix, destination-prefix, protocol, destination-port, zone{}",
           a.peek(), " or summary");
    }
  }
  f.all = !f.has_src && !f.has_dst && f.proto < 0 && f.dport < 0 && f.zone == kNoZone;
  return f;
}

std::string endpoint(const IpAddr& a, uint16_t port_be) {
  const uint16_t port = rte_be_to_cpu_16(port_be);
  return fmt::format("{}/{}", a.str(), port);
}

void show_sessions(Args& a, Out& o) {
  bool summary;
  const ClearFilter f = parse_filter(a, summary);
  nlohmann::json arr = nlohmann::json::array();
  std::map<uint32_t, std::string> policies;  // names looked up once per show
  uint64_t total = 0, by_proto[256] = {};
  for (uint32_t t : threads().forwarding()) {
    FwWorker* w = g_fw_worker[t].load();
    if (!w) continue;
    const SessionTable& tab = *w->table;
    for (uint32_t i = 0; i < tab.capacity(); i++) {
      const Session s = tab.at(i);
      if (!(s.flags & Session::kInUse) || !clear_matches(f, s)) continue;
      total++;
      by_proto[s.key.proto]++;
      if (summary) continue;
      const uint8_t ini = s.init_side(), rsp = ini ^ 1;
      const IpAddr ia = session_addr(s.key.addr[ini]), ra = session_addr(s.key.addr[rsp]);
      const uint64_t id = uint64_t(t) << 32 | i;
      const uint32_t timeout = tab.timeouts().s[s.tclass];
      const uint32_t left = s.last_seen + timeout > w->now ? s.last_seen + timeout - w->now : 0;
      const char* pn = proto_name(s.key.proto);
      const std::string proto = pn ? pn : std::to_string(s.key.proto);
      auto pit = policies.find(s.policy);
      if (pit == policies.end()) pit = policies.emplace(s.policy, policy_name(s.policy)).first;
      const std::string& policy = pit->second;
      const std::string state = s.key.proto == IPPROTO_TCP ? tcp_state_name(s.state) : "valid";
      o.line("Session ID: {}, Policy name: {}/{}, State: {}, Timeout: {}", id, policy, s.policy, state, left);
      o.line("  In: {} --> {};{}, Zone: {}, Pkts: {}, Bytes: {}", endpoint(ia, s.key.port[ini]),
             endpoint(ra, s.key.port[rsp]), proto, zone_name(s.zone[0]), s.packets[0], s.bytes[0]);
      o.line("  Out: {} --> {};{}, Zone: {}, Pkts: {}, Bytes: {}", endpoint(ra, s.key.port[rsp]),
             endpoint(ia, s.key.port[ini]), proto, zone_name(s.zone[1]), s.packets[1], s.bytes[1]);
      arr.push_back({{"id", id},
                     {"worker", t},
                     {"policy", policy},
                     {"policy_id", s.policy},
                     {"state", state},
                     {"timeout", left},
                     {"protocol", proto},
                     {"vrf", s.key.vrf},
                     {"source", ia.str()},
                     {"source_port", rte_be_to_cpu_16(s.key.port[ini])},
                     {"destination", ra.str()},
                     {"destination_port", rte_be_to_cpu_16(s.key.port[rsp])},
                     {"from_zone", zone_name(s.zone[0])},
                     {"to_zone", zone_name(s.zone[1])},
                     {"packets_in", s.packets[0]},
                     {"bytes_in", s.bytes[0]},
                     {"packets_out", s.packets[1]},
                     {"bytes_out", s.bytes[1]}});
    }
  }
  nlohmann::json protos = nlohmann::json::object();
  for (int p = 0; p < 256; p++)
    if (by_proto[p]) {
      const char* pn = proto_name(uint8_t(p));
      const std::string name = pn ? pn : std::to_string(p);
      protos[name] = by_proto[p];
      if (summary) o.line("{}: {}", name, by_proto[p]);
    }
  o.line("Total sessions: {}", total);
  if (o.json) o.j = summary ? nlohmann::json{{"total", total}, {"protocols", protos}}
                            : nlohmann::json{{"sessions", arr}, {"total", total}};
}

void clear_sessions(Args& a, Out& o) {
  bool summary;
  const ClearFilter f = parse_filter(a, summary);
  if (summary) fail("clear security flow session takes no 'summary'");
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
  o.line("{} sessions cleared", n);
  if (o.json) o.j = {{"cleared", n}};
}

void show_statistics(Args& a, Out& o) {
  a.end();
  FwCounters sum{};
  uint64_t current = 0, capacity = 0;
  for (uint32_t t : threads().forwarding()) {
    FwWorker* w = g_fw_worker[t].load();
    if (!w) continue;
    current += w->table->size();
    capacity += w->table->capacity();
    sum.created += cread(w->c.created);
    sum.closed_timeout += cread(w->c.closed_timeout);
    sum.closed_tcp += cread(w->c.closed_tcp);
    sum.closed_policy += cread(w->c.closed_policy);
    sum.closed_clear += cread(w->c.closed_clear);
    sum.early_aged += cread(w->c.early_aged);
    sum.host_out += cread(w->c.host_out);
  }
  nlohmann::json j = {{"sessions", current},
                      {"capacity", capacity},
                      {"created", sum.created},
                      {"closed_timeout", sum.closed_timeout},
                      {"closed_tcp", sum.closed_tcp},
                      {"closed_policy", sum.closed_policy},
                      {"closed_clear", sum.closed_clear},
                      {"early_aged", sum.early_aged},
                      {"host_sessions", sum.host_out}};
  o.line("Current sessions: {} (capacity {})", current, capacity);
  o.line("Sessions created: {} (by the router itself: {})", sum.created, sum.host_out);
  o.line("Sessions closed: timeout {}, TCP close or reopen {}, policy change {}, cleared {}, early ageout {}",
         sum.closed_timeout, sum.closed_tcp, sum.closed_policy, sum.closed_clear, sum.early_aged);
  // Every reason the firewall's nodes count, summed over the threads.
  const auto& reg = Registry::get();
  nlohmann::json reasons = nlohmann::json::array();
  for (size_t id = 0; id < reg.errors().size(); id++) {
    const auto& e = reg.errors()[id];
    const std::string& node = reg.nodes()[e.node]->name;
    if (node.rfind("fw-", 0) != 0) continue;
    uint64_t v = 0;
    for (uint32_t t = 0; t < threads().size(); t++) v += threads().at(t).error_count(uint16_t(id));
    if (!v) continue;
    o.line("{:>12}  {:<14}{}", v, node, e.reason);
    reasons.push_back({{"node", node}, {"reason", e.reason}, {"count", v}});
  }
  j["counters"] = reasons;
  const LogStats ls = log_stats();
  o.line("Flow logs: {} sent, {} dropped by the rate limit, {} lost (ring full), {} send errors", ls.sent,
         ls.rate_dropped, ls.lost, ls.send_errors);
  j["log"] = {{"sent", ls.sent}, {"rate_dropped", ls.rate_dropped}, {"lost", ls.lost}, {"send_errors", ls.send_errors}};
  if (o.json) o.j = j;
}

CliRegistration cmds[] = {
    {{"show security flow session",
      "show security flow session [source-prefix <p>] [destination-prefix <p>] [protocol <name>] "
      "[destination-port <n>] [zone <z>] [summary]",
      "firewall sessions", show_sessions}},
    {{"clear security flow session",
      "clear security flow session [source-prefix <p>] [destination-prefix <p>] [protocol <name>] "
      "[destination-port <n>] [zone <z>] [all]",
      "remove firewall sessions (no filter: all)", clear_sessions}},
    {{"show security flow statistics", "show security flow statistics", "firewall session and drop counters",
      show_statistics}},
};

}  // namespace

bool clear_matches(const ClearFilter& f, const Session& s) {
  if (f.all) return true;
  const uint8_t ini = s.init_side(), rsp = ini ^ 1;
  if (f.has_src && !f.src.contains(session_addr(s.key.addr[ini]))) return false;
  if (f.has_dst && !f.dst.contains(session_addr(s.key.addr[rsp]))) return false;
  if (f.proto >= 0 && s.key.proto != f.proto) return false;
  if (f.dport >= 0 && rte_be_to_cpu_16(s.key.port[rsp]) != f.dport) return false;
  if (f.zone != kNoZone && s.zone[0] != f.zone && s.zone[1] != f.zone) return false;
  return true;
}

}  // namespace vp::fw
