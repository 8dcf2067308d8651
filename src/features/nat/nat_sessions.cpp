#include "features/nat/nat_sessions.hpp"

#include <netinet/in.h>

#include "features/fw/fw_sessions.hpp"

namespace vp::nat {

SessionCounts session_counts() {
  SessionCounts n;
  fw::visit_sessions(fw::ClearFilter{}, 0, [&](const fw::SessionView& v) {
    if (!v.nat) return true;
    n.total++;
    n.tcp += v.proto == IPPROTO_TCP;
    n.udp += v.proto == IPPROTO_UDP;
    n.icmp += v.proto == IPPROTO_ICMP;
    return true;
  });
  return n;
}

std::map<uint32_t, uint64_t> sessions_by_address() {
  std::map<uint32_t, uint64_t> m;
  fw::visit_sessions(fw::ClearFilter{}, 0, [&](const fw::SessionView& v) {
    if (v.nat) {
      if (v.xsrc != v.src) m[v.xsrc.v4_host()]++;
      if (v.xdst != v.dst) m[v.xdst.v4_host()]++;
    }
    return true;
  });
  return m;
}

std::vector<std::tuple<std::string, std::string, uint64_t>> nat_counters() {
  auto all = fw::node_counters();
  std::erase_if(all, [](const auto& c) { return std::get<1>(c).rfind("NAT:", 0) != 0; });
  return all;
}

}  // namespace vp::nat
