#pragma once
// The interface model: stable sw_if_index, name, kind, admin/link state, MAC,
// MTU and per-thread counters, independent of what backs it (Port).
// Workers read an immutable snapshot (IfFast) through an atomic pointer per
// index; the main thread builds a new snapshot for every change, swaps it in
// and frees the old one after an RCU grace period.
#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "graph/counter.hpp"
#include "graph/feature.hpp"
#include "graph/meta.hpp"
#include "infra/parse.hpp"
#include "io/port.hpp"

namespace vp {

enum class L2Mode : uint8_t { l3 = 0, xconnect = 1 };

struct IfFast {
  uint32_t sw_if_index;
  uint32_t mtu;
  bool admin_up;
  L2Mode l2;
  uint32_t xc_tx;  // cross-connect peer
  uint32_t fib4;   // IPv4 table (fib index)
  uint32_t ip4;    // primary IPv4 address, network order (0: none): ARP and ICMP source
  uint8_t ip4_len;
  bool proxy_arp;
  bool ip6_on;         // IPv6 enabled: has a link-local address
  uint32_t fib6;       // IPv6 table (fib index)
  uint32_t fib6_ll;    // this interface's link-local table (fib index)
  uint8_t ip6[16];     // first global IPv6 address (all zero: none): ICMPv6 source
  uint8_t ip6_ll[16];  // link-local address: ND and link-local ICMPv6 source
  Port* port;
  Mac mac;
  const ArcCfg* arcs[kMaxArcs];
  std::string name;
};

extern std::atomic<const IfFast*> g_if_fast[kMaxInterfaces];
inline const IfFast* if_fast(uint32_t i) {
  return i < kMaxInterfaces ? g_if_fast[i].load(std::memory_order_acquire) : nullptr;
}

struct Interface {
  uint32_t index = kNoIf;
  std::string name;
  std::unique_ptr<Port> port;  // what backs it; says its kind and the command that recreates it
  bool admin_up = false;
  uint32_t mtu = 1500;
  Mac mac;
  bool mac_set = false;  // changed by command (running-config)
  L2Mode l2 = L2Mode::l3;
  uint32_t xc_tx = kNoIf;
  // The name of the feature that made it (a Linux mirror's is the Linux
  // control plane's), empty when the user did. A feature's interfaces are
  // replayed by its own running-config lines, not by the interfaces' ones.
  std::string owner;
  uint32_t fib4 = 0;             // IPv4 table (fib index)
  uint32_t fib6 = 0;             // IPv6 table (fib index)
  std::vector<Prefix> addrs;     // configured addresses (v4 and v6; never the link-local one)
  bool ip6_on = false;           // IPv6 enabled (an IPv6 address, or "enable ip6 interface")
  bool ip6_enabled_cmd = false;  // enabled by command, not just by an address (running-config)
  uint32_t fib6_ll = 0;          // link-local table, while ip6_on
  IpAddr ip6_ll;                 // link-local address, from the MAC (EUI-64)
  bool proxy_arp = false;
  std::map<uint8_t, std::vector<std::string>> features;  // arc -> enabled feature nodes
  // Feature nodes a feature module enabled for its own configuration (the
  // firewall on zoned interfaces): walked like `features`, but not in the
  // running config, which replays the module's configuration instead.
  std::map<uint8_t, std::vector<std::string>> module_features;
  std::vector<int> rx_worker;              // per rx queue: pinned thread index, -1 = automatic
  std::vector<std::string> owned_netdevs;  // Linux devices to clean up after a crash
};

// Counter baselines so that "clear interfaces" never writes a worker's counter.
struct IfCounterSum {
  IfCounters c{};
};

enum class IfEvent { created, changed, deleting, addresses };
using IfWatcher = std::function<void(Interface&, IfEvent)>;
// A feature that still depends on an interface says why it may not be
// deleted (and what to do first); empty when it may.
using IfDeleteVeto = std::function<std::string(const Interface&)>;

class Interfaces {
 public:
  // Called (main thread) after an interface was created, after its
  // MAC/MTU/state changed, after its addresses changed, and before one is
  // deleted, so that features drop their state for it.
  void watch(IfWatcher w) { watchers_.push_back(std::move(w)); }
  void veto_delete(IfDeleteVeto v) { vetoes_.push_back(std::move(v)); }
  // Throws the first veto's reason; ops::delete_interface asks before
  // anything changes.
  void check_delete(const Interface& i) const;
  // At exit: ports still close, but nobody tidies per-interface state that
  // the process is about to drop anyway (a million routes would take seconds).
  void unwatch_all() { watchers_.clear(); }
  void addresses_changed(Interface& i) { notify(i, IfEvent::addresses); }
  // Takes ownership of the port, assigns the lowest free index, publishes it
  // (admin down, as in VPP) and tells the watchers.
  Interface& add(std::string name, std::unique_ptr<Port> port, const Mac& mac);
  void remove(uint32_t index);  // unpublishes, waits out readers, destroys the port
  Interface* find(const std::string& name);
  Interface* at(uint32_t index);
  Interface& get(const std::string& name);  // throws "unknown interface"
  std::vector<Interface*> all();
  bool name_taken(const std::string& name) { return find(name) != nullptr; }

