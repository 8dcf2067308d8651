#include "io/interface.hpp"

#include <cstdlib>
#include <cstring>

#include "graph/rcu.hpp"
#include "graph/registry.hpp"
#include "graph/threads.hpp"
#include "infra/error.hpp"
#include "infra/log.hpp"
#include "io/rx_queue.hpp"

namespace vp {

std::atomic<const IfFast*> g_if_fast[kMaxInterfaces];

Interfaces& ifs() {
  static Interfaces i;
  return i;
}

Interface& Interfaces::add(std::string name, std::unique_ptr<Port> port, const Mac& mac) {
  if (find(name)) fail("interface '{}' already exists", name);
  uint32_t idx = 0;
  while (idx < list_.size() && list_[idx]) idx++;
  if (idx >= kMaxInterfaces) fail("too many interfaces (max {})", kMaxInterfaces);
  if (idx == list_.size()) list_.emplace_back();
  auto i = std::make_unique<Interface>();
  i->index = idx;
  i->name = std::move(name);
  i->port = std::move(port);
  i->mac = mac;
  i->rx_worker.assign(i->port->n_rx_queues(), -1);
  for (uint32_t t = 0; t < threads().size(); t++) threads().at(t).if_counters().ensure(idx);
  // A recycled index must not inherit the old interface's counters.
  baseline_[idx] = IfCounters{};
  by_name_[i->name] = idx;
  list_[idx] = std::move(i);
  baseline_[idx] = counters(idx);
  publish(*list_[idx]);
  notify(*list_[idx], IfEvent::created);
  return *list_[idx];
}

void Interfaces::check_delete(const Interface& i) const {
  for (auto& v : vetoes_)
    if (std::string why = v(i); !why.empty()) fail("{}", why);
}

void Interfaces::remove(uint32_t index) {
  Interface* i = at(index);
  if (!i) return;
  notify(*i, IfEvent::deleting);
  for (auto& o : list_)
    if (o && o->xc_tx == index) set_xconnect(*o, nullptr);
  i->admin_up = false;
  publish(*i);
  if (i->port->input_node() != kNoNode) publish_rx_placement();
  const IfFast* old = g_if_fast[index].exchange(nullptr, std::memory_order_acq_rel);
  // No worker may still hold the port (rx list, tx via snapshot) after this.
  rcu().synchronize();
  if (old) {
    for (auto* c : old->arcs)
      if (c) Arcs::release(c);
    delete old;
  }
  i->port->set_admin(false);
  by_name_.erase(i->name);
  list_[index].reset();
}

Interface* Interfaces::find(const std::string& name) {
  auto it = by_name_.find(name);
  return it == by_name_.end() ? nullptr : list_[it->second].get();
}

Interface* Interfaces::at(uint32_t index) { return index < list_.size() ? list_[index].get() : nullptr; }

Interface& Interfaces::get(const std::string& name) {
  Interface* i = find(name);
  if (!i) fail("unknown interface '{}' (see 'show interface')", name);
  return *i;
}

std::vector<Interface*> Interfaces::all() {
  std::vector<Interface*> out;
  for (auto& i : list_)
    if (i) out.push_back(i.get());
  return out;
}

void Interfaces::set_admin(Interface& i, bool up) {
  if (i.admin_up == up) return;
  i.port->set_admin(up);  // may throw: nothing changed yet
  i.admin_up = up;
  publish(i);
  if (i.port->input_node() != kNoNode) publish_rx_placement();
  notify(i, IfEvent::changed);
}

void Interfaces::set_mtu(Interface& i, uint32_t mtu) {
  if (mtu < 64 || mtu > i.port->max_mtu()) fail("MTU {} out of range for {} (64-{})", mtu, i.name, i.port->max_mtu());
  i.port->set_mtu(mtu);
  i.mtu = mtu;
  publish(i);
  notify(i, IfEvent::changed);
}

void Interfaces::set_mac(Interface& i, const Mac& m) {
  if (m.is_multicast()) fail("MAC {} is a multicast address", m.str());
  i.port->set_mac(m);
  i.mac = m;
  publish(i);
  notify(i, IfEvent::changed);
}

void Interfaces::set_xconnect(Interface& rx, Interface* tx) {
  rx.l2 = tx ? L2Mode::xconnect : L2Mode::l3;
  rx.xc_tx = tx ? tx->index : kNoIf;
  publish(rx);
}

namespace {
void toggle(std::map<uint8_t, std::vector<std::string>>& m, const std::string& arc, const std::string& node,
            bool enable) {
  const ArcDef* a = Arcs::get().find(arc);
  if (!a) fail("unknown feature arc '{}'", arc);
  bool known = false;
  for (auto& f : a->feature_names) known |= f == node;
  if (!known) fail("'{}' is not a feature of arc '{}'", node, arc);
  auto& v = m[a->index];
  auto it = std::find(v.begin(), v.end(), node);
  if (enable && it == v.end()) v.push_back(node);
  if (!enable && it != v.end()) v.erase(it);
}
}  // namespace

void Interfaces::set_feature(Interface& i, const std::string& arc, const std::string& node, bool enable) {
  if (const ArcDef* a = Arcs::get().find(arc);
      a && std::find(a->module_only.begin(), a->module_only.end(), node) != a->module_only.end())
    fail("'{}' is enabled by its feature's own configuration, not by set interface feature", node);
  toggle(i.features, arc, node, enable);
  publish(i);
}

void Interfaces::set_module_feature(Interface& i, const std::string& arc, const std::string& node, bool enable) {
  toggle(i.module_features, arc, node, enable);
  publish(i);
}

void Interfaces::set_rx_placement(Interface& i, uint16_t queue, int thread) {
  if (queue >= i.rx_worker.size()) fail("{} has no rx queue {} (it has {})", i.name, queue, i.rx_worker.size());
  i.rx_worker[queue] = thread;
  publish_rx_placement();
}

void Interfaces::add_shared_rx(Port* p) {
  shared_rx_.push_back(p);
  publish_rx_placement();
}

void Interfaces::remove_shared_rx(Port* p) {
  std::erase(shared_rx_, p);
  publish_rx_placement();
  rcu().synchronize();
}

void Interfaces::publish(Interface& i) {
  auto* f = new IfFast{};
  f->sw_if_index = i.index;
  f->mtu = i.mtu;
  f->admin_up = i.admin_up;
  f->l2 = i.l2;
  f->xc_tx = i.xc_tx;
  f->fib4 = i.fib4;
  f->ip4 = 0;
  for (auto& a : i.addrs)
    if (!a.addr.v6) {
      std::memcpy(&f->ip4, a.addr.b.data(), 4);
      f->ip4_len = a.len;
      break;
    }
  f->proxy_arp = i.proxy_arp;
  f->ip6_on = i.ip6_on;
  f->fib6 = i.fib6;
  f->fib6_ll = i.fib6_ll;
  for (auto& a : i.addrs)
    if (a.addr.v6) {
      std::memcpy(f->ip6, a.addr.b.data(), 16);
      break;
    }
  std::memcpy(f->ip6_ll, i.ip6_ll.b.data(), 16);
  f->port = i.port.get();
  f->mac = i.mac;
  f->name = i.name;
  for (size_t a = 0; a < Arcs::get().size(); a++) {
    std::vector<std::string> on;
    if (auto it = i.features.find(uint8_t(a)); it != i.features.end()) on = it->second;
    if (auto it = i.module_features.find(uint8_t(a)); it != i.module_features.end())
      for (auto& n : it->second)
        if (std::find(on.begin(), on.end(), n) == on.end()) on.push_back(n);
    f->arcs[a] = on.empty() ? nullptr : Arcs::get().compile(uint8_t(a), on);
  }
  const IfFast* old = g_if_fast[i.index].exchange(f, std::memory_order_acq_rel);
  if (old)
    rcu().defer([old] {
      for (auto* c : old->arcs)
        if (c) Arcs::release(c);
      delete old;
    });
}

void Interfaces::publish_rx_placement() {
  auto& th = threads();
  auto fwd = th.forwarding();
  auto& reg = Registry::get();
  // thread -> node -> queues
  std::map<uint32_t, std::map<NodeId, std::vector<RxQueue>>> plan;
  size_t rr = 0;
  for (auto& ip : list_) {
    if (!ip || !ip->admin_up) continue;
    NodeId node = ip->port->input_node();
    if (node == kNoNode) continue;
    for (uint16_t q = 0; q < ip->port->n_rx_queues(); q++) {
      int want = ip->rx_worker[q];
      uint32_t t = want >= 0 && uint32_t(want) < th.size() ? uint32_t(want) : fwd[rr++ % fwd.size()];
      plan[t][node].push_back({ip->port.get(), ip->index, q});
    }
  }
  for (Port* p : shared_rx_) plan[fwd[rr++ % fwd.size()]][p->input_node()].push_back({p, kNoIf, 0});
  for (uint32_t t = 0; t < th.size(); t++) {
    for (auto& d : reg.nodes()) {
      if (!d->input) continue;
      auto& qs = plan[t][d->id];
      RxList* l = nullptr;
      if (!qs.empty()) {
        l = static_cast<RxList*>(std::malloc(sizeof(RxList) + qs.size() * sizeof(RxQueue)));
        l->n = uint32_t(qs.size());
        std::copy(qs.begin(), qs.end(), l->q);
      }
      const void* old = th.at(t).node(d->id).rx.exchange(l, std::memory_order_acq_rel);
      if (old) rcu().defer([old] { std::free(const_cast<void*>(old)); });
    }
  }
}

std::vector<std::pair<uint32_t, uint16_t>> Interfaces::placement(uint32_t thread) const {
  std::vector<std::pair<uint32_t, uint16_t>> out;
  auto& t = threads().at(thread);
  for (auto& d : Registry::get().nodes()) {
    if (!d->input) continue;
    auto* l = static_cast<const RxList*>(t.node(d->id).rx.load(std::memory_order_acquire));
    if (l)
      for (uint32_t k = 0; k < l->n; k++) out.push_back({l->q[k].sw_if, l->q[k].q});
  }
  return out;
}

IfCounters Interfaces::counters(uint32_t index) const {
  IfCounters s{};
  auto& th = threads();
  for (uint32_t t = 0; t < th.size(); t++) {
    const IfCounters* c = th.at(t).if_counters().find(index);
    if (!c) continue;
    s.rx_packets += cread(c->rx_packets);
    s.rx_bytes += cread(c->rx_bytes);
    s.tx_packets += cread(c->tx_packets);
    s.tx_bytes += cread(c->tx_bytes);
    s.drops += cread(c->drops);
    s.tx_errors += cread(c->tx_errors);
    s.rx_errors += cread(c->rx_errors);
    s.punts += cread(c->punts);
  }
  auto it = baseline_.find(index);
  if (it != baseline_.end()) {
    const IfCounters& b = it->second;
    s.rx_packets -= b.rx_packets;
    s.rx_bytes -= b.rx_bytes;
    s.tx_packets -= b.tx_packets;
    s.tx_bytes -= b.tx_bytes;
    s.drops -= b.drops;
    s.tx_errors -= b.tx_errors;
    s.rx_errors -= b.rx_errors;
    s.punts -= b.punts;
  }
  return s;
}

void Interfaces::clear_counters() {
  for (auto& i : list_) {
    if (!i) continue;
    baseline_[i->index] = IfCounters{};
    baseline_[i->index] = counters(i->index);
  }
}

}  // namespace vp
