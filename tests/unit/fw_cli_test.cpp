// The firewall's configuration commands: every family through the CLI, the
// rules of the typed operations behind them, errors that are one line and
// change nothing, and a running configuration that replays exactly.
#include <gtest/gtest.h>

#include "control/cli.hpp"
#include "features/fw/fw_config.hpp"
#include "features/fw/fw_ops.hpp"
#include "infra/error.hpp"
#include "io/if_ops.hpp"
#include "io/interface.hpp"
#include "io/ports/loopback/loopback.hpp"

namespace vp::fw {
namespace {

CliResult run(const std::string& c) { return Cli::get().execute(c, false); }
nlohmann::json json(const std::string& c) {
  auto r = Cli::get().execute(c, true);
  EXPECT_TRUE(r.ok) << c << ": " << r.text;
  return r.ok ? nlohmann::json::parse(r.text) : nlohmann::json{};
}

// The firewall's lines of the running configuration.
std::vector<std::string> fw_lines() {
  std::vector<std::string> v;
  for (auto& l : running_config())
    if (l.starts_with("set security ") || l.starts_with("set applications ")) v.push_back(l);
  return v;
}

void reset_config() {
  config() = Config{};
  add_predefined(config());
}

class FwCli : public ::testing::Test {
 protected:
  void SetUp() override {
    reset_config();
    for (int k = 0; k < 3; k++) {
      uint32_t i = ops::create_loopback({});
      idx_.push_back(i);
      if_.push_back(ifs().at(i)->name);
    }
  }
  void TearDown() override {
    reset_config();
    for (uint32_t i : idx_)
      if (ifs().at(i)) ops::delete_interface(i);
  }
  void ok(const std::string& c) {
    auto r = run(c);
    EXPECT_TRUE(r.ok) << c << ": " << r.text;
  }
  // Refused with one line that says `expect`, and nothing changed.
  void bad(const std::string& c, const std::string& expect) {
    auto before = running_config();
    auto r = run(c);
    EXPECT_FALSE(r.ok) << c;
    EXPECT_EQ(r.text.find('\n'), std::string::npos) << c << ": " << r.text;
    EXPECT_NE(r.text.find(expect), std::string::npos) << c << " -> " << r.text;
    EXPECT_EQ(running_config(), before) << c;
  }
  std::vector<std::string> policy_names(const PolicyScope& s) {
    std::vector<std::string> v;
    auto it = s ? config().policies.find(*s) : config().policies.end();
    if (s && it == config().policies.end()) return v;
    for (auto& p : s ? it->second : config().global) v.push_back(p.name);
    return v;
  }
  std::vector<uint32_t> idx_;
  std::vector<std::string> if_;
};

TEST_F(FwCli, PredefinedApplicationsExistAndCannotChange) {
  for (const char* n : {"junos-http", "junos-https", "junos-ssh", "junos-dns-udp", "junos-dns-tcp", "junos-ping",
                        "junos-pingv6", "junos-ntp", "junos-bgp", "junos-telnet", "junos-smtp", "junos-ike",
                        "junos-icmp-all", "junos-icmp6-all", "any"})
    ASSERT_TRUE(config().applications.count(n)) << n;
  const AppTerm& http = config().applications["junos-http"].terms.at("");
  EXPECT_EQ(http.proto, 6);
  EXPECT_EQ(http.dport_lo, 80);
  EXPECT_EQ(http.dport_hi, 80);
  EXPECT_EQ(config().applications["junos-ping"].terms.at("").icmp_type, 8);
  EXPECT_EQ(config().applications["junos-pingv6"].terms.at("").proto, 58);
  EXPECT_TRUE(config().applications["any"].terms.at("").any_proto);
  bad("set applications application junos-http protocol udp", "predefined");
  bad("delete applications application junos-ssh", "predefined");
  bad("set applications application-set junos-http application junos-ssh", "already an application");
  EXPECT_TRUE(fw_lines().empty());
}

TEST_F(FwCli, ZonesTakeExistingInterfacesOnceAndReuseIds) {
  ok("set security zones security-zone trust interfaces " + if_[0]);
  ok("set security zones security-zone untrust interfaces " + if_[1]);
  ok("set security zones security-zone untrust interfaces " + if_[2]);
  EXPECT_EQ(config().zones["trust"].id, 1);
  EXPECT_EQ(config().zones["untrust"].id, 2);
  bad("set security zones security-zone dmz interfaces " + if_[0], "is in zone trust");
  bad("set security zones security-zone trust interfaces nosuch9", "no interface named 'nosuch9'");
  bad("set security zones security-zone trust wires " + if_[0],
      "unknown word 'wires' after 'set security zones security-zone trust': expected interfaces, "
      "host-inbound-traffic or screen");
  bad("set security zones security-zone bad/name", "zone name 'bad/name'");
  bad("delete security zones security-zone trust interfaces " + if_[1], "is not in zone trust");
  bad("delete security zones security-zone nosuch", "no security zone 'nosuch'");

  ok("delete security zones security-zone untrust interfaces " + if_[2]);
  EXPECT_EQ(config().zones["untrust"].interfaces, std::set<std::string>{if_[1]});
  ok("delete security zones security-zone trust");
  EXPECT_FALSE(config().zones.count("trust"));
  ok("set security zones security-zone dmz");  // a zone with nothing in it yet
  EXPECT_EQ(config().zones["dmz"].id, 1);      // trust's freed id
  ok("set security zones security-zone dmz interfaces " + if_[0]);

  auto j = json("show security zones");
  ASSERT_EQ(j.size(), 2u);
  EXPECT_EQ(j[0]["name"], "dmz");
  EXPECT_EQ(j[0]["id"], 1);
  EXPECT_EQ(j[0]["interfaces"], nlohmann::json::array({if_[0]}));
  EXPECT_NE(run("show security zones").text.find("Security zone: untrust"), std::string::npos);
  bad("show security zones nosuch", "no security zone");
}

TEST_F(FwCli, HostInboundTrafficAndScreenBinding) {
  ok("set security zones security-zone trust host-inbound-traffic system-services ping");
  ok("set security zones security-zone trust host-inbound-traffic system-services ssh");
  ok("set security zones security-zone trust host-inbound-traffic protocols bgp");
  ok("set security zones security-zone trust screen untrust-screen");  // defined later
  const Zone& z = config().zones["trust"];
  EXPECT_EQ(z.services, uint32_t(kSvcPing | kSvcSsh));
  EXPECT_EQ(z.protocols, uint32_t(kProtoBgp));
  auto j = json("show security zones trust");
  EXPECT_EQ(j[0]["system_services"], nlohmann::json::array({"ping", "ssh"}));
  EXPECT_EQ(j[0]["screen"], "untrust-screen");
  EXPECT_FALSE(j[0]["screen_defined"]);

  ok("set security zones security-zone trust host-inbound-traffic system-services all");
  EXPECT_EQ(z.services, uint32_t(kSvcAll));
  ok("delete security zones security-zone trust host-inbound-traffic system-services dns");
  EXPECT_EQ(z.services, uint32_t(kSvcAll & ~kSvcDns));
  ok("set security zones security-zone trust host-inbound-traffic protocols all");
  ok("delete security zones security-zone trust host-inbound-traffic protocols");
  EXPECT_EQ(z.protocols, 0u);
  bad("set security zones security-zone trust host-inbound-traffic system-services telnet", "unknown word 'telnet'");
  bad("set security zones security-zone trust host-inbound-traffic protocols rip", "bgp, ospf, vrrp or all");
  bad("delete security zones security-zone trust screen other", "has screen untrust-screen, not other");
  ok("delete security zones security-zone trust screen");
  EXPECT_EQ(z.screen, "");
  bad("delete security zones security-zone trust screen", "has no screen");
}

TEST_F(FwCli, AddressBookPrefixesRangesAndAcyclicSets) {
  ok("set security address-book global address web 10.0.1.0/24");
  ok("set security address-book global address host6 2001:db8::1");
  ok("set security address-book global address pool range-address 10.0.2.10 to 10.0.2.20");
  EXPECT_EQ(config().addresses["host6"].prefix.len, 128);
  ok("set security address-book global address web 10.0.1.77/24");  // replaced, host bits cleared
  EXPECT_EQ(config().addresses["web"].prefix.str(), "10.0.1.0/24");
  bad("set security address-book global address r range-address 10.0.0.9 to 10.0.0.1", "ends before it starts");
  bad("set security address-book global address r range-address 10.0.0.1 to 2001:db8::1", "mixes IPv4 and IPv6");
  bad("set security address-book global address any 10.0.0.0/8", "reserved");
  bad("set security address-book global address x 10.0.0.0/33", "out of range");
  bad("set security address-book zone1 address x 10.0.0.0/8", "expected global");

  ok("set security address-book global address-set servers address web");
  ok("set security address-book global address-set servers address pool");
  ok("set security address-book global address-set all-v address-set servers");
  ok("set security address-book global address-set all-v address host6");
  bad("set security address-book global address-set servers address nosuch", "no address or address-set 'nosuch'");
  bad("set security address-book global address-set servers address servers", "cannot hold itself");
  bad("set security address-book global address-set servers address-set all-v", "cycle");
  bad("set security address-book global address-set web address pool", "already an address");
  bad("set security address-book global address servers 10.0.0.0/8", "already an address-set");
  bad("delete security address-book global address web", "address web is in address-set servers");
  bad("delete security address-book global address-set servers", "is in address-set all-v");

  ok("delete security address-book global address-set servers address web");
  ok("delete security address-book global address web");
  ok("delete security address-book global address-set all-v");
  ok("delete security address-book global address-set servers");
  EXPECT_TRUE(config().address_sets.empty());
  bad("delete security address-book global address web", "no address 'web'");
}

TEST_F(FwCli, ApplicationsTermsAttributesAndSets) {
  ok("set applications application web protocol tcp destination-port 8080-8090 inactivity-timeout 600");
  ok("set applications application web source-port 1024-65535");  // the same term, one more attribute
  const AppTerm& t = config().applications["web"].terms.at("");
  EXPECT_EQ(t.proto, 6);
  EXPECT_EQ(t.dport_lo, 8080);
  EXPECT_EQ(t.dport_hi, 8090);
  EXPECT_EQ(t.sport_lo, 1024);
  EXPECT_EQ(t.inactivity_timeout, 600u);
  ok("set applications application trace term t1 protocol icmp icmp-type 11 icmp-code 0");
  ok("set applications application trace term t2 protocol 58 icmp-type 3");
  EXPECT_EQ(config().applications["trace"].terms.size(), 2u);
  ok("set applications application esp protocol 50");

  bad("set applications application x protocol tcp icmp-type 8", "icmp-type and icmp-code need protocol icmp");
  bad("set applications application x protocol icmp destination-port 80", "ports need protocol tcp");
  bad("set applications application x destination-port 80", "a new term needs protocol");
  bad("set applications application web term t1 protocol udp", "cannot be mixed with terms");
  bad("set applications application x protocol tcp destination-port 90-80", "ends before it starts");
  bad("set applications application x protocol bogus", "unknown protocol 'bogus'");
  bad("set applications application x protocol tcp color blue", "unknown word 'color'");
  bad("set applications application web protocol icmp", "ports need protocol tcp");

  ok("set applications application-set mgmt application junos-ssh");
  ok("set applications application-set mgmt application web");
  ok("set applications application-set outer application-set mgmt");
  bad("set applications application-set mgmt application-set outer", "cycle");
  bad("set applications application-set mgmt application nosuch", "no application or application-set 'nosuch'");
  bad("delete applications application web", "is in application-set mgmt");

  ok("delete applications application trace term t1");
  EXPECT_EQ(config().applications["trace"].terms.size(), 1u);
  ok("delete applications application trace term t2");  // the last term: the application goes
  EXPECT_FALSE(config().applications.count("trace"));
  ok("delete applications application-set mgmt application web");
  ok("delete applications application web");
  bad("delete applications application-set mgmt", "is in application-set outer");
}

TEST_F(FwCli, PoliciesKeepOrderInsertAndReuseIds) {
  const std::string pre = "set security policies from-zone trust to-zone untrust policy ";
  for (const char* p : {"a", "b", "c"}) {
    ok(pre + p + " match source-address any");
    ok(pre + p + " match destination-address any");
    ok(pre + p + " match application junos-http");
  }
  const PolicyScope tu = ZonePair{"trust", "untrust"};
  EXPECT_EQ(policy_names(tu), (std::vector<std::string>{"a", "b", "c"}));
  const uint32_t id_b = config().policies[*tu][1].id;
  EXPECT_FALSE(config().policies[*tu][0].active());  // no then
  ok(pre + "a then permit");
  EXPECT_TRUE(config().policies[*tu][0].active());

  ok("insert security policies from-zone trust to-zone untrust policy c before policy a");
  EXPECT_EQ(policy_names(tu), (std::vector<std::string>{"c", "a", "b"}));
  ok("insert security policies from-zone trust to-zone untrust policy c after policy b");
  EXPECT_EQ(policy_names(tu), (std::vector<std::string>{"a", "b", "c"}));
  bad("insert security policies from-zone trust to-zone untrust policy c before policy nosuch", "no policy 'nosuch'");
  bad("insert security policies from-zone trust to-zone untrust policy c between policy a", "expected before or after");

  ok("delete security policies from-zone trust to-zone untrust policy b");
  ok(pre + "d match application junos-ssh");
  EXPECT_EQ(policy_names(tu), (std::vector<std::string>{"a", "c", "d"}));
  EXPECT_EQ(config().policies[*tu][2].id, id_b);  // b's id, reused

  // Several values, on one line or several; deleting one of them.
  ok(pre + "d match source-address [ net1 net2 ]");
  ok(pre + "d match source-address net3");
  ok(pre + "d match source-address net1");  // already there: unchanged
  EXPECT_EQ(config().policies[*tu][2].src, (std::vector<std::string>{"net1", "net2", "net3"}));
  ok("delete security policies from-zone trust to-zone untrust policy d match source-address net2");
  EXPECT_EQ(config().policies[*tu][2].src, (std::vector<std::string>{"net1", "net3"}));
  ok(pre + "d match destination-address any application junos-https then reject");
  ok(pre + "d then log session-init");
  ok(pre + "d then log session-close");
  ok(pre + "d then count");
  const Policy& d = config().policies[*tu][2];
  EXPECT_EQ(d.app, (std::vector<std::string>{"junos-ssh", "junos-https"}));
  EXPECT_EQ(d.action, Action::kReject);
  EXPECT_TRUE(d.log_init && d.log_close && d.count);
  ok("delete security policies from-zone trust to-zone untrust policy d then count");
  EXPECT_FALSE(config().policies[*tu][2].count);
  bad("delete security policies from-zone trust to-zone untrust policy d then permit", "has no then permit");
  bad(pre + "d then accept", "unknown word 'accept'");
  bad(pre + "d match port 80", "expected source-address, destination-address or application");
  ok(pre + "d");  // exists: nothing to do
  bad("delete security policies from-zone trust to-zone untrust policy nosuch", "no policy 'nosuch'");

  ok("set security policies global policy g1 match source-address any");
  ok("set security policies global policy g1 then deny");
  EXPECT_EQ(policy_names(std::nullopt), std::vector<std::string>{"g1"});
  ok("set security policies default-policy permit-all");
  EXPECT_TRUE(config().default_permit);
  ok("delete security policies default-policy");
  EXPECT_FALSE(config().default_permit);
  ok("delete security policies global policy g1");
  EXPECT_TRUE(config().global.empty());
}

TEST_F(FwCli, ShowPoliciesStateReasonsAndHitCount) {
  ok("set security zones security-zone trust");
  ok("set security policies from-zone trust to-zone untrust policy p match source-address web");
  ok("set security policies from-zone trust to-zone untrust policy q match source-address any destination-address "
     "any application any then permit");
  auto j = json("show security policies");
  EXPECT_EQ(j["default_policy"], "deny-all");
  ASSERT_EQ(j["contexts"].size(), 1u);
  auto& ps = j["contexts"][0]["policies"];
  ASSERT_EQ(ps.size(), 2u);
  EXPECT_EQ(ps[0]["state"], "inactive");
  EXPECT_EQ(ps[0]["reason"], "no destination-address, no application, no then");
  EXPECT_EQ(ps[0]["undefined"], nlohmann::json::array({"web"}));
  EXPECT_EQ(ps[1]["state"], "active");
  EXPECT_EQ(ps[1]["sequence"], 2);
  EXPECT_TRUE(j["rulebase"].contains("current"));
  std::string text = run("show security policies").text;
  EXPECT_NE(text.find("Rulebase: "), std::string::npos);
  EXPECT_NE(text.find("State: inactive (no destination-address, no application, no then)"), std::string::npos);
  EXPECT_NE(text.find("zone untrust not defined"), std::string::npos);
  EXPECT_NE(text.find("web (undefined)"), std::string::npos);

  auto h = json("show security policies from-zone trust to-zone untrust hit-count");
  ASSERT_EQ(h.size(), 2u);
  EXPECT_EQ(h[1]["name"], "q");
  EXPECT_EQ(h[1]["count"], 0);
  EXPECT_NE(run("show security policies hit-count").text.find("Number of policy: 2"), std::string::npos);
  EXPECT_EQ(json("show security policies from-zone a to-zone b")["contexts"].size(), 0u);
  bad("show security policies from-zone trust", "expected to-zone");
}

TEST_F(FwCli, FlowSettingsAndTheirDefaults) {
  ok("set security flow timeout tcp-established 3600");
  ok("set security flow timeout udp 30");
  EXPECT_EQ(config().flow.timeouts.s[kTcpEstablished], 3600u);
  bad("set security flow timeout udp 0", "must be 1 to 86400");
  bad("set security flow timeout udp 86401", "must be 1 to 86400");
  bad("set security flow timeout sctp 30", "expected tcp-initial, tcp-established");
  ok("set security flow session-limit 100000 per-source 100");
  EXPECT_EQ(config().flow.session_limit, 100000u);
  EXPECT_EQ(config().flow.per_source, 100u);
  ok("set security flow session-limit per-source 50");
  EXPECT_EQ(config().flow.session_limit, 100000u);
  EXPECT_EQ(config().flow.per_source, 50u);
  bad("set security flow session-limit", "incomplete");
  ok("set security flow tcp-session no-syn-check");
  EXPECT_TRUE(config().flow.no_syn_check);
  ok("set security flow aging early-ageout 20 high-watermark 90 low-watermark 70");
  EXPECT_EQ(config().flow.early.seconds, 20u);
  bad("set security flow aging early-ageout 20 high-watermark 60 low-watermark 70", "low-watermark below");
  bad("set security flow aging high-watermark 101", "out of range");

  ok("delete security flow timeout udp");
  EXPECT_EQ(config().flow.timeouts.s[kUdp], 60u);
  ok("delete security flow session-limit per-source");
  EXPECT_EQ(config().flow.per_source, 0u);
  EXPECT_EQ(config().flow.session_limit, 100000u);
  ok("delete security flow tcp-session no-syn-check");
  ok("delete security flow aging");
  EXPECT_EQ(config().flow.early.seconds, 0u);
  ok("delete security flow");
  EXPECT_TRUE(fw_lines().empty());
}

TEST_F(FwCli, ScreenProfiles) {
  const std::string pre = "set security screen ids-option untrust-screen ";
  ok(pre + "icmp flood threshold 500");
  ok(pre + "udp flood");  // Junos' default threshold
  ok(pre + "tcp syn-flood attack-threshold 300");
  for (const char* f : {"tcp land", "tcp syn-fin", "tcp tcp-no-flag", "tcp fin-no-ack", "tcp winnuke",
                        "icmp ping-death", "icmp large", "ip tear-drop", "ip source-route-option", "ip spoofing"})
    ok(pre + f);
  const Screen& s = config().screens["untrust-screen"];
  EXPECT_EQ(s.icmp_flood, 500u);
  EXPECT_EQ(s.udp_flood, 1000u);
  EXPECT_EQ(s.syn_flood, 300u);
  EXPECT_EQ(s.flags, (uint32_t(kScrSpoofing) << 1) - 1);
  bad(pre + "tcp smurf", "expected syn-flood, land, syn-fin, tcp-no-flag, fin-no-ack or winnuke");
  bad(pre + "icmp flood threshold 2000000", "go up to 1000000");
  ok("delete security screen ids-option untrust-screen ip spoofing");
  EXPECT_FALSE(s.flags & kScrSpoofing);
  bad("delete security screen ids-option untrust-screen ip spoofing", "has no ip spoofing");

  ok("set security zones security-zone untrust screen untrust-screen");
  ok("delete security screen ids-option untrust-screen");
  EXPECT_FALSE(config().screens.count("untrust-screen"));
  EXPECT_EQ(config().zones["untrust"].screen, "untrust-screen");  // kept; screens nothing
}

TEST_F(FwCli, LogStreams) {
  ok("set security log stream siem host 192.0.2.10");
  EXPECT_EQ(config().streams["siem"].port, 514);
  ok("set security log stream siem port 1514");
  EXPECT_EQ(config().streams["siem"].host.str(), "192.0.2.10");
  EXPECT_EQ(config().streams["siem"].port, 1514);
  bad("set security log stream other port 1514", "needs host");
  bad("set security log stream other host 0.0.0.0", "unspecified");
  bad("set security log stream other host 192.0.2.1 port 70000", "out of range");
  ok("delete security log stream siem");
  bad("delete security log stream siem", "no log stream 'siem'");
}

TEST_F(FwCli, UnknownWordsNameThemselvesAndWhatWasExpected) {
  auto r = run("set security firewall x");
  EXPECT_FALSE(r.ok);
  EXPECT_NE(r.text.find("unknown word 'firewall' after 'set security': expected "), std::string::npos) << r.text;
  EXPECT_NE(r.text.find("zones"), std::string::npos) << r.text;
  bad("set security", "incomplete");
  bad("set applications application", "missing application name");
  bad("set applications app-group x", "expected application or application-set");
  bad("delete security policies from-zone a to-zone b policy p then deny extra", "no policy 'p'");
  // Unique abbreviations, as for command words.
  ok("set security zones security-zone trust host-inbound-traffic sys ping");
  EXPECT_EQ(config().zones["trust"].services, uint32_t(kSvcPing));
}

TEST_F(FwCli, DeletedInterfaceLeavesItsZone) {
  ok("set security zones security-zone trust interfaces " + if_[0]);
  ok("set security zones security-zone trust interfaces " + if_[1]);
  ops::delete_interface(idx_[0]);
  EXPECT_EQ(config().zones["trust"].interfaces, std::set<std::string>{if_[1]});
  ops::delete_interface(idx_[1]);
  EXPECT_TRUE(config().zones["trust"].interfaces.empty());
  EXPECT_EQ(fw_lines(), std::vector<std::string>{"set security zones security-zone trust"});
}

TEST_F(FwCli, RunningConfigReplaysExactly) {
  const std::string tu = "set security policies from-zone trust to-zone untrust policy ";
  const std::vector<std::string> script = {
      "set security zones security-zone trust interfaces " + if_[0],
      "set security zones security-zone trust host-inbound-traffic system-services all",
      "set security zones security-zone trust host-inbound-traffic protocols bgp",
      "set security zones security-zone untrust interfaces " + if_[1],
      "set security zones security-zone untrust host-inbound-traffic system-services ping",
      "set security zones security-zone untrust screen untrust-screen",
      "set security zones security-zone empty",
      "set security screen ids-option untrust-screen tcp syn-flood attack-threshold 200",
      "set security screen ids-option untrust-screen ip spoofing",
      "set security screen ids-option nothing",
      "set security address-book global address web 10.0.1.0/24",
      "set security address-book global address v6 2001:db8::/32",
      "set security address-book global address pool range-address 10.0.2.1 to 10.0.2.9",
      "set security address-book global address-set z-inner address web",
      "set security address-book global address-set a-outer address-set z-inner",
      "set security address-book global address-set a-outer address pool",
      "set security address-book global address-set empty-set",
      "set applications application app8080 protocol tcp destination-port 8080 inactivity-timeout 900",
      "set applications application multi term t1 protocol udp source-port 1000-2000 destination-port 53",
      "set applications application multi term t2 protocol icmp6 icmp-type 128 icmp-code 0",
      "set applications application-set z-apps application app8080",
      "set applications application-set a-apps application-set z-apps",
      "set applications application-set a-apps application junos-ssh",
      tu + "second match source-address any",
      tu + "first match source-address web",
      tu + "first match source-address v6",
      tu + "first match destination-address any",
      tu + "first match application a-apps",
      tu + "first then permit",
      tu + "first then log session-init",
      tu + "first then log session-close",
      tu + "first then count",
      "insert security policies from-zone trust to-zone untrust policy first before policy second",
      tu + "bare",
      "set security policies from-zone untrust to-zone trust policy deny-in match source-address any",
      "set security policies from-zone untrust to-zone trust policy deny-in then reject",
      "set security policies global policy g match application junos-ping",
      "set security policies global policy g then deny",
      "set security policies default-policy permit-all",
      "set security flow timeout tcp-initial 10",
      "set security flow timeout other 600",
      "set security flow session-limit 5000",
      "set security flow tcp-session no-syn-check",
      "set security flow aging early-ageout 30 high-watermark 80 low-watermark 60",
      "set security log stream siem host 2001:db8::10 port 6514",
      "set security log stream local host 127.0.0.1",
  };
  for (auto& c : script) ok(c);
  const auto lines = fw_lines();
  EXPECT_EQ(lines.size(), 45u);
  // Policies in their order; sets after their members.
  auto at = [&](const std::string& l) { return std::find(lines.begin(), lines.end(), l) - lines.begin(); };
  EXPECT_LT(at(tu + "first then permit"), at(tu + "second match source-address any"));
  EXPECT_LT(at("set security address-book global address-set z-inner address web"),
            at("set security address-book global address-set a-outer address-set z-inner"));
  EXPECT_NE(at("set security address-book global address-set empty-set"), long(lines.size()));

  reset_config();
  for (auto& l : lines) ok(l);
  EXPECT_EQ(fw_lines(), lines);
  EXPECT_EQ(policy_names(ZonePair{"trust", "untrust"}), (std::vector<std::string>{"first", "second", "bare"}));
}

TEST_F(FwCli, ReplaceRulebaseValidatesAllThenSwapsAtOnce) {
  ok("set security policies from-zone trust to-zone untrust policy keep match source-address any");
  ok("set security policies from-zone trust to-zone untrust policy drop match source-address any");
  const uint32_t keep_id = config().policies[ZonePair{"trust", "untrust"}][0].id;
  const uint32_t drop_id = config().policies[ZonePair{"trust", "untrust"}][1].id;

  RulebaseSpec r;
  r.addresses["net"] = Address{false, parse_prefix("10.0.0.0/8"), {}, {}};
  r.address_sets["s"].members = {"net", "missing"};
  Policy p;
  p.name = "new";
  p.src = {"s"};
  r.policies[ZonePair{"trust", "untrust"}].push_back(p);
  p.name = "keep";
  r.policies[ZonePair{"trust", "untrust"}].push_back(p);
  auto before = fw_lines();
  EXPECT_THROW(replace_rulebase(r), Error);  // the set names a missing member
  EXPECT_EQ(fw_lines(), before);

  r.address_sets["s"].members = {"net"};
  r.default_permit = true;
  replace_rulebase(r);
  auto& l = config().policies[ZonePair{"trust", "untrust"}];
  ASSERT_EQ(l.size(), 2u);
  EXPECT_EQ(l[0].name, "new");
  EXPECT_EQ(l[0].id, drop_id);  // the id of the policy that went
  EXPECT_EQ(l[1].id, keep_id);  // same scope and name: same id
  EXPECT_TRUE(config().default_permit);
  EXPECT_TRUE(config().applications.count("junos-http"));  // predefined stay

  RulebaseSpec bad_app;
  bad_app.applications["junos-http"].terms[""].proto = 17;
  EXPECT_THROW(replace_rulebase(bad_app), Error);
  EXPECT_EQ(config().policies.size(), 1u);
}

TEST(FwOps, PolicyIdsRunOutWithAOneLineError) {
  config() = Config{};
  add_predefined(config());
  config().next_policy_id = kMaxPolicies - 1;
  Policy p;
  p.name = "last";
  set_policy(std::nullopt, p);
  EXPECT_EQ(config().global[0].id, kMaxPolicies - 1);
  p.name = "one-too-many";
  try {
    set_policy(std::nullopt, p);
    ADD_FAILURE() << "accepted";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("at most 65535 policies"), std::string::npos) << e.what();
  }
  EXPECT_EQ(config().global.size(), 1u);
  config() = Config{};
  add_predefined(config());
}

}  // namespace
}  // namespace vp::fw
