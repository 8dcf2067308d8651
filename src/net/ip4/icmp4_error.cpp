// ip4-icmp-error: turns a packet into the ICMP error a node asked for
// (meta IcmpReq) in place: the original IP header and the start of its
// payload (up to 576 bytes in all) behind a new IP + ICMP header, from the
// address of the interface the packet came in on. Rate-limited per thread
// (token bucket); never about an ICMP error, a fragment other than the
// first, or a multicast/broadcast or unspecified source.
#include "net/ip/icmp_error.hpp"
#include "net/ip4/ip4.hpp"

namespace vp {

std::atomic<uint32_t> g_icmp_rate{kIcmpRateDefault};

namespace {
bool allowed(const rte_ipv4_hdr* ip, uint32_t avail) {
  uint8_t s0 = reinterpret_cast<const uint8_t*>(&ip->src_addr)[0];
  if (ip->src_addr == 0 || s0 >= 224) return false;
  if (ip->fragment_offset & RTE_BE16(RTE_IPV4_HDR_OFFSET_MASK)) return false;
  if (ip->next_proto_id == IPPROTO_ICMP) {
    uint32_t hl = rte_ipv4_hdr_len(ip);
    if (avail < hl + 1) return false;
    uint8_t type = reinterpret_cast<const uint8_t*>(ip)[hl];
    if (type != 0 && type != 8 && type != 13 && type != 14) return false;  // errors about errors
  }
  return true;
}

void icmp_error(Thread& t, NodeRt& self, rte_mbuf** p, uint32_t n) {
  auto check = [](rte_mbuf* m, const IcmpReq&, uint32_t avail, const IfFast* f) -> uint16_t {
    if (!allowed(ip4_hdr(m), avail)) return kIcmpErrorNotAllowed;
    return !f || !f->ip4 ? kIcmpErrorNoSource : 0xffff;
  };
  auto build = [](rte_mbuf*, uint8_t* h, uint32_t quote, const IcmpReq& req, const IfFast& f, PktMeta&) {
    uint32_t orig_src = reinterpret_cast<rte_ipv4_hdr*>(h + 28)->src_addr;
    auto* nip = reinterpret_cast<rte_ipv4_hdr*>(h);
    std::memset(h, 0, 28);
    nip->version_ihl = 0x45;
    nip->total_length = rte_cpu_to_be_16(uint16_t(28 + quote));
    nip->time_to_live = 64;
    nip->next_proto_id = IPPROTO_ICMP;
    nip->src_addr = f.ip4;
    nip->dst_addr = orig_src;
    nip->hdr_checksum = rte_ipv4_cksum(nip);
    uint8_t* icmp = h + 20;
    icmp[0] = req.type;
    icmp[1] = req.code;
    if (req.type == 3 && req.code == 4) {
      uint16_t mtu = rte_cpu_to_be_16(uint16_t(req.param));
      std::memcpy(icmp + 6, &mtu, 2);
    }
    uint16_t c = uint16_t(~rte_raw_cksum(icmp, 8 + quote));
    std::memcpy(icmp + 2, &c, 2);
  };
  icmp_error_vector(t, self, p, n, "ICMP", 28, 576, check, build);
}
}  // namespace

static NodeRegistration reg{{
    .name = "ip4-icmp-error",
    .fn = icmp_error,
    .init = icmp_error_init,
    .next_names = names<kIcmpErrorNextCount>({{kIcmpErrorLookup, "ip4-lookup"}, {kIcmpErrorDrop, "error-drop"}}),
    .errors =
        names<kIcmpErrorErrCount>({{kIcmpErrorSent, "ICMP errors sent"},
                                   {kIcmpErrorRateLimited, "ICMP error rate limited"},
                                   {kIcmpErrorNotAllowed, "no ICMP error for this packet"},
                                   {kIcmpErrorNoSource, "no address on the interface to send an ICMP error from"}}),
}};

}  // namespace vp
