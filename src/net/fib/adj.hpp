#pragma once
// Adjacencies: how to reach a neighbour (or, for "glean", a whole attached
// subnet) on an interface: the L2 rewrite once the neighbour's MAC is known.
// Workers read immutable snapshots by index; the main thread republishes an
// adjacency when its neighbour resolves or its interface's MAC/MTU changes.
#include <cstdint>
#include <functional>
#include <map>
#include <tuple>
#include <vector>

#include "graph/published.hpp"
#include "infra/parse.hpp"

namespace vp {

struct Adj {
  uint32_t sw_if;
  uint32_t mtu;
  bool complete;  // rewrite holds the neighbour's MAC
  bool glean;     // resolve each packet's own destination
  bool v6;
  uint8_t rewrite[14];  // dst MAC, src MAC, ethertype
  IpAddr nh;
};

// Inline (a call per packet otherwise: rewrite looks an adjacency up each
// time the packet's adjacency changes, every packet under ECMP).
inline PublishedPool<Adj>& adjs() {
  static PublishedPool<Adj> p;
  return p;
}

class AdjTable {
 public:
  uint32_t lock_nbr(uint32_t sw_if, const IpAddr& nh);  // find or create; reference counted
  uint32_t lock_glean(uint32_t sw_if, bool v6);
  void unlock(uint32_t index);
  // A neighbour's MAC became known (mac) or unknown (nullptr).
  void neighbor_changed(uint32_t sw_if, const IpAddr& ip, const Mac* mac);
  void interface_changed(uint32_t sw_if);  // MAC or MTU
  struct Info {
    uint32_t index;
    Adj adj;
    uint32_t refs;
  };
  std::vector<Info> dump() const;
  // Where MACs come from (the neighbour table).
  std::function<const Mac*(uint32_t, const IpAddr&)> resolver;

 private:
  using Key = std::tuple<uint32_t, bool, IpAddr>;  // (sw_if, glean, nh)
  struct Ent {
    uint32_t index, refs;
  };
  uint32_t lock(uint32_t sw_if, const IpAddr& nh, bool glean);
  void publish(uint32_t index, uint32_t sw_if, const IpAddr& nh, bool glean);
  std::map<Key, Ent> map_;
  std::map<uint32_t, Key> by_index_;
};

AdjTable& adj_table();

}  // namespace vp
