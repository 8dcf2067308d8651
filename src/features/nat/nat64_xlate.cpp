#include "features/nat/nat64_xlate.hpp"

#include <rte_byteorder.h>
#include <rte_ip.h>

#include <algorithm>

#include "features/nat/checksum.hpp"
#include "graph/meta.hpp"

namespace vp::nat {

namespace {

using R = XlateResult;

constexpr uint8_t kIcmp = 1, kIgmp = 2, kTcp = 6, kUdp = 17, kIcmp6 = 58;
constexpr uint8_t kHopByHop = 0, kRouting = 43, kFragment = 44, kDstOpts = 60;
constexpr uint32_t kIp4Hdr = 20, kIp6Hdr = 40, kFragHdr = 8, kIcmpHdr = 8;
// RFC 7915 5: IPv4 packets up to 1260 bytes go with DF clear, so that IPv4
// links below the IPv6 minimum MTU (1280 - 20) fragment them; larger ones
// with DF set, so that path MTU discovery reaches the IPv6 sender.
constexpr uint32_t kDfLimit = 1260;
constexpr uint16_t kDf = 0x4000, kMf = 0x2000, kOffMask = 0x1fff;
// A longer chain is an attack or an error, and walking it costs per packet.
constexpr uint32_t kMaxExtHeaders = 8;

// Fields in network order, as stored; be16/be32 read them as numbers.
uint16_t ld16(const uint8_t* p) {
  uint16_t v;
  std::memcpy(&v, p, 2);
  return v;
}
void st16(uint8_t* p, uint16_t v) { std::memcpy(p, &v, 2); }
uint16_t be16(const uint8_t* p) { return uint16_t(p[0] << 8 | p[1]); }
uint32_t be32(const uint8_t* p) { return uint32_t(p[0]) << 24 | uint32_t(p[1]) << 16 | uint32_t(p[2]) << 8 | p[3]; }
void put16(uint8_t* p, uint32_t v) {
  p[0] = uint8_t(v >> 8);
  p[1] = uint8_t(v);
}
void put32(uint8_t* p, uint32_t v) {
  put16(p, v >> 16);
  put16(p + 2, v);
}

// Headers that end an IPv6 packet's translatable prefix when they follow a
// Fragment header (RFC 7915 5.1.1: extension headers there, AH included,
// ESP not, refuse the packet).
bool is_ext_header(uint8_t nh) {
  switch (nh) {
    case kHopByHop:
    case kRouting:
    case kFragment:
    case 51:  // AH
    case kDstOpts:
    case 135:  // mobility
    case 139:  // HIP
    case 140:  // shim6
    case 253:  // experiments (RFC 3692)
    case 254:
      return true;
    default:
      return false;
  }
}

// The sum of two IPv6 addresses (a source and a destination), as four
// 64-bit words with end-around carries (RFC 1071 2(C)): the same one's
// complement sum as 16 adds of 16-bit words, in a quarter of the adds;
// folded, so that callers may add more terms to it.
uint32_t sum_addrs6(const uint8_t* a, const uint8_t* b) {
  uint64_t w[4];
  std::memcpy(w, a, 16);
  std::memcpy(w + 2, b, 16);
  uint64_t s = w[0];
  for (int i = 1; i < 4; i++) {
    const bool carry = __builtin_add_overflow(s, w[i], &s);
    s += carry;  // cannot carry again: s is at most 2^64 - 2 after a carry
  }
  s = (s & 0xffffffff) + (s >> 32);
  return csum_fold(uint32_t((s & 0xffffffff) + (s >> 32)));
}

// The pseudo-header sum of RFC 8200 8.1 (the ICMPv6 checksum's, the
// TCP/UDP checksum's over IPv6).
uint32_t phdr6(const uint8_t* src, const uint8_t* dst, uint32_t len, uint8_t proto) {
  const uint32_t s = sum_addrs6(src, dst);
  return s + rte_cpu_to_be_16(uint16_t(len >> 16)) + rte_cpu_to_be_16(uint16_t(len)) + rte_cpu_to_be_16(proto);
}

uint32_t sum4(uint32_t a) { return uint32_t(uint16_t(a)) + uint16_t(a >> 16); }

// Sum of `len` bytes from `off` over the segments, each segment's words
// byte-swapped when it starts at an odd position of the run (RFC 1071 2(B)).
uint32_t sum_mbuf(const rte_mbuf* m, uint32_t off, uint32_t len) {
  uint32_t sum = 0;
  bool odd = false;
  for (const rte_mbuf* s = m; s && len; s = s->next) {
    if (off >= s->data_len) {
      off -= s->data_len;
      continue;
    }
    const uint32_t n = std::min<uint32_t>(len, s->data_len - off);
    const uint16_t part = rte_raw_cksum(rte_pktmbuf_mtod_offset(s, const uint8_t*, off), n);
    sum += odd ? rte_bswap16(part) : part;
    odd ^= n & 1;
    len -= n;
    off = 0;
  }
  return sum;
}

// ---------------------------------------------------------------------------
// Parsing: everything is checked before anything is written, so that a
// refused packet leaves unchanged.

struct V4 {
  uint32_t ihl, total;
  uint16_t off;  // fragment offset, 8-byte units
  bool mf, frag;
  uint8_t proto;
};

R parse4(const uint8_t* ip, uint32_t avail, V4& v) {
  if (avail < kIp4Hdr) return R::kTruncated;
  if ((ip[0] >> 4) != 4) return R::kMalformed;
  v.ihl = uint32_t(ip[0] & 0xf) * 4;
  if (v.ihl < kIp4Hdr) return R::kMalformed;
  if (v.ihl > avail) return R::kTruncated;
  v.total = be16(ip + 2);
  if (v.total < v.ihl) return R::kMalformed;
  const uint16_t ff = be16(ip + 6);
  v.off = ff & kOffMask;
  v.mf = ff & kMf;
  v.frag = v.mf || v.off;
  v.proto = ip[9];
  return R::kOk;
}

// RFC 7915 4.1: options are dropped, but a source route the packet has not
// finished refuses it. A malformed option ends the walk: what follows is not
// options.
bool unexpired_source_route(const uint8_t* ip, uint32_t ihl) {
  for (uint32_t i = kIp4Hdr; i < ihl;) {
    const uint8_t type = ip[i];
    if (type == 0) break;  // end of options
    if (type == 1) {       // no-op
      i++;
      continue;
    }
    if (i + 1 >= ihl) break;
    const uint32_t len = ip[i + 1];
    if (len < 2 || i + len > ihl) break;
    // LSRR, SSRR: a pointer past the option means the route is used up.
    if ((type == 131 || type == 137) && len >= 3 && ip[i + 2] <= len) return true;
    i += len;
  }
  return false;
}

struct V6 {
  uint32_t l4;     // offset of the upper layer
  uint32_t total;  // 40 + payload length
  uint8_t proto;   // the upper layer's protocol
  bool frag;
  uint16_t frag_off;    // the Fragment header's offset word: offset << 3 | M
  uint16_t frag_id;     // low 16 bits of its identification, network order
  uint32_t segleft_at;  // with kSegmentsLeft: offset of the Segments Left field
};

// Skips hop-by-hop, routing and destination options headers and reads a
// Fragment header (RFC 7915 5.1). The segments-left rule is the outer
// packet's: a quoted packet is only reported about, never routed.
R parse6(const uint8_t* ip, uint32_t avail, bool outer, V6& v) {
  if (avail < kIp6Hdr) return R::kTruncated;
  if ((ip[0] >> 4) != 6) return R::kMalformed;
  v.total = kIp6Hdr + be16(ip + 4);
  v.frag = false;
  uint8_t nh = ip[6];
  uint32_t off = kIp6Hdr;
  for (uint32_t k = 0; nh == kHopByHop || nh == kRouting || nh == kDstOpts || nh == kFragment; k++) {
    if (k == kMaxExtHeaders) return R::kBadExtHeader;
    if (off + 8 > avail) return R::kTruncated;
    const uint8_t* h = ip + off;
    if (nh == kFragment) {
      if (v.frag || is_ext_header(h[0])) return R::kBadExtHeader;
      v.frag = true;
      v.frag_off = be16(h + 2);
      v.frag_id = ld16(h + 6);
      off += kFragHdr;
    } else {
      if (nh == kRouting && outer && h[3] != 0) {
        v.segleft_at = off + 3;
        return R::kSegmentsLeft;
      }
      off += (uint32_t(h[1]) + 1) * 8;
    }
    nh = h[0];
  }
  if (off > v.total) return R::kMalformed;
  v.l4 = off;
  v.proto = nh;
  return R::kOk;
}

bool first_fragment_or_whole(const V6& v) { return !v.frag || (v.frag_off & 0xfff8) == 0; }

// Bytes past the datagram (Ethernet padding that nobody trimmed) must be
// trimmable from the last segment.
bool tail_trimmable(rte_mbuf* m, uint32_t l3, uint32_t total) {
  const uint32_t excess = m->pkt_len - l3 - total;
  return m->nb_segs == 1 || excess == 0 || excess < rte_pktmbuf_lastseg(m)->data_len;
}

// ---------------------------------------------------------------------------
// Writing.

// Ports of a TCP or UDP header (`len` bytes of it present) and its checksum,
// for them and for `addr_delta`, the pseudo-header's change.
void rewrite_ports(uint8_t* l4, uint32_t len, bool udp, uint32_t addr_delta, uint16_t sport, uint16_t dport,
                   bool partial) {
  uint32_t d = addr_delta;
  if (len >= 4) {
    d += csum_delta16(ld16(l4), sport) + csum_delta16(ld16(l4 + 2), dport);
    st16(l4, sport);
    st16(l4 + 2, dport);
  }
  const uint32_t at = udp ? 6 : 16;
  if (len < at + 2) return;
  const uint16_t c = ld16(l4 + at);
  if (partial)
    st16(l4 + at, csum_partial_apply(c, addr_delta));
  else
    st16(l4 + at, udp ? udp_fix(c, csum_apply(c, d)) : csum_apply(c, d));
}

// An echo request or reply's type and identifier, its checksum updated for
// both and for `phdr_delta` (the ICMPv6 pseudo-header added or taken out).
void rewrite_echo(uint8_t* l4, uint32_t len, uint8_t type, uint16_t id, uint32_t phdr_delta) {
  if (len < 2) {
    if (len) l4[0] = type;
    return;
  }
  uint32_t d = phdr_delta;
  const uint16_t w = ld16(l4);
  l4[0] = type;
  d += csum_delta16(w, ld16(l4));
  if (len >= 6) {
    d += csum_delta16(ld16(l4 + 4), id);
    st16(l4 + 4, id);
  }
  if (len >= 4) st16(l4 + 2, csum_apply(ld16(l4 + 2), d));
}

// The IPv4 header an IPv6 one translates into (RFC 7915 5.1), `tl` bytes
// long in all.
void build4(uint8_t* h, const uint8_t* ip6, const V6& v, uint32_t src, uint32_t dst, uint16_t id, uint32_t tl) {
  h[0] = 0x45;
  h[1] = uint8_t(be32(ip6) >> 20);
  put16(h + 2, tl);
  if (v.frag) {
    st16(h + 4, v.frag_id);
    put16(h + 6, (v.frag_off >> 3) | ((v.frag_off & 1) ? kMf : 0));
  } else {
    st16(h + 4, id);
    put16(h + 6, tl > kDfLimit ? kDf : 0);
  }
  h[8] = ip6[7];
  h[9] = v.proto == kIcmp6 ? kIcmp : v.proto;
  h[10] = h[11] = 0;
  std::memcpy(h + 12, &src, 4);
  std::memcpy(h + 16, &dst, 4);
  const uint16_t c = rte_ipv4_cksum(reinterpret_cast<const rte_ipv4_hdr*>(h));
  st16(h + 10, c);
}

// The IPv6 header (and Fragment header for a fragment) an IPv4 one
// translates into (RFC 7915 4.1); `payload` counts the Fragment header.
// Returns its length.
uint32_t build6(uint8_t* h, const uint8_t* ip4, const V4& v, const uint8_t* src, const uint8_t* dst, uint32_t payload) {
  const uint8_t proto = v.proto == kIcmp ? kIcmp6 : v.proto;
  put32(h, 0x60000000u | uint32_t(ip4[1]) << 20);
  put16(h + 4, payload);
  h[6] = v.frag ? kFragment : proto;
  h[7] = ip4[8];
  std::memcpy(h + 8, src, 16);
  std::memcpy(h + 24, dst, 16);
  if (!v.frag) return kIp6Hdr;
  uint8_t* f = h + kIp6Hdr;
  f[0] = proto;
  f[1] = 0;
  put16(f + 2, uint32_t(v.off) << 3 | (v.mf ? 1 : 0));
  f[4] = f[5] = 0;
  std::memcpy(f + 6, ip4 + 4, 2);
  return kIp6Hdr + kFragHdr;
}

// Puts the new headers (n bytes) so that they end where the old ones ended,
// `keep` bytes after the old IP header at l3; the mbuf then starts at them
// and ends `total` bytes later. The caller has checked the headroom and that
// the tail can be trimmed.
void place(rte_mbuf* m, uint32_t l3, uint32_t keep, const uint8_t* hdr, uint32_t n, uint32_t total) {
  const int32_t shift = int32_t(l3 + keep) - int32_t(n);
  std::memcpy(rte_pktmbuf_mtod(m, uint8_t*) + shift, hdr, n);
  m->data_off = uint16_t(int32_t(m->data_off) + shift);
  m->data_len = uint16_t(int32_t(m->data_len) - shift);
  m->pkt_len = uint32_t(int32_t(m->pkt_len) - shift);
  if (m->pkt_len > total) {
    if (m->nb_segs == 1) {
      m->data_len = uint16_t(total);
      m->pkt_len = total;
    } else {
      rte_pktmbuf_trim(m, uint16_t(m->pkt_len - total));
    }
  }
}

void set_meta(rte_mbuf* m, uint32_t l4_off, bool to_v6) {
  PktMeta& pm = meta(m);
  pm.l3_off = 0;
  pm.l4_off = uint16_t(l4_off);
  if (m->ol_flags & (RTE_MBUF_F_TX_IPV4 | RTE_MBUF_F_TX_IPV6)) {
    m->ol_flags &= ~(RTE_MBUF_F_TX_IPV4 | RTE_MBUF_F_TX_IPV6 | RTE_MBUF_F_TX_IP_CKSUM);
    m->ol_flags |= to_v6 ? RTE_MBUF_F_TX_IPV6 : RTE_MBUF_F_TX_IPV4;
    m->l3_len = l4_off;
  }
}

bool room_for(const rte_mbuf* m, uint32_t l3, uint32_t keep, uint32_t n) {
  return int32_t(m->data_off) + int32_t(l3 + keep) - int32_t(n) >= int32_t(kXlateL2Room);
}

// ---------------------------------------------------------------------------
// RFC 7915 5.2: ICMPv6 errors into ICMPv4 ones. Bytes 4-7 of the new header
// go to `rest`; false when the message is dropped silently.

bool map_icmp6_error(const uint8_t* icmp, uint8_t& type, uint8_t& code, uint8_t* rest) {
  std::memset(rest, 0, 4);
  switch (icmp[0]) {
    case 1:  // destination unreachable
      type = 3;
      switch (icmp[1]) {
        case 0:  // no route
        case 2:  // beyond scope of source address
        case 3:  // address unreachable
          code = 1;
          return true;
        case 1:  // administratively prohibited
          code = 10;
          return true;
        case 4:  // port unreachable
          code = 3;
          return true;
        default:
          return false;
      }
    case 2: {  // packet too big: fragmentation needed, the MTU less the 20 bytes IPv4 saves, at least 68
      type = 3;
      code = 4;
      const uint32_t mtu6 = be32(icmp + 4);
      put16(rest + 2, mtu6 < 88 ? 68 : std::min<uint32_t>(mtu6 - 20, 0xffff));
      return true;
    }
    case 3:  // time exceeded
      type = 11;
      code = icmp[1];
      return true;
    case 4:                // parameter problem
      if (icmp[1] == 1) {  // unrecognised next header: protocol unreachable
        type = 3;
        code = 2;
        return true;
      }
      if (icmp[1] == 0) {  // erroneous header field: Figure 6 of RFC 7915
        const uint32_t p = be32(icmp + 4);
        uint8_t p4;
        if (p <= 1)
          p4 = uint8_t(p);
        else if (p == 4 || p == 5)
          p4 = 2;
        else if (p == 6)
          p4 = 9;
        else if (p == 7)
          p4 = 8;
        else if (p >= 8 && p <= 23)
          p4 = 12;
        else if (p >= 24 && p <= 39)
          p4 = 16;
        else
          return false;
        type = 12;
        code = 0;
        rest[0] = p4;
        return true;
      }
      return false;
    default:
      return false;
  }
}

R icmp6_error_to4(rte_mbuf* m, uint32_t l3, uint8_t* ip, const V6& v, const Xlate6to4& o, const Xlate6to4* in) {
  if (!in) return R::kIcmpNoInner;
  if (m->nb_segs != 1 || m->data_len < l3 + v.total) return R::kTruncated;
  uint8_t* icmp = ip + v.l4;
  const uint32_t msg = v.total - v.l4;
  uint8_t type, code, rest[4];
  if (!map_icmp6_error(icmp, type, code, rest)) return R::kIcmpDropped;
  if (csum_fold(rte_raw_cksum(icmp, msg) + phdr6(ip + 8, ip + 24, msg, kIcmp6)) != 0xffff) return R::kIcmpBadChecksum;
  // RFC 4884: a length attribute (64-bit words) says where the quote ends
  // and an extension begins; the extension is not translated.
  uint32_t qlen = msg - kIcmpHdr;
  if ((icmp[0] == 1 || icmp[0] == 3) && icmp[4] && icmp[4] * 8u <= qlen) qlen = icmp[4] * 8u;
  uint8_t* q = icmp + kIcmpHdr;
  V6 iv;
  if (parse6(q, qlen, false, iv) != R::kOk || iv.l4 > qlen) return R::kIcmpBadInner;
  const uint32_t ilen = iv.total - iv.l4;
  if (iv.proto == kIcmp || kIp4Hdr + ilen > 0xffff) return R::kIcmpBadInner;
  uint8_t* il4 = q + iv.l4;
  const uint32_t iseg = qlen - iv.l4;
  const bool ifirst = first_fragment_or_whole(iv);
  if (iv.proto == kIcmp6 && ifirst && iseg) {
    if (il4[0] < 128) return R::kIcmpNested;
    if (il4[0] != 128 && il4[0] != 129) return R::kIcmpDropped;
  }

  if (ifirst) {
    if (iv.proto == kTcp || iv.proto == kUdp) {
      const uint32_t d = csum_neg(sum_addrs6(q + 8, q + 24)) + sum4(in->src) + sum4(in->dst);
      rewrite_ports(il4, iseg, iv.proto == kUdp, d, in->sport, in->dport, false);
    } else if (iv.proto == kIcmp6 && iseg) {
      const bool req = il4[0] == 128;
      rewrite_echo(il4, iseg, req ? 8 : 0, req ? in->sport : in->dport, csum_neg(phdr6(q + 8, q + 24, ilen, kIcmp6)));
    }
  }
  const uint32_t keep = v.l4 + kIcmpHdr + iv.l4;
  constexpr uint32_t hl = kIp4Hdr + kIcmpHdr + kIp4Hdr;
  const uint32_t total = hl + std::min(iseg, kIcmp4ErrorMax - hl);
  alignas(8) uint8_t h[hl];
  build4(h, ip, v, o.src, o.dst, o.id, total);
  h[20] = type;
  h[21] = code;
  h[22] = h[23] = 0;
  std::memcpy(h + 24, rest, 4);
  build4(h + 28, q, iv, in->src, in->dst, in->id, kIp4Hdr + ilen);
  place(m, l3, keep, h, hl, total);
  uint8_t* out = rte_pktmbuf_mtod(m, uint8_t*) + kIp4Hdr;
  st16(out + 2, uint16_t(~rte_raw_cksum(out, total - kIp4Hdr)));
  set_meta(m, kIp4Hdr, false);
  return R::kOk;
}

// ---------------------------------------------------------------------------
// RFC 7915 4.2: ICMPv4 errors into ICMPv6 ones.

// RFC 1191 7.1, for routers that send MTU 0.
constexpr uint16_t kPlateaus[] = {65535, 32000, 17914, 8166, 4352, 2002, 1492, 1006, 508, 296, 68};

bool map_icmp4_error(const uint8_t* icmp, uint32_t inner_total, uint8_t& type, uint8_t& code, uint8_t* rest) {
  std::memset(rest, 0, 4);
  switch (icmp[0]) {
    case 3:  // destination unreachable
      type = 1;
      switch (icmp[1]) {
        case 0:   // net unreachable
        case 1:   // host unreachable
        case 5:   // source route failed
        case 6:   // destination network unknown
        case 7:   // destination host unknown
        case 8:   // source host isolated
        case 11:  // network unreachable for TOS
        case 12:  // host unreachable for TOS
          code = 0;
          return true;
        case 9:   // network administratively prohibited
        case 10:  // host administratively prohibited
        case 13:  // communication administratively prohibited
        case 15:  // precedence cutoff
          code = 1;
          return true;
        case 2:  // protocol unreachable: parameter problem at the Next Header field
          type = 4;
          code = 1;
          put32(rest, 6);
          return true;
        case 3:  // port unreachable
          code = 4;
          return true;
        case 4: {  // fragmentation needed: packet too big, 20 bytes more, at least 1280
          type = 2;
          code = 0;
          uint32_t mtu = be16(icmp + 6);
          if (mtu == 0) {
            // The largest plateau below the size that did not pass.
            for (uint16_t p : kPlateaus)
              if (p < inner_total) {
                mtu = p;
                break;
              }
          }
          put32(rest, std::max<uint32_t>(mtu + 20, 1280));
          return true;
        }
        default:  // 14 (host precedence violation) and unknown codes
          return false;
      }
    case 11:  // time exceeded
      type = 3;
      code = icmp[1];
      return true;
    case 12: {  // parameter problem, pointer (0) or bad length (2): Figure 3 of RFC 7915
      if (icmp[1] != 0 && icmp[1] != 2) return false;
      const uint8_t p = icmp[4];
      uint32_t p6;
      if (p <= 1)
        p6 = p;
      else if (p <= 3)
        p6 = 4;
      else if (p == 8)
        p6 = 7;
      else if (p == 9)
        p6 = 6;
      else if (p >= 12 && p <= 15)
        p6 = 8;
      else if (p >= 16 && p <= 19)
        p6 = 24;
      else
        return false;
      type = 4;
      code = 0;
      put32(rest, p6);
      return true;
    }
    default:
      return false;
  }
}

bool is_icmp4_error(uint8_t type) { return type == 3 || type == 4 || type == 5 || type == 11 || type == 12; }

R icmp4_error_to6(rte_mbuf* m, uint32_t l3, uint8_t* ip, const V4& v, const Xlate4to6& o, const Xlate4to6* in) {
  if (!in) return R::kIcmpNoInner;
  if (m->nb_segs != 1 || m->data_len < l3 + v.total) return R::kTruncated;
  uint8_t* icmp = ip + v.ihl;
  const uint32_t msg = v.total - v.ihl;
  if (csum_fold(rte_raw_cksum(icmp, msg)) != 0xffff) return R::kIcmpBadChecksum;
  // RFC 4884: a length attribute (32-bit words) ends the quote before an
  // extension, which is not translated.
  uint32_t qlen = msg - kIcmpHdr;
  if (icmp[5] && icmp[5] * 4u <= qlen) qlen = icmp[5] * 4u;
  uint8_t* q = icmp + kIcmpHdr;
  V4 iv;
  if (parse4(q, qlen, iv) != R::kOk || iv.proto == kIcmp6) return R::kIcmpBadInner;
  uint8_t type, code, rest[4];
  if (!map_icmp4_error(icmp, iv.total, type, code, rest)) return R::kIcmpDropped;
  uint8_t* il4 = q + iv.ihl;
  const uint32_t iseg = qlen - iv.ihl;
  const uint32_t ilen = iv.total - iv.ihl;
  const bool ifirst = iv.off == 0;
  if (iv.proto == kIcmp && ifirst && iseg) {
    if (is_icmp4_error(il4[0])) return R::kIcmpNested;
    if (il4[0] != 8 && il4[0] != 0) return R::kIcmpDropped;
  }
  const uint32_t keep = v.ihl + kIcmpHdr + iv.ihl;
  const uint32_t ihl6 = kIp6Hdr + (iv.frag ? kFragHdr : 0);
  const uint32_t hl = kIp6Hdr + kIcmpHdr + ihl6;
  if (!room_for(m, l3, keep, hl)) return R::kNoHeadroom;

  if (ifirst) {
    if (iv.proto == kTcp || iv.proto == kUdp) {
      const uint32_t d = csum_neg(csum_add_bytes(0, q + 12, 8)) + sum_addrs6(in->src, in->dst);
      rewrite_ports(il4, iseg, iv.proto == kUdp, d, in->sport, in->dport, false);
    } else if (iv.proto == kIcmp && iseg) {
      const bool req = il4[0] == 8;
      rewrite_echo(il4, iseg, req ? 128 : 129, req ? in->sport : in->dport, phdr6(in->src, in->dst, ilen, kIcmp6));
    }
  }
  const uint32_t total = hl + std::min(iseg, kIcmp6ErrorMax - hl);
  alignas(8) uint8_t h[kIp6Hdr + kIcmpHdr + kIp6Hdr + kFragHdr];
  build6(h, ip, v, o.src, o.dst, total - kIp6Hdr);
  uint8_t* ic = h + kIp6Hdr;
  ic[0] = type;
  ic[1] = code;
  ic[2] = ic[3] = 0;
  std::memcpy(ic + 4, rest, 4);
  build6(ic + kIcmpHdr, q, iv, in->src, in->dst, ilen + ihl6 - kIp6Hdr);
  place(m, l3, keep, h, hl, total);
  uint8_t* out = rte_pktmbuf_mtod(m, uint8_t*) + kIp6Hdr;
  const uint32_t len = total - kIp6Hdr;
  st16(out + 2, uint16_t(~csum_fold(rte_raw_cksum(out, len) + phdr6(o.src, o.dst, len, kIcmp6))));
  set_meta(m, kIp6Hdr, true);
  return R::kOk;
}

}  // namespace

XlateResult xlate_6to4(rte_mbuf* m, const Xlate6to4& o, const Xlate6to4* in) {
  const uint32_t l3 = meta(m).l3_off;
  if (l3 > m->data_len) return R::kTruncated;
  uint8_t* ip = rte_pktmbuf_mtod(m, uint8_t*) + l3;
  const uint32_t seg = m->data_len - l3;
  V6 v;
  if (R r = parse6(ip, seg, true, v); r != R::kOk) return r;
  if (v.total > m->pkt_len - l3) return R::kTruncated;
  if (v.l4 > seg) return R::kTruncated;
  if (!tail_trimmable(m, l3, v.total)) return R::kMalformed;
  if (v.proto == kIcmp || v.proto == kIgmp) return R::kOtherFamilyProto;
  const uint32_t l4_len = v.total - v.l4;
  if (kIp4Hdr + l4_len > 0xffff) return R::kTooBig;
  uint8_t* l4 = ip + v.l4;
  const uint32_t l4_seg = std::min(v.total, seg) - v.l4;
  const bool first = first_fragment_or_whole(v);
  if (v.proto == kIcmp6) {
    if (v.frag) return R::kIcmpFragment;
    if (l4_seg < kIcmpHdr) return R::kTruncated;
    if (l4[0] < 128) return icmp6_error_to4(m, l3, ip, v, o, in);
    if (l4[0] != 128 && l4[0] != 129) return R::kIcmpDropped;
  } else if (first && ((v.proto == kTcp && l4_seg < 20) || (v.proto == kUdp && l4_seg < 8))) {
    return R::kTruncated;
  }

  if (v.proto == kIcmp6) {
    const bool req = l4[0] == 128;
    rewrite_echo(l4, l4_seg, req ? 8 : 0, req ? o.sport : o.dport, csum_neg(phdr6(ip + 8, ip + 24, l4_len, kIcmp6)));
  } else if (first && (v.proto == kTcp || v.proto == kUdp)) {
    const uint32_t d = csum_neg(sum_addrs6(ip + 8, ip + 24)) + sum4(o.src) + sum4(o.dst);
    rewrite_ports(l4, l4_seg, v.proto == kUdp, d, o.sport, o.dport, m->ol_flags & RTE_MBUF_F_TX_L4_MASK);
  }
  alignas(8) uint8_t h[kIp4Hdr];
  build4(h, ip, v, o.src, o.dst, o.id, kIp4Hdr + l4_len);
  place(m, l3, v.l4, h, kIp4Hdr, kIp4Hdr + l4_len);
  set_meta(m, kIp4Hdr, false);
  return R::kOk;
}

XlateResult xlate_4to6(rte_mbuf* m, const Xlate4to6& o, const Xlate4to6* in) {
  const uint32_t l3 = meta(m).l3_off;
  if (l3 > m->data_len) return R::kTruncated;
  uint8_t* ip = rte_pktmbuf_mtod(m, uint8_t*) + l3;
  const uint32_t seg = m->data_len - l3;
  V4 v;
  if (R r = parse4(ip, seg, v); r != R::kOk) return r;
  if (v.total > m->pkt_len - l3) return R::kTruncated;
  if (!tail_trimmable(m, l3, v.total)) return R::kMalformed;
  if (unexpired_source_route(ip, v.ihl)) return R::kSourceRoute;
  if (v.proto == kIcmp6 || v.proto == kHopByHop || v.proto == kRouting || v.proto == kFragment || v.proto == kDstOpts)
    return R::kOtherFamilyProto;
  if (v.proto == kIgmp) return R::kIgmp;
  uint8_t* l4 = ip + v.ihl;
  const uint32_t l4_len = v.total - v.ihl;
  const uint32_t l4_seg = std::min(v.total, seg) - v.ihl;
  const bool first = v.off == 0;
  bool full_udp = false;
  if (v.proto == kIcmp) {
    if (v.frag) return R::kIcmpFragment;
    if (l4_seg < kIcmpHdr) return R::kTruncated;
    if (l4[0] == 3 || l4[0] == 11 || l4[0] == 12) return icmp4_error_to6(m, l3, ip, v, o, in);
    if (l4[0] != 8 && l4[0] != 0) return R::kIcmpDropped;
  } else if (first && ((v.proto == kTcp && l4_seg < 20) || (v.proto == kUdp && l4_seg < 8))) {
    return R::kTruncated;
  } else if (first && v.proto == kUdp && ld16(l4 + 6) == 0 && !(m->ol_flags & RTE_MBUF_F_TX_L4_MASK)) {
    // RFC 7915 4.5: IPv6 requires the checksum IPv4 left out; only the
    // whole datagram can give it.
    if (v.frag) return R::kUdpZeroCsumFragment;
    full_udp = true;
  }
  const uint32_t hl = kIp6Hdr + (v.frag ? kFragHdr : 0);
  if (!room_for(m, l3, v.ihl, hl)) return R::kNoHeadroom;

  if (v.proto == kIcmp) {
    const bool req = l4[0] == 8;
    rewrite_echo(l4, l4_seg, req ? 128 : 129, req ? o.sport : o.dport, phdr6(o.src, o.dst, l4_len, kIcmp6));
  } else if (full_udp) {
    st16(l4, o.sport);
    st16(l4 + 2, o.dport);
    const uint32_t s = sum_mbuf(m, l3 + v.ihl, l4_len) + phdr6(o.src, o.dst, l4_len, kUdp);
    const uint16_t c = uint16_t(~csum_fold(s));
    st16(l4 + 6, c ? c : 0xffff);
  } else if (first && (v.proto == kTcp || v.proto == kUdp)) {
    const uint32_t d = csum_neg(csum_add_bytes(0, ip + 12, 8)) + sum_addrs6(o.src, o.dst);
    rewrite_ports(l4, l4_seg, v.proto == kUdp, d, o.sport, o.dport, m->ol_flags & RTE_MBUF_F_TX_L4_MASK);
  }
  alignas(8) uint8_t h[kIp6Hdr + kFragHdr];
  build6(h, ip, v, o.src, o.dst, hl - kIp6Hdr + l4_len);
  place(m, l3, v.ihl, h, hl, hl + l4_len);
  set_meta(m, hl, true);
  return R::kOk;
}

bool xlate_refusal_icmp(XlateResult r, rte_mbuf* m, IcmpReq& req) {
  if (r == R::kSourceRoute) {
    req = {3, 5, 0, 0};
    return true;
  }
  if (r != R::kSegmentsLeft) return false;
  const uint32_t l3 = meta(m).l3_off;
  if (l3 > m->data_len) return false;
  V6 v;
  if (parse6(rte_pktmbuf_mtod(m, const uint8_t*) + l3, m->data_len - l3, true, v) != R::kSegmentsLeft) return false;
  req = {4, 0, 0, v.segleft_at};
  return true;
}

}  // namespace vp::nat
