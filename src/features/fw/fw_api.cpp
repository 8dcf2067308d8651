// Security: the firewall's gRPC service (proto/vplane/v1/security.proto),
// the same typed operations as the `security` and `applications` commands.
#include "api/convert.hpp"
#include "api/services.hpp"
#include "features/fw/fw_log.hpp"
#include "features/fw/fw_names.hpp"
#include "features/fw/fw_ops.hpp"
#include "features/fw/fw_runtime.hpp"
#include "features/fw/fw_sessions.hpp"
#include "features/fw/fw_words.hpp"
#include "io/interface.hpp"
#include "vplane/v1/security.grpc.pb.h"

namespace vp::api {

namespace pb = ::vplane::v1;

namespace {
using grpc::ServerContext;
using grpc::Status;
using namespace vp::fw;

template <size_t N>
uint32_t bits_of(const google::protobuf::RepeatedPtrField<std::string>& words, const Named<uint32_t> (&t)[N],
                 const char* what) {
  uint32_t b = 0;
  for (auto& w : words) {
    bool found = false;
    for (auto& e : t)
      if (w == e.name) {
        b |= e.value;
        found = true;
      }
    if (!found) fail("unknown {} '{}'", what, w);
  }
  return b;
}

template <size_t N>
void names_of(uint32_t bits, const Named<uint32_t> (&t)[N], google::protobuf::RepeatedPtrField<std::string>* out) {
  if (bits == t[N - 1].value) {
    out->Add("all");
    return;
  }
  for (size_t i = 0; i + 1 < N; i++)
    if (bits & t[i].value) out->Add(t[i].name);
}

PolicyScope scope_of(const std::string& from, const std::string& to) {
  if (from.empty() != to.empty()) fail("a zone-pair policy names both from_zone and to_zone; a global one neither");
  if (from.empty()) return std::nullopt;
  return ZonePair{from, to};
}

Policy policy_from(const pb::SecurityPolicy& q) {
  Policy p;
  p.name = q.name();
  p.src.assign(q.source_address().begin(), q.source_address().end());
  p.dst.assign(q.destination_address().begin(), q.destination_address().end());
  p.app.assign(q.application().begin(), q.application().end());
  switch (q.action()) {
    case pb::POLICY_ACTION_PERMIT:
      p.action = Action::kPermit;
      break;
    case pb::POLICY_ACTION_DENY:
      p.action = Action::kDeny;
      break;
    case pb::POLICY_ACTION_REJECT:
      p.action = Action::kReject;
      break;
    default:
      p.action = Action::kNone;
  }
  p.log_init = q.log_session_init();
  p.log_close = q.log_session_close();
  p.count = q.count();
  return p;
}

void policy_to(const Policy& p, const PolicyScope& scope, pb::SecurityPolicy* x) {
  x->set_name(p.name);
  if (scope) {
    x->set_from_zone(scope->from);
    x->set_to_zone(scope->to);
  }
  for (auto& v : p.src) x->add_source_address(v);
  for (auto& v : p.dst) x->add_destination_address(v);
  for (auto& v : p.app) x->add_application(v);
  x->set_action(p.action == Action::kPermit   ? pb::POLICY_ACTION_PERMIT
                : p.action == Action::kDeny   ? pb::POLICY_ACTION_DENY
                : p.action == Action::kReject ? pb::POLICY_ACTION_REJECT
                                              : pb::POLICY_ACTION_UNSET);
  x->set_log_session_init(p.log_init);
  x->set_log_session_close(p.log_close);
  x->set_count(p.count);
  x->set_id(p.id);
  x->set_active(p.active());
  if (p.count) x->set_hit_count(policy_hits(p.id));
}

Address address_from(const pb::SecurityAddress& q) {
  Address a;
  if (q.has_prefix()) {
    a.prefix = prefix_from(q.prefix());
    return a;
  }
  if (q.range_from().empty()) fail("address {} has neither a prefix nor a range", q.name());
  a.is_range = true;
  a.lo = ip_from(q.range_from(), "range_from");
  a.hi = ip_from(q.range_to(), "range_to");
  return a;
}

Application application_from(const pb::Application& q) {
  Application a;
  for (auto& t : q.terms()) {
    AppTerm x;
    auto proto = ip_proto_of(t.protocol());
    if (!proto) fail("application {}: unknown protocol '{}'", q.name(), t.protocol());
    x.proto = *proto;
    if (t.source_port_from() || t.source_port_to()) {
      if (t.source_port_from() > t.source_port_to() || t.source_port_to() > 65535)
        fail("application {}: bad source port range {}-{}", q.name(), t.source_port_from(), t.source_port_to());
      x.sport_lo = uint16_t(t.source_port_from());
      x.sport_hi = uint16_t(t.source_port_to());
    }
    if (t.destination_port_from() || t.destination_port_to()) {
      if (t.destination_port_from() > t.destination_port_to() || t.destination_port_to() > 65535)
        fail("application {}: bad destination port range {}-{}", q.name(), t.destination_port_from(),
             t.destination_port_to());
      x.dport_lo = uint16_t(t.destination_port_from());
      x.dport_hi = uint16_t(t.destination_port_to());
    }
    if ((t.has_icmp_type() && t.icmp_type() > 255) || (t.has_icmp_code() && t.icmp_code() > 255))
      fail("application {}: ICMP type and code are at most 255", q.name());
    if (t.has_icmp_type()) x.icmp_type = int16_t(t.icmp_type());
    if (t.has_icmp_code()) x.icmp_code = int16_t(t.icmp_code());
    x.inactivity_timeout = t.inactivity_timeout();
    if (!a.terms.emplace(t.name(), x).second) fail("application {}: term '{}' given twice", q.name(), t.name());
  }
  return a;
}

ClearFilter filter_from(const pb::SessionFilter& q) {
  ClearFilter f;
  if (q.has_source_prefix()) {
    f.src = prefix_from(q.source_prefix()).masked();
    f.has_src = true;
  }
  if (q.has_destination_prefix()) {
    f.dst = prefix_from(q.destination_prefix()).masked();
    f.has_dst = true;
  }
  if (q.has_protocol() && q.protocol() > 255) fail("protocol {} above 255", q.protocol());
  if (q.has_destination_port() && q.destination_port() > 65535) fail("port {} above 65535", q.destination_port());
  if (q.has_protocol()) f.proto = int(q.protocol());
  if (q.has_destination_port()) f.dport = int(q.destination_port());
  if (!q.zone().empty()) {
    f.zone = config().zone_id(q.zone());
    if (f.zone == kNoZone) fail("no zone '{}'", q.zone());
  }
  f.all = !f.has_src && !f.has_dst && f.proto < 0 && f.dport < 0 && f.zone == kNoZone;
  return f;
}

class SecuritySvc final : public pb::Security::Service {
 public:
  explicit SecuritySvc(Ctx& c) : c_(c) {}

