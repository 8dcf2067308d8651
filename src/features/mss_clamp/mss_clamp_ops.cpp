#include "features/mss_clamp/mss_clamp_ops.hpp"

#include <algorithm>
#include <map>

#include "graph/registry.hpp"
#include "infra/error.hpp"
#include "io/interface.hpp"

namespace vp::mss {

std::atomic<uint32_t> g_mss[kMaxInterfaces];

namespace {

struct IfCfg {
  Family v4, v6;
};
// By sw_if_index; only interfaces with some family on.
std::map<uint32_t, IfCfg>& cfgs() {
  static std::map<uint32_t, IfCfg> m;
  return m;
}

Interface& by_index(uint32_t sw_if) {
  Interface* i = ifs().at(sw_if);
  if (!i) fail("no interface with index {}", sw_if);
  return *i;
}

uint16_t in_effect(const Family& f, uint32_t mtu, bool v6) {
  if (f.dir == kOff) return 0;
  return f.mss ? f.mss : default_mss(mtu, v6);
}

void publish_mss(const Interface& i, const IfCfg& c) {
  const uint32_t v = uint32_t(in_effect(c.v4, i.mtu, false)) | uint32_t(in_effect(c.v6, i.mtu, true)) << 16;
  g_mss[i.index].store(v, std::memory_order_relaxed);
}

// The nodes of the directions that changed, on or off. A node reads
// g_mss, which is 0 for a family that is off: a packet still on an arc
// compiled before the change passes untouched.
void set_nodes(Interface& i, const IfCfg& was, const IfCfg& now) {
  struct Node {
    bool v6;
    Dir dir;
    const char *arc, *node;
  };
  static constexpr Node kNodes[] = {
      {false, kRx, "ip4-unicast", "tcp-mss-clamping-ip4-in"},
      {false, kTx, "ip4-output", "tcp-mss-clamping-ip4-out"},
      {true, kRx, "ip6-unicast", "tcp-mss-clamping-ip6-in"},
      {true, kTx, "ip6-output", "tcp-mss-clamping-ip6-out"},
  };
  for (const Node& n : kNodes) {
    const bool before = (n.v6 ? was.v6 : was.v4).dir & n.dir, after = (n.v6 ? now.v6 : now.v4).dir & n.dir;
    if (before != after) ifs().set_module_feature(i, n.arc, n.node, after);
  }
}

void check(const Family& f, const char* fam) {
  if (f.dir > kBoth) fail("{}: direction {} out of range (off, rx, tx or both)", fam, f.dir);
  if (f.dir == kOff && f.mss)
    fail("{}-mss {} with {} disabled: enable {} (enable, rx or tx) to clamp", fam, f.mss, fam, fam);
  if (f.mss && f.mss < kMinMss) fail("{}-mss {} is below {}, the smallest clamp taken", fam, f.mss, kMinMss);
}

InitRegistration watch{[] {
  ifs().watch([](Interface& i, IfEvent e) {
    auto it = cfgs().find(i.index);
    if (it == cfgs().end()) return;
    if (e == IfEvent::deleting) {
      g_mss[i.index].store(0, std::memory_order_relaxed);
      cfgs().erase(it);
    } else if (e == IfEvent::changed) {
      publish_mss(i, it->second);  // a default clamp follows the MTU
    }
  });
}};

}  // namespace

uint16_t default_mss(uint32_t mtu, bool v6) {
  const uint32_t hdrs = v6 ? 60 : 40;
  return uint16_t(std::clamp<uint32_t>(mtu > hdrs ? mtu - hdrs : 0, kMinMss, 65535));
}

void set(uint32_t sw_if_index, const std::optional<Family>& v4, const std::optional<Family>& v6) {
  Interface& i = by_index(sw_if_index);
  if (v4) check(*v4, "ip4");
  if (v6) check(*v6, "ip6");
  auto it = cfgs().find(sw_if_index);
  const IfCfg was = it == cfgs().end() ? IfCfg{} : it->second;
  IfCfg now = was;
  if (v4) now.v4 = *v4;
  if (v6) now.v6 = *v6;
  // Clamps are in place before a node that reads them is enabled.
  publish_mss(i, now);
  set_nodes(i, was, now);
  if (now.v4.dir == kOff && now.v6.dir == kOff)
    cfgs().erase(sw_if_index);
  else
    cfgs()[sw_if_index] = now;
}

IfClamp get(uint32_t sw_if_index) {
  const Interface& i = by_index(sw_if_index);
  auto it = cfgs().find(sw_if_index);
  const IfCfg c = it == cfgs().end() ? IfCfg{} : it->second;
  return {.sw_if_index = sw_if_index,
          .v4 = c.v4,
          .v6 = c.v6,
          .mss4 = in_effect(c.v4, i.mtu, false),
          .mss6 = in_effect(c.v6, i.mtu, true)};
}

std::vector<IfClamp> list() {
  std::vector<IfClamp> out;
  for (auto& [idx, c] : cfgs()) out.push_back(get(idx));
  return out;
}

}  // namespace vp::mss
