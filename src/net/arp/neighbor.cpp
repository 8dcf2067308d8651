#include "net/arp/neighbor.hpp"

#include <rte_ring.h>
#include <time.h>

#include <atomic>
#include <cstring>

#include "graph/registry.hpp"
#include "infra/error.hpp"
#include "infra/log.hpp"
#include "io/interface.hpp"
#include "net/fib/adj.hpp"
#include "net/fib/fib.hpp"
#include "net/ip/ip_ops.hpp"

namespace vp {

namespace {
std::atomic<uint32_t> g_gen{0};

uint64_t now_ns() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return uint64_t(ts.tv_sec) * 1000000000ull + ts.tv_nsec;
}

void host_route(const Interface& i, const IpAddr& ip, bool add) {
  RoutePath p;
  p.nh = ip;
  p.has_nh = true;
  p.sw_if = i.index;
  if (!ip.v6) {
    if (add)
      fib4().add(i.fib4, Prefix{ip, 32}, RouteSource::connected, RouteKind::paths, &p);
    else
      fib4().del(i.fib4, Prefix{ip, 32}, RouteSource::connected, &p);
    return;
  }
  if (!i.ip6_on) return;
  uint32_t fib = ops::is_link_local(ip) ? i.fib6_ll : i.fib6;
  if (add)
    fib6().add(fib, Prefix{ip, 128}, RouteSource::connected, RouteKind::paths, &p);
  else
    fib6().del(fib, Prefix{ip, 128}, RouteSource::connected, &p);
}
}  // namespace

uint32_t neighbor_generation() { return g_gen.load(std::memory_order_acquire); }

Neighbors& neighbors() {
  static Neighbors* n = [] {
    adj_table().resolver = [](uint32_t sw_if, const IpAddr& ip) { return neighbors().find(sw_if, ip); };
    return new Neighbors;
  }();
  return *n;
}

const Mac* Neighbors::find(uint32_t sw_if, const IpAddr& ip) const {
  auto it = map_.find({sw_if, ip});
  return it == map_.end() ? nullptr : &it->second.mac;
}

void Neighbors::set(uint32_t sw_if, const IpAddr& ip, const Mac& mac, bool is_static) {
  Interface* i = ifs().at(sw_if);
  if (!i) fail("no interface with index {}", sw_if);
  if (mac.is_multicast()) fail("neighbour MAC {} is multicast", mac.str());
  auto key = std::make_pair(sw_if, ip);
  auto it = map_.find(key);
  bool fresh = it == map_.end();
  if (!fresh && it->second.is_static && !is_static) return;  // learning never overrides static
  bool changed = fresh || it->second.mac != mac;
  map_[key] = {mac, is_static || (!fresh && it->second.is_static), now_ns()};
  if (!changed) return;
  adj_table().neighbor_changed(sw_if, ip, &mac);
  if (fresh) host_route(*i, ip, true);
  g_gen.fetch_add(1, std::memory_order_release);
  for (auto& w : watchers_) w(sw_if, ip, &mac, map_[key].is_static);
}

bool Neighbors::del(uint32_t sw_if, const IpAddr& ip) {
  auto it = map_.find({sw_if, ip});
  if (it == map_.end()) return false;
  map_.erase(it);
  adj_table().neighbor_changed(sw_if, ip, nullptr);
  if (Interface* i = ifs().at(sw_if)) host_route(*i, ip, false);
  for (auto& w : watchers_) w(sw_if, ip, nullptr, false);
  return true;
}

void Neighbors::del_interface(uint32_t sw_if) {
  std::vector<IpAddr> ips;
  for (auto& [k, e] : map_)
    if (k.first == sw_if) ips.push_back(k.second);
  for (auto& ip : ips) del(sw_if, ip);
}

void Neighbors::learn(const NbrEvent& e) {
  if (!ring_) return;
  rte_ring_mp_enqueue_elem(ring_, const_cast<NbrEvent*>(&e), sizeof e);
}

void Neighbors::init() {
  ring_ = rte_ring_create_elem("vp-nbr-learn", sizeof(NbrEvent), 4096, SOCKET_ID_ANY, RING_F_SC_DEQ);
  if (!ring_) fail("cannot create the neighbour learning ring");
}

static InitRegistration init_reg{[] {
  neighbors().init();
  fib4();
  fib6();
  lbs();
}};
static PeriodicRegistration poll_reg{[] { neighbors().poll(now_ns()); }};

void Neighbors::poll(uint64_t now) {
  NbrEvent ev[64];
  unsigned n;
  while ((n = rte_ring_sc_dequeue_burst_elem(ring_, ev, sizeof(NbrEvent), 64, nullptr)) > 0)
    for (unsigned i = 0; i < n; i++) {
      IpAddr ip;
      ip.v6 = ev[i].v6;
      std::memcpy(ip.b.data(), ev[i].ip, ip.v6 ? 16 : 4);
      Mac mac;
      std::memcpy(mac.b.data(), ev[i].mac, 6);
      if (ifs().at(ev[i].sw_if)) try {
          set(ev[i].sw_if, ip, mac, false);
        } catch (const Error& err) {
          log::warn("neighbour learn: {}", err.what());
        }
    }
  std::vector<std::pair<uint32_t, IpAddr>> old;
  for (auto& [k, e] : map_)
    if (!e.is_static && e.updated_ns + age_ns < now) old.push_back(k);
  for (auto& k : old) del(k.first, k.second);
}

}  // namespace vp