  Status SetZone(ServerContext*, const pb::SecurityZone* q, pb::Empty*) override {
    return c_.on_main([&] {
      Zone z;
      for (uint32_t i : q->interfaces()) z.interfaces.insert(iface(i).name);
      z.services = bits_of(q->system_services(), kServices, "system service");
      z.protocols = bits_of(q->protocols(), kProtocols, "host-inbound protocol");
      z.screen = q->screen();
      set_zone(q->name(), z);
    });
  }
  Status DeleteZone(ServerContext*, const pb::SecurityName* q, pb::Empty*) override {
    return c_.on_main([&] { delete_zone(q->name()); });
  }
  Status ListZones(ServerContext*, const pb::Empty*, pb::ListSecurityZonesReply* r) override {
    return c_.on_main([&] {
      for (auto& [name, z] : config().zones) {
        auto* x = r->add_zones();
        x->set_name(name);
        x->set_id(z.id);
        for (auto& i : z.interfaces)
          if (Interface* f = ifs().find(i)) x->add_interfaces(f->index);
        names_of(z.services, kServices, x->mutable_system_services());
        names_of(z.protocols, kProtocols, x->mutable_protocols());
        x->set_screen(z.screen);
      }
    });
  }

  Status SetAddress(ServerContext*, const pb::SecurityAddress* q, pb::Empty*) override {
    return c_.on_main([&] { set_address(q->name(), address_from(*q)); });
  }
  Status DeleteAddress(ServerContext*, const pb::SecurityName* q, pb::Empty*) override {
    return c_.on_main([&] { delete_address(q->name()); });
  }
  Status SetAddressSet(ServerContext*, const pb::SecurityAddressSet* q, pb::Empty*) override {
    return c_.on_main([&] { set_address_set(q->name(), {{q->members().begin(), q->members().end()}}); });
  }
  Status DeleteAddressSet(ServerContext*, const pb::SecurityName* q, pb::Empty*) override {
    return c_.on_main([&] { delete_address_set(q->name()); });
  }
  Status SetApplication(ServerContext*, const pb::Application* q, pb::Empty*) override {
    return c_.on_main([&] { set_application(q->name(), application_from(*q)); });
  }
  Status DeleteApplication(ServerContext*, const pb::SecurityName* q, pb::Empty*) override {
    return c_.on_main([&] { delete_application(q->name()); });
  }
  Status SetApplicationSet(ServerContext*, const pb::ApplicationSet* q, pb::Empty*) override {
    return c_.on_main([&] {
      ApplicationSet s;
      s.members.insert(q->members().begin(), q->members().end());
      set_application_set(q->name(), s);
    });
  }
  Status DeleteApplicationSet(ServerContext*, const pb::SecurityName* q, pb::Empty*) override {
    return c_.on_main([&] { delete_application_set(q->name()); });
  }