  void set_admin(Interface& i, bool up);
  void set_mtu(Interface& i, uint32_t mtu);
  void set_mac(Interface& i, const Mac& m);
  void set_xconnect(Interface& rx, Interface* tx);  // nullptr: back to L3
  void set_feature(Interface& i, const std::string& arc, const std::string& node, bool enable);
  void set_module_feature(Interface& i, const std::string& arc, const std::string& node, bool enable);
  void set_rx_placement(Interface& i, uint16_t queue, int thread);
  // A port that receives for many interfaces (the Linux mirrors' shared ring)
  // is polled like one rx queue by one thread; its input node tells the
  // interfaces apart.
  void add_shared_rx(Port* p);
  void remove_shared_rx(Port* p);  // no thread polls it once this returns

  // Rebuild and swap the worker snapshot of one interface.
  void publish(Interface& i);
  // Recompute which thread polls which rx queue, for every input node.
  void publish_rx_placement();

  IfCounters counters(uint32_t index) const;  // summed over threads, minus baseline
  void clear_counters();
  std::vector<std::pair<uint32_t, uint16_t>> placement(uint32_t thread) const;  // (if, queue)

 private:
  std::vector<std::unique_ptr<Interface>> list_;  // by index; null when free
  std::unordered_map<std::string, uint32_t> by_name_;
  std::vector<Port*> shared_rx_;
  std::map<uint32_t, IfCounters> baseline_;
  std::vector<IfWatcher> watchers_;
  std::vector<IfDeleteVeto> vetoes_;
  void notify(Interface& i, IfEvent e) {
    for (auto& w : watchers_) w(i, e);
  }
};

Interfaces& ifs();

// Where a packet entering an arc on this interface goes first: its first
// enabled feature, or straight to the arc's end node (the common case).
inline NodeId arc_first(const IfFast* f, const ArcDef& arc) {
  const ArcCfg* c = f ? f->arcs[arc.index] : nullptr;
  return __builtin_expect(!c, 1) ? arc.end : c->nodes[0];
}

// Entering a feature arc: arc_first, with the packet's arc position set when
// it goes to a feature.
inline NodeId arc_enter(const IfFast* f, const ArcDef& arc, PktMeta& m) {
  NodeId n = arc_first(f, arc);
  if (__builtin_expect(n != arc.end, 0)) {
    m.arc = arc.index;
    m.arc_pos = 0;
  }
  return n;
}

// Walking a feature arc from inside a feature node: the next node for `m`,
// on arc `a` (the one m.arc names). A node that looks `a` up once per vector
// saves the out-of-line Arcs::get() call per packet.
inline NodeId feature_next(const ArcDef& a, PktMeta& m) {
  const IfFast* f = if_fast(a.on_tx ? m.tx_if : m.rx_if);
  const ArcCfg* c = f ? f->arcs[m.arc] : nullptr;
  if (!c || m.arc_pos + 1 >= c->n) return a.end;
  return c->nodes[++m.arc_pos];
}
inline NodeId feature_next(PktMeta& m) { return feature_next(Arcs::get().arc(m.arc), m); }

}  // namespace vp
