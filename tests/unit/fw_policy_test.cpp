// The firewall's policy classifier: the compiled rulebase against
// reference_match on randomised configurations and traffic (fixed seeds),
// IPv4, IPv6 and both in one call, then cases one at a time: evaluation
// order, the default policy, inactive policies, unresolved names, set
// cycles, ICMP type/code, multi-term applications, address families, IPv6
// ranges across 32- and 64-bit words, keys without a zone, an empty
// configuration.
#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

#include "features/fw/policy_compile.hpp"

namespace vp::fw {
namespace {

Address prefix(const char* p) { return Address{.prefix = parse_prefix(p)}; }
Address range(const char* lo, const char* hi) {
  return Address{.is_range = true, .lo = parse_ip(lo), .hi = parse_ip(hi)};
}

AppTerm tcp(uint16_t lo, uint16_t hi, uint32_t timeout = 0) {
  return AppTerm{.proto = 6, .dport_lo = lo, .dport_hi = hi, .inactivity_timeout = timeout};
}
AppTerm icmp(uint8_t proto, int16_t type, int16_t code, uint32_t timeout = 0) {
  return AppTerm{.proto = proto, .icmp_type = type, .icmp_code = code, .inactivity_timeout = timeout};
}

Policy policy(uint32_t id, std::vector<std::string> src, std::vector<std::string> dst, std::vector<std::string> app,
              Action a = Action::kPermit) {
  return Policy{.name = "p" + std::to_string(id),
                .id = id,
                .src = std::move(src),
                .dst = std::move(dst),
                .app = std::move(app),
                .action = a};
}

ClassifyKey key(uint8_t from, uint8_t to, uint8_t proto, const char* src, const char* dst, uint16_t sport,
                uint16_t dport) {
  ClassifyKey k{.from = from, .to = to, .proto = proto, .sport = sport, .dport = dport};
  IpAddr s = parse_ip(src), d = parse_ip(dst);
  k.v6 = s.v6;
  std::copy(s.b.begin(), s.b.end(), k.src);
  std::copy(d.b.begin(), d.b.end(), k.dst);
  return k;
}

// Two zones (trust 1, untrust 2).
Config zones() {
  Config c;
  c.zones["trust"].id = 1;
  c.zones["untrust"].id = 2;
  return c;
}

// Classifies the keys and checks each against the reference; returns how
// many matched some policy.
size_t expect_same(const Config& c, const std::vector<ClassifyKey>& keys, const char* what) {
  auto rb = Rulebase::compile(c, 7);
  EXPECT_EQ(rb->generation(), 7u);
  std::vector<const ClassifyKey*> ptrs;
  for (auto& k : keys) ptrs.push_back(&k);
  std::vector<uint32_t> out(keys.size(), ~0u);
  for (size_t at = 0; at < keys.size(); at += 256) {
    const uint32_t n = uint32_t(std::min<size_t>(256, keys.size() - at));
    rb->classify(ptrs.data() + at, n, out.data() + at);
  }
  int bad = 0;
  size_t matched = 0;
  for (size_t i = 0; i < keys.size() && bad < 5; i++) {
    const RuleResult want = reference_match(c, keys[i]);
    matched += want.policy != 0;
    const RuleResult& got = rb->result(out[i]);
    if (got.policy != want.policy || got.action != want.action || got.timeout != want.timeout ||
        got.log_init != want.log_init || got.log_close != want.log_close || got.count != want.count) {
      const auto& k = keys[i];
      ADD_FAILURE() << what << ": key " << i << " (zones " << int(k.from) << "->" << int(k.to) << ", proto "
                    << int(k.proto) << ", ports " << k.sport << "/" << k.dport << ", v6 " << int(k.v6)
                    << "): compiled policy " << got.policy << " timeout " << got.timeout << ", reference policy "
                    << want.policy << " timeout " << want.timeout;
      bad++;
    }
  }
  return matched;
}

uint32_t classify_one(const Rulebase& rb, const ClassifyKey& k) {
  const ClassifyKey* p = &k;
  uint32_t out = ~0u;
  rb.classify(&p, 1, &out);
  return out;
}

// ---------------------------------------------------------------------------
// Randomised: a small universe of addresses, ports and zones, so that most
// keys fall on some entry's edge.

struct Gen {
  std::mt19937_64 rng;
  bool v6;
  explicit Gen(uint64_t seed, bool v6) : rng(seed), v6(v6) {}

