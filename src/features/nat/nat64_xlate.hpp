#pragma once
// Stateless IPv6/IPv4 header translation for NAT64 (RFC 7915, the IP/ICMP
// translation algorithm) and the IPv4-embedded IPv6 addresses of RFC 6052.
// The stateful node decides every address and port (its session); these
// functions only rewrite the packet in place, with no state, no allocation
// and no lock.
//
// What the caller gets
// --------------------
// The packet's IP header is at rte_pktmbuf_mtod(m) + meta(m).l3_off, as on
// the ip4-unicast/ip6-unicast arcs (after ethernet-input; ip4-input and
// ip6-input have checked the lengths and trimmed the Ethernet padding).
// On XlateResult::kOk:
//   - the mbuf's data starts at the translated IP header: meta(m).l3_off = 0
//     and meta(m).l4_off is the offset of the L4 header (20 for IPv4, 40 or
//     48 with a Fragment header for IPv6). The L2 header and every byte in
//     front of the new IP header are gone (left in the headroom, stale);
//     ip4-rewrite/ip6-rewrite put the next hop's Ethernet header there, and
//     at least kXlateL2Room bytes of headroom are left for it.
//   - pkt_len and data_len end at the end of the IP datagram; the datagram's
//     bytes after the rewritten headers have not moved (only the headers in
//     front of them are rewritten: the translated header ends where the old
//     one ended).
//   - TTL/hop limit is copied, not decremented: the routed path decrements
//     it after translation (ip4-rewrite/ip6-rewrite). A packet that arrives
//     with TTL/hop limit 1 must get its time-exceeded error from the caller,
//     in its own family, before translation: after it, the rewrite node
//     would address the error to the translated source.
//   - partial checksums (a TCP GSO frame, RTE_MBUF_F_TX_L4_MASK: the L4
//     field holds the pseudo-header sum) are updated as such, and the
//     RTE_MBUF_F_TX_IPV4/IPV6 flags and l3_len follow the new header.
// On any other result the packet and its metadata are left exactly as they
// were, so the caller may drop it, count it under xlate_result_name(r), or
// answer it with an ICMP error quoting the original (xlate_refusal_icmp).
//
// Multi-segment mbufs: the headers the translation rewrites (the IP header
// with its options or extension headers, the L4 header) must be in the first
// segment, and an ICMP error (all of it rewritten) in a one-segment mbuf;
// otherwise kTruncated. The payload of TCP/UDP/echo may continue in later
// segments (checksums are updated incrementally, except for the full UDP
// checksum computed on 4->6, which walks every segment).
//
// Translation rules (RFC 7915 sections 4 and 5)
// ---------------------------------------------
// IPv4 -> IPv6: traffic class = TOS, flow label 0, hop limit = TTL, IPv4
// options dropped (an unexpired LSRR/SSRR refuses the packet:
// kSourceRoute). A fragment (MF set or offset not 0) gets a Fragment header
// (identification = the IPv4 one, offset and M copied); an unfragmented
// packet never does, whatever its DF (RFC 7915 4.1: no atomic fragments).
// An unfragmented DF=0 packet bigger than the IPv6 path takes is not
// fragmented here: the caller fragments it in IPv4 first (to 1232-byte
// payloads for the 1280-byte IPv6 minimum) if it wants to.
// IPv6 -> IPv4: TOS = traffic class, TTL = hop limit, no options.
// Hop-by-hop, routing and destination options headers are skipped (a
// routing header with segments left refuses the packet: kSegmentsLeft); any
// extension header after a Fragment header refuses it (kBadExtHeader). A
// Fragment header becomes the IPv4 fragment fields (identification = its
// low 16 bits, MF = M, DF = 0). Without one, DF is set when the IPv4 packet
// is larger than 1260 bytes and cleared otherwise (RFC 7915 5), and the
// identification is the caller's (Xlate6to4::id: RFC 7915 5.1 wants it from
// the translator's identification generator, which is the caller's state).
// Other protocols are copied (ICMP <-> ICMPv6 becomes 1 <-> 58), except
// those that exist in one version only and would be misread in the other:
// ICMPv6 and the IPv6 extension header numbers in IPv4, ICMP and IGMP in
// IPv6 (kOtherFamilyProto).
//
// L4: TCP and UDP checksums are updated incrementally for the pseudo-header
// (addresses) and the ports. UDP over IPv4 with checksum 0 gets a full
// checksum on 4->6 (RFC 7915 4.5), refused when the datagram is fragmented
// (kUdpZeroCsumFragment); a UDP checksum of 0 over IPv6 (invalid there)
// stays 0 over IPv4, where it means none. Non-first fragments carry no L4
// header and are translated at the IP layer only. Other transports (DCCP,
// UDP-Lite, SCTP) are copied untouched, their checksums not updated.
// ICMP <-> ICMPv6:
//   - echo request/reply (8/0 <-> 128/129): type mapped, identifier
//     rewritten like a port (below), checksum updated incrementally, the
//     ICMPv6 pseudo-header added or taken out. A fragmented ICMP message is
//     refused (kIcmpFragment): the pseudo-header needs the whole message's
//     length, which only reassembly knows.
//   - errors: type and code mapped by the tables of RFC 7915 4.2/5.2
//     (Packet Too Big <-> Fragmentation Needed with the MTU moved by 20 and
//     kept >= 1280 / >= 68, RFC 1191 plateaus when an IPv4 router sent MTU
//     0; parameter problem pointers mapped by Figures 3 and 6); the inner
//     packet translated with the caller's `inner` tuple (its TTL/hop limit
//     not decremented, its length fields those of the original datagram,
//     its L4 checksum updated incrementally as far as the quote goes);
//     RFC 4884 extensions are dropped (the length attribute cleared);
//     the result truncated to 1280 bytes (ICMPv6) / 576 (ICMPv4) and its
//     checksum recomputed. The incoming checksum is verified first
//     (kIcmpBadChecksum): a recomputed checksum would otherwise turn a
//     corrupted message into a valid one.
//   - everything RFC 7915 drops silently (other ICMP types and codes,
//     unmappable pointers, IGMP, an error quoting an error) -> a result
//     naming the reason.
//
// Ports: `sport`/`dport` are the translated packet's TCP/UDP ports. For
// ICMP echo the identifier is the querier's port: a request's identifier
// becomes `sport`, a reply's `dport` (a caller that keeps the identifier as
// both ports sets both). Other protocols and ICMP errors ignore the ports.
// For an ICMP error, `outer` gives the outer addresses and `inner` the
// quoted packet's translated tuple (the reverse direction's flow); `inner`
// is not read for other packets and may be null.
#include <rte_mbuf.h>

