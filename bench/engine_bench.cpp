// Engine overhead and the memory reference, as clocks/packet:
//  - Dispatch: a vector crosses a chain of pass-through nodes; the cost per
//    node per packet is what the engine itself adds (dispatch + enqueue).
//  - EnqueueSplit: the same with every other packet sent to a second node
//    (worst case for run grouping).
//  - Touch: allocate, write one byte of, and free each packet in bulk: the
//    floor any packet path on this machine pays for its buffers.
//  - Ip6Lookup: the IPv6 trie's bulk lookup alone, 64 destinations at a
//    time, in one /48 (arg 0) or over 200k prefixes shaped as bench/run's
//    IPv6 table: 1M destinations streamed (arg 1), or 4k of them, whose
//    paths stay in cache, so what is left is the work (arg 2); with the
//    AVX-512 walk where the CPU has it. Ip6LookupScalar: the same walking
//    one packet at a time.
//  - FlowHash4/6: the symmetric flow hash ECMP balances on, over 256
//    headers with random addresses and ports.
//  - CoreClock: core cycles per TSC tick while the suite runs, from a chain
//    of dependent adds (one cycle each). Every clocks/packet figure is TSC
//    ticks, as VPP's are; this converts them to the core's own cycles.
//  - TableWalk: the memory floor of such lookups: 4 random lines per
//    destination over a table of arg MB, read level by level for 64
//    destinations with the next level prefetched, as lookup_bulk does but
//    with nothing to compute. What a table walk costs on this machine before
//    any lookup structure is chosen.
//  - PolicyClassify/<policies>/<v6>: the firewall's policy classifier on a
//    session miss, per key, 32 keys of random traffic at a time over a
//    rulebase of 10, 1k or 10k policies shaped as an enterprise one (see
//    policy_config). Counters: the compile time, the compiled rules and
//    their memory.
#include <benchmark/benchmark.h>
#include <rte_mbuf.h>
#include <sys/mman.h>
#include <unistd.h>

#include <chrono>
#include <map>
#include <memory>
#include <random>
#include <vector>

#include "features/fw/policy_compile.hpp"
#include "graph/feature.hpp"
#include "graph/registry.hpp"
#include "graph/threads.hpp"
#include "infra/tsc.hpp"
#include "io/eal.hpp"
#include "net/fib/lpm6.hpp"
#include "net/ip4/ip4.hpp"
#include "net/ip6/ip6.hpp"
#include "test_engine.hpp"

