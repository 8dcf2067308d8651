#pragma once
// The neighbour table (IPv4 ARP and IPv6 ND), owned by the main thread.
// Workers report what they learn through a lock-free multi-producer ring;
// the main thread applies it, republishes the adjacencies and keeps a host
// route (/32, /128; link-local ones in the interface's link-local table)
// per resolved neighbour so that lookups for it hit a complete adjacency
// directly.
#include <cstdint>
#include <functional>
#include <map>
#include <vector>

#include "infra/parse.hpp"

struct rte_ring;

namespace vp {

struct NbrEvent {
  uint32_t sw_if;
  uint8_t ip[16];  // IPv4: the first 4 bytes
  uint8_t mac[6];
  uint8_t v6;
  uint8_t pad;
};

class Neighbors {
 public:
  void set(uint32_t sw_if, const IpAddr& ip, const Mac& mac, bool is_static);
  bool del(uint32_t sw_if, const IpAddr& ip);
  void del_interface(uint32_t sw_if);
  const Mac* find(uint32_t sw_if, const IpAddr& ip) const;
  // Worker side: never blocks; a full ring drops the event (ARP retries).
  void learn(const NbrEvent& e);
  void init();  // main thread, at start
  // Main thread: apply learned entries, age dynamic ones.
  void poll(uint64_t now_ns);
  uint32_t generation() const { return gen_; }
  struct Entry {
    Mac mac;
    bool is_static;
    uint64_t updated_ns;
  };
  const std::map<std::pair<uint32_t, IpAddr>, Entry>& all() const { return map_; }
  uint64_t age_ns = 300ull * 1000000000ull;
  // Main thread: told of every entry that appears, changes (mac) or goes (nullptr).
  using Watcher = std::function<void(uint32_t sw_if, const IpAddr& ip, const Mac* mac, bool is_static)>;
  void watch(Watcher w) { watchers_.push_back(std::move(w)); }

 private:
  std::map<std::pair<uint32_t, IpAddr>, Entry> map_;
  rte_ring* ring_ = nullptr;
  uint32_t gen_ = 0;
  std::vector<Watcher> watchers_;
};

Neighbors& neighbors();
// Bumped whenever a neighbour resolves: held packets retry their lookup.
uint32_t neighbor_generation();

}  // namespace vp
