#pragma once
// The sessions of every worker, for the main thread (show commands and the
// Security API): read while the workers run (a session changing under the
// read may show half-updated counters, never a wrong session: the slot is
// copied, then its in-use flag checked), cleared by each table's own worker.
#include <cstdint>
#include <functional>
#include <string>
#include <tuple>
#include <vector>

#include "features/fw/fw_state.hpp"

namespace vp::fw {

struct SessionView {
  uint64_t id;  // worker << 32 | slot: stable while the session lives
  uint32_t worker;
  uint32_t vrf;
  uint8_t proto;
  IpAddr src, dst;  // the initiator's and the responder's
  uint16_t sport, dport;
  uint8_t zone[2];  // from, to
  uint32_t policy;
  const char* state;  // TCP state name, or "valid"
  uint32_t timeout_left;
  uint64_t packets[2], bytes[2];  // [0] from the initiator
  // A translated session's other tuple: the initiator's and the
  // responder's endpoints after translation (IPv4).
  bool nat = false;
  IpAddr xsrc, xdst;
  uint16_t xsport = 0, xdport = 0;
};

// fn(view) for each session the filter matches whose id is at least
// `from`, in id order, until fn returns false. Returns the id after the
// last one visited (the next page's start), or 0 when none is left.
uint64_t visit_sessions(const ClearFilter& f, uint64_t from, const std::function<bool(const SessionView&)>& fn);

// Removes the sessions the filter matches on every worker and returns how
// many. Throws when a worker does not answer within 5 s.
uint64_t clear_sessions(const ClearFilter& f);

// Every non-zero reason the firewall's nodes count, summed over the
// threads: (node, reason, count).
std::vector<std::tuple<std::string, std::string, uint64_t>> node_counters();

struct FlowTotals {
  uint64_t sessions, capacity;
  FwCounters c;
};
FlowTotals flow_totals();

}  // namespace vp::fw
