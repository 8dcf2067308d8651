#include "features/npt66/npt66_ops.hpp"

#include <algorithm>

#include "features/npt66/npt66.hpp"
#include "graph/rcu.hpp"
#include "graph/registry.hpp"
#include "graph/threads.hpp"
#include "infra/error.hpp"
#include "infra/log.hpp"
#include "io/interface.hpp"

namespace vp::npt66 {

std::atomic<const IfMaps*> g_if_maps[kMaxInterfaces];

namespace {

struct Binding {
  BindingSpec spec;
  uint8_t len;  // the longer of the two prefix lengths
  uint16_t id;
  uint64_t base_out, base_in;  // the counters of `id` when the binding was made
};

struct State {
  std::vector<Binding> bindings;  // in the order they were made
  std::vector<uint16_t> free_ids;
  uint16_t next_id = 0;
};
State& st() {
  static State s;
  return s;
}

uint64_t first64(const Prefix& p) {
  uint64_t v;
  std::memcpy(&v, p.addr.b.data(), 8);
  return rte_be_to_cpu_64(v);
}

// A prefix extended with zeros to `len` bits (RFC 6296 section 3.1).
Prefix extended(const Prefix& p, uint8_t len) { return Prefix{p.addr, len}; }

bool overlap(const Prefix& a, const Prefix& b) {
  const Prefix& shorter = a.len <= b.len ? a : b;
  return shorter.contains((a.len <= b.len ? b : a).addr);
}

void check_prefix(const char* what, const Prefix& p) {
  if (!p.addr.v6) fail("{} prefix {} is not IPv6", what, p.str());
  if (p.len == 0) fail("{} prefix {} has no prefix bits: NPTv6 translates /1 to /64", what, p.str());
  if (p.len > 64)
    fail("{} prefix {} is longer than /64: RFC 6296 adjusts a word of the interface identifier, which it would overlap",
         what, p.str());
  if (p.masked() != p)
    fail("{} prefix {} has bits set past /{} (did you mean {}?)", what, p.str(), p.len, p.masked().str());
}

uint64_t counter(NodeId node, uint16_t id) {
  uint64_t s = 0;
  for (uint32_t t = 0; t < threads().size(); t++)
    if (const auto* c = static_cast<const uint64_t*>(threads().at(t).node(node).state)) s += cread(c[id]);
  return s;
}
NodeId node_in() { return Registry::get().id("npt66-in"); }
NodeId node_out() { return Registry::get().id("npt66-out"); }

void want(Interface& i, const char* arc, const char* node, bool on) {
  auto it = i.module_features.find(Arcs::get().find(arc)->index);
  const bool has = it != i.module_features.end() && std::ranges::find(it->second, node) != it->second.end();
  if (has != on) ifs().set_module_feature(i, arc, node, on);
}

// Rebuilds what the nodes of interface `i` read from its bindings. The maps
// are published before the nodes are enabled and unpublished after they
// are disabled; a packet already past that point finds no maps and passes.
void publish(Interface& i) {
  auto maps = std::make_unique<IfMaps>();
  for (const Binding& b : st().bindings) {
    if (b.spec.sw_if != i.index) continue;
    const uint64_t in = first64(b.spec.internal), ex = first64(b.spec.external);
    maps->out[maps->n] = make_map(in, ex, b.len);
    maps->in[maps->n] = make_map(ex, in, b.len);
    maps->id[maps->n++] = b.id;
  }
  const bool on = maps->n > 0;
  if (!on) {
    want(i, "ip6-unicast", "npt66-in", false);
    want(i, "ip6-output", "npt66-out", false);
  }
  const IfMaps* old = g_if_maps[i.index].exchange(on ? maps.release() : nullptr, std::memory_order_acq_rel);
  if (old) rcu().defer([old] { delete old; });
  if (on) {
    want(i, "ip6-unicast", "npt66-in", true);
    want(i, "ip6-output", "npt66-out", true);
  }
}

// Its counters may still be written by a vector that began before the
// binding went: the id is reused only after that.
void release_id(uint16_t id) {
  rcu().defer([id] { st().free_ids.push_back(id); });
}

std::vector<Binding>::iterator find(const BindingSpec& b) {
  return std::ranges::find_if(st().bindings, [&](const Binding& x) {
    return x.spec.sw_if == b.sw_if && x.spec.internal == b.internal && x.spec.external == b.external;
  });
}

std::string text(const Interface& i, const BindingSpec& b) {
  return fmt::format("{} internal {} external {}", i.name, b.internal.str(), b.external.str());
}

// A deleted interface's bindings go with it: its index may come back as
// another interface, which must not inherit them.
InitRegistration watch_interfaces{[] {
  ifs().watch([](Interface& i, IfEvent e) {
    if (e != IfEvent::deleting) return;
    const size_t before = st().bindings.size();
    std::erase_if(st().bindings, [&](const Binding& b) {
      if (b.spec.sw_if != i.index) return false;
      release_id(b.id);
      return true;
    });
    if (st().bindings.size() == before) return;
    log::info("interface {} deleted: its {} NPTv6 binding(s) with it", i.name, before - st().bindings.size());
    publish(i);
  });
}};

}  // namespace

void add_binding(const BindingSpec& b) {
  Interface* i = ifs().at(b.sw_if);
  if (!i) fail("no interface with index {}", b.sw_if);
  check_prefix("internal", b.internal);
  check_prefix("external", b.external);
  if (find(b) != st().bindings.end()) return;
  const uint8_t len = std::max(b.internal.len, b.external.len);
  uint32_t on_if = 0;
  for (const Binding& x : st().bindings) {
    if (x.spec.sw_if != b.sw_if) continue;
    on_if++;
    if (overlap(extended(b.internal, len), extended(x.spec.internal, x.len)))
      fail("internal prefix {} overlaps binding {}: an address would have two translations", b.internal.str(),
           text(*i, x.spec));
    if (overlap(extended(b.external, len), extended(x.spec.external, x.len)))
      fail("external prefix {} overlaps binding {}: an address would have two translations", b.external.str(),
           text(*i, x.spec));
  }
  if (on_if == kMaxPerInterface) fail("{} has {} NPTv6 bindings already, the most an interface takes", i->name, on_if);
  State& s = st();
  if (s.free_ids.empty() && s.next_id == kMaxBindings)
    fail("{} NPTv6 bindings exist already, the most there can be", kMaxBindings);

  uint16_t id;
  if (s.free_ids.empty()) {
    id = s.next_id++;
  } else {
    id = s.free_ids.back();
    s.free_ids.pop_back();
  }
  s.bindings.push_back({b, len, id, counter(node_out(), id), counter(node_in(), id)});
  publish(*i);
}

void delete_binding(const BindingSpec& b) {
  Interface* i = ifs().at(b.sw_if);
  if (!i) fail("no interface with index {}", b.sw_if);
  auto it = find(b);
  if (it == st().bindings.end()) fail("no NPTv6 binding {}", text(*i, b));
  release_id(it->id);
  st().bindings.erase(it);
  publish(*i);
}

std::vector<BindingInfo> bindings() {
  std::vector<BindingInfo> v;
  for (const Binding& b : st().bindings) {
    const Map out = make_map(first64(b.spec.internal), first64(b.spec.external), b.len);
    v.push_back({b.id, b.spec.sw_if, b.spec.internal, b.spec.external, b.len, rte_be_to_cpu_16(out.adj),
                 counter(node_out(), b.id) - b.base_out, counter(node_in(), b.id) - b.base_in});
  }
  return v;
}

}  // namespace vp::npt66
