// The FIB: route sources and priorities, ECMP buckets (weights, stability,
// symmetric hashing), recursive resolution following its parent,
// connected/attached next hops, and the TTL checksum update.
#include "net/fib/fib.hpp"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <atomic>
#include <map>
#include <random>
#include <string>
#include <thread>

#include "graph/rcu.hpp"
#include "helpers.hpp"
#include "io/if_ops.hpp"
#include "io/interface.hpp"
#include "io/ports/loopback/loopback.hpp"
#include "net/arp/neighbor.hpp"
#include "net/fib/adj.hpp"
#include "net/ip/ip_ops.hpp"
#include "net/ip4/ip4.hpp"

namespace vp {
namespace {

uint32_t ip(const char* s) { return parse_ip(s).v4_host(); }

uint32_t resolve(uint32_t addr, uint32_t hash = 0, uint32_t fib = 0) {
  return lb_resolve(g_fib4[fib].load()->lookup(addr), hash);
}

struct Net {
  uint32_t a, b;
  Net() {
    a = ops::create_loopback({});
    b = ops::create_loopback({});
    ops::set_interface_address(a, parse_prefix("192.168.1.1/24"), false);
    ops::set_interface_address(b, parse_prefix("192.168.2.1/24"), false);
  }
  ~Net() {
    ops::delete_interface(a);
    ops::delete_interface(b);
  }
  static ops::Route via(const char* pfx, const char* nh, uint32_t sw_if = ~0u, uint16_t w = 1,
                        RouteSource src = RouteSource::static_cli) {
    ops::Route r;
    r.prefix = parse_prefix(pfx);
    r.source = src;
    RoutePath p;
    p.nh = parse_ip(nh);
    p.has_nh = true;
    p.sw_if = sw_if;
    p.weight = w;
    r.path = p;
    return r;
  }
};

const Adj* adj_of(uint32_t dpo) { return adjs().get(Dpo::index(dpo)); }

TEST(Fib, ConnectedLocalAndAttachedNextHops) {
  Net n;
  EXPECT_EQ(Dpo::type(resolve(ip("192.168.1.1"))), DpoType::local);
  EXPECT_EQ(Dpo::type(resolve(ip("192.168.1.77"))), DpoType::glean);
  EXPECT_EQ(Dpo::type(resolve(ip("10.0.0.1"))), DpoType::unreach);
  ops::route_add(Net::via("10.0.0.0/8", "192.168.2.9"));
  uint32_t d = resolve(ip("10.1.2.3"));
  ASSERT_EQ(Dpo::type(d), DpoType::adj);  // next hop on an attached subnet
  EXPECT_EQ(adj_of(d)->sw_if, n.b);
  EXPECT_FALSE(adj_of(d)->complete);
  ops::neighbor_add(n.b, parse_ip("192.168.2.9"), parse_mac("02:00:00:00:99:09"));
  EXPECT_TRUE(adj_of(resolve(ip("10.1.2.3")))->complete);
  EXPECT_EQ(adj_of(resolve(ip("10.1.2.3")))->rewrite[5], 0x09);
  ops::route_del(Net::via("10.0.0.0/8", "192.168.2.9"));
  EXPECT_EQ(Dpo::type(resolve(ip("10.1.2.3"))), DpoType::unreach);
}

TEST(Fib, LowerPriorityValueWinsAndTheOtherReturnsOnDelete) {
  Net n;
  ops::route_add(Net::via("10.9.0.0/16", "192.168.1.5", ~0u, 1, RouteSource::fpm));
  ops::route_add(Net::via("10.9.0.0/16", "192.168.2.5", ~0u, 1, RouteSource::api));
  EXPECT_EQ(adj_of(resolve(ip("10.9.1.1")))->sw_if, n.b);  // API (5) beats FPM (20)
  ops::route_del(Net::via("10.9.0.0/16", "192.168.2.5", ~0u, 1, RouteSource::api));
  EXPECT_EQ(adj_of(resolve(ip("10.9.1.1")))->sw_if, n.a);
  ops::Route all = Net::via("10.9.0.0/16", "192.168.1.5", ~0u, 1, RouteSource::fpm);
  all.path.reset();
  ops::route_del(all);
  EXPECT_EQ(Dpo::type(resolve(ip("10.9.1.1"))), DpoType::unreach);
  EXPECT_THROW(ops::route_del(all), Error);
}

TEST(Fib, EcmpBucketsFollowWeightsAndStayStable) {
  Net n;
  ops::route_add(Net::via("10.8.0.0/16", "192.168.1.7", ~0u, 1));
  ops::route_add(Net::via("10.8.0.0/16", "192.168.2.7", ~0u, 3));
  auto dump = fib4().dump(0, nullptr);
  const Fib4::ShowEntry* e = nullptr;
  for (auto& x : dump)
    if (x.prefix.str() == "10.8.0.0/16") e = &x;
  ASSERT_NE(e, nullptr);
  ASSERT_EQ(e->buckets.size(), 64u);
  size_t to_b = 0;
  for (auto d : e->buckets) to_b += adj_of(d)->sw_if == n.b;
  EXPECT_EQ(to_b, 48u);  // 3:1
  // A flow keeps its path across repeated lookups.
  for (uint32_t h = 0; h < 1000; h++) EXPECT_EQ(resolve(ip("10.8.1.1"), h), resolve(ip("10.8.1.1"), h));
}

TEST(Fib, FlowHashIsSymmetric) {
  uint8_t bf[40] = {}, br[40] = {};
  auto mk = [](uint8_t* b, uint32_t s, uint32_t d, uint16_t sp, uint16_t dp) {
    auto* h = reinterpret_cast<rte_ipv4_hdr*>(b);
    h->version_ihl = 0x45;
    h->next_proto_id = IPPROTO_TCP;
    h->src_addr = rte_cpu_to_be_32(s);
    h->dst_addr = rte_cpu_to_be_32(d);
    uint16_t p[2] = {rte_cpu_to_be_16(sp), rte_cpu_to_be_16(dp)};
    std::memcpy(b + 20, p, 4);
    return h;
  };
  auto* f = mk(bf, 0x0a000001, 0x0a000002, 1234, 80);
  auto* r = mk(br, 0x0a000002, 0x0a000001, 80, 1234);
  EXPECT_EQ(flow_hash4(f), flow_hash4(r));
  auto* o = mk(br, 0x0a000002, 0x0a000001, 80, 1235);
  EXPECT_NE(flow_hash4(f), flow_hash4(o));
}

TEST(Fib, RecursiveRouteFollowsItsParentAndMoreSpecificCovers) {
  Net n;
  ops::route_add(Net::via("172.16.0.0/12", "192.168.1.20"));
  ops::route_add(Net::via("10.7.0.0/16", "172.16.5.5"));  // recursive via the /12
  uint32_t d = resolve(ip("10.7.1.1"));
  EXPECT_EQ(adj_of(d)->sw_if, n.a);
  // The parent changes: the child follows without being touched.
  ops::route_del(Net::via("172.16.0.0/12", "192.168.1.20"));
  EXPECT_EQ(Dpo::type(resolve(ip("10.7.1.1"))), DpoType::unreach);
  ops::route_add(Net::via("172.16.0.0/12", "192.168.2.20"));
  EXPECT_EQ(adj_of(resolve(ip("10.7.1.1")))->sw_if, n.b);
  // A more specific cover for the next hop takes over, and gives way again.
  ops::route_add(Net::via("172.16.5.0/24", "192.168.1.30"));
  EXPECT_EQ(adj_of(resolve(ip("10.7.1.1")))->nh.str(), "192.168.1.30");
  ops::route_del(Net::via("172.16.5.0/24", "192.168.1.30"));
  EXPECT_EQ(adj_of(resolve(ip("10.7.1.1")))->nh.str(), "192.168.2.20");
  ops::route_del(Net::via("10.7.0.0/16", "172.16.5.5"));
  ops::route_del(Net::via("172.16.0.0/12", "192.168.2.20"));
}

TEST(Fib, ARouteCoveringItsOwnNextHopResolvesThroughMoreSpecifics) {
  Net n;
  ops::route_add(Net::via("0.0.0.0/0", "192.168.2.8"));
  ops::route_add(Net::via("192.0.0.0/2", "192.168.1.8"));  // contains 192.168.1.8 itself
  EXPECT_EQ(adj_of(resolve(ip("8.8.8.8")))->sw_if, n.b);
  EXPECT_EQ(adj_of(resolve(ip("200.1.1.1")))->sw_if, n.a);
  ops::route_del(Net::via("192.0.0.0/2", "192.168.1.8"));
  ops::route_del(Net::via("0.0.0.0/0", "192.168.2.8"));
}

TEST(Fib, RoutesSayingTheSameThingShareOnePathListAndLoadBalance) {
  Net n;
  size_t lists = fib4().path_lists(0);
  for (uint32_t i = 0; i < 5000; i++) {
    ops::Route r = Net::via("20.0.0.0/24", "192.168.2.9");
    r.prefix.addr = ip_of_key(ip("20.0.0.0") + (i << 8));
    ops::route_add(r);
  }
  EXPECT_EQ(fib4().path_lists(0), lists + 1);
  auto a = fib4().lookup_show(0, parse_ip("20.0.1.1")), b = fib4().lookup_show(0, parse_ip("20.0.99.1"));
  ASSERT_TRUE(a && b);
  EXPECT_EQ(a->lb, b->lb);
  EXPECT_EQ(adj_of(resolve(ip("20.0.77.1")))->sw_if, n.b);
  for (uint32_t i = 0; i < 5000; i++) {
    ops::Route r = Net::via("20.0.0.0/24", "192.168.2.9");
    r.prefix.addr = ip_of_key(ip("20.0.0.0") + (i << 8));
    ops::route_del(r);
  }
  EXPECT_EQ(fib4().path_lists(0), lists);
}

// Prefix-independent convergence: thousands of routes through one next hop
// follow a change of the route covering it in one step.
TEST(Fib, EveryRouteThroughANextHopFollowsItsCoverAtOnce) {
  Net n;
  ops::route_add(Net::via("172.16.0.0/12", "192.168.1.20"));
  for (uint32_t i = 0; i < 2000; i++) {
    ops::Route r = Net::via("30.0.0.0/24", "172.16.5.5");
    r.prefix.addr = ip_of_key(ip("30.0.0.0") + (i << 8));
    ops::route_add(r);
  }
  EXPECT_EQ(adj_of(resolve(ip("30.0.5.1")))->sw_if, n.a);
  ops::route_add(Net::via("172.16.5.0/24", "192.168.2.30"));  // a more specific cover
  for (uint32_t i = 0; i < 2000; i += 97) EXPECT_EQ(adj_of(resolve(ip("30.0.0.1") + (i << 8)))->sw_if, n.b);
  ops::route_del(Net::via("172.16.5.0/24", "192.168.2.30"));
  EXPECT_EQ(adj_of(resolve(ip("30.0.5.1")))->sw_if, n.a);
  for (uint32_t i = 0; i < 2000; i++) {
    ops::Route r = Net::via("30.0.0.0/24", "172.16.5.5");
    r.prefix.addr = ip_of_key(ip("30.0.0.0") + (i << 8));
    ops::route_del(r);
  }
  ops::route_del(Net::via("172.16.0.0/12", "192.168.1.20"));
}

// Random adds, replaces and deletes from two sources, nested prefixes, next
// hops on both attached subnets; after each step random addresses must
// forward as a reference longest-prefix match says, and at the end nothing
// is left behind (path lists, adjacencies).
TEST(Fib, MatchesAReferenceThroughRandomAddsReplacesAndDeletes) {
  Net n;
  size_t lists = fib4().path_lists(0), routes = fib4().size(0);
  struct Want {
    std::map<RouteSource, std::string> nh;  // per source
  };
  std::map<std::pair<uint8_t, uint32_t>, Want> ref;
  std::mt19937 rng(42);
  auto rand_prefix = [&] {
    uint8_t len = uint8_t(8 + rng() % 25);
    uint32_t a = (ip("40.0.0.0") | (rng() & 0x00ffffff)) & (len ? ~0u << (32 - len) : 0);
    return std::pair{len, a};
  };
  auto str = [](std::pair<uint8_t, uint32_t> k) { return fmt::format("{}/{}", ip_of_key(k.second).str(), k.first); };
  auto expect = [&](uint32_t addr) -> std::string {
    for (int len = 32; len >= 0; len--) {
      auto it = ref.find({uint8_t(len), len ? addr & (~0u << (32 - len)) : 0});
      if (it != ref.end()) return it->second.nh.begin()->second;  // static (1) before fpm (20)
    }
    return "";
  };
  std::vector<std::pair<uint8_t, uint32_t>> keys;
  for (int step = 0; step < 4000; step++) {
    RouteSource src = rng() % 3 ? RouteSource::static_cli : RouteSource::fpm;
    std::string nh = fmt::format("192.168.{}.{}", 1 + rng() % 2, 2 + rng() % 50);
    int op = rng() % 10;
    if (op < 5 || keys.empty()) {
      auto k = rand_prefix();
      ops::RouteSpec r;
      r.prefix = parse_prefix(str(k));
      r.source = src;
      RoutePath p;
      p.nh = parse_ip(nh);
      p.has_nh = true;
      r.paths.push_back(p);
      ops::route_apply(r, ops::RouteOp::replace);
      ref[k].nh[src] = nh;
      keys.push_back(k);
    } else {
      auto k = keys[rng() % keys.size()];
      auto it = ref.find(k);
      if (it == ref.end() || !it->second.nh.count(src)) continue;
      ops::RouteSpec r;
      r.prefix = parse_prefix(str(k));
      r.source = src;
      ops::route_apply(r, ops::RouteOp::del);
      it->second.nh.erase(src);
      if (it->second.nh.empty()) ref.erase(it);
    }
    for (int i = 0; i < 20; i++) {
      uint32_t a = ip("40.0.0.0") | (rng() & 0x00ffffff);
      std::string want = expect(a);
      uint32_t d = resolve(a);
      if (want.empty()) {
        ASSERT_EQ(Dpo::type(d), DpoType::unreach) << ip_of_key(a).str();
      } else {
        ASSERT_EQ(Dpo::type(d), DpoType::adj) << ip_of_key(a).str();
        ASSERT_EQ(adj_of(d)->nh.str(), want) << ip_of_key(a).str() << " step " << step;
      }
    }
  }
  for (auto& [k, w] : ref)
    for (auto& [src, nh] : w.nh) {
      ops::RouteSpec r;
      r.prefix = parse_prefix(str(k));
      r.source = src;
      ops::route_apply(r, ops::RouteOp::del);
    }
  EXPECT_EQ(fib4().size(0), routes);
  EXPECT_EQ(fib4().path_lists(0), lists);
}

// A reader forwarding to a prefix while the main thread replaces its next
// hop back and forth (a new path list each time, the old one released)
// never finds the prefix without a route.
TEST(Fib, ReplacingARouteUnderTrafficNeverLeavesAHole) {
  Net n;
  Rcu& r = rcu();
  ops::route_add(Net::via("50.0.0.0/16", "192.168.1.50"));
  std::atomic<bool> stop{false};
  std::atomic<uint64_t> bad{0}, reads{0};
  r.reader_register(0);
  std::thread reader([&] {
    r.online(0);
    while (!stop.load(std::memory_order_relaxed)) {
      for (int i = 0; i < 64; i++) {
        uint32_t d = resolve(ip("50.0.1.1") + uint32_t(i));
        if (Dpo::type(d) != DpoType::adj) bad++;
      }
      reads += 64;
      r.quiescent(0);
    }
    r.offline(0);
  });
  for (int i = 0; i < 20000; i++) {
    ops::RouteSpec s;
    s.prefix = parse_prefix("50.0.0.0/16");
    s.source = RouteSource::static_cli;
    RoutePath p;
    p.nh = parse_ip(i % 2 ? "192.168.1.50" : "192.168.2.50");
    p.has_nh = true;
    s.paths.push_back(p);
    ops::route_apply(s, ops::RouteOp::replace);
    if (i % 64 == 0) r.reclaim();
  }
  stop = true;
  reader.join();
  r.reader_unregister(0);
  r.reclaim();
  EXPECT_EQ(bad.load(), 0u);
  EXPECT_GT(reads.load(), 1000u);
  ops::route_del(Net::via("50.0.0.0/16", "192.168.1.50"));
}

TEST(Fib, InterfaceGoingAwayTakesItsRoutesWithIt) {
  uint32_t a = ops::create_loopback({});
  ops::set_interface_address(a, parse_prefix("192.168.3.1/24"), false);
  ops::route_add(Net::via("10.6.0.0/16", "192.168.3.9", a));
  size_t before = fib4().size(0);
  ops::delete_interface(a);
  EXPECT_EQ(fib4().size(0), before - 3);
  EXPECT_EQ(Dpo::type(resolve(ip("10.6.0.1"))), DpoType::unreach);
}

TEST(Fib, BadRoutesAreRejectedAndChangeNothing) {
  Net n;
  size_t before = fib4().size(0);
  EXPECT_THROW(ops::route_add(Net::via("10.0.0.0/8", "192.168.1.1", 999999)), Error);
  EXPECT_THROW(ops::route_add(Net::via("2001:db8::/32", "192.168.1.1")), Error);
  ops::Route r = Net::via("10.0.0.0/8", "192.168.1.2");
  r.table = 77;
  EXPECT_THROW(ops::route_add(r), Error);
  EXPECT_THROW(ops::set_interface_address(n.a, parse_prefix("192.168.2.5/24"), false), Error);  // overlaps b
  EXPECT_EQ(fib4().size(0), before);
}

// Out of lookup-node memory (an IPv6 table whose arena holds 60 records):
// a route that does not fit is rejected with an error and changes
// nothing (not in the table, not in the lookup, no path list reference
// left behind); a delete that does not fit leaves its route in place and
// goes through once others have freed room.
TEST(Fib, ARouteThatDoesNotFitTheLookupChangesNothing) {
  const uint32_t fib = fib6().table_add(4242, 60);
  const size_t lists = fib6().path_lists(fib);
  std::mt19937_64 rng(3);
  auto lookup = [&](const Prefix& p) { return g_fib6[fib].load()->lookup(ip6_key(p.addr.b.data())); };
  auto out_of_memory = [](const Error& e) {
    EXPECT_NE(std::string(e.what()).find("out of memory"), std::string::npos) << e.what();
  };
  std::vector<Prefix> in;
  int failed = 0;
  for (int i = 0; i < 300; i++) {
    // Host routes under four /64s: deep paths, so some allocate part of
    // theirs before running out.
    const Prefix p = parse_prefix(fmt::format("2001:db8:0:{:x}::{:x}:{:x}/128", i % 4, rng() % 65536, rng() % 65536));
    const size_t before = fib6().size(fib);
    try {
      fib6().add(fib, p, RouteSource::static_cli, RouteKind::drop);
      in.push_back(p);
    } catch (const Error& e) {
      out_of_memory(e);
      failed++;
      EXPECT_FALSE(fib6().has(fib, p, RouteSource::static_cli));
      EXPECT_EQ(fib6().size(fib), before);
      EXPECT_EQ(lookup(p), kLbNoRoute);
    }
  }
  EXPECT_GT(failed, 0);
  for (auto& p : in) EXPECT_NE(lookup(p), kLbNoRoute) << p.str();
  for (int pass = 0; pass < 50 && !in.empty(); pass++) {
    std::vector<Prefix> left;
    for (auto& p : in) {
      try {
        fib6().del(fib, p, RouteSource::static_cli);
        EXPECT_EQ(lookup(p), kLbNoRoute);
      } catch (const Error& e) {
        out_of_memory(e);
        EXPECT_TRUE(fib6().has(fib, p, RouteSource::static_cli));
        EXPECT_NE(lookup(p), kLbNoRoute);
        left.push_back(p);
      }
    }
    in = left;
    rcu().synchronize();
    rcu().reclaim();
  }
  EXPECT_TRUE(in.empty());
  EXPECT_EQ(fib6().size(fib), 0u);
  EXPECT_EQ(fib6().path_lists(fib), lists);
  fib6().table_del(4242);
}

TEST(Neighbors, LearnRefreshAgeAndStaticEntries) {
  Net n;
  Neighbors& nb = neighbors();
  IpAddr dyn = parse_ip("192.168.1.50"), st = parse_ip("192.168.1.51");
  nb.set(n.a, dyn, parse_mac("02:00:00:00:00:50"), false);
  nb.set(n.a, st, parse_mac("02:00:00:00:00:51"), true);
  // Learning never overrides a static entry.
  nb.set(n.a, st, parse_mac("02:00:00:00:00:99"), false);
  EXPECT_EQ(nb.find(n.a, st)->str(), "02:00:00:00:00:51");
  // A resolved neighbour gets a /32 to its adjacency.
  uint32_t d = resolve(ip("192.168.1.50"));
  ASSERT_EQ(Dpo::type(d), DpoType::adj);
  EXPECT_TRUE(adj_of(d)->complete);
  uint64_t now = nb.all().at({n.a, dyn}).updated_ns;
  nb.poll(now + nb.age_ns / 2);
  EXPECT_NE(nb.find(n.a, dyn), nullptr);
  nb.poll(now + nb.age_ns + 1);
  EXPECT_EQ(nb.find(n.a, dyn), nullptr);  // aged out, route gone
  EXPECT_EQ(Dpo::type(resolve(ip("192.168.1.50"))), DpoType::glean);
  EXPECT_NE(nb.find(n.a, st), nullptr);  // static entries never age
  EXPECT_THROW(nb.set(n.a, dyn, parse_mac("01:00:5e:00:00:01"), false), Error);
}

TEST(Ip4, TtlDecrementKeepsTheChecksumRight) {
  for (uint8_t ttl : {2, 64, 128, 255}) {
    uint8_t b[20] = {0x45, 0, 0, 84, 0x12, 0x34, 0x40, 0, ttl, 1, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2};
    auto* h = reinterpret_cast<rte_ipv4_hdr*>(b);
    h->hdr_checksum = rte_ipv4_cksum(h);
    ip4_ttl_dec(h);
    EXPECT_EQ(h->time_to_live, ttl - 1);
    EXPECT_EQ(rte_ipv4_cksum(h), 0) << int(ttl);
  }
}

}  // namespace
}  // namespace vp
