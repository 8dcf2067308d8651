#include "io/offload.hpp"

#include <rte_ip.h>
#include <rte_tcp.h>

#include <cstring>

namespace vp {

void complete_l4_csum(uint8_t* frame, uint32_t len, uint32_t start, uint32_t off) {
  if (start + off + 2 > len) return;
  uint16_t c = uint16_t(~rte_raw_cksum(frame + start, len - start));
  if (c == 0) c = 0xffff;
  std::memcpy(frame + start + off, &c, 2);
}

namespace {

uint32_t l4_csum_off(const rte_mbuf* m) {
  return (m->ol_flags & RTE_MBUF_F_TX_L4_MASK) == RTE_MBUF_F_TX_UDP_CKSUM ? 6 : 16;
}

// Full L4 checksum of a finished segment.
void seg_csum(uint8_t* f, bool v4, uint32_t l3, uint32_t l4) {
  auto* tcp = reinterpret_cast<rte_tcp_hdr*>(f + l4);
  tcp->cksum = 0;
  tcp->cksum = v4 ? rte_ipv4_udptcp_cksum(reinterpret_cast<rte_ipv4_hdr*>(f + l3), tcp)
                  : rte_ipv6_udptcp_cksum(reinterpret_cast<rte_ipv6_hdr*>(f + l3), tcp);
}

}  // namespace

uint16_t sw_offload(rte_mbuf* m, rte_mempool* pool, rte_mbuf** out, uint16_t max_out) {
  if (m->nb_segs > 1 && rte_pktmbuf_linearize(m) != 0) {
    rte_pktmbuf_free(m);
    return 0;
  }
  uint8_t* f = rte_pktmbuf_mtod(m, uint8_t*);
  const uint32_t l3 = m->l2_len, l4 = l3 + m->l3_len, hdr = l4 + m->l4_len;
  if (!(m->ol_flags & RTE_MBUF_F_TX_TCP_SEG)) {
    complete_l4_csum(f, m->data_len, l4, l4_csum_off(m));
    m->ol_flags &= ~kSwOffloadFlags;
    out[0] = m;
    return 1;
  }
  const bool v4 = m->ol_flags & RTE_MBUF_F_TX_IPV4;
  const uint32_t mss = m->tso_segsz, payload = m->pkt_len > hdr ? m->pkt_len - hdr : 0;
  const uint32_t n = mss ? (payload + mss - 1) / mss : 0;
  const uint32_t room = rte_pktmbuf_data_room_size(pool) - RTE_PKTMBUF_HEADROOM;
  if (!n || n > max_out || hdr + mss > room || rte_pktmbuf_alloc_bulk(pool, out, n) != 0) {
    rte_pktmbuf_free(m);
    return 0;
  }
  auto* tcp0 = reinterpret_cast<const rte_tcp_hdr*>(f + l4);
  const uint32_t seq0 = rte_be_to_cpu_32(tcp0->sent_seq);
  const uint8_t flags0 = tcp0->tcp_flags;
  const uint16_t id0 = v4 ? rte_be_to_cpu_16(reinterpret_cast<const rte_ipv4_hdr*>(f + l3)->packet_id) : 0;
  for (uint32_t k = 0; k < n; k++) {
    uint32_t chunk = k + 1 < n ? mss : payload - k * mss;
    uint8_t* s = reinterpret_cast<uint8_t*>(rte_pktmbuf_append(out[k], uint16_t(hdr + chunk)));
    std::memcpy(s, f, hdr);
    std::memcpy(s + hdr, f + hdr + k * mss, chunk);
    if (v4) {
      auto* ip = reinterpret_cast<rte_ipv4_hdr*>(s + l3);
      ip->total_length = rte_cpu_to_be_16(uint16_t(hdr - l3 + chunk));
      ip->packet_id = rte_cpu_to_be_16(uint16_t(id0 + k));
      ip->hdr_checksum = 0;
      ip->hdr_checksum = rte_ipv4_cksum(ip);
    } else {
      reinterpret_cast<rte_ipv6_hdr*>(s + l3)->payload_len = rte_cpu_to_be_16(uint16_t(hdr - l4 + chunk));
    }
    auto* tcp = reinterpret_cast<rte_tcp_hdr*>(s + l4);
    tcp->sent_seq = rte_cpu_to_be_32(seq0 + k * mss);
    // FIN and PSH belong to the last segment only, CWR to the first.
    uint8_t fl = flags0;
    if (k + 1 < n) fl &= uint8_t(~(RTE_TCP_FIN_FLAG | RTE_TCP_PSH_FLAG));
    if (k) fl &= uint8_t(~RTE_TCP_CWR_FLAG);
    tcp->tcp_flags = fl;
    seg_csum(s, v4, l3, l4);
    out[k]->port = m->port;
    std::memcpy(out[k] + 1, m + 1, m->priv_size);  // metadata follows the segments
  }
  rte_pktmbuf_free(m);
  return uint16_t(n);
}

}  // namespace vp