  Status SetPolicy(ServerContext*, const pb::SecurityPolicy* q, pb::Empty*) override {
    return c_.on_main([&] {
      const PolicyScope scope = scope_of(q->from_zone(), q->to_zone());
      if (!q->before().empty() && !find_policy(scope, q->before()))
        fail("no policy {} {} to put {} before", scope_text(scope), q->before(), q->name());
      set_policy(scope, policy_from(*q));
      if (!q->before().empty()) move_policy(scope, q->name(), q->before(), false);
    });
  }
  Status DeletePolicy(ServerContext*, const pb::SecurityPolicyRequest* q, pb::Empty*) override {
    return c_.on_main([&] { delete_policy(scope_of(q->from_zone(), q->to_zone()), q->name()); });
  }
  Status ListPolicies(ServerContext*, const pb::ListSecurityPoliciesRequest* q,
                      pb::ListSecurityPoliciesReply* r) override {
    return c_.on_main([&] {
      const PolicyScope want = scope_of(q->from_zone(), q->to_zone());
      for (auto& [pair, list] : config().policies)
        if (!want || *want == pair)
          for (auto& p : list) policy_to(p, pair, r->add_policies());
      if (!want)
        for (auto& p : config().global) policy_to(p, std::nullopt, r->add_policies());
      r->set_default_permit(config().default_permit);
      const RulebaseStatus st = rulebase_status();
      r->set_published_current(st.current);
      r->set_rules(st.rules);
    });
  }
  Status SetDefaultPolicy(ServerContext*, const pb::DefaultPolicy* q, pb::Empty*) override {
    return c_.on_main([&] { set_default_policy(q->permit_all()); });
  }
  Status ReplaceRulebase(ServerContext*, const pb::Rulebase* q, pb::Empty*) override {
    return c_.on_main([&] {
      RulebaseSpec r;
      for (auto& a : q->addresses())
        if (!r.addresses.emplace(a.name(), address_from(a)).second) fail("address {} given twice", a.name());
      for (auto& s : q->address_sets())
        if (!r.address_sets.emplace(s.name(), AddressSet{{s.members().begin(), s.members().end()}}).second)
          fail("address set {} given twice", s.name());
      for (auto& a : q->applications())
        if (!r.applications.emplace(a.name(), application_from(a)).second) fail("application {} given twice", a.name());
      for (auto& s : q->application_sets()) {
        ApplicationSet x;
        x.members.insert(s.members().begin(), s.members().end());
        if (!r.application_sets.emplace(s.name(), x).second) fail("application set {} given twice", s.name());
      }
      for (auto& p : q->policies()) {
        const PolicyScope scope = scope_of(p.from_zone(), p.to_zone());
        auto& list = scope ? r.policies[*scope] : r.global;
        for (auto& o : list)
          if (o.name == p.name()) fail("policy {} {} given twice", scope_text(scope), p.name());
        list.push_back(policy_from(p));
      }
      r.default_permit = q->default_permit();
      replace_rulebase(r);
    });
  }