  uint64_t pick(uint64_t n) { return rng() % n; }
  bool chance(int percent) { return int(pick(100)) < percent; }

  // Addresses in 10.0.0.0/22, or IPv6 addresses on both sides of 32- and
  // 64-bit word edges (2001:db8::/118, the top of 2001:db8:0:{0,1}::/64,
  // 2001:db8:0:{1,2}::/120, 2001:db8:1::/120), so that ranges cross them.
  IpAddr addr() {
    IpAddr a;
    a.v6 = v6;
    if (!v6) {
      a.b[0] = 10, a.b[1] = 0, a.b[2] = uint8_t(pick(4)), a.b[3] = uint8_t(pick(256));
      return a;
    }
    const uint8_t base[16] = {0x20, 0x01, 0x0d, 0xb8};
    std::copy(base, base + 16, a.b.begin());
    switch (pick(3)) {
      case 0:  // 2001:db8::0-3ff
        a.b[14] = uint8_t(pick(4)), a.b[15] = uint8_t(pick(256));
        break;
      case 1:  // the top of words 2 and 3: 2001:db8:0:{0,1}:ffff:{fffe,ffff}:ffff:ffxx
        for (int i = 8; i < 16; i++) a.b[i] = 0xff;
        a.b[7] = uint8_t(pick(2));
        a.b[15] = uint8_t(pick(256));
        if (chance(50)) a.b[11] = uint8_t(0xfe + pick(2));
        break;
      default:  // 2001:db8:0:1::0-ff, 2001:db8:0:2::, 2001:db8:1::
        a.b[7] = uint8_t(1 + pick(2));
        if (chance(20)) a.b[5] = 1, a.b[7] = 0;
        a.b[15] = uint8_t(pick(256));
        break;
    }
    return a;
  }
  static bool less(const IpAddr& x, const IpAddr& y) { return x.b < y.b; }

  Address address() {
    if (chance(30)) {
      IpAddr lo = addr(), hi = addr();
      if (less(hi, lo)) std::swap(lo, hi);
      return Address{.is_range = true, .lo = lo, .hi = hi};
    }
    const int bits = v6 ? 128 : 32;
    const int len = v6 ? int(100 + pick(29)) : int(22 + pick(11));
    return Address{.prefix = Prefix{addr(), uint8_t(chance(5) ? bits - 24 - int(pick(8)) : len)}};
  }

  AppTerm term() {
    AppTerm t;
    const uint64_t k = pick(10);
    if (k == 0) {
      t.any_proto = true;
      if (chance(50)) t.dport_lo = uint16_t(pick(8)), t.dport_hi = uint16_t(t.dport_lo + pick(8));
    } else if (k <= 2) {
      t.proto = v6 ? 58 : 1;
      t.icmp_type = int16_t(pick(4)) - 1;
      t.icmp_code = int16_t(pick(3)) - 1;
      // Ports are not looked at for ICMP.
      t.sport_lo = t.sport_hi = 9;
    } else {
      t.proto = chance(50) ? 6 : 17;
      if (chance(30)) t.sport_lo = uint16_t(pick(16)), t.sport_hi = uint16_t(t.sport_lo + pick(16));
      if (chance(80)) {
        t.dport_lo = uint16_t(pick(16));
        t.dport_hi = chance(50) ? t.dport_lo : uint16_t(std::min<uint64_t>(65535, t.dport_lo + pick(20)));
      }
      if (chance(5)) t.dport_lo = 65530, t.dport_hi = 65535;
    }
    t.inactivity_timeout = uint32_t(pick(4)) * 10;
    return t;
  }

  // Names of `n` entries (e<i>) and `sets` sets (s<i>) that name them, other
  // sets, undefined names, and sometimes themselves.
  std::vector<std::string> names(const std::string& e, const std::string& s, int n, int sets) {
    std::vector<std::string> v;
    const int k = 1 + int(pick(3));
    for (int i = 0; i < k; i++) {
      const uint64_t r = pick(100);
      if (r < 8)
        v.push_back("any");
      else if (r < 10)
        v.push_back("undefined");
      else if (r < 30)
        v.push_back(s + std::to_string(pick(sets)));
      else
        v.push_back(e + std::to_string(pick(n)));
    }
    return v;
  }

