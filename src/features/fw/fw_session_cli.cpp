// show security flow session, clear security flow session, show security
// flow statistics: the sessions of every worker, in Junos' shape.
//
// `show` reads the workers' tables from the main thread while they run: a
// session changing under the read may show half-updated counters, never a
// wrong session (the slot is copied, then its in-use flag checked).
// `clear` is run by each table's own worker (fw-timer): the main thread
// posts the filter and waits for every worker to answer.
#include <fmt/format.h>

#include "control/cli.hpp"
#include "features/fw/fw_names.hpp"
#include "features/fw/fw_runtime.hpp"
#include "features/fw/fw_sessions.hpp"
#include "features/fw/fw_state.hpp"
#include "features/fw/fw_words.hpp"
#include "graph/registry.hpp"
#include "graph/threads.hpp"
#include "infra/error.hpp"

namespace vp::fw {

namespace {

int parse_proto(const std::string& w) {
  if (auto p = ip_proto_of(w)) return *p;
  fail("unknown protocol '{}': expected tcp, udp, icmp, icmp6 or a number up to 255", w);
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

void show_sessions(Args& a, Out& o) {
  bool summary;
  const ClearFilter f = parse_filter(a, summary);
  nlohmann::json arr = nlohmann::json::array();
  std::map<uint32_t, std::string> policies;  // names looked up once per show
  uint64_t total = 0, by_proto[256] = {};
  visit_sessions(f, 0, [&](const SessionView& v) {
    total++;
    by_proto[v.proto]++;
    if (summary) return true;
    const std::string proto = ip_proto_name(v.proto);
    auto pit = policies.find(v.policy);
    if (pit == policies.end()) pit = policies.emplace(v.policy, policy_name(v.policy)).first;
    const std::string& policy = pit->second;
    const std::string from = zone_name(v.zone[0]), to = zone_name(v.zone[1]);
    o.line("Session ID: {}, Policy name: {}/{}, State: {}, Timeout: {}", v.id, policy, v.policy, v.state,
           v.timeout_left);
    o.line("  In: {}/{} --> {}/{};{}, Zone: {}, Pkts: {}, Bytes: {}", v.src.str(), v.sport, v.dst.str(), v.dport, proto,
           from, v.packets[0], v.bytes[0]);
    // The reply as it arrives: from the translated responder to the
    // translated initiator, as Junos shows a NAT session's reverse wing.
    if (v.nat)
      o.line("  Out: {}/{} --> {}/{};{}, Zone: {}, Pkts: {}, Bytes: {}", v.xdst.str(), v.xdport, v.xsrc.str(), v.xsport,
             proto, to, v.packets[1], v.bytes[1]);
    else
      o.line("  Out: {}/{} --> {}/{};{}, Zone: {}, Pkts: {}, Bytes: {}", v.dst.str(), v.dport, v.src.str(), v.sport,
             proto, to, v.packets[1], v.bytes[1]);
    arr.push_back({{"id", v.id},
                   {"worker", v.worker},
                   {"policy", policy},
                   {"policy_id", v.policy},
                   {"state", v.state},
                   {"timeout", v.timeout_left},
                   {"protocol", proto},
                   {"vrf", v.vrf},
                   {"source", v.src.str()},
                   {"source_port", v.sport},
                   {"destination", v.dst.str()},
                   {"destination_port", v.dport},
                   {"from_zone", from},
                   {"to_zone", to},
                   {"packets_in", v.packets[0]},
                   {"bytes_in", v.bytes[0]},
                   {"packets_out", v.packets[1]},
                   {"bytes_out", v.bytes[1]}});
    if (v.nat)
      arr.back()["translated"] = {{"source", v.xsrc.str()},
                                  {"source_port", v.xsport},
                                  {"destination", v.xdst.str()},
                                  {"destination_port", v.xdport}};
    return true;
  });
  nlohmann::json protos = nlohmann::json::object();
  for (int p = 0; p < 256; p++)
    if (by_proto[p]) {
      const std::string name = ip_proto_name(uint8_t(p));
      protos[name] = by_proto[p];
      if (summary) o.line("{}: {}", name, by_proto[p]);
    }
  o.line("Total sessions: {}", total);
  if (o.json)
    o.j = summary ? nlohmann::json{{"total", total}, {"protocols", protos}}
                  : nlohmann::json{{"sessions", arr}, {"total", total}};
}

void clear_sessions_cmd(Args& a, Out& o) {
  bool summary;
  const ClearFilter f = parse_filter(a, summary);
  if (summary) fail("clear security flow session takes no 'summary'");
  const uint64_t n = clear_sessions(f);
  o.line("{} sessions cleared", n);
  if (o.json) o.j = {{"cleared", n}};
}

void show_statistics(Args& a, Out& o) {
  a.end();
  const FlowTotals ft = flow_totals();
  const FwCounters& c = ft.c;
  nlohmann::json j = {{"sessions", ft.sessions},        {"capacity", ft.capacity},
                      {"created", c.created},           {"closed_timeout", c.closed_timeout},
                      {"closed_tcp", c.closed_tcp},     {"closed_policy", c.closed_policy},
                      {"closed_clear", c.closed_clear}, {"early_aged", c.early_aged},
                      {"host_sessions", c.host_out}};
  o.line("Current sessions: {} (capacity {})", ft.sessions, ft.capacity);
  o.line("Sessions created: {} (by the router itself: {})", c.created, c.host_out);
  o.line("Sessions closed: timeout {}, TCP close or reopen {}, policy change {}, cleared {}, early ageout {}",
         c.closed_timeout, c.closed_tcp, c.closed_policy, c.closed_clear, c.early_aged);
  nlohmann::json reasons = nlohmann::json::array();
  for (auto& [node, reason, v] : node_counters()) {
    o.line("{:>12}  {:<14}{}", v, node, reason);
    reasons.push_back({{"node", node}, {"reason", reason}, {"count", v}});
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
      "remove firewall sessions (no filter: all)", clear_sessions_cmd}},
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
