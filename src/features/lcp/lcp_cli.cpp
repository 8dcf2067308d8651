// lcp create|delete, lcp default netns, show lcp (VPP's linux-cp vocabulary).
#include <fmt/format.h>

#include "control/cli.hpp"
#include "features/lcp/fpm.hpp"
#include "features/lcp/lcp.hpp"
#include "features/lcp/mirror.hpp"
#include "features/lcp/netlink.hpp"
#include "infra/error.hpp"
#include "io/interface.hpp"

namespace vp {
namespace {

void show_lcp(Args& a, Out& o) {
  a.end();
  nlohmann::json arr = nlohmann::json::array();
  o.line("lcp default netns {}", ops::lcp_default_netns().empty() ? "(vplaned's own)" : ops::lcp_default_netns());
  o.line("{:<20}{:<16}{:<16}{:<12}{:>12}{:>12}", "Interface", "Host-if", "Netns", "Mirror", "Punted", "Injected");
  for (auto& p : ops::lcp_pairs()) {
    Interface* phy = ifs().at(p.phy);
    Interface* mir = ifs().at(p.mirror);
    // Punted: what lcp-punt and ARP/ND sent to the mirror; injected: what the kernel sent.
    uint64_t punted = ifs().counters(p.mirror).tx_packets, injected = ifs().counters(p.mirror).rx_packets;
    o.line("{:<20}{:<16}{:<16}{:<12}{:>12}{:>12}", phy ? phy->name : "?", p.host_if, p.netns.empty() ? "-" : p.netns,
           mir ? mir->name : "?", punted, injected);
    arr.push_back({{"interface", phy ? phy->name : ""},
                   {"sw_if_index", p.phy},
                   {"host_if", p.host_if},
                   {"netns", p.netns},
                   {"mirror", mir ? mir->name : ""},
                   {"mirror_sw_if_index", p.mirror},
                   {"punted", punted},
                   {"injected", injected}});
  }
  // One netlink listener per namespace with mirrors.
  nlohmann::json nl = nlohmann::json::array();
  std::vector<std::string> seen;
  for (auto& p : ops::lcp_pairs()) {
    if (std::find(seen.begin(), seen.end(), p.netns) != seen.end()) continue;
    seen.push_back(p.netns);
    const NlListener* l = ops::lcp_listener(p.netns);
    if (!l) continue;
    const NlStats& s = l->stats();
    o.line(
        "netlink in {}: {} messages in {} slices, {} routes applied, {} ignored, {} not applied, {} overflows, {} "
        "resyncs",
        p.netns.empty() ? "(own)" : p.netns, s.messages, s.wakeups, s.routes, s.ignored, s.errors, s.overflows,
        s.resyncs);
    nl.push_back({{"netns", p.netns},
                  {"messages", s.messages},
                  {"routes", s.routes},
                  {"ignored", s.ignored},
                  {"errors", s.errors},
                  {"overflows", s.overflows},
                  {"resyncs", s.resyncs},
                  {"slices", s.wakeups},
                  {"busy_ms", double(s.busy_ns) / 1e6}});
  }
  // The mirrors' shared TAP ring (lcp/mirror.hpp).
  nlohmann::json ring = mirror_hub_stats();
  if (!ring.is_null())
    o.line(
        "mirror ring: {} mirrors, {} buffers; received {} ({} GSO, {} checksums completed), {} errors, {} without "
        "a buffer; sent {} GSO",
        ring["mirrors"].get<uint32_t>(), ring["buffers"].get<uint32_t>(), ring["rx"].get<uint64_t>(),
        ring["gso_rx"].get<uint64_t>(), ring["csum_completed"].get<uint64_t>(), ring["rx_errors"].get<uint64_t>(),
        ring["no_buffer"].get<uint64_t>(), ring["gso_tx"].get<uint64_t>());
  if (o.json)
    o.j = {{"default_netns", ops::lcp_default_netns()}, {"pairs", arr}, {"netlink", nl}, {"mirror_ring", ring}};
}

CliRegistration cmds[] = {
    {{"lcp create", "lcp create <if> host-if <name> [netns <ns>]",
      "mirror an interface into Linux as a TAP with its MAC, MTU and addresses",
      [](Args& a, Out&) {
        Interface& i = a.iface();
        if (!a.accept("host-if")) fail("missing host-if <name>");
        std::string host = a.word("host-if name"), ns;
        if (a.accept("netns")) ns = a.word("netns");
        a.end();
        ops::lcp_create(i.index, host, ns);
      }}},
    {{"lcp delete", "lcp delete <if>", "remove an interface's Linux mirror",
      [](Args& a, Out&) {
        Interface& i = a.iface();
        a.end();
        ops::lcp_delete(i.index);
      }}},
    {{"lcp default netns", "lcp default netns [<ns>]",
      "namespace for mirrors created without one (no name: vplaned's own)",
      [](Args& a, Out&) {
        std::string ns = a.done() ? "" : a.word("netns");
        a.end();
        ops::lcp_set_default_netns(ns);
      }}},
    {{"lcp netlink", "lcp netlink [buffer <bytes>] [batch <messages>] [delay <us>]",
      "netlink listeners: socket buffer (a burst larger than it triggers a resync), messages per main-loop turn, "
      "and how long to gather messages after the first",
      [](Args& a, Out&) {
        NlConfig c = nl_config();
        if (a.done()) fail("say buffer <bytes>, batch <messages> and/or delay <us>");
        while (!a.done()) {
          if (a.accept("buffer"))
            c.rcvbuf = uint32_t(a.num("buffer", 1u << 30));
          else if (a.accept("batch"))
            c.batch = uint32_t(a.num("batch", 1u << 20));
          else if (a.accept("delay"))
            c.delay_us = uint32_t(a.num("delay", 1000000));
          else
            a.end();
        }
        ops::lcp_set_netlink(c);
      }}},
    {{"fpm listen", "fpm listen [<ipv4>:<port>] [netns <ns>] [stale-timeout <seconds>]",
      "accept zebra's dplane_fpm_nl (default 127.0.0.1:2620 in the lcp default namespace, stale timeout 30 s)",
      [](Args& a, Out&) {
        FpmConfig c;
        c.on = true;
        c.netns = ops::lcp_default_netns();
        while (!a.done()) {
          if (a.accept("netns"))
            c.netns = a.word("netns");
          else if (a.accept("stale-timeout"))
            c.stale_s = uint32_t(a.num("stale-timeout", UINT32_MAX));
          else
            c.listen = a.word("address:port");
        }
        fpm_set(c);
      }}},
    {{"fpm disable", "fpm disable", "stop listening for zebra (routes it sent stay)",
      [](Args& a, Out&) {
        a.end();
        FpmConfig c = fpm_config();
        c.on = false;
        fpm_set(c);
      }}},
    {{"show fpm", "show fpm", "the FPM listener: address, namespace, zebra connected, messages and routes",
      [](Args& a, Out& o) {
        a.end();
        const FpmConfig& c = fpm_config();
        const FpmServer* s = fpm_server();
        FpmStats st = s ? s->stats() : FpmStats{};
        o.line("fpm {} on {}{}, stale timeout {} s, zebra {}", c.on ? "listening" : "off", c.listen,
               c.netns.empty() ? "" : " in " + c.netns, c.stale_s, s && s->connected() ? "connected" : "not connected");
        o.line(
            "{} connections, {} frames, {} messages, {} routes applied ({} delete+add pairs as one replace), {} "
            "next-hop objects, {} ignored, {} errors, {} stale routes removed; {} routes held",
            st.connections, st.frames, st.messages, st.routes, st.replaces, st.nexthops, st.ignored, st.errors,
            st.stale_removed, s ? s->routes() : 0);
        if (o.json)
          o.j = {{"on", c.on},
                 {"listen", c.listen},
                 {"netns", c.netns},
                 {"stale_timeout", c.stale_s},
                 {"connected", s && s->connected()},
                 {"connections", st.connections},
                 {"frames", st.frames},
                 {"messages", st.messages},
                 {"routes_applied", st.routes},
                 {"replaces", st.replaces},
                 {"nexthops", st.nexthops},
                 {"ignored", st.ignored},
                 {"errors", st.errors},
                 {"stale_removed", st.stale_removed},
                 {"routes", s ? s->routes() : 0},
                 {"busy_ms", double(st.busy_ns) / 1e6}};
      }}},
    {{"show lcp", "show lcp", "Linux mirrors: interface, host interface, namespace, punted and injected packets",
      show_lcp}},
};

// After interfaces and their addresses (15): a mirror copies the addresses.
RunningConfigRegistration rc{
    16, [](std::vector<std::string>& out) {
      const NlConfig& c = nl_config();
      if (c.rcvbuf != NlConfig{}.rcvbuf || c.batch != NlConfig{}.batch || c.delay_us != NlConfig{}.delay_us)
        out.push_back(fmt::format("lcp netlink buffer {} batch {} delay {}", c.rcvbuf, c.batch, c.delay_us));
      if (!ops::lcp_default_netns().empty()) out.push_back("lcp default netns " + ops::lcp_default_netns());
      if (const FpmConfig& f = fpm_config(); f.on)
        out.push_back(fmt::format("fpm listen {}{} stale-timeout {}", f.listen,
                                  f.netns.empty() ? "" : " netns " + f.netns, f.stale_s));
      for (auto& p : ops::lcp_pairs()) {
        Interface* phy = ifs().at(p.phy);
        if (!phy) continue;
        std::string l = fmt::format("lcp create {} host-if {}", phy->name, p.host_if);
        if (p.netns != ops::lcp_default_netns()) l += " netns " + p.netns;
        out.push_back(l);
      }
    }};

}  // namespace
}  // namespace vp
