#pragma once
// TCP MSS clamping per interface, direction and family: the typed
// operations the CLI (mss_clamp_cli.cpp) and the MssClamp API call, and
// the table the nodes read.
//
// A clamp given as 0 is the interface's default: its MTU minus 40 (IPv4)
// or 60 (IPv6), recomputed whenever the MTU changes, so that it always
// describes the link as it is. A deleted interface's clamping goes with it.
#include <atomic>
#include <cstdint>
#include <optional>
#include <vector>

#include "graph/counter.hpp"

namespace vp::mss {

enum Dir : uint8_t { kOff = 0, kRx = 1, kTx = 2, kBoth = kRx | kTx };

struct Family {
  uint8_t dir = kOff;  // Dir bits
  uint16_t mss = 0;    // 0: the default from the MTU
  bool operator==(const Family&) const = default;
};

// The smallest clamp taken: Linux's TCP_MIN_MSS, the least a socket may set
// with TCP_MAXSEG. Below it every segment would be mostly headers.
inline constexpr uint16_t kMinMss = 88;

uint16_t default_mss(uint32_t mtu, bool v6);

// Sets one interface's clamping; a family given as nullopt keeps what it
// has. Throws vp::Error naming what is wrong (unknown interface, a
// direction out of range, a clamp below kMinMss, a clamp with the family
// disabled) having changed nothing.
void set(uint32_t sw_if_index, const std::optional<Family>& v4, const std::optional<Family>& v6);

struct IfClamp {
  uint32_t sw_if_index = 0;
  Family v4, v6;
  uint16_t mss4 = 0, mss6 = 0;  // in effect (the default resolved), 0 when the family is off
};
// One interface's settings (both families off when it has none); throws
// for an unknown index.
IfClamp get(uint32_t sw_if_index);
// Every interface that clamps in some family, by sw_if_index.
std::vector<IfClamp> list();

// What the nodes read, per sw_if_index: the IPv4 clamp in the low 16 bits,
// the IPv6 clamp in the high 16; 0 = that family does not clamp.
extern std::atomic<uint32_t> g_mss[kMaxInterfaces];

}  // namespace vp::mss
