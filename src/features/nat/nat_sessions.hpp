#pragma once
// Translated sessions as NAT44's show commands and the Nat API report them:
// counts by protocol and by outside address, and the NAT reasons among the
// firewall's counters. Main thread (fw_sessions.hpp reads the workers'
// tables without stopping them).
#include <cstdint>
#include <map>
#include <string>
#include <tuple>
#include <vector>

namespace vp::nat {

struct SessionCounts {
  uint64_t total = 0, tcp = 0, udp = 0, icmp = 0;
};
SessionCounts session_counts();

// Sessions translated to each outside address (host order), either side.
std::map<uint32_t, uint64_t> sessions_by_address();

// The firewall's node counters whose reason is NAT's ("NAT: ..."):
// (node, reason, count), summed over the threads.
std::vector<std::tuple<std::string, std::string, uint64_t>> nat_counters();

}  // namespace vp::nat