  Status SetScreen(ServerContext*, const pb::ScreenProfile* q, pb::Empty*) override {
    return c_.on_main([&] {
      Screen s;
      s.icmp_flood = q->icmp_flood_threshold();
      s.udp_flood = q->udp_flood_threshold();
      s.syn_flood = q->syn_flood_threshold();
      for (auto& o : q->options()) {
        bool found = false;
        for (auto& opt : kScreenOpts)
          if (opt.flag && o == std::string(opt.group) + " " + opt.word) {
            s.flags |= opt.flag;
            found = true;
          }
        if (!found) fail("unknown screen option '{}' (for example 'tcp land' or 'ip spoofing')", o);
      }
      set_screen(q->name(), s);
    });
  }
  Status DeleteScreen(ServerContext*, const pb::SecurityName* q, pb::Empty*) override {
    return c_.on_main([&] { delete_screen(q->name()); });
  }
  Status SetFlow(ServerContext*, const pb::FlowSettings* q, pb::Empty*) override {
    return c_.on_main([&] {
      FlowSettings f = config().flow;
      for (auto& [name, secs] : q->timeouts()) {
        uint32_t c = 0;
        while (c < kTimeoutClasses && name != kTimeoutNames[c]) c++;
        if (c == kTimeoutClasses) fail("unknown timeout '{}' (tcp-initial, tcp-established, ..., other)", name);
        f.timeouts.s[c] = secs;
      }
      if (q->has_session_limit()) f.session_limit = q->session_limit();
      if (q->has_per_source_limit()) f.per_source = q->per_source_limit();
      if (q->has_no_syn_check()) f.no_syn_check = q->no_syn_check();
      if (q->has_early_ageout()) f.early.seconds = q->early_ageout();
      if (q->has_high_watermark()) f.early.high = uint8_t(std::min(q->high_watermark(), 255u));
      if (q->has_low_watermark()) f.early.low = uint8_t(std::min(q->low_watermark(), 255u));
      set_flow(f);
    });
  }
  Status SetLogStream(ServerContext*, const pb::LogStream* q, pb::Empty*) override {
    return c_.on_main([&] {
      LogStream s;
      s.host = ip_from(q->host(), "host");
      if (q->port() > 65535) fail("port {} above 65535", q->port());
      if (q->port()) s.port = uint16_t(q->port());
      set_log_stream(q->name(), s);
    });
  }
  Status DeleteLogStream(ServerContext*, const pb::SecurityName* q, pb::Empty*) override {
    return c_.on_main([&] { delete_log_stream(q->name()); });
  }

  Status ListSessions(ServerContext*, const pb::ListSessionsRequest* q, pb::ListSessionsReply* r) override {
    return c_.on_main([&] {
      const ClearFilter f = filter_from(q->filter());
      const uint32_t page = q->page_size() ? q->page_size() : 1000;
      uint64_t from = 0;
      if (!q->page_token().empty()) {
        try {
          from = std::stoull(q->page_token());
        } catch (const std::exception&) {
          fail("bad page_token '{}': pass the previous reply's next_page_token", q->page_token());
        }
      }
      uint32_t n = 0;
      std::map<uint32_t, std::string> policies;
      const uint64_t next = visit_sessions(f, from, [&](const SessionView& v) {
        auto* x = r->add_sessions();
        x->set_id(v.id);
        x->set_worker(v.worker);
        x->set_vrf(v.vrf);
        x->set_protocol(v.proto);
        x->set_source(ip_bytes(v.src));
        x->set_source_port(v.sport);
        x->set_destination(ip_bytes(v.dst));
        x->set_destination_port(v.dport);
        x->set_from_zone(zone_name(v.zone[0]));
        x->set_to_zone(zone_name(v.zone[1]));
        auto it = policies.find(v.policy);
        if (it == policies.end()) it = policies.emplace(v.policy, policy_name(v.policy)).first;
        x->set_policy(it->second);
        x->set_state(v.state);
        x->set_timeout(v.timeout_left);
        x->set_packets_in(v.packets[0]);
        x->set_bytes_in(v.bytes[0]);
        x->set_packets_out(v.packets[1]);
        x->set_bytes_out(v.bytes[1]);
        return ++n < page;
      });
      if (next) r->set_next_page_token(std::to_string(next));
    });
  }
  Status ClearSessions(ServerContext*, const pb::SessionFilter* q, pb::ClearSessionsReply* r) override {
    return c_.on_main([&] { r->set_cleared(clear_sessions(filter_from(*q))); });
  }
  Status GetCounters(ServerContext*, const pb::Empty*, pb::SecurityCounters* r) override {
    return c_.on_main([&] {
      const FlowTotals t = flow_totals();
      r->set_sessions(t.sessions);
      r->set_capacity(t.capacity);
      r->set_created(t.c.created);
      r->set_closed_timeout(t.c.closed_timeout);
      r->set_closed_tcp(t.c.closed_tcp);
      r->set_closed_policy(t.c.closed_policy);
      r->set_closed_clear(t.c.closed_clear);
      r->set_early_aged(t.c.early_aged);
      const LogStats ls = log_stats();
      r->set_log_sent(ls.sent);
      r->set_log_rate_dropped(ls.rate_dropped);
      r->set_log_lost(ls.lost);
      for (auto& [node, reason, v] : node_counters()) {
        auto* x = r->add_counters();
        x->set_node(node);
        x->set_reason(reason);
        x->set_count(v);
      }
    });
  }

 private:
  Ctx& c_;
};
ServiceRegistration reg{[](Ctx& c) -> std::unique_ptr<grpc::Service> { return std::make_unique<SecuritySvc>(c); }};
}  // namespace

}  // namespace vp::api
