// rtnetlink route and next-hop messages as vplane routes (FPM and the
// netlink listener): kinds, table mapping, next-hop objects, and messages
// too short for what they claim.
#include "features/lcp/rtnl_route.hpp"

#include <gtest/gtest.h>
#include <libmnl/libmnl.h>
#include <linux/nexthop.h>
#include <linux/rtnetlink.h>
#include <sys/socket.h>

#include "net/fib/fib.hpp"

namespace vp {
namespace {

struct Msg {
  char buf[512] = {};
  nlmsghdr* nh;
  explicit Msg(uint16_t type) {
    nh = mnl_nlmsg_put_header(buf);
    nh->nlmsg_type = type;
  }
  rtmsg* route(uint8_t rtm_type, uint8_t table, const char* dst, uint8_t len) {
    auto* rt = static_cast<rtmsg*>(mnl_nlmsg_put_extra_header(nh, sizeof(rtmsg)));
    rt->rtm_family = AF_INET;
    rt->rtm_type = rtm_type;
    rt->rtm_table = table;
    rt->rtm_protocol = RTPROT_BGP;
    rt->rtm_dst_len = len;
    IpAddr a = parse_ip(dst);
    mnl_attr_put(nh, RTA_DST, 4, a.b.data());
    return rt;
  }
};

TEST(RtnlRoute, KindsAndTablesAreMapped) {
  Msg m(RTM_NEWROUTE);
  m.route(RTN_BLACKHOLE, RT_TABLE_MAIN, "198.18.7.0", 24);
  ops::RouteSpec r;
  ASSERT_EQ(decode_route(m.nh, "", nullptr, RouteSource::netlink, r), Decoded::apply);
  EXPECT_EQ(r.kind, RouteKind::drop);
  EXPECT_EQ(r.table, 0u);
  EXPECT_EQ(r.prefix.str(), "198.18.7.0/24");
  apply_route(RTM_NEWROUTE, r);
  EXPECT_TRUE(fib4().has(0, r.prefix, RouteSource::netlink));
  Msg d(RTM_DELROUTE);
  d.route(RTN_BLACKHOLE, RT_TABLE_MAIN, "198.18.7.0", 24);
  ASSERT_EQ(decode_route(d.nh, "", nullptr, RouteSource::netlink, r), Decoded::apply);
  apply_route(RTM_DELROUTE, r);
  apply_route(RTM_DELROUTE, r);  // gone already: nothing to do, no error
  EXPECT_FALSE(fib4().has(0, r.prefix, RouteSource::netlink));
  // zebra's deletes (FPM) carry no route type.
  Msg nu(RTM_NEWROUTE);
  nu.route(RTN_UNICAST, RT_TABLE_MAIN, "198.18.7.0", 24);
  mnl_attr_put_u32(nu.nh, RTA_NH_ID, 7);
  NhTable bh{{7, NhObject{.blackhole = true}}};
  ASSERT_EQ(decode_route(nu.nh, "", &bh, RouteSource::fpm, r), Decoded::apply);
  apply_route(RTM_NEWROUTE, r);
  ASSERT_TRUE(fib4().has(0, r.prefix, RouteSource::fpm));
  Msg du(RTM_DELROUTE);
  du.route(RTN_UNSPEC, RT_TABLE_MAIN, "198.18.7.0", 24);
  ASSERT_EQ(decode_route(du.nh, "", &bh, RouteSource::fpm, r), Decoded::apply);
  apply_route(RTM_DELROUTE, r);
  EXPECT_FALSE(fib4().has(0, r.prefix, RouteSource::fpm));
  Msg nt(RTM_NEWROUTE);  // a type vplane has no equivalent for, added
  nt.route(RTN_NAT, RT_TABLE_MAIN, "198.18.7.0", 24);
  EXPECT_EQ(decode_route(nt.nh, "", nullptr, RouteSource::netlink, r), Decoded::ignore);

  Msg local(RTM_NEWROUTE);
  local.route(RTN_LOCAL, RT_TABLE_LOCAL, "198.18.7.1", 32);
  EXPECT_EQ(decode_route(local.nh, "", nullptr, RouteSource::netlink, r), Decoded::ignore);
  Msg other(RTM_NEWROUTE);
  other.route(RTN_UNREACHABLE, 77, "198.18.8.0", 24);  // no vplane table 77
  EXPECT_EQ(decode_route(other.nh, "", nullptr, RouteSource::netlink, r), Decoded::ignore);
  Msg unicast(RTM_NEWROUTE);  // a gateway not through any mirror
  unicast.route(RTN_UNICAST, RT_TABLE_MAIN, "198.18.9.0", 24);
  IpAddr gw = parse_ip("192.0.2.1");
  mnl_attr_put(unicast.nh, RTA_GATEWAY, 4, gw.b.data());
  mnl_attr_put_u32(unicast.nh, RTA_OIF, 99);
  EXPECT_EQ(decode_route(unicast.nh, "", nullptr, RouteSource::netlink, r), Decoded::ignore);
}

TEST(RtnlRoute, NextHopObjectsResolveRoutesThatNameThem) {
  NhTable nhs;
  Msg bh(RTM_NEWNEXTHOP);
  auto* nm = static_cast<nhmsg*>(mnl_nlmsg_put_extra_header(bh.nh, sizeof(nhmsg)));
  nm->nh_family = AF_INET;
  mnl_attr_put_u32(bh.nh, NHA_ID, 7);
  mnl_attr_put(bh.nh, NHA_BLACKHOLE, 0, nullptr);
  ASSERT_EQ(decode_nexthop(bh.nh, "", nhs), Decoded::apply);
  Msg grp(RTM_NEWNEXTHOP);
  mnl_nlmsg_put_extra_header(grp.nh, sizeof(nhmsg));
  mnl_attr_put_u32(grp.nh, NHA_ID, 8);
  nexthop_grp g{7, 0, 0, 0};
  mnl_attr_put(grp.nh, NHA_GROUP, sizeof g, &g);
  ASSERT_EQ(decode_nexthop(grp.nh, "", nhs), Decoded::apply);
  Msg m(RTM_NEWROUTE);
  m.route(RTN_UNICAST, RT_TABLE_MAIN, "198.18.10.0", 24);
  mnl_attr_put_u32(m.nh, RTA_NH_ID, 8);
  ops::RouteSpec r;
  ASSERT_EQ(decode_route(m.nh, "", &nhs, RouteSource::fpm, r), Decoded::apply);
  EXPECT_EQ(r.kind, RouteKind::drop);
  mnl_attr_put_u32(m.nh, RTA_NH_ID, 9);  // the last one counts: unknown id
  EXPECT_EQ(decode_route(m.nh, "", &nhs, RouteSource::fpm, r), Decoded::ignore);
  Msg del(RTM_DELNEXTHOP);
  mnl_nlmsg_put_extra_header(del.nh, sizeof(nhmsg));
  mnl_attr_put_u32(del.nh, NHA_ID, 7);
  ASSERT_EQ(decode_nexthop(del.nh, "", nhs), Decoded::apply);
  EXPECT_EQ(nhs.count(7), 0u);
}

TEST(RtnlRoute, TruncatedMessagesAreRejected) {
  ops::RouteSpec r;
  NhTable nhs;
  Msg shortroute(RTM_NEWROUTE);  // no room for the rtmsg it claims
  shortroute.nh->nlmsg_len = NLMSG_LENGTH(4);
  EXPECT_EQ(decode_route(shortroute.nh, "", nullptr, RouteSource::fpm, r), Decoded::error);
  Msg shortnh(RTM_NEWNEXTHOP);
  shortnh.nh->nlmsg_len = NLMSG_LENGTH(2);
  EXPECT_EQ(decode_nexthop(shortnh.nh, "", nhs), Decoded::error);
  Msg badid(RTM_NEWNEXTHOP);  // NHA_ID of 2 bytes
  mnl_nlmsg_put_extra_header(badid.nh, sizeof(nhmsg));
  mnl_attr_put_u16(badid.nh, NHA_ID, 7);
  EXPECT_EQ(decode_nexthop(badid.nh, "", nhs), Decoded::error);
  Msg badtable(RTM_NEWROUTE);
  badtable.route(RTN_BLACKHOLE, RT_TABLE_MAIN, "198.18.11.0", 24);
  mnl_attr_put_u8(badtable.nh, RTA_TABLE, 254);
  EXPECT_EQ(decode_route(badtable.nh, "", nullptr, RouteSource::fpm, r), Decoded::error);
}

}  // namespace
}  // namespace vp
