// Fuzz target: NAT64 header translation (features/nat/nat64_xlate). The
// input is a mode byte, four bytes of ports and an IPv6 (6->4) or IPv4
// (4->6) packet, put into an mbuf behind 0-60 bytes of L2, in one segment
// or two, with the usual headroom or almost none. The mode also asks for
// the version, lengths and checksums to be made right and for the packet
// to be wrapped as the quote of an ICMP error, so that random inputs reach
// the L4 and ICMP error paths. Checked: a refused packet is left unchanged;
// a translated one starts at its IP header with room in front, its length
// fields match the mbuf, its IPv4 header checksum verifies, an ICMP error's
// checksum verifies, and so does the L4 checksum of any whole packet whose
// input checksum (of TCP, UDP or ICMP right after the IP header) verified.
// Any crash, sanitizer report or failed check is a bug.
#include <rte_ip.h>
#include <rte_mbuf.h>

#include <cstring>
#include <vector>

#include "features/nat/nat64_xlate.hpp"
#include "fuzz_env.hpp"
#include "graph/meta.hpp"
#include "io/eal.hpp"

namespace {

using Bytes = std::vector<uint8_t>;

uint32_t sum_be(const uint8_t* p, size_t n, uint32_t s = 0) {
  for (size_t i = 0; i + 1 < n; i += 2) s += uint32_t(p[i]) << 8 | p[i + 1];
  if (n & 1) s += uint32_t(p[n - 1]) << 8;
  return s;
}
uint16_t fold(uint32_t s) {
  while (s >> 16) s = (s & 0xffff) + (s >> 16);
  return uint16_t(s);
}
uint16_t rd(const uint8_t* p) { return uint16_t(p[0] << 8 | p[1]); }
void wr(uint8_t* p, uint32_t v) {
  p[0] = uint8_t(v >> 8);
  p[1] = uint8_t(v);
}

// Where a packet's L4 checksum is checked: a whole packet whose upper layer
// follows the fixed header. 0 when there is none to check.
uint32_t l4_of(const uint8_t* ip, size_t size, uint8_t& proto) {
  if (size < 20) return 0;
  if ((ip[0] >> 4) == 4) {
    if (rd(ip + 6) & 0x3fff) return 0;
    proto = ip[9];
    return (ip[0] & 0xf) * 4u;
  }
  if (size < 40) return 0;
  proto = ip[6];
  return 40;
}

bool is_error(uint8_t proto, uint8_t type) {
  return proto == 58 ? type < 128 : (type == 3 || type == 4 || type == 5 || type == 11 || type == 12);
}

// True when the L4 checksum of the whole packet `ip` verifies (or there is
// nothing to verify).
bool l4_ok(const uint8_t* ip, size_t size) {
  uint8_t proto;
  const uint32_t l4 = l4_of(ip, size, proto);
  if (!l4 || l4 > size) return true;
  const uint8_t* p = ip + l4;
  const uint32_t n = uint32_t(size - l4);
  const bool v4 = (ip[0] >> 4) == 4;
  const uint32_t ph = v4 ? sum_be(ip + 12, 8) + n + proto : sum_be(ip + 8, 32) + (n >> 16) + (n & 0xffff) + proto;
  switch (proto) {
    case 6:
      return n < 20 || fold(sum_be(p, n, ph)) == 0xffff;
    case 17:
      return n < 8 || (v4 && rd(p + 6) == 0) || fold(sum_be(p, n, ph)) == 0xffff;
    case 1:
    case 58:
      return n < 8 || fold(sum_be(p, n, proto == 58 ? ph : 0)) == 0xffff;
    default:
      return true;
  }
}

// Version, lengths and checksums made right; an IPv4 UDP checksum of 0
// stays 0 (the full checksum 4->6 computes).
void fix(Bytes& b, bool v6) {
  uint8_t* ip = b.data();
  if (v6) {
    if (b.size() < 40) return;
    ip[0] = uint8_t(0x60 | (ip[0] & 0xf));
    wr(ip + 4, uint32_t(b.size() - 40));
  } else {
    if (b.size() < 20) return;
    uint32_t ihl = (ip[0] & 0xf) * 4u;
    if (ihl < 20 || ihl > b.size()) ihl = 20;
    ip[0] = uint8_t(0x40 | ihl / 4);
    wr(ip + 2, uint32_t(b.size()));
    wr(ip + 10, 0);
    wr(ip + 10, uint16_t(~fold(sum_be(ip, ihl))));
  }
  uint8_t proto;
  const uint32_t l4 = l4_of(ip, b.size(), proto);
  if (!l4 || l4 > b.size()) return;
  const uint32_t n = uint32_t(b.size() - l4);
  const uint32_t at = proto == 6 ? 16 : proto == 17 ? 6 : (proto == 1 || proto == 58) ? 2 : 0;
  if (!at || n < at + 2) return;
  uint8_t* p = ip + l4;
  if (proto == 17 && !v6 && rd(p + 6) == 0) return;
  wr(p + at, 0);
  const uint32_t ph = !v6 ? sum_be(ip + 12, 8) + n + proto : sum_be(ip + 8, 32) + (n >> 16) + (n & 0xffff) + proto;
  uint16_t c = uint16_t(~fold(sum_be(p, n, proto == 1 ? 0 : ph)));
  if (proto == 17 && c == 0) c = 0xffff;
  wr(p + at, c);
}

// An ICMP error of the family around `inner` (made right itself), with
// header fields and type/code from `h` (28 bytes).
Bytes wrap(const uint8_t* h, const Bytes& inner, bool v6) {
  Bytes b(h, h + (v6 ? 40 : 20));
  b.resize(b.size() + 8);
  uint8_t* icmp = &b[b.size() - 8];
  static const uint8_t kTypes4[] = {3, 11, 12, 4, 5, 8, 0};
  static const uint8_t kTypes6[] = {1, 2, 3, 4, 0, 127, 128};
  icmp[0] = v6 ? kTypes6[h[20] % 7] : kTypes4[h[20] % 7];
  std::memcpy(icmp + 1, h + 21, 7);
  if (v6) {
    b[6] = 58;
  } else {
    b[0] = 0x45;
    b[6] = b[7] = 0;  // not a fragment
    b[9] = 1;
  }
  b.insert(b.end(), inner.begin(), inner.end());
  return b;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace vp;
  using namespace vp::nat;
  fuzz::init_once();
  if (size < 6 || size > 1900) return 0;
  const uint8_t mode = data[0];
  const bool to6 = mode & 1, make_right = mode & 2, two_segs = mode & 4, wrapped = mode & 8, no_inner = mode & 0x40,
             tight = mode & 0x80;
  static const uint16_t kL3[] = {14, 0, 18, 60};
  const uint16_t l3 = kL3[(mode >> 4) & 3];
  uint16_t ports[2];
  std::memcpy(ports, data + 1, 4);
  data += 5, size -= 5;

  Bytes pkt(data, data + size);
  if (wrapped && size >= 48) {
    Bytes inner(data + 48, data + size);
    if (make_right) fix(inner, !to6);
    pkt = wrap(data, inner, !to6);
  }
  if (make_right) fix(pkt, !to6);
  uint8_t in_proto = 0;
  const bool input_l4_ok = make_right && l4_of(pkt.data(), pkt.size(), in_proto) &&
                           (in_proto == 6 || in_proto == 17 || in_proto == 1 || in_proto == 58) &&
                           l4_ok(pkt.data(), pkt.size());

  rte_mbuf* m = rte_pktmbuf_alloc(eal().pool);
  if (!m) __builtin_trap();
  const size_t first = two_segs && pkt.size() > 1 ? 1 + data[size - 1] % (pkt.size() - 1) : pkt.size();
  uint8_t* d = reinterpret_cast<uint8_t*>(rte_pktmbuf_append(m, uint16_t(l3 + first)));
  if (!d) __builtin_trap();
  std::memset(d, 0xee, l3);
  std::memcpy(d + l3, pkt.data(), first);
  if (first < pkt.size()) {
    rte_mbuf* s = rte_pktmbuf_alloc(eal().pool);
    if (!s) __builtin_trap();
    std::memcpy(rte_pktmbuf_append(s, uint16_t(pkt.size() - first)), pkt.data() + first, pkt.size() - first);
    if (rte_pktmbuf_chain(m, s) != 0) __builtin_trap();
  }
  if (tight) {
    // Little headroom left: 4->6 must refuse rather than write in front of the buffer.
    const uint16_t off = ports[0] % 64;
    std::memmove(static_cast<uint8_t*>(m->buf_addr) + off, d, m->data_len);
    m->data_off = off;
  }
  meta_init(m, 0);
  meta(m).l3_off = l3;
  const uint16_t data_off = m->data_off;
  const uint32_t pkt_len = m->pkt_len;

  Xlate4to6 o46{}, i46{};
  Xlate6to4 o64{}, i64{};
  static const uint8_t kH6[16] = {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
  static const uint8_t kS6[16] = {0, 0x64, 0xff, 0x9b, 0, 0, 0, 0, 0, 0, 0, 0, 192, 0, 2, 33};
  std::memcpy(o46.src, kS6, 16);
  std::memcpy(o46.dst, kH6, 16);
  std::memcpy(i46.src, kH6, 16);
  std::memcpy(i46.dst, kS6, 16);
  o46.sport = i46.dport = o64.sport = i64.dport = ports[0];
  o46.dport = i46.sport = o64.dport = i64.sport = ports[1];
  o64.src = i64.dst = RTE_BE32(0xc6336401);
  o64.dst = i64.src = RTE_BE32(0xc0000221);
  o64.id = ports[0];
  i64.id = ports[1];
  const XlateResult r =
      to6 ? xlate_4to6(m, o46, no_inner ? nullptr : &i46) : xlate_6to4(m, o64, no_inner ? nullptr : &i64);

  Bytes out;
  for (const rte_mbuf* s = m; s; s = s->next) {
    const uint8_t* p = rte_pktmbuf_mtod(s, const uint8_t*);
    out.insert(out.end(), p, p + s->data_len);
  }
  if (out.size() != m->pkt_len) __builtin_trap();
  if (r != XlateResult::kOk) {
    // Refused: not one byte or length changed.
    if (m->data_off != data_off || m->pkt_len != pkt_len || meta(m).l3_off != l3) __builtin_trap();
    if (std::memcmp(out.data() + l3, pkt.data(), pkt.size()) != 0) __builtin_trap();
  } else {
    const uint8_t* ip = out.data();
    if (meta(m).l3_off != 0 || m->data_off < kXlateL2Room) __builtin_trap();
    if (to6) {
      if (out.size() < 40 || (ip[0] >> 4) != 6 || 40u + rd(ip + 4) != out.size()) __builtin_trap();
      if (meta(m).l4_off != (ip[6] == 44 ? 48 : 40)) __builtin_trap();
    } else {
      if (out.size() < 20 || ip[0] != 0x45 || rd(ip + 2) != out.size() || fold(sum_be(ip, 20)) != 0xffff)
        __builtin_trap();
      if (meta(m).l4_off != 20) __builtin_trap();
    }
    uint8_t proto;
    const uint32_t l4 = l4_of(ip, out.size(), proto);
    const bool error = l4 && out.size() >= l4 + 8 && (proto == 1 || proto == 58) && is_error(proto, ip[l4]);
    if ((error || input_l4_ok) && !l4_ok(ip, out.size())) __builtin_trap();
  }
  rte_pktmbuf_free(m);
  return 0;
}
