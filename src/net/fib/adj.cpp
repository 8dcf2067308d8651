#include "net/fib/adj.hpp"

#include <cstring>

#include "io/interface.hpp"

namespace vp {

AdjTable& adj_table() {
  static AdjTable t;
  return t;
}

void AdjTable::publish(uint32_t index, uint32_t sw_if, const IpAddr& nh, bool glean) {
  auto* a = new Adj{};
  a->sw_if = sw_if;
  a->glean = glean;
  a->v6 = nh.v6;
  a->nh = nh;
  const IfFast* f = if_fast(sw_if);
  a->mtu = f ? f->mtu : 1500;
  const Mac* mac = glean || !resolver ? nullptr : resolver(sw_if, nh);
  a->complete = mac != nullptr;
  if (mac) std::memcpy(a->rewrite, mac->b.data(), 6);
  if (f) std::memcpy(a->rewrite + 6, f->mac.b.data(), 6);
  a->rewrite[12] = nh.v6 ? 0x86 : 0x08;
  a->rewrite[13] = nh.v6 ? 0xdd : 0x00;
  adjs().set(index, a);
}

uint32_t AdjTable::lock(uint32_t sw_if, const IpAddr& nh, bool glean) {
  Key k{sw_if, glean, nh};
  auto it = map_.find(k);
  if (it != map_.end()) {
    it->second.refs++;
    return it->second.index;
  }
  uint32_t i = adjs().alloc();
  map_[k] = {i, 1};
  by_index_[i] = k;
  publish(i, sw_if, nh, glean);
  return i;
}

uint32_t AdjTable::lock_nbr(uint32_t sw_if, const IpAddr& nh) { return lock(sw_if, nh, false); }

uint32_t AdjTable::lock_glean(uint32_t sw_if, bool v6) {
  IpAddr any;
  any.v6 = v6;
  return lock(sw_if, any, true);
}

void AdjTable::unlock(uint32_t index) {
  auto b = by_index_.find(index);
  if (b == by_index_.end()) return;
  auto it = map_.find(b->second);
  if (--it->second.refs) return;
  map_.erase(it);
  by_index_.erase(b);
  adjs().release(index);
}

void AdjTable::neighbor_changed(uint32_t sw_if, const IpAddr& ip, const Mac*) {
  auto it = map_.find(Key{sw_if, false, ip});
  if (it != map_.end()) publish(it->second.index, sw_if, ip, false);
}

void AdjTable::interface_changed(uint32_t sw_if) {
  for (auto& [k, e] : map_)
    if (std::get<0>(k) == sw_if) publish(e.index, sw_if, std::get<2>(k), std::get<1>(k));
}

std::vector<AdjTable::Info> AdjTable::dump() const {
  std::vector<Info> out;
  for (auto& [k, e] : map_)
    if (const Adj* a = adjs().get(e.index)) out.push_back({e.index, *a, e.refs});
  return out;
}

}  // namespace vp