#include <cstdint>
#include <cstring>
#include <iterator>
#include <utility>

#include "net/ip/icmp_req.hpp"

namespace vp::nat {

// ---------------------------------------------------------------------------
// RFC 6052 2.2: IPv4-embedded IPv6 addresses. The IPv4 address fills the 32
// bits after the prefix, skipping bits 64-71 (the "u" octet, zero); the
// suffix is zero. All addresses are network-order bytes.

inline constexpr bool rfc6052_len_ok(uint8_t plen) {
  return plen == 32 || plen == 40 || plen == 48 || plen == 56 || plen == 64 || plen == 96;
}

// The IPv6 address for `ip4` (network order) under prefix/plen (a length
// rfc6052_len_ok accepts).
inline void rfc6052_embed(const uint8_t* prefix, uint8_t plen, uint32_t ip4, uint8_t* out) {
  uint8_t a[4];
  std::memcpy(a, &ip4, 4);
  std::memset(out, 0, 16);
  std::memcpy(out, prefix, plen / 8);
  uint32_t p = plen / 8;
  for (uint32_t i = 0; i < 4; i++, p++) {
    if (p == 8) p++;
    out[p] = a[i];
  }
}

// The IPv4 address (network order) embedded in `in6` under a prefix of
// length plen. The u octet and the suffix are not checked.
inline uint32_t rfc6052_extract(uint8_t plen, const uint8_t* in6) {
  uint8_t a[4];
  uint32_t p = plen / 8;
  for (uint32_t i = 0; i < 4; i++, p++) {
    if (p == 8) p++;
    a[i] = in6[p];
  }
  uint32_t v;
  std::memcpy(&v, a, 4);
  return v;
}

// True when `in6` is under prefix/plen.
inline bool rfc6052_match(const uint8_t* prefix, uint8_t plen, const uint8_t* in6) {
  return std::memcmp(prefix, in6, plen / 8) == 0;
}

// ---------------------------------------------------------------------------
// Header translation.

// The translated IPv4 packet's tuple; everything in network byte order.
struct Xlate6to4 {
  uint32_t src, dst;
  uint16_t sport, dport;
  // Identification of a packet sent without a Fragment header (a fragment
  // keeps the low 16 bits of its own).
  uint16_t id;
};

// The translated IPv6 packet's tuple; ports in network byte order.
struct Xlate4to6 {
  uint8_t src[16], dst[16];
  uint16_t sport, dport;
};

enum class XlateResult : uint8_t {
  kOk,
  kTruncated,            // a header to rewrite is cut short or beyond the first segment
  kMalformed,            // IP version or lengths inconsistent
  kNoHeadroom,           // 4->6: no room in front of the packet for the larger header
  kTooBig,               // 6->4: payload too large for an IPv4 total length
  kSourceRoute,          // 4->6: unexpired IPv4 source route option (RFC 7915 4.1)
  kSegmentsLeft,         // 6->4: routing header with segments left (RFC 7915 5.1)
  kBadExtHeader,         // 6->4: extension header after the Fragment header, or too many
  kUdpZeroCsumFragment,  // 4->6: fragmented UDP without a checksum (RFC 7915 4.5)
  kIcmpFragment,         // fragmented ICMP/ICMPv6: the checksum needs reassembly
  kIcmpDropped,          // ICMP type/code/pointer RFC 7915 drops silently
  kIcmpBadChecksum,      // ICMP error whose checksum does not verify
  kIcmpNoInner,          // ICMP error and no inner tuple given
  kIcmpBadInner,         // ICMP error whose quoted packet is not one
  kIcmpNested,           // ICMP error quoting an ICMP error
  kIgmp,                 // 4->6: IGMP (single hop, RFC 7915 4.2)
  kOtherFamilyProto,     // a protocol of the other IP version only (ICMPv6 or IPv6 headers in IPv4; ICMP, IGMP in IPv6)
  kCount
};

// Counter names, one per result, in enum order (for a node's error list).
inline constexpr std::pair<XlateResult, const char*> kXlateResultNames[] = {
    {XlateResult::kOk, "translated"},
    {XlateResult::kTruncated, "truncated or headers beyond the first segment"},
    {XlateResult::kMalformed, "malformed IP header"},
    {XlateResult::kNoHeadroom, "no headroom for the IPv6 header"},
    {XlateResult::kTooBig, "too big for IPv4"},
    {XlateResult::kSourceRoute, "IPv4 source route option"},
    {XlateResult::kSegmentsLeft, "IPv6 routing header with segments left"},
    {XlateResult::kBadExtHeader, "IPv6 extension header not translatable"},
    {XlateResult::kUdpZeroCsumFragment, "fragmented UDP without checksum"},
    {XlateResult::kIcmpFragment, "fragmented ICMP"},
    {XlateResult::kIcmpDropped, "ICMP type or code not translated"},
    {XlateResult::kIcmpBadChecksum, "ICMP error with a bad checksum"},
    {XlateResult::kIcmpNoInner, "ICMP error without an inner tuple"},
    {XlateResult::kIcmpBadInner, "ICMP error with a bad inner packet"},
    {XlateResult::kIcmpNested, "ICMP error quoting an ICMP error"},
    {XlateResult::kIgmp, "IGMP not translated"},
    {XlateResult::kOtherFamilyProto, "protocol of the other IP version"},
};
static_assert(std::size(kXlateResultNames) == size_t(XlateResult::kCount));
static_assert([] {
  for (size_t i = 0; i < std::size(kXlateResultNames); i++)
    if (size_t(kXlateResultNames[i].first) != i) return false;
  return true;
}());

inline constexpr const char* xlate_result_name(XlateResult r) { return kXlateResultNames[size_t(r)].second; }

// Headroom xlate_4to6 leaves in front of the new IPv6 header, for the
// Ethernet header ip6-rewrite writes there.
inline constexpr uint32_t kXlateL2Room = 14;
// ICMP errors are cut to these sizes (RFC 4443 2.4(c); RFC 1812 4.3.2.3).
inline constexpr uint32_t kIcmp6ErrorMax = 1280;
inline constexpr uint32_t kIcmp4ErrorMax = 576;

XlateResult xlate_6to4(rte_mbuf* m, const Xlate6to4& outer, const Xlate6to4* inner);
XlateResult xlate_4to6(rte_mbuf* m, const Xlate4to6& outer, const Xlate4to6* inner);

// The ICMP error RFC 7915 asks the translator to return for a packet it
// refused with `r` (the packet is unchanged): ICMPv4 3/5 "source route
// failed" for kSourceRoute, ICMPv6 4/0 pointing at the Segments Left field
// for kSegmentsLeft. False for every other result: those are dropped
// silently, or answered with "administratively prohibited" (RFC 7915 4.4,
// 5.4) if the caller's policy says so.
bool xlate_refusal_icmp(XlateResult r, rte_mbuf* m, IcmpReq& req);

}  // namespace vp::nat
