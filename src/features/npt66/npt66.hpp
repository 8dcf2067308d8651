#pragma once
// NPTv6 (RFC 6296): stateless, checksum-neutral IPv6-to-IPv6 prefix
// translation. What the nodes apply to an address, and the per-interface
// table they read it from.
//
// A binding maps an internal prefix to an external one; both directions are
// a Map, computed once when the binding is configured: the prefix an
// address must start with, the prefix written over it, and a 16-bit
// one's complement adjustment added to one word of the address so that the
// one's complement sum of its words does not change. Every checksum over an
// IPv6 pseudo-header (TCP, UDP, ICMPv6, ...) therefore stays valid without
// being read or written.
//
// Which word takes the adjustment (RFC 6296 sections 3.4 and 3.5): bits
// 48..63 (the subnet ID) when the prefix is /48 or shorter; for a longer
// prefix the first of the words at bits 64..79, 80..95, 96..111 and
// 112..127 that is not 0xFFFF. A result of 0xFFFF is written as 0x0000
// (one's complement's other zero), so 0xFFFF is never produced and is what
// has no mapping: an address whose subnet word is 0xFFFF (/48 or shorter),
// or whose interface identifier is all 0xFFFF (longer prefixes), is not
// translated and its packet is dropped.
//
// Prefixes of different lengths are both extended with zeros to the longer
// length (section 3.1). Prefixes are at most /64: every address bit a
// binding matches or writes is in the first 64, and the adjusted word is
// never part of the prefix.
#include <rte_byteorder.h>

#include <atomic>
#include <cstdint>
#include <cstring>

#include "graph/counter.hpp"

namespace vp::npt66 {

// One's complement addition of 16-bit words, 0xFFFF written as 0x0000.
inline uint16_t ones_add(uint16_t a, uint16_t b) {
  uint32_t s = uint32_t(a) + b;
  s = (s & 0xffff) + (s >> 16);
  return s == 0xffff ? 0 : uint16_t(s);
}

// The one's complement sum of the four 16-bit words of v.
inline uint16_t ones_sum(uint64_t v) {
  uint32_t s = uint32_t(v >> 48) + uint32_t((v >> 32) & 0xffff) + uint32_t((v >> 16) & 0xffff) + uint32_t(v & 0xffff);
  s = (s & 0xffff) + (s >> 16);
  s = (s & 0xffff) + (s >> 16);
  return uint16_t(s);
}

// One direction of a binding, in network byte order as the address's own
// bytes load: the compare and the prefix copy need no byte swap, and one's
// complement addition gives the same bytes in either order (RFC 1071).
struct Map {
  uint64_t mask = 0;   // the binding's length: the longer of its two prefixes
  uint64_t from = 0;   // what the address must start with
  uint64_t flip = 0;   // from ^ to: an address that starts with `from` starts with `to` once xored with it
  uint16_t adj = 0;    // added to the adjusted word
  bool subnet = true;  // /48 or shorter: the adjustment goes to bits 48..63
};

// `from` and `to`: the two prefixes, the first 64 bits of an address in
// host order, zero past `len` (1..64).
inline Map make_map(uint64_t from, uint64_t to, unsigned len) {
  const uint64_t mask = ~uint64_t(0) << (64 - len);
  from &= mask;
  to &= mask;
  Map m;
  m.mask = rte_cpu_to_be_64(mask);
  m.from = rte_cpu_to_be_64(from);
  m.flip = rte_cpu_to_be_64(from ^ to);
  // Writing `to` over `from` adds sum(to) - sum(from) to the address's sum:
  // the adjustment takes it back out.
  m.adj = rte_cpu_to_be_16(ones_add(ones_sum(from), uint16_t(~ones_sum(to))));
  m.subnet = len <= 48;
  return m;
}

// Prefixes longer than /48: the first word of the interface identifier
// that is not 0xFFFF, or nullptr when all four are.
inline uint8_t* iid_word(uint8_t* a) {
  for (uint8_t* w = a + 8; w < a + 16; w += 2)
    if (w[0] != 0xff || w[1] != 0xff) return w;
  return nullptr;
}

enum class Result : uint8_t { kNoMatch, kTranslated, kNoMapping };

// Translates the 16-byte address at `a` in place when it starts with the
// map's prefix. kNoMapping leaves it as it was. Inlined by force: called out
// of line, the per-packet call and its spills cost npt66-out a third more.
__attribute__((always_inline)) inline Result translate(const Map& m, uint8_t* a) {
  uint64_t hi;
  std::memcpy(&hi, a, 8);
  if ((hi & m.mask) != m.from) return Result::kNoMatch;
  uint8_t* at = __builtin_expect(m.subnet, 1) ? a + 6 : iid_word(a);
  uint16_t w;
  if (__builtin_expect(!at, 0)) return Result::kNoMapping;
  std::memcpy(&w, at, 2);
  if (__builtin_expect(w == 0xffff, 0)) return Result::kNoMapping;
  hi ^= m.flip;
  std::memcpy(a, &hi, 8);
  w = ones_add(w, m.adj);
  std::memcpy(at, &w, 2);
  return Result::kTranslated;
}

// An interface's bindings as its nodes read them, in the order they were
// made: `out` rewrites sources from internal to external, `in` destinations
// from external to internal. `id` indexes the per-thread counters.
inline constexpr uint32_t kMaxPerInterface = 16;
inline constexpr uint32_t kMaxBindings = 4096;
struct IfMaps {
  uint32_t n = 0;
  Map out[kMaxPerInterface];
  Map in[kMaxPerInterface];
  uint16_t id[kMaxPerInterface] = {};
};

// Per sw_if_index; null where the interface has no binding. Replaced whole
// on every change, the old one freed after an RCU grace period.
extern std::atomic<const IfMaps*> g_if_maps[kMaxInterfaces];

}  // namespace vp::npt66
