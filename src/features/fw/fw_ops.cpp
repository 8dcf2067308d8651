#include "features/fw/fw_ops.hpp"

#include <algorithm>
#include <cctype>

#include "features/fw/fw_runtime.hpp"
#include "graph/registry.hpp"
#include "infra/error.hpp"
#include "infra/log.hpp"
#include "io/interface.hpp"

namespace vp::fw {

namespace {

constexpr size_t kMaxName = 63;
constexpr uint32_t kMaxSeconds = 86400;
constexpr uint32_t kMaxPps = 1000000;

// Junos' names: letters, digits, '-', '_' and '.', starting with a letter,
// a digit or '_' so that no name reads as an option.
void check_name(std::string_view what, const std::string& n) {
  if (n.empty() || n.size() > kMaxName) fail("{} name '{}' must have 1 to {} characters", what, n, kMaxName);
  auto word = [](char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; };
  if (!word(n[0]) || !std::all_of(n.begin(), n.end(), [&](char c) { return word(c) || c == '-' || c == '.'; }))
    fail("{} name '{}': use letters, digits, '-', '_' and '.', starting with a letter, a digit or '_'", what, n);
}

// Whether set `from` holds `target`, directly or through other sets.
template <class Sets>
bool holds(const Sets& sets, const std::string& from, const std::string& target, std::set<std::string>& seen) {
  auto it = sets.find(from);
  if (it == sets.end() || !seen.insert(from).second) return false;
  for (auto& m : it->second.members)
    if (m == target || holds(sets, m, target, seen)) return true;
  return false;
}

// The first set that holds `name` directly, or null.
template <class Sets>
const std::string* holder(const Sets& sets, const std::string& name) {
  for (auto& [n, s] : sets)
    if (s.members.count(name)) return &n;
  return nullptr;
}

// An address or application set: its members exist (elements or sets of
// `sets`) and none of them holds the set, so sets stay acyclic.
template <class Elems, class Sets>
void check_set(std::string_view kind, const std::string& name, const std::set<std::string>& members, const Elems& elems,
               const Sets& sets) {
  check_name(fmt::format("{}-set", kind), name);
  if (elems.count(name)) fail("'{}' is already an {}: an {}-set needs a name of its own", name, kind, kind);
  for (auto& m : members) {
    if (m == name) fail("{}-set {} cannot hold itself", kind, name);
    if (!elems.count(m) && !sets.count(m)) fail("{}-set {}: there is no {} or {}-set '{}'", kind, name, kind, kind, m);
    std::set<std::string> seen;
    if (holds(sets, m, name, seen))
      fail("{}-set {}: {} already holds {}, which would make a cycle", kind, name, m, name);
  }
}

Address canonical(const Address& a) {
  Address o;
  o.is_range = a.is_range;
  if (a.is_range) {
    o.lo = a.lo;
    o.hi = a.hi;
  } else {
    o.prefix = a.prefix.masked();
  }
  return o;
}

void check_address(const std::string& name, const Address& a, const std::map<std::string, AddressSet>& sets) {
  check_name("address", name);
  if (name == "any") fail("'any' is reserved: a policy says it to match every address");
  if (sets.count(name)) fail("'{}' is already an address-set: an address needs a name of its own", name);
  if (!a.is_range) {
    if (a.prefix.len > (a.prefix.addr.v6 ? 128 : 32)) fail("address {}: bad prefix length {}", name, a.prefix.len);
  } else if (a.lo.v6 != a.hi.v6) {
    fail("address {}: {} to {} mixes IPv4 and IPv6", name, a.lo.str(), a.hi.str());
  } else if (a.hi < a.lo) {
    fail("address {}: the range {} to {} ends before it starts", name, a.lo.str(), a.hi.str());
  }
}

bool has_ports(uint8_t proto) { return proto == 6 || proto == 17 || proto == 132 || proto == 136; }
bool is_icmp(uint8_t proto) { return proto == 1 || proto == 58; }

// `apps` says which names are predefined; `sets` which are taken by sets.
void check_application(const std::string& name, const Application& a, const std::map<std::string, Application>& apps,
                       const std::map<std::string, ApplicationSet>& sets) {
  check_name("application", name);
  if (auto it = apps.find(name); it != apps.end() && it->second.predefined)
    fail("application {} is predefined and cannot be changed", name);
  if (sets.count(name)) fail("'{}' is already an application-set: an application needs a name of its own", name);
  if (a.terms.empty()) fail("application {} has no term", name);
  if (a.terms.size() > 1 && a.terms.count(""))
    fail("application {}: its attributes without a term cannot be mixed with terms", name);
  for (auto& [tn, t] : a.terms) {
    if (!tn.empty()) check_name("term", tn);
    std::string where = tn.empty() ? name : fmt::format("{} term {}", name, tn);
    if (t.any_proto) fail("application {}: any protocol is the predefined application 'any'", where);
    if (t.sport_lo > t.sport_hi || t.dport_lo > t.dport_hi)
      fail("application {}: a port range ends before it starts", where);
    bool ports = t.sport_lo != 0 || t.sport_hi != 65535 || t.dport_lo != 0 || t.dport_hi != 65535;
    if (ports && !has_ports(t.proto)) fail("application {}: ports need protocol tcp, udp, sctp or udplite", where);
    if (t.icmp_type < -1 || t.icmp_type > 255 || t.icmp_code < -1 || t.icmp_code > 255)
      fail("application {}: icmp-type and icmp-code go from 0 to 255", where);
    if ((t.icmp_type >= 0 || t.icmp_code >= 0) && !is_icmp(t.proto))
      fail("application {}: icmp-type and icmp-code need protocol icmp or icmp6", where);
    if (t.inactivity_timeout > kMaxSeconds)
      fail("application {}: inactivity-timeout goes up to {} seconds", where, kMaxSeconds);
  }
}

void check_scope(const PolicyScope& s) {
  if (!s) return;
  check_name("zone", s->from);
  check_name("zone", s->to);
}

void check_policy(const Policy& p) {
  check_name("policy", p.name);
  auto values = [&](std::string_view what, const std::vector<std::string>& v) {
    for (auto it = v.begin(); it != v.end(); ++it) {
      if (*it != "any") check_name(what, *it);
      if (std::find(v.begin(), it, *it) != it) fail("policy {}: {} {} is listed twice", p.name, what, *it);
    }
  };
  values("source-address", p.src);
  values("destination-address", p.dst);
  values("application", p.app);
  if (p.action > Action::kReject) fail("policy {}: unknown action {}", p.name, int(p.action));
}

// The policy list of a scope, or null when the pair has none.
std::vector<Policy>* list_of(Config& c, const PolicyScope& s) {
  if (!s) return &c.global;
  auto it = c.policies.find(*s);
  return it == c.policies.end() ? nullptr : &it->second;
}

void must_exist(const PolicyScope& s, const std::string& name) {
  if (!find_policy(s, name)) fail("no policy '{}' in {}", name, scope_text(s));
}

// Policy ids come from the free ids below next, lowest first. Callers ask
// id_left before they change anything; take_id then cannot fail.
bool id_left(const std::set<uint32_t>& free, uint32_t next) { return !free.empty() || next < kMaxPolicies; }
uint32_t take_id(std::set<uint32_t>& free, uint32_t& next) {
  if (free.empty()) return next++;
  uint32_t id = *free.begin();
  free.erase(free.begin());
  return id;
}
[[noreturn]] void no_id_left() { fail("no policy id left: there can be at most {} policies", kMaxPolicies - 1); }

}  // namespace

std::string scope_text(const PolicyScope& s) {
  return s ? fmt::format("from-zone {} to-zone {}", s->from, s->to) : "global";
}

const Policy* find_policy(const PolicyScope& s, const std::string& name) {
  if (auto* l = list_of(config(), s))
    for (auto& p : *l)
      if (p.name == name) return &p;
  return nullptr;
}

void set_zone(const std::string& name, const Zone& z) {
  Config& c = config();
  check_name("zone", name);
  for (auto& i : z.interfaces) {
    if (!ifs().find(i)) fail("no interface named '{}'", i);
    for (auto& [zn, other] : c.zones)
      if (zn != name && other.interfaces.count(i))
        fail("interface {} is in zone {}: delete it there first (delete security zones security-zone {} interfaces {})",
             i, zn, zn, i);
  }
  if (z.services & ~uint32_t(kSvcAll))
    fail("zone {}: unknown host-inbound system-services bits {:#x}", name, z.services);
  if (z.protocols & ~uint32_t(kProtoAll)) fail("zone {}: unknown host-inbound protocols bits {:#x}", name, z.protocols);
  if (!z.screen.empty()) check_name("screen", z.screen);
  auto it = c.zones.find(name);
  const bool created = it == c.zones.end();
  uint8_t id = created ? kNoZone : it->second.id;
  if (created) {
    std::set<uint8_t> used;
    for (auto& [n, other] : c.zones) used.insert(other.id);
    for (uint32_t k = 1; k <= kMaxZones && id == kNoZone; k++)
      if (!used.count(uint8_t(k))) id = uint8_t(k);
    if (id == kNoZone) fail("there can be at most {} zones", kMaxZones);
  }
  Zone& dst = c.zones[name];
  dst = z;
  dst.id = id;
  changed(Change::kZones);
  // The rulebase names zones by id: a new zone gives its policies one.
  if (created) changed(Change::kRules);
}

void delete_zone(const std::string& name) {
  Config& c = config();
  if (!c.zones.erase(name)) fail("no security zone '{}'", name);
  changed(Change::kZones);
  changed(Change::kRules);
}

void set_address(const std::string& name, const Address& a) {
  Config& c = config();
  check_address(name, a, c.address_sets);
  c.addresses[name] = canonical(a);
  changed(Change::kRules);
}

void delete_address(const std::string& name) {
  Config& c = config();
  if (!c.addresses.count(name)) fail("no address '{}' in the address book", name);
  if (auto* s = holder(c.address_sets, name)) fail("address {} is in address-set {}: delete it there first", name, *s);
  c.addresses.erase(name);
  changed(Change::kRules);
}

void set_address_set(const std::string& name, const AddressSet& s) {
  Config& c = config();
  check_set("address", name, s.members, c.addresses, c.address_sets);
  c.address_sets[name] = s;
  changed(Change::kRules);
}

void delete_address_set(const std::string& name) {
  Config& c = config();
  if (!c.address_sets.count(name)) fail("no address-set '{}' in the address book", name);
  if (auto* s = holder(c.address_sets, name))
    fail("address-set {} is in address-set {}: delete it there first", name, *s);
  c.address_sets.erase(name);
  changed(Change::kRules);
}

void set_application(const std::string& name, const Application& a) {
  Config& c = config();
  check_application(name, a, c.applications, c.application_sets);
  Application& dst = c.applications[name];
  dst = a;
  dst.predefined = false;
  changed(Change::kRules);
}

void delete_application(const std::string& name) {
  Config& c = config();
  auto it = c.applications.find(name);
  if (it == c.applications.end()) fail("no application '{}'", name);
  if (it->second.predefined) fail("application {} is predefined and cannot be deleted", name);
  if (auto* s = holder(c.application_sets, name))
    fail("application {} is in application-set {}: delete it there first", name, *s);
  c.applications.erase(it);
  changed(Change::kRules);
}

void set_application_set(const std::string& name, const ApplicationSet& s) {
  Config& c = config();
  if (auto it = c.application_sets.find(name); it != c.application_sets.end() && it->second.predefined)
    fail("application-set {} is predefined and cannot be changed", name);
  check_set("application", name, s.members, c.applications, c.application_sets);
  ApplicationSet& dst = c.application_sets[name];
  dst = s;
  dst.predefined = false;
  changed(Change::kRules);
}

void delete_application_set(const std::string& name) {
  Config& c = config();
  auto it = c.application_sets.find(name);
  if (it == c.application_sets.end()) fail("no application-set '{}'", name);
  if (it->second.predefined) fail("application-set {} is predefined and cannot be deleted", name);
  if (auto* s = holder(c.application_sets, name))
    fail("application-set {} is in application-set {}: delete it there first", name, *s);
  c.application_sets.erase(it);
  changed(Change::kRules);
}

void set_policy(const PolicyScope& scope, const Policy& p) {
  Config& c = config();
  check_scope(scope);
  check_policy(p);
  if (auto* l = list_of(c, scope))
    for (auto& old : *l)
      if (old.name == p.name) {
        uint32_t id = old.id;
        old = p;
        old.id = id;
        changed(Change::kRules);
        return;
      }
  if (!id_left(c.free_policy_ids, c.next_policy_id)) no_id_left();
  Policy& n = (scope ? c.policies[*scope] : c.global).emplace_back(p);
  n.id = take_id(c.free_policy_ids, c.next_policy_id);
  reset_policy_hits(n.id);
  changed(Change::kRules);
}

void delete_policy(const PolicyScope& scope, const std::string& name) {
  Config& c = config();
  must_exist(scope, name);
  const uint32_t id = find_policy(scope, name)->id;
  std::vector<Policy>& l = *list_of(c, scope);
  std::erase_if(l, [&](const Policy& p) { return p.name == name; });
  if (scope && l.empty()) c.policies.erase(*scope);
  c.free_policy_ids.insert(id);
  changed(Change::kRules);
}

void move_policy(const PolicyScope& scope, const std::string& name, const std::string& ref, bool after) {
  Config& c = config();
  if (name == ref) fail("policy {} cannot be placed {} itself", name, after ? "after" : "before");
  must_exist(scope, name);
  must_exist(scope, ref);
  std::vector<Policy>& l = *list_of(c, scope);
  auto from = std::find_if(l.begin(), l.end(), [&](const Policy& p) { return p.name == name; });
  Policy moved = std::move(*from);
  l.erase(from);
  auto to = std::find_if(l.begin(), l.end(), [&](const Policy& p) { return p.name == ref; });
  l.insert(after ? to + 1 : to, std::move(moved));
  changed(Change::kRules);
}

void set_default_policy(bool permit) {
  config().default_permit = permit;
  changed(Change::kRules);
}

void replace_rulebase(const RulebaseSpec& r) {
  Config& c = config();
  for (auto& [n, a] : r.addresses) check_address(n, a, r.address_sets);
  for (auto& [n, s] : r.address_sets) check_set("address", n, s.members, r.addresses, r.address_sets);
  std::map<std::string, Application> apps;
  for (auto& [n, a] : c.applications)
    if (a.predefined) apps.emplace(n, a);
  for (auto& [n, a] : r.applications) {
    check_application(n, a, apps, r.application_sets);
    apps[n] = a;
    apps[n].predefined = false;
  }
  for (auto& [n, s] : r.application_sets) check_set("application", n, s.members, apps, r.application_sets);

  auto each_list = [&](auto&& fn) {
    for (auto& [pair, l] : r.policies) fn(PolicyScope(pair), l);
    fn(PolicyScope(), r.global);
  };
  each_list([](const PolicyScope& s, const std::vector<Policy>& l) {
    check_scope(s);
    std::set<std::string> names;
    for (auto& p : l) {
      check_policy(p);
      if (!names.insert(p.name).second) fail("policy {} appears twice in {}", p.name, scope_text(s));
    }
  });

  // A policy that replaces one of the same scope and name keeps its id (its
  // hit count and its sessions stay with it). The ids of the policies that
  // go are freed before the new ones take theirs.
  std::map<std::pair<PolicyScope, std::string>, uint32_t> old_ids;
  for (auto& [pair, l] : c.policies)
    for (auto& p : l) old_ids[{pair, p.name}] = p.id;
  for (auto& p : c.global) old_ids[{std::nullopt, p.name}] = p.id;
  auto old_id = [&](const PolicyScope& s, const std::string& name) {
    auto it = old_ids.find({s, name});
    return it == old_ids.end() ? 0 : it->second;
  };
  std::set<uint32_t> kept, free = c.free_policy_ids;
  each_list([&](const PolicyScope& s, const std::vector<Policy>& l) {
    for (auto& p : l)
      if (uint32_t id = old_id(s, p.name)) kept.insert(id);
  });
  for (auto& [k, id] : old_ids)
    if (!kept.count(id)) free.insert(id);
  uint32_t next = c.next_policy_id;
  std::vector<uint32_t> new_ids;
  std::map<ZonePair, std::vector<Policy>> policies;
  std::vector<Policy> global;
  each_list([&](const PolicyScope& s, const std::vector<Policy>& l) {
    if (l.empty()) return;
    std::vector<Policy>& out = s ? policies[*s] : global;
    for (auto& p : l) {
      uint32_t id = old_id(s, p.name);
      if (!id) {
        if (!id_left(free, next)) no_id_left();
        id = new_ids.emplace_back(take_id(free, next));
      }
      out.push_back(p);
      out.back().id = id;
    }
  });

  c.addresses.clear();
  for (auto& [n, a] : r.addresses) c.addresses[n] = canonical(a);
  c.address_sets = r.address_sets;
  c.applications = std::move(apps);
  c.application_sets = r.application_sets;
  for (auto& [n, s] : c.application_sets) s.predefined = false;
  c.policies = std::move(policies);
  c.global = std::move(global);
  c.default_permit = r.default_permit;
  c.free_policy_ids = std::move(free);
  c.next_policy_id = next;
  for (uint32_t id : new_ids) reset_policy_hits(id);
  changed(Change::kRules);
}

void set_flow(const FlowSettings& f) {
  for (int k = 0; k < kTimeoutClasses; k++)
    if (f.timeouts.s[k] < 1 || f.timeouts.s[k] > kMaxSeconds)
      fail("flow timeout {} must be 1 to {} seconds", kTimeoutNames[k], kMaxSeconds);
  const EarlyAgeout& e = f.early;
  if (e.seconds > kMaxSeconds) fail("early-ageout goes up to {} seconds", kMaxSeconds);
  if (!e.seconds && (e.high || e.low)) fail("high-watermark and low-watermark need early-ageout <seconds>");
  if (e.seconds && !(e.low < e.high && e.high <= 100))
    fail("early-ageout needs low-watermark below high-watermark, and high-watermark at most 100 (percent)");
  config().flow = f;
  changed(Change::kFlow);
}

void set_screen(const std::string& name, const Screen& s) {
  check_name("screen", name);
  for (uint32_t pps : {s.icmp_flood, s.udp_flood, s.syn_flood})
    if (pps > kMaxPps) fail("screen {}: flood thresholds go up to {} packets per second", name, kMaxPps);
  if (s.flags >= kScrSpoofing << 1) fail("screen {}: unknown option bits {:#x}", name, s.flags);
  config().screens[name] = s;
  changed(Change::kScreens);
}

void delete_screen(const std::string& name) {
  if (!config().screens.erase(name)) fail("no screen ids-option '{}'", name);
  changed(Change::kScreens);
}

void set_log_stream(const std::string& name, const LogStream& s) {
  check_name("stream", name);
  if (s.host == IpAddr{s.host.v6, {}}) fail("log stream {}: the host address cannot be unspecified", name);
  if (!s.port) fail("log stream {}: port 0 is not a port", name);
  config().streams[name] = s;
  changed(Change::kLog);
}

void delete_log_stream(const std::string& name) {
  if (!config().streams.erase(name)) fail("no log stream '{}'", name);
  changed(Change::kLog);
}

namespace {
// A deleted interface leaves its zone: its name may come back as another
// interface, which must not inherit the zone.
InitRegistration watch_interfaces{[] {
  ifs().watch([](Interface& i, IfEvent e) {
    if (e != IfEvent::deleting) return;
    for (auto& [name, z] : config().zones)
      if (z.interfaces.erase(i.name)) {
        log::info("interface {} deleted: it leaves security zone {}", i.name, name);
        changed(Change::kZones);
      }
  });
}};
}  // namespace

}  // namespace vp::fw
