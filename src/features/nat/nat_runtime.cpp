// Builds NatState from the Config and the interfaces, publishes it, and
// keeps the outside addresses reachable: each pool and static-mapping
// address gets a local /32 in the FIB of the out interface whose subnet
// holds it (else of the first out interface), so that arp-input answers
// for it there and ip4-lookup takes packets routed to it. Interface
// addresses are local already.
#include "features/nat/nat_runtime.hpp"

#include <set>

#include "features/fw/fw_runtime.hpp"
#include "features/nat/nat_ops.hpp"
#include "features/nat/nat_state.hpp"
#include "graph/rcu.hpp"
#include "graph/registry.hpp"
#include "graph/threads.hpp"
#include "infra/log.hpp"
#include "net/fib/fib.hpp"

namespace vp::nat {

std::atomic<const NatState*> g_nat_state;

namespace {
const NatState& empty_state() {
  static const NatState* s = new NatState();
  return *s;
}
[[maybe_unused]] const bool g_state_init = [] {
  g_nat_state.store(&empty_state());
  return true;
}();

// The local routes this module added: (fib index, address host order, interface).
std::set<std::tuple<uint32_t, uint32_t, uint32_t>> g_routes;

uint32_t be(uint32_t host) { return rte_cpu_to_be_32(host); }

void add_addr(NatState& st, std::vector<OutsideAddr>& slots, uint32_t addr_be, uint8_t kind, uint32_t vrf) {
  const uint32_t mask = uint32_t(slots.size() - 1);
  for (uint32_t i = _mm_crc32_u32(0, addr_be) & mask;; i = (i + 1) & mask) {
    if (slots[i].addr == addr_be) {
      slots[i].kind |= kind;
      return;
    }
    if (slots[i].addr == 0) {
      slots[i] = {addr_be, vrf, kind};
      return;
    }
  }
  (void)st;
}

// The out interface whose subnet holds `host`, else the first out interface.
Interface* home_of(uint32_t host, const NatState& st) {
  Interface* first = nullptr;
  for (Interface* i : ifs().all()) {
    if (!(st.role[i->index] & kOut)) continue;
    if (!first) first = i;
    for (const Prefix& p : i->addrs) {
      IpAddr a;
      a.b = {uint8_t(host >> 24), uint8_t(host >> 16), uint8_t(host >> 8), uint8_t(host)};
      if (!p.addr.v6 && p.contains(a)) return i;
    }
  }
  return first;
}

void sync_routes(const NatState& st, const std::vector<uint32_t>& claimed) {
  std::set<std::tuple<uint32_t, uint32_t, uint32_t>> want;
  for (uint32_t host : claimed)
    if (Interface* i = home_of(host, st)) want.insert({i->fib4, host, i->index});
  auto prefix = [](uint32_t host) {
    Prefix p;
    p.addr.b = {uint8_t(host >> 24), uint8_t(host >> 16), uint8_t(host >> 8), uint8_t(host)};
    p.len = 32;
    return p;
  };
  for (auto& r : g_routes)
    if (!want.count(r)) fib4().del(std::get<0>(r), prefix(std::get<1>(r)), RouteSource::feature);
  for (auto& r : want)
    if (!g_routes.count(r)) {
      RoutePath path;
      path.sw_if = std::get<2>(r);
      fib4().add(std::get<0>(r), prefix(std::get<1>(r)), RouteSource::feature, RouteKind::local, &path);
    }
  g_routes = std::move(want);
}
}  // namespace

bool active() { return nat_state().active; }
uint8_t role(uint32_t sw_if) { return sw_if < kMaxInterfaces ? nat_state().role[sw_if] : 0; }

void republish() {
  const Config& c = config();
  auto st = std::make_unique<NatState>();
  for (auto& [name, r] : c.interfaces)
    if (Interface* i = ifs().find(name)) {
      st->role[i->index] = uint8_t((r.in ? kIn : 0) | (r.out ? kOut : 0) | (r.output_feature ? kOutputFeature : 0));
      st->active = true;
      st->output_feature |= r.output_feature;
    }
  st->forwarding = c.forwarding;
  st->port_lo = c.port_lo;
  st->port_hi = c.port_hi;
  st->workers = threads().forwarding();
  if (st->workers.empty()) st->workers.push_back(0);
  st->port_share = (uint32_t(c.port_hi) - c.port_lo + 1) / uint32_t(st->workers.size());

  // Every outside address, with what it is; those that are not an
  // interface's own address get a local route.
  std::vector<std::pair<uint32_t, uint8_t>> all;  // (host order, kind)
  std::vector<uint32_t> claimed;
  for (const Pool& p : c.pools) {
    // The workers compare a session's FIB index: a tenant table that does
    // not exist (yet) matches no session.
    const uint32_t vrf = p.tenant_vrf == ~0u              ? ~0u
                         : fib4().has_table(p.tenant_vrf) ? fib4().index_of(p.tenant_vrf)
                                                          : ~1u;
    for (uint64_t a = p.lo; a <= p.hi; a++) {
      (p.twice_nat ? st->twice : st->snat).push_back({be(uint32_t(a)), vrf, p.twice_nat ? kTwicePool : kPoolAddr});
      all.push_back({uint32_t(a), p.twice_nat ? kTwicePool : kPoolAddr});
      claimed.push_back(uint32_t(a));
    }
  }
  for (const std::string& n : c.if_addresses)
    if (uint32_t a = if_address(n)) {
      st->snat.push_back({be(a), ~0u, uint8_t(kPoolAddr | kIfAddr)});
      all.push_back({a, uint8_t(kPoolAddr | kIfAddr)});
    }
  for (const StaticMapping& m : c.statics) {
    const uint32_t ext = m.external_if.empty() ? m.external : if_address(m.external_if);
    const uint32_t local = m.identity ? ext : m.local;
    if (!ext || !local) continue;  // its interface has no address (yet)
    const uint32_t idx = uint32_t(st->statics.size());
    st->statics.push_back({be(local), be(ext), rte_cpu_to_be_16(m.identity ? m.external_port : m.local_port),
                           rte_cpu_to_be_16(m.external_port), m.proto, m.twice_nat, m.identity});
    st->by_external[NatState::skey(be(ext), m.proto, m.external_port)] = idx;
    st->by_local[NatState::skey(be(local), m.proto, m.identity ? m.external_port : m.local_port)] = idx;
    all.push_back({ext, kStaticExt});
    if (m.external_if.empty() && !m.identity) claimed.push_back(ext);
  }
  size_t slots = 16;
  while (slots < all.size() * 2) slots *= 2;
  if (!all.empty()) {
    st->addrs.assign(slots, OutsideAddr{});
    for (auto& [a, kind] : all) add_addr(*st, st->addrs, be(a), kind, ~0u);
  }
  sync_routes(*st, claimed);

  const NatState* old = g_nat_state.exchange(st.release(), std::memory_order_acq_rel);
  if (old != &empty_state()) rcu().defer([old] { delete old; });
  // The firewall builds NAT-capable tables and sets its nodes from the roles.
  fw::changed(fw::Change::kNat);
}

namespace {
// A deleted interface takes its NAT44 configuration with it: its name may
// come back as another interface, which must not inherit it. Address
// changes move interface addresses and the local routes.
InitRegistration watch_interfaces{[] {
  ifs().watch([](Interface& i, IfEvent e) {
    Config& c = config();
    if (e == IfEvent::deleting) {
      bool had = c.interfaces.erase(i.name) > 0;
      auto& ia = c.if_addresses;
      const auto n = ia.size();
      ia.erase(std::remove(ia.begin(), ia.end(), i.name), ia.end());
      had |= ia.size() != n;
      auto& s = c.statics;
      const auto ns = s.size();
      s.erase(std::remove_if(s.begin(), s.end(), [&](const StaticMapping& m) { return m.external_if == i.name; }),
              s.end());
      had |= s.size() != ns;
      if (had) {
        log::info("interface {} deleted: its NAT44 configuration goes with it", i.name);
        republish();
      }
      return;
    }
    if (e == IfEvent::addresses &&
        (c.interfaces.count(i.name) ||
         std::find(c.if_addresses.begin(), c.if_addresses.end(), i.name) != c.if_addresses.end() ||
         std::any_of(c.statics.begin(), c.statics.end(),
                     [&](const StaticMapping& m) { return m.external_if == i.name; })))
      republish();
  });
}};
}  // namespace

}  // namespace vp::nat
