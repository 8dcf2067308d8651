// Fuzz target: rtnetlink route and next-hop messages as zebra sends them
// over FPM (a TCP peer: untrusted bytes) and as the netlink listener reads
// them. The first byte picks the message type, the rest is the message
// body; decoding must reject or apply, never read past the message.
#include <linux/rtnetlink.h>

#include <cstring>
#include <vector>

#include "fuzz_env.hpp"
#include "infra/error.hpp"
#include "features/lcp/rtnl_route.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  vp::fuzz::init_once();
  if (size < 1) return 0;
  static const uint16_t types[] = {RTM_NEWROUTE, RTM_DELROUTE, RTM_NEWNEXTHOP, RTM_DELNEXTHOP};
  static vp::NhTable nhs;  // kept across inputs, as one FPM connection keeps them
  // Exactly the message, in a buffer of its own size: any over-read is out of bounds.
  std::vector<uint8_t> buf(NLMSG_HDRLEN + size - 1);
  auto* nh = reinterpret_cast<nlmsghdr*>(buf.data());
  nh->nlmsg_len = uint32_t(buf.size());
  nh->nlmsg_type = types[data[0] % 4];
  std::memcpy(buf.data() + NLMSG_HDRLEN, data + 1, size - 1);
  try {
    if (nh->nlmsg_type == RTM_NEWNEXTHOP || nh->nlmsg_type == RTM_DELNEXTHOP) {
      vp::decode_nexthop(nh, "", nhs);
      if (nhs.size() > 4096) nhs.clear();
      return 0;
    }
    vp::ops::RouteSpec r;
    if (vp::decode_route(nh, "", &nhs, vp::RouteSource::fpm, r) == vp::Decoded::apply)
      vp::apply_route(nh->nlmsg_type, r);
  } catch (const vp::Error&) {
    // a one-line refusal: fine
  }
  return 0;
}
