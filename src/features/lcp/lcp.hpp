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
#include <atomic>
#include <cstdint>
#include <string>
#include <vector>

#include "graph/counter.hpp"

namespace vp {

class NlListener;
struct NlConfig;

// The data path's copy: the mirror of each interface, kNoIf when it has none
// (lcp-punt reads it; written by lcp create/delete).
extern std::atomic<uint32_t> g_lcp_mirror[kMaxInterfaces];
}  // namespace vp

namespace vp::ops {

struct LcpPair {
  uint32_t phy, mirror;
  std::string host_if, netns;
  int host_ifindex;  // in netns
};

// netns "" = the default set with lcp_set_default_netns ("" there: vplaned's own).
void lcp_create(uint32_t phy, const std::string& host_if, const std::string& netns);
void lcp_delete(uint32_t phy);
void lcp_set_default_netns(const std::string& netns);
const std::string& lcp_default_netns();
std::vector<LcpPair> lcp_pairs();

// The paired interface of the mirror with Linux ifindex in netns.
bool lcp_phy_of(const std::string& netns, int ifindex, uint32_t& phy);
// Whether sw_if is an interface paired with a mirror in netns.
bool lcp_in_netns(uint32_t sw_if, const std::string& netns);
// The mirror of sw_if, kNoIf when it has none.
uint32_t lcp_mirror_of(uint32_t sw_if);

// netlink listeners (one per namespace with mirrors, lcp/netlink.hpp) and
// the FPM server run on vplaned's main loop, which lcp takes at start-up
// (control/lifecycle.hpp); without it (unit tests) pairs work but nothing is
// read from Linux.

const NlListener* lcp_listener(const std::string& netns);
// Validated; the buffer applies to existing listeners too.
void lcp_set_netlink(const NlConfig& c);

}  // namespace vp::ops