  Config config(int policies) {
    Config c;
    const int zn = 4;
    for (int z = 1; z <= zn; z++) c.zones["z" + std::to_string(z)].id = uint8_t(z);
    const int na = 24, ns = 8, np = 10, nas = 5;
    for (int i = 0; i < na; i++) c.addresses["a" + std::to_string(i)] = address();
    for (int i = 0; i < ns; i++) {
      auto& m = c.address_sets["s" + std::to_string(i)].members;
      const int k = int(pick(4));  // sometimes empty
      for (int j = 0; j < k; j++)
        m.insert(chance(25) ? "s" + std::to_string(pick(ns)) : chance(5) ? "nope" : "a" + std::to_string(pick(na)));
    }
    for (int i = 0; i < np; i++) {
      auto& a = c.applications["app" + std::to_string(i)];
      const int k = int(pick(4));  // sometimes termless
      for (int j = 0; j < k; j++) a.terms["t" + std::to_string(j)] = term();
    }
    for (int i = 0; i < nas; i++) {
      auto& m = c.application_sets["as" + std::to_string(i)].members;
      const int k = 1 + int(pick(3));
      for (int j = 0; j < k; j++)
        m.insert(chance(25) ? "as" + std::to_string(pick(nas)) : "app" + std::to_string(pick(np)));
    }
    uint32_t id = 1;
    for (int i = 0; i < policies; i++) {
      Policy p = policy(id++, names("a", "s", na, ns), names("a", "s", na, ns), names("app", "as", np, nas),
                        chance(50)   ? Action::kPermit
                        : chance(50) ? Action::kDeny
                                     : Action::kReject);
      p.log_init = chance(20), p.log_close = chance(20), p.count = chance(30);
      if (chance(5)) p.action = Action::kNone;
      if (chance(3)) p.app.clear();
      if (chance(30)) {
        c.global.push_back(p);
      } else {
        // z5 is not defined: that pair's policies never match.
        const auto from = "z" + std::to_string(1 + pick(zn + 1)), to = "z" + std::to_string(1 + pick(zn));
        c.policies[{from, to}].push_back(p);
      }
    }
    c.default_permit = chance(50);
    return c;
  }

