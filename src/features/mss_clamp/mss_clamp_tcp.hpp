#pragma once
// The part of MSS clamping that reads and rewrites a TCP header: the walk
// over a SYN's options and the checksum update. Pure functions over bytes,
// shared by the nodes, the unit tests and the fuzz target.
#include <cstdint>
#include <cstring>

namespace vp::mss {

inline constexpr uint32_t kTcpHdr = 20;
inline constexpr uint8_t kSyn = 0x02;
inline constexpr uint32_t kChecksumOff = 16;

enum class Clamp : uint8_t {
  kUnchanged,  // no MSS option, or none above the clamp
  kClamped,    // at least one MSS option lowered
  kMalformed,  // the data offset or an option's length does not fit: left alone
};

// RFC 1624 eqn. 3, HC' = ~(~HC + ~m + m'), for one 16-bit word of the
// segment. Words are taken as stored (ones' complement sums do not depend
// on byte order, RFC 1071), so no byte swap is needed for a word at an
// even offset; one at an odd offset straddles two of the checksum's words,
// and its bytes count there as the stored value byte-swapped.
inline void csum_replace16(uint8_t* th, uint32_t off, uint16_t old_stored, uint16_t new_stored) {
  if (off & 1) {
    old_stored = __builtin_bswap16(old_stored);
    new_stored = __builtin_bswap16(new_stored);
  }
  uint16_t c;
  std::memcpy(&c, th + kChecksumOff, 2);
  uint32_t s = uint32_t(uint16_t(~c)) + uint16_t(~old_stored) + new_stored;
  s = (s & 0xffff) + (s >> 16);
  s = (s & 0xffff) + (s >> 16);
  c = uint16_t(~s);
  std::memcpy(th + kChecksumOff, &c, 2);
}

// Lowers every MSS option above `max_mss` in the TCP header `th`, of which
// `len` bytes (>= 20) are in the buffer. The options are checked whole
// before anything changes, so a malformed list is left as it came: a data
// offset below 5 or past `len`, an option whose length is below 2 or runs
// past the options, an MSS option whose length is not 4. Receivers take
// the last MSS option of several (Linux does), so each is clamped. With
// `csum_partial` the checksum field holds only the pseudo-header sum
// (an offload completes it over the segment) and is not touched.
inline Clamp clamp_mss(uint8_t* th, uint32_t len, uint16_t max_mss, bool csum_partial, uint16_t* old_mss = nullptr) {
  const uint32_t hl = uint32_t(th[12] >> 4) * 4;
  if (hl < kTcpHdr || hl > len) return Clamp::kMalformed;
  uint8_t at[10];  // MSS options are 4 bytes: at most 10 fit in 40 bytes of options
  uint32_t n = 0;
  for (uint32_t o = kTcpHdr; o < hl;) {
    const uint8_t kind = th[o];
    if (kind == 0) break;  // end of option list
    if (kind == 1) {       // no-operation
      o++;
      continue;
    }
    if (o + 2 > hl) return Clamp::kMalformed;
    const uint32_t olen = th[o + 1];
    if (olen < 2 || o + olen > hl) return Clamp::kMalformed;
    if (kind == 2) {
      if (olen != 4) return Clamp::kMalformed;
      at[n++] = uint8_t(o + 2);
    }
    o += olen;
  }
  Clamp r = Clamp::kUnchanged;
  for (uint32_t k = 0; k < n; k++) {
    uint8_t* v = th + at[k];
    const uint16_t mss = uint16_t(v[0] << 8 | v[1]);
    if (old_mss) *old_mss = mss;
    if (mss <= max_mss) continue;
    uint16_t before, after;
    std::memcpy(&before, v, 2);
    v[0] = uint8_t(max_mss >> 8);
    v[1] = uint8_t(max_mss);
    std::memcpy(&after, v, 2);
    if (!csum_partial) csum_replace16(th, at[k], before, after);
    r = Clamp::kClamped;
  }
  return r;
}

}  // namespace vp::mss
