// The firewall's configuration commands in Junos' words (set/delete/insert
// security ..., set/delete applications ...), parsed into the typed
// operations of fw_ops.hpp; show security zones and show security policies;
// and the firewall's part of show running-config.
//
// A command is registered by its first words; the rest is a small grammar
// read here word by word. A word it does not know is a one-line error naming
// it and listing what could have been there, and nothing changes: each line
// builds the object it changes aside and hands it to one operation.
#include <fmt/format.h>

#include <algorithm>
#include <functional>

#include "control/cli.hpp"
#include "features/fw/fw_ops.hpp"
#include "features/fw/fw_runtime.hpp"
#include "features/fw/fw_words.hpp"
#include "infra/error.hpp"

namespace vp::fw {

namespace {

using Words = std::vector<std::string_view>;

std::string list_words(const Words& w) {
  std::string s;
  for (size_t i = 0; i < w.size(); i++) s += fmt::format("{}{}", i == 0 ? "" : i + 1 == w.size() ? " or " : ", ", w[i]);
  return s;
}

[[noreturn]] void expected(const Args& a, const Words& w) {
  const auto& t = a.tokens();
  std::string before = fmt::format("{}", fmt::join(t.begin(), t.begin() + long(a.pos()), " "));
  if (a.done()) fail("'{}' is incomplete: expected {}", before, list_words(w));
  fail("unknown word '{}' after '{}': expected {}", a.peek(), before, list_words(w));
}

// Which of `words` w is, exactly or as a unique abbreviation (as command
// words are matched); -1 when none or several.
int match_word(std::string_view w, const Words& words) {
  int found = -1, n = 0;
  for (size_t i = 0; i < words.size(); i++) {
    if (words[i] == w) return int(i);
    if (!w.empty() && words[i].starts_with(w)) {
      found = int(i);
      n++;
    }
  }
  return n == 1 ? found : -1;
}

// The next word of the grammar: its index in `words`.
size_t keyword(Args& a, const Words& words) {
  int k = a.done() ? -1 : match_word(a.peek(), words);
  if (k < 0) expected(a, words);
  a.word("");
  return size_t(k);
}

// "[ a b c ]" or one value, as Junos takes lists.
std::vector<std::string> values(Args& a, std::string_view what) {
  if (!a.accept("[")) return {a.word(what)};
  std::vector<std::string> v;
  while (!a.accept("]")) v.push_back(a.word(fmt::format("{} or ']'", what)));
  if (v.empty()) fail("empty [ ] list of {}", what);
  return v;
}

template <class T, size_t N>
Words names(const Named<T> (&t)[N]) {
  Words w;
  for (auto& e : t) w.push_back(e.name);
  return w;
}

// The names of the bits set, or only "all" when every one is.
template <size_t N>
std::vector<std::string> bit_names(uint32_t bits, const Named<uint32_t> (&t)[N]) {
  if (bits == t[N - 1].value) return {"all"};
  std::vector<std::string> v;
  for (size_t i = 0; i + 1 < N; i++)
    if (bits & t[i].value) v.push_back(t[i].name);
  return v;
}

uint8_t parse_proto(Args& a) {
  std::string w = a.word("protocol");
  if (auto p = ip_proto_of(w)) return *p;
  fail("unknown protocol '{}': expected {} or a number up to 255", w, list_words(names(kIpProtos)));
}

// "p" or "p-q".
std::pair<uint16_t, uint16_t> parse_ports(const std::string& w) {
  auto dash = w.find('-');
  uint16_t lo = uint16_t(parse_uint(w.substr(0, dash), 65535, "port"));
  uint16_t hi = dash == std::string::npos ? lo : uint16_t(parse_uint(w.substr(dash + 1), 65535, "port"));
  return {lo, hi};
}

std::string ports_text(uint16_t lo, uint16_t hi) {
  return lo == hi ? std::to_string(lo) : fmt::format("{}-{}", lo, hi);
}

const ScreenOpt& parse_screen_opt(Args& a) {
  const Words groups = {"icmp", "udp", "tcp", "ip"};
  std::string_view g = groups[keyword(a, groups)];
  std::vector<const ScreenOpt*> opts;
  Words words;
  for (auto& o : kScreenOpts)
    if (o.group == g) {
      opts.push_back(&o);
      words.push_back(o.word);
    }
  return *opts[keyword(a, words)];
}

// ---- zones

void zone_attr(Args& a, Zone& z, const std::string& name, bool del) {
  switch (keyword(a, {"interfaces", "host-inbound-traffic", "screen"})) {
    case 0: {
      std::string i = a.word("interface name");
      if (!del) {
        z.interfaces.insert(i);
      } else if (!z.interfaces.erase(i)) {
        fail("interface {} is not in zone {}", i, name);
      }
      break;
    }
    case 1: {
      if (del && a.done()) {
        z.services = z.protocols = 0;
        break;
      }
      bool svc = keyword(a, {"system-services", "protocols"}) == 0;
      uint32_t& bits = svc ? z.services : z.protocols;
      uint32_t b = del && a.done() ? ~0u
                   : svc           ? kServices[keyword(a, names(kServices))].value
                                   : kProtocols[keyword(a, names(kProtocols))].value;
      bits = del ? bits & ~b : bits | b;
      break;
    }
    default: {
      if (del && z.screen.empty()) fail("zone {} has no screen", name);
      std::string p = del && a.done() ? z.screen : a.word("screen ids-option name");
      if (del && p != z.screen) fail("zone {} has screen {}, not {}", name, z.screen, p);
      z.screen = del ? "" : p;
    }
  }
  a.end();
  set_zone(name, z);
}

void zones_cmd(Args& a, bool del) {
  keyword(a, {"security-zone"});
  std::string name = a.word("zone name");
  auto it = config().zones.find(name);
  if (del && it == config().zones.end()) fail("no security zone '{}'", name);
  Zone z = it == config().zones.end() ? Zone{} : it->second;
  if (a.done()) return del ? delete_zone(name) : set_zone(name, z);
  zone_attr(a, z, name, del);
}

// ---- address book

Address parse_address(Args& a) {
  Address ad;
  if (match_word(a.peek(), {"range-address"}) == 0) {
    a.word("");
    ad.is_range = true;
    ad.lo = parse_ip(a.word("first address"));
    keyword(a, {"to"});
    ad.hi = parse_ip(a.word("last address"));
    return ad;
  }
  std::string w = a.word("prefix or range-address");
  if (w.find('/') != std::string::npos) {
    ad.prefix = parse_prefix(w);
  } else {
    ad.prefix.addr = parse_ip(w);
    ad.prefix.len = ad.prefix.addr.v6 ? 128 : 32;
  }
  return ad;
}

// "<set> [<elem> <name> | <elem>-set <name>]" for address and application
// sets: adds (or removes) one member, or creates (deletes) the set.
template <class Sets>
void set_member_cmd(Args& a, const Sets& sets, std::string_view elem, bool del,
                    const std::function<void(const std::string&, const typename Sets::mapped_type&)>& set,
                    const std::function<void(const std::string&)>& remove) {
  std::string name = a.word(fmt::format("{}-set name", elem));
  auto it = sets.find(name);
  if (del && it == sets.end()) fail("no {}-set '{}'", elem, name);
  typename Sets::mapped_type s = it == sets.end() ? typename Sets::mapped_type{} : it->second;
  if (del && a.done()) return remove(name);
  if (!a.done()) {
    std::string set_word = fmt::format("{}-set", elem);
    keyword(a, {elem, set_word});
    std::string m = a.word(fmt::format("{} name", elem));
    if (!del)
      s.members.insert(m);
    else if (!s.members.erase(m))
      fail("{}-set {} does not hold {}", elem, name, m);
  }
  a.end();
  set(name, s);
}

void address_book_cmd(Args& a, bool del) {
  keyword(a, {"global"});
  Config& c = config();
  if (keyword(a, {"address", "address-set"}) == 1)
    return set_member_cmd(a, c.address_sets, "address", del, set_address_set, delete_address_set);
  std::string name = a.word("address name");
  if (del) {
    a.end();
    return delete_address(name);
  }
  Address ad = parse_address(a);
  a.end();
  set_address(name, ad);
}

// ---- applications

void application_attrs(Args& a, AppTerm& t, bool& has_proto) {
  const Words attrs = {"protocol", "source-port", "destination-port", "icmp-type", "icmp-code", "inactivity-timeout"};
  do {
    switch (keyword(a, attrs)) {
      case 0:
        t.proto = parse_proto(a);
        has_proto = true;
        break;
      case 1:
        std::tie(t.sport_lo, t.sport_hi) = parse_ports(a.word("source port or range"));
        break;
      case 2:
        std::tie(t.dport_lo, t.dport_hi) = parse_ports(a.word("destination port or range"));
        break;
      case 3:
        t.icmp_type = int16_t(a.num("icmp-type", 255));
        break;
      case 4:
        t.icmp_code = int16_t(a.num("icmp-code", 255));
        break;
      default:
        t.inactivity_timeout = uint32_t(a.num("inactivity-timeout", UINT32_MAX));
    }
  } while (!a.done());
}

void applications_cmd(Args& a, bool del) {
  Config& c = config();
  if (keyword(a, {"application", "application-set"}) == 1)
    return set_member_cmd(a, c.application_sets, "application", del, set_application_set, delete_application_set);
  std::string name = a.word("application name");
  auto it = c.applications.find(name);
  if (del && it == c.applications.end()) fail("no application '{}'", name);
  Application app = it == c.applications.end() ? Application{} : it->second;
  std::string term;
  bool has_term = !a.done() && match_word(a.peek(), {"term"}) == 0;
  if (has_term) {
    a.word("");
    term = a.word("term name");
  }
  if (del) {
    a.end();
    if (!has_term) return delete_application(name);
    if (!app.terms.erase(term)) fail("application {} has no term {}", name, term);
    return app.terms.empty() ? delete_application(name) : set_application(name, app);
  }
  bool has_proto = app.terms.count(term);
  application_attrs(a, app.terms[term], has_proto);
  if (!has_proto) fail("application {}: a new term needs protocol <tcp|udp|icmp|icmp6|N>", name);
  set_application(name, app);
}

// ---- policies

// "from-zone <a> to-zone <b>" | "global"; default-policy when `with_default`
// is set and that is what follows (nullopt then, with `is_default` set).
PolicyScope parse_scope(Args& a, bool with_default, bool& is_default) {
  Words w = {"from-zone", "global"};
  if (with_default) w.push_back("default-policy");
  size_t k = keyword(a, w);
  is_default = k == 2;
  if (k != 0) return std::nullopt;
  ZonePair p;
  p.from = a.word("from-zone name");
  keyword(a, {"to-zone"});
  p.to = a.word("to-zone name");
  return p;
}

const Words kMatchFields = {"source-address", "destination-address", "application"};

template <class P>
auto& field(P& p, size_t k) {
  return k == 0 ? p.src : k == 1 ? p.dst : p.app;
}

// match <field> <values> [<field> <values>...] | then <action|log ...|count>,
// each as often as given: adds to the policy, or removes from it.
void policy_clauses(Args& a, Policy& p, bool del) {
  while (!a.done()) {
    if (keyword(a, {"match", "then"}) == 0) {
      do {
        size_t k = keyword(a, kMatchFields);
        auto& f = field(p, k);
        for (auto& v : values(a, fmt::format("{} name or any", kMatchFields[k]))) {
          auto at = std::find(f.begin(), f.end(), v);
          if (!del && at == f.end()) f.push_back(v);
          if (del && at == f.end()) fail("policy {} has no {} {}", p.name, kMatchFields[k], v);
          if (del) f.erase(at);
        }
      } while (!a.done() && match_word(a.peek(), kMatchFields) >= 0);
      continue;
    }
    Words w = names(kActions);
    w.insert(w.end(), {"log", "count"});
    size_t k = keyword(a, w);
    if (k < 3) {
      if (del && p.action != kActions[k].value) fail("policy {} has no then {}", p.name, kActions[k].name);
      p.action = del ? Action::kNone : kActions[k].value;
    } else if (k == 4) {
      if (del && !p.count) fail("policy {} has no then count", p.name);
      p.count = !del;
    } else {
      const Words logs = {"session-init", "session-close"};
      do {
        size_t l = keyword(a, logs);
        bool& flag = l == 0 ? p.log_init : p.log_close;
        if (del && !flag) fail("policy {} has no then log {}", p.name, logs[l]);
        flag = !del;
      } while (!a.done() && match_word(a.peek(), logs) >= 0);
    }
  }
}

void policies_cmd(Args& a, bool del) {
  bool is_default = false;
  PolicyScope s = parse_scope(a, true, is_default);
  if (is_default) {
    bool permit = del ? false : keyword(a, {"deny-all", "permit-all"}) == 1;
    a.end();
    return set_default_policy(permit);
  }
  keyword(a, {"policy"});
  std::string name = a.word("policy name");
  const Policy* old = find_policy(s, name);
  if (del && a.done()) return delete_policy(s, name);
  if (del && !old) fail("no policy '{}' in {}", name, scope_text(s));
  Policy p = old ? *old : Policy{};
  p.name = name;
  policy_clauses(a, p, del);
  set_policy(s, p);
}

void insert_cmd(Args& a) {
  bool is_default = false;
  PolicyScope s = parse_scope(a, false, is_default);
  keyword(a, {"policy"});
  std::string name = a.word("policy name");
  bool after = keyword(a, {"before", "after"}) == 1;
  keyword(a, {"policy"});
  std::string ref = a.word("policy name");
  a.end();
  move_policy(s, name, ref, after);
}

// ---- flow, screens, log

void flow_cmd(Args& a, bool del) {
  FlowSettings f = config().flow;
  const FlowSettings dflt;
  if (del && a.done()) return set_flow(dflt);
  switch (keyword(a, {"timeout", "session-limit", "tcp-session", "aging"})) {
    case 0: {
      if (del && a.done()) {
        f.timeouts = dflt.timeouts;
        break;
      }
      Words w(std::begin(kTimeoutNames), std::end(kTimeoutNames));
      size_t k = keyword(a, w);
      f.timeouts.s[k] = del ? dflt.timeouts.s[k] : uint32_t(a.num("seconds", UINT32_MAX));
      break;
    }
    case 1: {
      const Words per = {"per-source"};
      if (del) {
        if (a.done())
          f.session_limit = 0;
        else
          keyword(a, per);
        f.per_source = 0;
        break;
      }
      if (a.done()) expected(a, {"<max>", "per-source"});
      if (match_word(a.peek(), per) < 0) f.session_limit = uint32_t(a.num("session-limit", UINT32_MAX));
      if (!a.done()) {
        keyword(a, per);
        f.per_source = uint32_t(a.num("per-source", UINT32_MAX));
      }
      break;
    }
    case 2:
      if (!del || !a.done()) keyword(a, {"no-syn-check"});
      f.no_syn_check = !del;
      break;
    default:
      if (del) {
        f.early = {};
        break;
      }
      do {
        switch (keyword(a, {"early-ageout", "high-watermark", "low-watermark"})) {
          case 0:
            f.early.seconds = uint32_t(a.num("early-ageout", UINT32_MAX));
            break;
          case 1:
            f.early.high = uint8_t(a.num("high-watermark", 100));
            break;
          default:
            f.early.low = uint8_t(a.num("low-watermark", 100));
        }
      } while (!a.done());
  }
  a.end();
  set_flow(f);
}

void screen_cmd(Args& a, bool del) {
  keyword(a, {"ids-option"});
  std::string name = a.word("screen ids-option name");
  auto it = config().screens.find(name);
  if (del && it == config().screens.end()) fail("no screen ids-option '{}'", name);
  Screen s = it == config().screens.end() ? Screen{} : it->second;
  if (del && a.done()) return delete_screen(name);
  if (!a.done()) {
    const ScreenOpt& o = parse_screen_opt(a);
    if (o.pps) {
      uint32_t& pps = s.*o.pps;
      if (del && !pps) fail("screen {} has no {} {}", name, o.group, o.word);
      pps = del ? 0 : o.default_pps;
      if (!del && !a.done()) {
        keyword(a, {o.threshold});
        pps = uint32_t(a.num(o.threshold, UINT32_MAX));
        if (!pps) fail("a {} of 0 would turn the screen off: delete it instead", o.threshold);
      }
    } else {
      if (del && !(s.flags & o.flag)) fail("screen {} has no {} {}", name, o.group, o.word);
      s.flags = del ? s.flags & ~o.flag : s.flags | o.flag;
    }
  }
  a.end();
  set_screen(name, s);
}

void log_cmd(Args& a, bool del) {
  keyword(a, {"stream"});
  std::string name = a.word("stream name");
  auto it = config().streams.find(name);
  if (del) {
    a.end();
    return delete_log_stream(name);
  }
  LogStream s = it == config().streams.end() ? LogStream{} : it->second;
  bool has_host = it != config().streams.end();
  do {
    if (keyword(a, {"host", "port"}) == 0) {
      s.host = parse_ip(a.word("host address"));
      has_host = true;
    } else {
      s.port = uint16_t(a.num("port", 65535));
    }
  } while (!a.done());
  if (!has_host) fail("log stream {}: a new stream needs host <ip>", name);
  set_log_stream(name, s);
}

// "set security <word>" and "delete security <word>" for a word no command
// has: the words that may follow come from the registered commands, so a
// feature that adds its own (nat) is listed too.
void unknown_after(Args& a) {
  const auto& t = a.tokens();
  Words next;
  for (auto& c : Cli::get().commands())
    if (c.words.size() > a.pos() && std::equal(c.words.begin(), c.words.begin() + long(a.pos()), t.begin(),
                                               [](auto& w, auto& tok) { return w.starts_with(tok); }))
      next.push_back(c.words[a.pos()]);
  std::sort(next.begin(), next.end());
  next.erase(std::unique(next.begin(), next.end()), next.end());
  expected(a, next);
}

// ---- show

std::string action_name(Action x) {
  for (auto& e : kActions)
    if (e.value == x) return e.name;
  return "none";
}

void show_zones(Args& a, Out& o) {
  const Config& c = config();
  std::string only = a.done() ? "" : a.word("zone name");
  a.end();
  if (!only.empty() && !c.zones.count(only)) fail("no security zone '{}'", only);
  nlohmann::json arr = nlohmann::json::array();
  for (auto& [name, z] : c.zones) {
    if (!only.empty() && name != only) continue;
    auto svcs = bit_names(z.services, kServices), protos = bit_names(z.protocols, kProtocols);
    bool screen_ok = z.screen.empty() || c.screens.count(z.screen);
    o.line("Security zone: {}", name);
    o.line("  Zone ID: {}", z.id);
    o.line("  Interfaces bound: {}", z.interfaces.size());
    o.line("  Interfaces:");
    for (auto& i : z.interfaces) o.line("    {}", i);
    o.line("  Host-inbound system-services: {}", svcs.empty() ? "none" : fmt::format("{}", fmt::join(svcs, " ")));
    o.line("  Host-inbound protocols: {}", protos.empty() ? "none" : fmt::format("{}", fmt::join(protos, " ")));
    o.line("  Screen: {}{}", z.screen.empty() ? "none" : z.screen, screen_ok ? "" : " (not defined: screens nothing)");
    arr.push_back({{"name", name},
                   {"id", z.id},
                   {"interfaces", z.interfaces},
                   {"system_services", svcs},
                   {"protocols", protos},
                   {"screen", z.screen},
                   {"screen_defined", screen_ok}});
  }
  if (o.json) o.j = arr;
}

// Why a policy matches nothing: the parts it still lacks (Policy::active).
std::string inactive_reason(const Policy& p) {
  std::vector<std::string> r;
  if (p.src.empty()) r.push_back("no source-address");
  if (p.dst.empty()) r.push_back("no destination-address");
  if (p.app.empty()) r.push_back("no application");
  if (p.action == Action::kNone) r.push_back("no then");
  return fmt::format("{}", fmt::join(r, ", "));
}

// Names shown with "(undefined)" when nothing by that name exists: that
// value matches nothing until it is defined. "none" for no value yet.
template <class Elems, class Sets>
std::vector<std::string> shown(const std::vector<std::string>& v, const Elems& elems, const Sets& sets,
                               nlohmann::json& undefined) {
  std::vector<std::string> out;
  if (v.empty()) out.push_back("none");
  for (auto& n : v) {
    bool known = n == "any" || elems.count(n) || sets.count(n);
    out.push_back(known ? n : n + " (undefined)");
    if (!known) undefined.push_back(n);
  }
  return out;
}

nlohmann::json show_policy(Out& o, const Policy& p, size_t seq) {
  const Config& c = config();
  nlohmann::json undefined = nlohmann::json::array();
  auto src = shown(p.src, c.addresses, c.address_sets, undefined);
  auto dst = shown(p.dst, c.addresses, c.address_sets, undefined);
  auto app = shown(p.app, c.applications, c.application_sets, undefined);
  std::string reason = inactive_reason(p);
  o.line("  Policy: {}, State: {}{}, Index: {}, Sequence number: {}", p.name, p.active() ? "active" : "inactive",
         p.active() ? "" : " (" + reason + ")", p.id, seq);
  o.line("    Source addresses: {}", fmt::join(src, ", "));
  o.line("    Destination addresses: {}", fmt::join(dst, ", "));
  o.line("    Applications: {}", fmt::join(app, ", "));
  std::string action = action_name(p.action);
  if (p.log_init) action += ", log session-init";
  if (p.log_close) action += ", log session-close";
  if (p.count) action += ", count";
  o.line("    Action: {}", action);
  return {{"name", p.name},
          {"id", p.id},
          {"sequence", seq},
          {"state", p.active() ? "active" : "inactive"},
          {"reason", p.active() ? "" : reason},
          {"source_addresses", p.src},
          {"destination_addresses", p.dst},
          {"applications", p.app},
          {"undefined", undefined},
          {"action", action_name(p.action)},
          {"log_session_init", p.log_init},
          {"log_session_close", p.log_close},
          {"count", p.count}};
}

void show_policies(Args& a, Out& o) {
  std::optional<ZonePair> only;
  bool hits = false;
  while (!a.done()) {
    if (keyword(a, {"from-zone", "hit-count"}) == 1) {
      hits = true;
      continue;
    }
    ZonePair p;
    p.from = a.word("from-zone name");
    keyword(a, {"to-zone"});
    p.to = a.word("to-zone name");
    only = p;
  }
  const Config& c = config();
  // Each context in evaluation order: the pairs', then the global policies.
  std::vector<std::pair<PolicyScope, const std::vector<Policy>*>> ctxs;
  for (auto& [pair, l] : c.policies)
    if (!only || pair == *only) ctxs.push_back({pair, &l});
  if (!only) ctxs.push_back({std::nullopt, &c.global});

  if (hits) {
    nlohmann::json arr = nlohmann::json::array();
    o.line(" {:<8}{:<17}{:<17}{:<24}{}", "Index", "From zone", "To zone", "Name", "Policy count");
    size_t row = 0;
    for (auto& [s, l] : ctxs)
      for (auto& p : *l) {
        std::string from = s ? s->from : "global", to = s ? s->to : "global";
        uint64_t n = policy_hits(p.id);
        o.line(" {:<8}{:<17}{:<17}{:<24}{}", ++row, from, to, p.name, n);
        arr.push_back({{"index", row}, {"from", from}, {"to", to}, {"name", p.name}, {"id", p.id}, {"count", n}});
      }
    o.line("Number of policy: {}", row);
    if (o.json) o.j = arr;
    return;
  }

  RulebaseStatus st = rulebase_status();
  if (st.current)
    o.line("Rulebase: current (generation {}, {} rules)", st.published_generation, st.rules);
  else
    o.line("Rulebase: not current yet (configuration generation {}, published {} with {} rules)", st.config_generation,
           st.published_generation, st.rules);
  o.line("Default policy: {}", c.default_permit ? "permit-all" : "deny-all");
  nlohmann::json contexts = nlohmann::json::array(), global = nlohmann::json::array();
  for (auto& [s, l] : ctxs) {
    nlohmann::json arr = nlohmann::json::array();
    if (s) {
      std::vector<std::string> missing;
      for (auto* z : {&s->from, &s->to})
        if (!c.zones.count(*z) && std::find(missing.begin(), missing.end(), *z) == missing.end()) missing.push_back(*z);
      o.line("From zone: {}, To zone: {}{}", s->from, s->to,
             missing.empty()
                 ? ""
                 : fmt::format(" (zone {} not defined: these policies match nothing)", fmt::join(missing, ", ")));
    } else if (!l->empty()) {
      o.line("Global policies:");
    }
    for (size_t i = 0; i < l->size(); i++) arr.push_back(show_policy(o, (*l)[i], i + 1));
    if (s)
      contexts.push_back({{"from", s->from}, {"to", s->to}, {"policies", arr}});
    else
      global = arr;
  }
  if (o.json)
    o.j = {{"rulebase",
            {{"current", st.current},
             {"config_generation", st.config_generation},
             {"published_generation", st.published_generation},
             {"rules", st.rules}}},
           {"default_policy", c.default_permit ? "permit-all" : "deny-all"},
           {"contexts", contexts},
           {"global", global}};
}

// ---- running configuration

// Sets after the sets they hold, so that every member exists when the
// lines are replayed.
bool predefined(const AddressSet&) { return false; }
bool predefined(const ApplicationSet& s) { return s.predefined; }

template <class Sets>
void set_lines(const Sets& sets, const std::string& head, std::string_view elem, std::vector<std::string>& out) {
  std::set<std::string> done;
  std::function<void(const std::string&)> emit = [&](const std::string& n) {
    const auto& s = sets.at(n);
    if (predefined(s) || !done.insert(n).second) return;
    for (auto& m : s.members)
      if (sets.count(m)) emit(m);
    std::string l = fmt::format("{} {}", head, n);
    if (s.members.empty()) out.push_back(l);
    for (auto& m : s.members) out.push_back(fmt::format("{} {}{} {}", l, elem, sets.count(m) ? "-set" : "", m));
  };
  for (auto& [n, s] : sets) emit(n);
}

void policy_lines(const std::string& head, const Policy& p, std::vector<std::string>& out) {
  size_t before = out.size();
  for (size_t k = 0; k < kMatchFields.size(); k++)
    for (auto& v : field(p, k)) out.push_back(fmt::format("{} match {} {}", head, kMatchFields[k], v));
  if (p.action != Action::kNone) out.push_back(fmt::format("{} then {}", head, action_name(p.action)));
  if (p.log_init) out.push_back(head + " then log session-init");
  if (p.log_close) out.push_back(head + " then log session-close");
  if (p.count) out.push_back(head + " then count");
  if (out.size() == before) out.push_back(head);
}

void running(std::vector<std::string>& out) {
  const Config& c = config();
  for (auto& [name, s] : c.screens) {
    std::string head = "set security screen ids-option " + name;
    size_t before = out.size();
    for (auto& o : kScreenOpts)
      if (o.pps ? s.*o.pps != 0 : (s.flags & o.flag) != 0)
        out.push_back(o.pps ? fmt::format("{} {} {} {} {}", head, o.group, o.word, o.threshold, s.*o.pps)
                            : fmt::format("{} {} {}", head, o.group, o.word));
    if (out.size() == before) out.push_back(head);
  }
  for (auto& [name, z] : c.zones) {
    std::string head = "set security zones security-zone " + name;
    size_t before = out.size();
    for (auto& i : z.interfaces) out.push_back(fmt::format("{} interfaces {}", head, i));
    for (auto& s : bit_names(z.services, kServices))
      out.push_back(fmt::format("{} host-inbound-traffic system-services {}", head, s));
    for (auto& p : bit_names(z.protocols, kProtocols))
      out.push_back(fmt::format("{} host-inbound-traffic protocols {}", head, p));
    if (!z.screen.empty()) out.push_back(fmt::format("{} screen {}", head, z.screen));
    if (out.size() == before) out.push_back(head);
  }
  for (auto& [name, ad] : c.addresses)
    out.push_back(ad.is_range ? fmt::format("set security address-book global address {} range-address {} to {}", name,
                                            ad.lo.str(), ad.hi.str())
                              : fmt::format("set security address-book global address {} {}", name, ad.prefix.str()));
  set_lines(c.address_sets, "set security address-book global address-set", "address", out);
  for (auto& [name, app] : c.applications) {
    if (app.predefined) continue;
    for (auto& [tn, t] : app.terms) {
      std::string l = fmt::format("set applications application {}{} protocol {}", name,
                                  tn.empty() ? "" : " term " + tn, ip_proto_name(t.proto));
      if (t.sport_lo != 0 || t.sport_hi != 65535) l += " source-port " + ports_text(t.sport_lo, t.sport_hi);
      if (t.dport_lo != 0 || t.dport_hi != 65535) l += " destination-port " + ports_text(t.dport_lo, t.dport_hi);
      if (t.icmp_type >= 0) l += fmt::format(" icmp-type {}", t.icmp_type);
      if (t.icmp_code >= 0) l += fmt::format(" icmp-code {}", t.icmp_code);
      if (t.inactivity_timeout) l += fmt::format(" inactivity-timeout {}", t.inactivity_timeout);
      out.push_back(l);
    }
  }
  set_lines(c.application_sets, "set applications application-set", "application", out);
  for (auto& [pair, l] : c.policies)
    for (auto& p : l)
      policy_lines(fmt::format("set security policies from-zone {} to-zone {} policy {}", pair.from, pair.to, p.name),
                   p, out);
  for (auto& p : c.global) policy_lines("set security policies global policy " + p.name, p, out);
  if (c.default_permit) out.push_back("set security policies default-policy permit-all");
  const FlowSettings& f = c.flow;
  const FlowSettings dflt;
  for (int k = 0; k < kTimeoutClasses; k++)
    if (f.timeouts.s[k] != dflt.timeouts.s[k])
      out.push_back(fmt::format("set security flow timeout {} {}", kTimeoutNames[k], f.timeouts.s[k]));
  if (f.session_limit || f.per_source)
    out.push_back(fmt::format("set security flow session-limit{}{}",
                              f.session_limit ? fmt::format(" {}", f.session_limit) : "",
                              f.per_source ? fmt::format(" per-source {}", f.per_source) : ""));
  if (f.no_syn_check) out.push_back("set security flow tcp-session no-syn-check");
  if (f.early.seconds)
    out.push_back(fmt::format("set security flow aging early-ageout {} high-watermark {} low-watermark {}",
                              f.early.seconds, f.early.high, f.early.low));
  for (auto& [name, s] : c.streams)
    out.push_back(fmt::format("set security log stream {} host {}{}", name, s.host.str(),
                              s.port != LogStream{}.port ? fmt::format(" port {}", s.port) : ""));
}

CliRegistration cmds[] = {
    {{"set security", "set security <word> ...", "firewall configuration (the words after it are listed on error)",
      [](Args& a, Out&) { unknown_after(a); }}},
    {{"delete security", "delete security <word> ...", "remove firewall configuration",
      [](Args& a, Out&) { unknown_after(a); }}},
    {{"set security zones",
      "set security zones security-zone <zone> [interfaces <if> | host-inbound-traffic system-services <svc> | "
      "host-inbound-traffic protocols <bgp|ospf|vrrp|all> | screen <profile>]",
      "create a zone, put an interface in it, say what may reach the router from it",
      [](Args& a, Out&) { zones_cmd(a, false); }}},
    {{"delete security zones",
      "delete security zones security-zone <zone> [interfaces <if> | host-inbound-traffic [system-services|protocols "
      "[<name>]] | screen]",
      "delete a zone (its policies stay and match nothing) or one of its settings",
      [](Args& a, Out&) { zones_cmd(a, true); }}},
    {{"set security address-book",
      "set security address-book global address <name> <prefix> | address <name> range-address <ip> to <ip> | "
      "address-set <set> [address <name> | address-set <name>]",
      "define an address, a range or an address set", [](Args& a, Out&) { address_book_cmd(a, false); }}},
    {{"delete security address-book",
      "delete security address-book global address <name> | address-set <set> [address <name>]",
      "delete an address (not while a set holds it), a set or a member",
      [](Args& a, Out&) { address_book_cmd(a, true); }}},
    {{"set applications",
      "set applications application <name> [term <t>] protocol <tcp|udp|icmp|icmp6|N> [source-port <p>[-<q>]] "
      "[destination-port <p>[-<q>]] [icmp-type <n>] [icmp-code <n>] [inactivity-timeout <s>] | application-set <set> "
      "[application <name> | application-set <name>]",
      "define an application (each line sets the attributes it names) or an application set",
      [](Args& a, Out&) { applications_cmd(a, false); }}},
    {{"delete applications",
      "delete applications application <name> [term <t>] | application-set <set> [application <name>]",
      "delete an application, a term, a set or a member", [](Args& a, Out&) { applications_cmd(a, true); }}},
    {{"set security policies",
      "set security policies from-zone <a> to-zone <b> | global policy <p> [match source-address|destination-address|"
      "application <name|any> | then permit|deny|reject|log session-init|log session-close|count] | default-policy "
      "deny-all|permit-all",
      "create a policy or add to it (active once it has a source, a destination, an application and a then)",
      [](Args& a, Out&) { policies_cmd(a, false); }}},
    {{"delete security policies",
      "delete security policies from-zone <a> to-zone <b> | global policy <p> [match <field> <name> | then <what>] | "
      "default-policy",
      "delete a policy or part of it; default-policy: back to deny-all", [](Args& a, Out&) { policies_cmd(a, true); }}},
    {{"insert security policies",
      "insert security policies from-zone <a> to-zone <b> | global policy <p> before|after policy <q>",
      "move a policy before (or after) another of the same pair", [](Args& a, Out&) { insert_cmd(a); }}},
    {{"set security flow",
      "set security flow timeout <class> <s> | session-limit [<max>] [per-source <n>] | tcp-session no-syn-check | "
      "aging early-ageout <s> high-watermark <pct> low-watermark <pct>",
      "session timeouts, limits, mid-stream pickup, early ageing", [](Args& a, Out&) { flow_cmd(a, false); }}},
    {{"delete security flow",
      "delete security flow [timeout [<class>] | session-limit [per-source] | tcp-session [no-syn-check] | aging]",
      "back to the defaults", [](Args& a, Out&) { flow_cmd(a, true); }}},
    {{"set security screen",
      "set security screen ids-option <profile> [icmp flood [threshold <pps>] | udp flood [threshold <pps>] | tcp "
      "syn-flood [attack-threshold <pps>] | tcp land|syn-fin|tcp-no-flag|fin-no-ack|winnuke | icmp ping-death|large | "
      "ip tear-drop|source-route-option|spoofing]",
      "define a screen profile (zones name it)", [](Args& a, Out&) { screen_cmd(a, false); }}},
    {{"delete security screen", "delete security screen ids-option <profile> [<option>]",
      "delete a screen profile (zones naming it keep the name) or one option",
      [](Args& a, Out&) { screen_cmd(a, true); }}},
    {{"set security log", "set security log stream <name> [host <ip>] [port <n>]",
      "send flow logs (RT_FLOW syslog) to a host (port 514 unless given)", [](Args& a, Out&) { log_cmd(a, false); }}},
    {{"delete security log", "delete security log stream <name>", "stop a log stream",
      [](Args& a, Out&) { log_cmd(a, true); }}},
    {{"show security zones", "show security zones [<zone>]",
      "zones: id, interfaces, host-inbound services and protocols, screen", show_zones}},
    {{"show security policies", "show security policies [from-zone <a> to-zone <b>] [hit-count]",
      "policies in evaluation order with their state, and whether the published rulebase is current", show_policies}},
};

// After the interfaces (10, 15), the routes (30) and the Linux mirrors
// (16), which zones name.
RunningConfigRegistration rc{40, running};

}  // namespace

}  // namespace vp::fw