  ClassifyKey key() {
    ClassifyKey k;
    // 0 is no zone, 5 a zone id with no zone.
    k.from = uint8_t(chance(90) ? 1 + pick(4) : pick(2) * 5);
    k.to = uint8_t(chance(90) ? 1 + pick(4) : pick(2) * 5);
    const uint8_t protos[] = {6, 17, uint8_t(v6 ? 58 : 1), uint8_t(v6 ? 1 : 58), 47};
    k.proto = protos[pick(chance(80) ? 3 : 5)];
    k.v6 = v6;
    k.sport = uint16_t(chance(95) ? pick(34) : 65535 - pick(8));
    k.dport = uint16_t(chance(95) ? pick(40) : 65535 - pick(8));
    const IpAddr s = addr(), d = addr();
    std::copy(s.b.begin(), s.b.end(), k.src);
    std::copy(d.b.begin(), d.b.end(), k.dst);
    return k;
  }
};

void randomised(bool v6, uint64_t seed, int configs) {
  size_t matched = 0, keys_in_all = 0;
  for (int i = 0; i < configs; i++) {
    Gen g(seed + uint64_t(i), v6);
    const Config c = g.config(1 + int(g.pick(80)));
    std::vector<ClassifyKey> keys(3000);
    for (auto& k : keys) k = g.key();
    matched += expect_same(c, keys, (std::string(v6 ? "IPv6" : "IPv4") + " config " + std::to_string(i)).c_str());
    keys_in_all += keys.size();
  }
  // The traffic must reach the policies for the comparison to mean much.
  EXPECT_GT(matched, keys_in_all / 5);
}

TEST(FwPolicy, RandomIPv4) { randomised(false, 1000, 40); }
TEST(FwPolicy, RandomIPv6) { randomised(true, 2000, 40); }

// Enough rules that zone pairs and the global policies span several
// aggregate words (4096 rules each).
TEST(FwPolicy, RandomLarge) {
  for (bool v6 : {false, true}) {
    Gen g(77 + v6, v6);
    const Config c = g.config(12000);
    const auto rb = Rulebase::compile(c, 1);
    EXPECT_GT(rb->rules(), 4096u);
    std::vector<ClassifyKey> keys(400);
    for (auto& k : keys) k = g.key();
    EXPECT_GT(expect_same(c, keys, v6 ? "large IPv6" : "large IPv4"), keys.size() / 5);
  }
}

// Both families in one call, and calls longer than the classifier's chunk.
TEST(FwPolicy, RandomMixedFamilies) {
  Gen g4(31, false), g6(32, true);
  Config c = g4.config(40);
  const Config c6 = g6.config(40);
  for (auto& [n, a] : c6.addresses) c.addresses["v6" + n] = a;
  for (auto& [pair, list] : c6.policies)
    for (Policy p : list) {
      for (auto* f : {&p.src, &p.dst})
        for (auto& n : *f)
          if (n[0] == 'a' && n != "any") n = "v6" + n;
      p.id += 1000;
      c.policies[pair].push_back(p);
    }
  std::vector<ClassifyKey> keys(4000);
  for (auto& k : keys) k = g4.chance(50) ? g4.key() : g6.key();
  EXPECT_GT(expect_same(c, keys, "mixed"), keys.size() / 10);
}

// ---------------------------------------------------------------------------
// One case at a time.

TEST(FwPolicy, EmptyConfig) {
  Config c;
  auto rb = Rulebase::compile(c, 1);
  ASSERT_TRUE(rb);
  EXPECT_EQ(rb->rules(), 0u);
  const ClassifyKey k4 = key(1, 2, 6, "10.0.0.1", "10.0.0.2", 1, 2), k6 = key(1, 2, 17, "::1", "::2", 1, 2);
  EXPECT_EQ(rb->result(classify_one(*rb, k4)).action, Action::kDeny);
  EXPECT_EQ(rb->result(classify_one(*rb, k6)).policy, 0u);
  c.default_permit = true;
  rb = Rulebase::compile(c, 2);
  EXPECT_EQ(rb->result(classify_one(*rb, k4)).action, Action::kPermit);
  EXPECT_EQ(rb->result(classify_one(*rb, k6)).action, Action::kPermit);
}

TEST(FwPolicy, ZonePairBeforeGlobalBeforeDefault) {
  Config c = zones();
  c.addresses["net"] = prefix("10.1.0.0/16");
  c.applications["ssh"].terms["t"] = tcp(22, 22);
  c.policies[{"trust", "untrust"}] = {policy(1, {"any"}, {"net"}, {"ssh"}, Action::kDeny),
                                      policy(2, {"any"}, {"any"}, {"ssh"})};
  c.global = {policy(3, {"any"}, {"net"}, {"any"}, Action::kReject), policy(4, {"any"}, {"any"}, {"any"})};
  auto rb = Rulebase::compile(c, 1);
  auto id = [&](const ClassifyKey& k) { return rb->result(classify_one(*rb, k)).policy; };
  EXPECT_EQ(id(key(1, 2, 6, "10.0.0.1", "10.1.2.3", 999, 22)), 1u);
  EXPECT_EQ(id(key(1, 2, 6, "10.0.0.1", "10.2.2.3", 999, 22)), 2u);
  EXPECT_EQ(id(key(1, 2, 6, "10.0.0.1", "10.1.2.3", 999, 80)), 3u);
  EXPECT_EQ(id(key(2, 1, 6, "10.0.0.1", "10.1.2.3", 999, 22)), 3u);  // no policies untrust->trust
  EXPECT_EQ(id(key(2, 1, 6, "10.0.0.1", "10.2.2.3", 999, 22)), 4u);
  EXPECT_EQ(id(key(2, 1, 6, "2001:db8::1", "2001:db8::2", 999, 22)), 4u);
  // A key without a zone gets the default policy, not the global ones.
  EXPECT_EQ(id(key(kNoZone, 1, 6, "10.0.0.1", "10.1.2.3", 999, 22)), 0u);
  EXPECT_EQ(id(key(1, kNoZone, 6, "10.0.0.1", "10.1.2.3", 999, 22)), 0u);
  c.global.clear();
  rb = Rulebase::compile(c, 2);
  const RuleResult& r = rb->result(classify_one(*rb, key(2, 1, 6, "10.0.0.1", "10.1.2.3", 9, 22)));
  EXPECT_EQ(r.policy, 0u);
  EXPECT_EQ(r.action, Action::kDeny);
}

TEST(FwPolicy, InactivePoliciesAndUnresolvedNames) {
  Config c = zones();
  c.addresses["net"] = prefix("10.1.0.0/16");
  c.applications["web"].terms["t"] = tcp(80, 80);
  c.application_sets["empty"];
  c.address_sets["nothing"].members = {"undefined"};
  auto& l = c.policies[{"trust", "untrust"}];
  l.push_back(policy(1, {"any"}, {"net"}, {"web"}, Action::kNone));    // no then
  l.push_back(policy(2, {}, {"net"}, {"web"}));                        // no source
  l.push_back(policy(3, {"any"}, {"net", "undefined"}, {"web"}));      // one name undefined
  l.push_back(policy(4, {"nothing"}, {"net"}, {"web"}));               // a set of undefined names
  l.push_back(policy(5, {"any"}, {"net"}, {"empty"}));                 // an empty application set
  l.push_back(policy(6, {"any"}, {"net"}, {"web", "undefined-app"}));  // one application undefined
  l.push_back(policy(7, {"any"}, {"net"}, {"web"}));
  auto rb = Rulebase::compile(c, 1);
  EXPECT_EQ(rb->result(classify_one(*rb, key(1, 2, 6, "10.0.0.1", "10.1.0.1", 5, 80))).policy, 7u);
  EXPECT_EQ(rb->rules(), 1u);
  c.addresses["undefined"] = prefix("10.9.0.0/16");
  rb = Rulebase::compile(c, 2);
  EXPECT_EQ(rb->result(classify_one(*rb, key(1, 2, 6, "10.0.0.1", "10.1.0.1", 5, 80))).policy, 3u);
}

TEST(FwPolicy, SetCyclesResolveToWhatWasFound) {
  Config c = zones();
  c.addresses["a"] = prefix("10.0.0.1/32");
  c.addresses["b"] = prefix("10.0.0.2/32");
  c.address_sets["x"].members = {"a", "y"};
  c.address_sets["y"].members = {"x", "b"};
  c.address_sets["loop"].members = {"loop"};
  c.applications["web"].terms["t"] = tcp(80, 80, 30);
  c.application_sets["ax"].members = {"ay", "web"};
  c.application_sets["ay"].members = {"ax"};
  c.policies[{"trust", "untrust"}] = {policy(1, {"loop"}, {"any"}, {"any"}), policy(2, {"y"}, {"any"}, {"ax"})};
  auto rb = Rulebase::compile(c, 1);
  for (const char* src : {"10.0.0.1", "10.0.0.2"}) {
    const RuleResult& r = rb->result(classify_one(*rb, key(1, 2, 6, src, "10.5.5.5", 5, 80)));
    EXPECT_EQ(r.policy, 2u) << src;
    EXPECT_EQ(r.timeout, 30u);
  }
  EXPECT_EQ(rb->result(classify_one(*rb, key(1, 2, 6, "10.0.0.3", "10.5.5.5", 5, 80))).policy, 0u);
}

TEST(FwPolicy, FirstMatchingTermGivesTheTimeout) {
  Config c = zones();
  auto& t = c.applications["multi"].terms;
  t["a"] = tcp(80, 90, 100);
  t["b"] = tcp(85, 95, 200);
  t["c"] = AppTerm{.proto = 17, .inactivity_timeout = 300};
  c.applications["dns"].terms[""] = AppTerm{.proto = 17, .dport_lo = 53, .dport_hi = 53, .inactivity_timeout = 5};
  c.policies[{"trust", "untrust"}] = {policy(1, {"any"}, {"any"}, {"dns", "multi"})};
  auto rb = Rulebase::compile(c, 1);
  auto timeout = [&](uint8_t proto, uint16_t dport) {
    return rb->result(classify_one(*rb, key(1, 2, proto, "10.0.0.1", "10.0.0.2", 1000, dport))).timeout;
  };
  EXPECT_EQ(timeout(6, 80), 100u);
  EXPECT_EQ(timeout(6, 88), 100u);
  EXPECT_EQ(timeout(6, 93), 200u);
  EXPECT_EQ(timeout(17, 53), 5u);
  EXPECT_EQ(timeout(17, 54), 300u);
  EXPECT_EQ(rb->result(classify_one(*rb, key(1, 2, 6, "10.0.0.1", "10.0.0.2", 1, 96))).policy, 0u);
}

TEST(FwPolicy, IcmpTypeAndCode) {
  Config c = zones();
  c.applications["echo"].terms[""] = icmp(1, 8, -1, 7);
  c.applications["unreach-port"].terms[""] = icmp(1, 3, 3);
  c.applications["echo6"].terms[""] = icmp(58, 128, 0);
  c.policies[{"trust", "untrust"}] = {policy(1, {"any"}, {"any"}, {"echo"}),
                                      policy(2, {"any"}, {"any"}, {"unreach-port"}),
                                      policy(3, {"any"}, {"any"}, {"echo6"})};
  auto rb = Rulebase::compile(c, 1);
  auto id = [&](uint8_t proto, uint16_t type, uint16_t code, const char* a) {
    return rb->result(classify_one(*rb, key(1, 2, proto, a, a, type, code))).policy;
  };
  EXPECT_EQ(id(1, 8, 0, "10.0.0.1"), 1u);
  EXPECT_EQ(id(1, 8, 5, "10.0.0.1"), 1u);
  EXPECT_EQ(id(1, 0, 0, "10.0.0.1"), 0u);
  EXPECT_EQ(id(1, 3, 3, "10.0.0.1"), 2u);
  EXPECT_EQ(id(1, 3, 1, "10.0.0.1"), 0u);
  EXPECT_EQ(id(58, 128, 0, "2001:db8::1"), 3u);
  EXPECT_EQ(id(58, 128, 1, "2001:db8::1"), 0u);
  EXPECT_EQ(id(1, 8, 0, "2001:db8::1"), 1u);  // the protocol number decides, not the family
}

// A family's address matches only keys of that family; "any" both.
TEST(FwPolicy, AddressFamilies) {
  Config c = zones();
  c.addresses["v4"] = prefix("0.0.0.0/0");
  c.addresses["v6"] = prefix("::/0");
  c.address_sets["both"].members = {"v4", "v6"};
  c.policies[{"trust", "untrust"}] = {policy(1, {"v4"}, {"any"}, {"any"}), policy(2, {"v6"}, {"v6"}, {"any"}),
                                      policy(3, {"any"}, {"both"}, {"any"})};
  auto rb = Rulebase::compile(c, 1);
  EXPECT_EQ(rb->result(classify_one(*rb, key(1, 2, 6, "10.0.0.1", "10.0.0.2", 1, 2))).policy, 1u);
  EXPECT_EQ(rb->result(classify_one(*rb, key(1, 2, 6, "2001:db8::1", "::2", 1, 2))).policy, 2u);
  EXPECT_EQ(rb->rules(), 3u);
}

// A range across IPv6 words (the carry from one 64-bit half to the other),
// and its edges.
TEST(FwPolicy, Ipv6RangeAcrossWords) {
  Config c = zones();
  c.addresses["r"] = range("2001:db8::ffff:fff0", "2001:db8:0:2::5");
  c.addresses["p"] = prefix("2001:db8:8000::/33");
  c.policies[{"trust", "untrust"}] = {policy(1, {"r"}, {"any"}, {"any"}), policy(2, {"p"}, {"any"}, {"any"})};
  auto rb = Rulebase::compile(c, 1);
  auto id = [&](const char* a) { return rb->result(classify_one(*rb, key(1, 2, 6, a, "::1", 1, 2))).policy; };
  EXPECT_EQ(id("2001:db8::ffff:ffef"), 0u);
  EXPECT_EQ(id("2001:db8::ffff:fff0"), 1u);
  EXPECT_EQ(id("2001:db8::1:0:0"), 1u);
  EXPECT_EQ(id("2001:db8:0:1:ffff:ffff:ffff:ffff"), 1u);
  EXPECT_EQ(id("2001:db8:0:2::5"), 1u);
  EXPECT_EQ(id("2001:db8:0:2::6"), 0u);
  EXPECT_EQ(id("2001:db8:0:2:1::"), 0u);
  EXPECT_EQ(id("2001:db8:7fff::1"), 0u);
  EXPECT_EQ(id("2001:db8:8000::"), 2u);
  EXPECT_EQ(id("2001:db8:ffff:ffff::1"), 2u);
  EXPECT_EQ(id("2001:db9::"), 0u);
}

TEST(FwPolicy, ResultCarriesThePolicysFlags) {
  Config c = zones();
  Policy p = policy(42, {"any"}, {"any"}, {"any"}, Action::kReject);
  p.log_init = p.count = true;
  c.global = {p};
  auto rb = Rulebase::compile(c, 1);
  const RuleResult& r = rb->result(classify_one(*rb, key(2, 2, 17, "10.0.0.1", "10.0.0.2", 1, 2)));
  EXPECT_EQ(r.policy, 42u);
  EXPECT_EQ(r.action, Action::kReject);
  EXPECT_TRUE(r.log_init);
  EXPECT_FALSE(r.log_close);
  EXPECT_TRUE(r.count);
}

}  // namespace
}  // namespace vp::fw
