#pragma once
// rtnetlink route messages as vplane routes, shared by the netlink listener
// (what the kernel of the mirrors' namespace has) and the FPM listener (what
// zebra sends directly). Next hops must go through a mirror of the
// namespace; kernel table 254 (main) is vplane table 0, table N is N when
// vplane has it.
#include <linux/netlink.h>

#include <cstdint>
#include <string>
#include <unordered_map>
#include <vector>

#include "net/ip/ip_ops.hpp"

namespace vp {

// Next-hop objects (RTM_NEWNEXTHOP, FRR's default with dplane_fpm_nl): an id
// names one path, a blackhole, or a weighted group of other ids.
struct NhObject {
  std::vector<RoutePath> paths;
  std::vector<std::pair<uint32_t, uint8_t>> group;  // (id, weight)
  bool blackhole = false;
};
using NhTable = std::unordered_map<uint32_t, NhObject>;

enum class Decoded { apply, ignore, error };

Decoded decode_route(const nlmsghdr* nh, const std::string& netns, const NhTable* nhs, RouteSource src,
                     ops::RouteSpec& out);
Decoded decode_nexthop(const nlmsghdr* nh, const std::string& netns, NhTable& nhs);

// RTM_NEWROUTE: the source's route becomes r; RTM_DELROUTE: the source's
// route for the prefix goes, when there is one.
void apply_route(uint16_t type, const ops::RouteSpec& r);

}  // namespace vp
