#include "features/lcp/rtnl_route.hpp"

#include <libmnl/libmnl.h>
#include <linux/nexthop.h>
#include <linux/rtnetlink.h>
#include <sys/socket.h>

#include <cstring>

#include "features/lcp/lcp.hpp"
#include "features/lcp/nl_attrs.hpp"
#include "net/fib/fib.hpp"

namespace vp {

namespace {
bool map_table(uint32_t k, bool v6, uint32_t& out) {
  if (k == RT_TABLE_MAIN) {
    out = 0;
    return true;
  }
  if (k == RT_TABLE_LOCAL || k == RT_TABLE_UNSPEC || k >= kHiddenTable) return false;
  out = k;
  return v6 ? fib6().has_table(k) : fib4().has_table(k);
}

// A path via gw (optional) out of the mirror oif; false when oif is not one of ours.
bool make_path(const std::string& netns, const nlattr* gw, int oif, uint16_t weight, bool v6, RoutePath& p) {
  if (gw) {
    if (!nl_valid_addr(gw, v6)) return false;
    p.nh = nl_addr(gw, v6);
    p.has_nh = true;
  }
  uint32_t phy;
  if (!ops::lcp_phy_of(netns, oif, phy)) return false;
  p.sw_if = phy;
  p.weight = weight;
  return true;
}

bool add_nh_paths(const NhTable& nhs, uint32_t id, uint16_t weight, ops::RouteSpec& r, int depth = 0) {
  auto it = nhs.find(id);
  if (it == nhs.end() || depth > 2) return false;
  const NhObject& o = it->second;
  if (o.blackhole) {
    r.kind = RouteKind::drop;
    return true;
  }
  for (auto& [member, w] : o.group)
    if (!add_nh_paths(nhs, member, uint16_t(w + 1), r, depth + 1)) return false;
  for (auto p : o.paths) {
    p.weight = weight;
    r.paths.push_back(p);
  }
  return true;
}
}  // namespace

Decoded decode_route(const nlmsghdr* nh, const std::string& netns, const NhTable* nhs, RouteSource src,
                     ops::RouteSpec& r) {
  if (!nl_holds(nh, sizeof(rtmsg))) return Decoded::error;
  auto* rt = static_cast<const rtmsg*>(mnl_nlmsg_get_payload(nh));
  bool v6 = rt->rtm_family == AF_INET6;
  // Connected and local routes (proto kernel): vplane has its own from the addresses.
  if ((rt->rtm_family != AF_INET && !v6) || (rt->rtm_flags & RTM_F_CLONED) || rt->rtm_protocol == RTPROT_KERNEL)
    return Decoded::ignore;
  const nlattr* tb[kNlAttrs] = {};
  mnl_attr_parse(nh, sizeof(rtmsg), nl_attr_cb, tb);
  uint32_t ktable = rt->rtm_table, nh_id = 0, oif = 0;
  if (tb[RTA_TABLE] && !nl_u32(tb[RTA_TABLE], ktable)) return Decoded::error;
  if ((tb[RTA_NH_ID] && !nl_u32(tb[RTA_NH_ID], nh_id)) || (tb[RTA_OIF] && !nl_u32(tb[RTA_OIF], oif)))
    return Decoded::error;
  switch (rt->rtm_type) {
    case RTN_UNICAST:
      r.kind = RouteKind::paths;
      break;
    case RTN_BLACKHOLE:
      r.kind = RouteKind::drop;
      break;
    case RTN_UNREACHABLE:
      r.kind = RouteKind::unreachable;
      break;
    case RTN_PROHIBIT:
      r.kind = RouteKind::prohibit;
      break;
    default:
      // zebra leaves the type unset in its deletes (RTN_UNSPEC): a delete
      // names a prefix, whatever it pointed to.
      if (nh->nlmsg_type != RTM_DELROUTE) return Decoded::ignore;
      r.kind = RouteKind::paths;
  }
  if (!map_table(ktable, v6, r.table)) return Decoded::ignore;
  r.source = src;
  r.prefix = Prefix{};
  r.prefix.addr.v6 = v6;
  if (tb[RTA_DST]) {
    if (!nl_valid_addr(tb[RTA_DST], v6)) return Decoded::error;
    r.prefix.addr = nl_addr(tb[RTA_DST], v6);
  }
  r.prefix.len = rt->rtm_dst_len;
  r.paths.clear();
  if (r.kind != RouteKind::paths || nh->nlmsg_type == RTM_DELROUTE) return Decoded::apply;
  // A next-hop object id: FPM resolves it from the objects zebra sent; the
  // kernel's notifications also carry the resolved gateway (nexthop_compat_mode).
  if (tb[RTA_NH_ID] && nhs) {
    if (!add_nh_paths(*nhs, nh_id, 1, r)) return Decoded::ignore;
    if (r.kind == RouteKind::drop) r.paths.clear();
    return r.kind != RouteKind::paths || !r.paths.empty() ? Decoded::apply : Decoded::ignore;
  }
  if (tb[RTA_MULTIPATH]) {
    auto* nhp = static_cast<const rtnexthop*>(mnl_attr_get_payload(tb[RTA_MULTIPATH]));
    int left = int(mnl_attr_get_payload_len(tb[RTA_MULTIPATH]));
    while (RTNH_OK(nhp, left)) {
      const nlattr* ntb[kNlAttrs] = {};
      if (nhp->rtnh_len > sizeof(rtnexthop))
        mnl_attr_parse_payload(RTNH_DATA(nhp), nhp->rtnh_len - sizeof(rtnexthop), nl_attr_cb, ntb);
      RoutePath p;
      if (!make_path(netns, ntb[RTA_GATEWAY], nhp->rtnh_ifindex, uint16_t(nhp->rtnh_hops + 1), v6, p))
        return Decoded::ignore;  // not through one of our mirrors
      r.paths.push_back(p);
      left -= NLMSG_ALIGN(nhp->rtnh_len);
      nhp = RTNH_NEXT(nhp);
    }
  } else {
    RoutePath p;
    if (!make_path(netns, tb[RTA_GATEWAY], int(oif), 1, v6, p)) return Decoded::ignore;
    r.paths.push_back(p);
  }
  return r.paths.empty() ? Decoded::ignore : Decoded::apply;
}

Decoded decode_nexthop(const nlmsghdr* nh, const std::string& netns, NhTable& nhs) {
  if (!nl_holds(nh, sizeof(nhmsg))) return Decoded::error;
  auto* m = static_cast<const nhmsg*>(mnl_nlmsg_get_payload(nh));
  const nlattr* tb[kNlAttrs] = {};
  mnl_attr_parse(nh, sizeof(nhmsg), nl_attr_cb, tb);
  uint32_t id, oif = 0;
  if (!nl_u32(tb[NHA_ID], id) || (tb[NHA_OIF] && !nl_u32(tb[NHA_OIF], oif))) return Decoded::error;
  if (nh->nlmsg_type == RTM_DELNEXTHOP) {
    nhs.erase(id);
    return Decoded::apply;
  }
  NhObject o;
  if (tb[NHA_BLACKHOLE]) {
    o.blackhole = true;
  } else if (tb[NHA_GROUP]) {
    auto* g = static_cast<const nexthop_grp*>(mnl_attr_get_payload(tb[NHA_GROUP]));
    size_t n = mnl_attr_get_payload_len(tb[NHA_GROUP]) / sizeof(nexthop_grp);
    for (size_t i = 0; i < n; i++) o.group.emplace_back(g[i].id, g[i].weight);
  } else {
    RoutePath p;
    if (!make_path(netns, tb[NHA_GATEWAY], int(oif), 1, m->nh_family == AF_INET6, p)) return Decoded::ignore;
    o.paths.push_back(p);
  }
  nhs[id] = std::move(o);
  return Decoded::apply;
}

void apply_route(uint16_t type, const ops::RouteSpec& r) {
  if (type != RTM_DELROUTE) return ops::route_apply(r, ops::RouteOp::replace);
  // The whole route from this source, if vplane has it (one lookup: no route
  // is not an error here, Linux may delete what vplane never took).
  if (r.prefix.addr.v6)
    fib6().del(fib6().index_of(r.table), r.prefix, r.source);
  else
    fib4().del(fib4().index_of(r.table), r.prefix, r.source);
}

}  // namespace vp