namespace vp {
namespace {

constexpr int kChain = 4;

void pass(Thread& t, NodeRt& self, rte_mbuf** p, uint32_t n) { t.enqueue(self.next[0], p, n); }
void split(Thread& t, NodeRt& self, rte_mbuf** p, uint32_t n) {
  NodeId next[256];
  for (uint32_t i = 0; i < n; i++) next[i] = self.next[i & 1];
  t.enqueue_nexts(p, next, n);
}
void sink(Thread&, NodeRt&, rte_mbuf**, uint32_t) {}

NodeRegistration r0{{.name = "bench-pass-0", .fn = pass, .next_names = {"bench-pass-1"}}};
NodeRegistration r1{{.name = "bench-pass-1", .fn = pass, .next_names = {"bench-pass-2"}}};
NodeRegistration r2{{.name = "bench-pass-2", .fn = pass, .next_names = {"bench-pass-3"}}};
NodeRegistration r3{{.name = "bench-pass-3", .fn = pass, .next_names = {"bench-sink"}}};
NodeRegistration rs{{.name = "bench-sink", .fn = sink}};
enum SplitNext : uint16_t { kToSink, kToPass3, kSplitNextCount };
NodeRegistration rsp{{.name = "bench-split",
                      .fn = split,
                      .next_names = names<kSplitNextCount>({{kToSink, "bench-sink"}, {kToPass3, "bench-pass-3"}})}};

std::vector<rte_mbuf*> packets(uint32_t n) {
  std::vector<rte_mbuf*> v(n);
  if (rte_pktmbuf_alloc_bulk(eal().pool, v.data(), n) != 0) std::abort();
  return v;
}

void report(benchmark::State& st, uint64_t clocks, uint64_t pkts) {
  st.counters["clocks_per_packet"] = double(clocks) / double(pkts);
  st.SetItemsProcessed(int64_t(pkts));
}

// Sends a vector into `first` and runs the graph until it is empty;
// reports clocks per packet per node (`nodes` nodes see every packet).
void run_vectors(benchmark::State& st, const char* first_node, uint32_t nodes) {
  uint32_t vs = uint32_t(st.range(0));
  Thread& t = threads().main();
  t.set_vsize(vs);
  auto v = packets(vs);
  NodeId first = Registry::get().id(first_node);
  uint64_t clk = 0, pk = 0;
  for (auto _ : st) {
    uint64_t t0 = rdtsc();
    t.enqueue(first, v.data(), vs);
    t.run_pending();
    clk += rdtsc() - t0;
    pk += vs;
  }
  report(st, clk, pk * nodes);
  rte_pktmbuf_free_bulk(v.data(), vs);
  t.set_vsize(kDefaultVectorSize);
}

// kChain pass-through nodes and a sink each handle every packet.
void Dispatch(benchmark::State& st) { run_vectors(st, "bench-pass-0", kChain + 1); }
// Cost of the split itself, per packet entering it.
void EnqueueSplit(benchmark::State& st) { run_vectors(st, "bench-split", 1); }

void Touch(benchmark::State& st) {
  rte_mbuf* m[256];
  uint64_t clk = 0, pk = 0;
  for (auto _ : st) {
    uint64_t t0 = rdtsc();
    if (rte_pktmbuf_alloc_bulk(eal().pool, m, 256) != 0) std::abort();
    for (int i = 0; i < 256; i++) {
      uint8_t* d = rte_pktmbuf_mtod(m[i], uint8_t*);
      d[0]++;
      m[i]->data_len = m[i]->pkt_len = 64;
    }
    rte_pktmbuf_free_bulk(m, 256);
    clk += rdtsc() - t0;
    pk += 256;
  }
  report(st, clk, pk);
}

// The trie alone (no graph): clocks per destination looked up.
void Ip6Lookup(benchmark::State& st) {
  std::mt19937_64 rng(48);
  Lpm6 mt(0);
  // 2001:db8:1::/48, or 200k prefixes shaped as bench/run's IPv6 table:
  // allocations /29-/32 in 2000::/4, /48s inside them and provider-
  // independent ones in 2a00::/12, /33-/44s inside allocations.
  std::vector<std::pair<u128, uint8_t>> nets{{u128(0x20010db80001ull) << 80, 48}};
  if (st.range(0)) {
    nets.clear();
    auto rnd = [&](int bits) { return u128(rng()) & ((u128(1) << bits) - 1); };
    for (int i = 0; i < 20000; i++) {
      const uint64_t w = rng() % 100;  // /29-/32 in bench/run's proportions
      const uint8_t l = w < 30 ? 29 : w < 35 ? 30 : w < 40 ? 31 : 32;
      nets.push_back({((u128(2) << 28 | rnd(28)) << 96) & (~u128(0) << (128 - l)), l});
    }
    for (int i = 0; i < 180000; i++) {
      auto [a, l] = nets[rng() % 20000];
      uint64_t r = rng() % 10;
      if (r < 5) {
        nets.push_back({a | rnd(48 - l) << 80, 48});
      } else if (r < 7) {
        nets.push_back({(u128(0x2a0) << 116) | rnd(36) << 80, 48});
      } else {
        uint8_t len = uint8_t(33 + rng() % 12);
        nets.push_back({a | rnd(len - l) << (128 - len), len});
      }
    }
  }
  for (uint32_t k = 0; k < nets.size(); k++) mt.add(nets[k].first, nets[k].second, k + 1);
  // Each destination: a prefix picked uniformly, a random address in it.
  std::vector<u128> dsts(st.range(0) == 2 ? 1 << 12 : 1 << 20);
  for (auto& d : dsts) {
    auto [a, l] = nets[rng() % nets.size()];
    d = a | ((u128(rng()) << 64 | rng()) & ~(~u128(0) << (128 - l)));
  }
  uint32_t out[64];
  uint64_t clk = 0, pk = 0;
  size_t at = 0;
  for (auto _ : st) {
    uint64_t t0 = rdtsc();
    mt.lookup_bulk(&dsts[at], out, 64);
    clk += rdtsc() - t0;
    benchmark::DoNotOptimize(out);
    pk += 64;
    at = (at + 64) & (dsts.size() - 1);
  }
  report(st, clk, pk);
  st.counters["MB"] = double(mt.memory_bytes()) / 1e6;
  st.counters["recs"] = mt.records_in_use();
  st.counters["leaves"] = mt.leaves_in_use();
}

template <class Hdr, uint32_t (*Hash)(const Hdr*)>
void FlowHash(benchmark::State& st) {
  std::mt19937_64 rng(5);
  struct alignas(64) Pkt {
    Hdr ip;
    uint16_t ports[2];
  };
  std::vector<Pkt> pk(256);
  for (auto& p : pk) {
    auto* b = reinterpret_cast<uint8_t*>(&p);
    for (size_t i = 0; i < sizeof p; i++) b[i] = uint8_t(rng());
    if constexpr (sizeof(Hdr) == sizeof(rte_ipv4_hdr)) {
      p.ip.version_ihl = 0x45;
      p.ip.fragment_offset = 0;
      p.ip.next_proto_id = IPPROTO_UDP;
    } else {
      p.ip.proto = IPPROTO_UDP;
    }
  }
  uint64_t clk = 0, n = 0;
  uint32_t sum = 0;
  for (auto _ : st) {
    uint64_t t0 = rdtsc();
    for (auto& p : pk) sum += Hash(&p.ip);
    clk += rdtsc() - t0;
    n += pk.size();
  }
  benchmark::DoNotOptimize(sum);
  report(st, clk, n);
}

void TableWalk(benchmark::State& st) {
  constexpr int kLevels = 4, kBatch = 64, kKeys = 1 << 16;
  const size_t bytes = size_t(st.range(0)) << 20, huge = size_t(2) << 20;
  void* map = mmap(nullptr, bytes + huge, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (map == MAP_FAILED) std::abort();
  auto* mem = reinterpret_cast<uint8_t*>((reinterpret_cast<uintptr_t>(map) + huge - 1) & ~(huge - 1));
  madvise(mem, bytes, MADV_HUGEPAGE);  // as the tries' arrays
  for (size_t i = 0; i < bytes; i += 64) mem[i] = 1;
  std::mt19937_64 rng(4);
  std::vector<uint32_t> line(size_t(kKeys) * kLevels);
  for (auto& l : line) l = uint32_t(rng() % (bytes / 64));
  auto at = [&](size_t key, int level) { return mem + size_t(line[key * kLevels + level]) * 64; };
  uint64_t clk = 0, pk = 0, sum = 0;
  size_t key = 0;
  for (auto _ : st) {
    uint64_t t0 = rdtsc();
    for (int i = 0; i < kBatch; i++) __builtin_prefetch(at(key + i, 0));
    for (int l = 0; l < kLevels; l++)
      for (int i = 0; i < kBatch; i++) {
        sum += *at(key + i, l);
        if (l + 1 < kLevels) __builtin_prefetch(at(key + i, l + 1));
      }
    clk += rdtsc() - t0;
    pk += kBatch;
    key = (key + kBatch) % kKeys;
  }
  benchmark::DoNotOptimize(sum);
  report(st, clk, pk);
  munmap(map, bytes + huge);
}

// A rulebase shaped as an enterprise one: 16 zones, policies spread over 60
// zone pairs and 5% global; an address book of hosts, subnets and ranges
// with sets of 2-4 of them; applications of one or two terms (TCP/UDP ports,
// port ranges, ICMP) with sets. Sources are "any" in 30% of policies,
// destinations in 5%, applications in 10%; otherwise 1-3 names each.
fw::Config policy_config(int policies, bool v6, std::mt19937_64& rng) {
  using namespace fw;
  Config c;
  auto pick = [&](uint64_t n) { return rng() % n; };
  for (int z = 1; z <= 16; z++) c.zones["z" + std::to_string(z)].id = uint8_t(z);
  auto addr = [&]() {
    IpAddr a{.v6 = v6};
    if (v6) {
      const uint8_t pfx[6] = {0x20, 0x01, 0x0d, 0xb8, uint8_t(pick(256)), uint8_t(pick(256))};
      std::copy(pfx, pfx + 6, a.b.begin());
      for (int i = 6; i < 16; i++) a.b[i] = uint8_t(pick(4) ? 0 : pick(256));
      a.b[15] = uint8_t(pick(256));
    } else {
      a.b[0] = 10, a.b[1] = uint8_t(pick(256)), a.b[2] = uint8_t(pick(256)), a.b[3] = uint8_t(pick(256));
    }
    return a;
  };
  std::vector<std::string> names;
  for (int i = 0; i < 2000; i++) {
    Address a;
    const uint64_t k = pick(100);
    if (k < 10) {
      a.is_range = true;
      a.lo = a.hi = addr();
      a.hi.b[v6 ? 15 : 3] = uint8_t(std::min<int>(255, a.lo.b[v6 ? 15 : 3] + 1 + int(pick(40))));
    } else {
      const uint8_t host = v6 ? 128 : 32, subnet = v6 ? 64 : 24, big = v6 ? 48 : 16;
      a.prefix = Prefix{addr(), k < 60 ? host : k < 90 ? subnet : big}.masked();
    }
    names.push_back("a" + std::to_string(i));
    c.addresses[names.back()] = a;
  }
  for (int i = 0; i < 200; i++) {
    auto& m = c.address_sets["as" + std::to_string(i)].members;
    for (uint64_t j = 0, n = 2 + pick(3); j < n; j++) m.insert(names[pick(names.size())]);
  }
  std::vector<std::string> apps;
  for (int i = 0; i < 100; i++) {
    auto& a = c.applications["app" + std::to_string(i)];
    for (uint64_t t = 0, n = 1 + (pick(5) == 0); t < n; t++) {
      AppTerm& x = a.terms["t" + std::to_string(t)];
      const uint64_t k = pick(100);
      if (k < 5) {
        x.proto = v6 ? 58 : 1;
        x.icmp_type = int16_t(pick(2) ? 8 : 3);
      } else {
        x.proto = k < 75 ? 6 : 17;
        x.dport_lo = x.dport_hi = uint16_t(1 + pick(10000));
        if (pick(10) == 0) x.dport_hi = uint16_t(x.dport_lo + pick(1000));
      }
    }
    apps.push_back("app" + std::to_string(i));
  }
  for (int i = 0; i < 20; i++) {
    auto& m = c.application_sets["aps" + std::to_string(i)].members;
    for (uint64_t j = 0, n = 2 + pick(3); j < n; j++) m.insert(apps[pick(apps.size())]);
  }
  std::vector<ZonePair> pairs;
  while (pairs.size() < 60) {
    ZonePair p{"z" + std::to_string(1 + pick(16)), "z" + std::to_string(1 + pick(16))};
    if (p.from != p.to && std::find(pairs.begin(), pairs.end(), p) == pairs.end()) pairs.push_back(p);
  }
  auto list = [&](int any_percent, const std::vector<std::string>& entries, const char* set, uint64_t sets) {
    if (int(pick(100)) < any_percent) return std::vector<std::string>{"any"};
    std::vector<std::string> v;
    for (uint64_t j = 0, n = 1 + pick(3); j < n; j++)
      v.push_back(pick(10) < 3 ? set + std::to_string(pick(sets)) : entries[pick(entries.size())]);
    return v;
  };
  for (int i = 0; i < policies; i++) {
    Policy p{.name = "p" + std::to_string(i + 1),
             .id = uint32_t(i + 1),
             .src = list(30, names, "as", 200),
             .dst = list(5, names, "as", 200),
             .app = list(10, apps, "aps", 20),
             .action = pick(4) ? Action::kPermit : Action::kDeny};
    if (pick(20) == 0)
      c.global.push_back(p);
    else
      c.policies[pairs[pick(pairs.size())]].push_back(p);
  }
  return c;
}

// Random traffic between the rulebase's zone pairs: addresses from its
// address book (or anywhere in its space), ports from its applications.
std::vector<fw::ClassifyKey> policy_traffic(const fw::Config& c, bool v6, size_t n, std::mt19937_64& rng) {
  using namespace fw;
  auto pick = [&](uint64_t k) { return rng() % k; };
  std::vector<const Address*> book;
  for (auto& [_, a] : c.addresses) book.push_back(&a);
  std::vector<const AppTerm*> terms;
  for (auto& [_, a] : c.applications)
    for (auto& [_, t] : a.terms) terms.push_back(&t);
  std::vector<ZonePair> pairs;
  for (auto& [p, _] : c.policies) pairs.push_back(p);
  std::vector<ClassifyKey> keys(n);
  for (auto& k : keys) {
    const ZonePair& zp = pairs[pick(pairs.size())];
    k.from = c.zone_id(zp.from);
    k.to = c.zone_id(zp.to);
    k.v6 = v6;
    for (uint8_t* a : {k.src, k.dst}) {
      const Address& e = *book[pick(book.size())];
      const IpAddr& base = e.is_range ? e.lo : e.prefix.addr;
      std::copy(base.b.begin(), base.b.begin() + (v6 ? 16 : 4), a);
      if (pick(10) < 3) a[v6 ? 15 : 3] = uint8_t(pick(256));
    }
    const AppTerm& t = *terms[pick(terms.size())];
    k.proto = t.proto;
    k.sport = uint16_t(1024 + pick(60000));
    k.dport = t.proto == 1 || t.proto == 58 ? 0 : t.dport_lo;
    if (t.proto == 1 || t.proto == 58) k.sport = uint16_t(t.icmp_type);
  }
  return keys;
}

struct CompiledPolicies {
  fw::Config config;
  std::unique_ptr<const fw::Rulebase> rb;
  std::vector<fw::ClassifyKey> keys;
  double build_ms = 0;
};

// Compiled once per (policies, family): Google Benchmark calls the function
// several times while it sizes the run.
CompiledPolicies& compiled(int policies, bool v6) {
  static std::map<std::pair<int, bool>, CompiledPolicies> cache;
  auto [it, fresh] = cache.try_emplace({policies, v6});
  CompiledPolicies& cp = it->second;
  if (!fresh) return cp;
  std::mt19937_64 rng(uint64_t(policies) * 2 + v6);
  cp.config = policy_config(policies, v6, rng);
  cp.keys = policy_traffic(cp.config, v6, 1 << 12, rng);
  const auto t0 = std::chrono::steady_clock::now();
  cp.rb = fw::Rulebase::compile(cp.config, 1);
  cp.build_ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
  return cp;
}

void PolicyClassify(benchmark::State& st) {
  CompiledPolicies& cp = compiled(int(st.range(0)), st.range(1) != 0);
  constexpr uint32_t kVector = 32;
  std::vector<const fw::ClassifyKey*> ptrs;
  for (auto& k : cp.keys) ptrs.push_back(&k);
  uint32_t out[kVector];
  uint64_t clk = 0, n = 0, sum = 0;
  size_t at = 0;
  for (auto _ : st) {
    const uint64_t t0 = rdtsc();
    cp.rb->classify(&ptrs[at], kVector, out);
    clk += rdtsc() - t0;
    for (uint32_t r : out) sum += r;
    n += kVector;
    at = (at + kVector) & (ptrs.size() - 1);
  }
  benchmark::DoNotOptimize(sum);
  report(st, clk, n);
  st.counters["build_ms"] = cp.build_ms;
  st.counters["rules"] = double(cp.rb->rules());
  st.counters["MB"] = double(cp.rb->memory_bytes()) / 1e6;
}

BENCHMARK(Dispatch)->Arg(32)->Arg(64)->Arg(128)->Arg(256);
BENCHMARK(EnqueueSplit)->Arg(256);
void CoreClock(benchmark::State& st) {
  uint64_t adds = 0, ticks = 0;
  for (auto _ : st) {
    uint64_t x = 0, n = 1 << 18;
    const uint64_t t0 = rdtsc();
    asm volatile("1:\n\tadd $1, %0\n\tadd $1, %0\n\tadd $1, %0\n\tadd $1, %0\n\tdec %1\n\tjnz 1b"
                 : "+r"(x), "+r"(n)
                 :
                 : "cc");
    ticks += rdtsc() - t0;
    adds += 4 << 18;
  }
  st.counters["core_cycles_per_tick"] = double(adds) / double(ticks);
}
BENCHMARK(CoreClock);
BENCHMARK(Touch);
BENCHMARK(Ip6Lookup)->Arg(0)->Arg(1)->Arg(2);
// The same, one packet at a time where the CPU would walk eight with AVX-512.
void Ip6LookupScalar(benchmark::State& st) {
  Lpm6::use_simd(false);
  Ip6Lookup(st);
  Lpm6::use_simd(true);
}
BENCHMARK(Ip6LookupScalar)->Arg(0)->Arg(1)->Arg(2);
BENCHMARK(FlowHash<rte_ipv4_hdr, flow_hash4>)->Name("FlowHash4");
BENCHMARK(FlowHash<rte_ipv6_hdr, flow_hash6>)->Name("FlowHash6");
BENCHMARK(TableWalk)->Arg(8)->Arg(32)->Arg(256);
BENCHMARK(PolicyClassify)->ArgsProduct({{10, 1000, 10000}, {0, 1}});

}  // namespace
}  // namespace vp

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  using namespace vp;
  test::start_engine("bench", 65536, getenv("VPLANE_BENCH_NOHUGE") ? HugeMode::no : HugeMode::automatic);
  benchmark::AddCustomContext("hugepages", eal().hugepages ? "yes" : "no");
  benchmark::AddCustomContext("tsc_hz", std::to_string(tsc_hz()));
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  eal_stop();
  return 0;
}
