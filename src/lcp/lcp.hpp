#pragma once
// Linux control-plane integration (VPP's linux-cp): each paired vplane
// interface gets a mirror, a TAP whose kernel side lives in a network
// namespace with the interface's MAC, MTU and addresses, so that routing
// daemons, sshd and the like run unmodified on it. Traffic for vplane's own
// addresses that vplane does not answer itself is punted to the mirror of
// the interface it arrived on (lcp-punt, a feature on the ip4-punt and
// ip6-punt arcs; ARP replies and neighbour advertisements are passed on
// after vplane learned from them); what the kernel sends from the mirror
// leaves on the paired interface unchanged (the mirror is cross-connected
// to it), without vplane's own ARP/ND. Transit traffic never touches a
// mirror.
#include <string>
#include <vector>

namespace vp::ops {

struct LcpPair {
  uint32_t phy, mirror;
  std::string host_if, netns;
};

// netns "" = the default set with lcp_set_default_netns ("" there: vplaned's own).
void lcp_create(uint32_t phy, const std::string& host_if, const std::string& netns);
void lcp_delete(uint32_t phy);
void lcp_set_default_netns(const std::string& netns);
const std::string& lcp_default_netns();
std::vector<LcpPair> lcp_pairs();

}  // namespace vp::ops
