#pragma once
// The virtio-net header in front of every frame on a TAP opened with
// IFF_VNET_HDR, both ways: what the kernel tells us about a frame it hands
// us (a partial checksum to complete, a TCP GSO frame kept whole) and what
// we tell it about one we hand over. Shared by TapPort and the Linux mirrors.
#include <rte_mbuf.h>

#include <cstdint>
#include <cstring>

#include "io/offload.hpp"

namespace vp {

// struct virtio_net_hdr_v1 (linux/virtio_net.h does not compile as C++).
struct VnetHdr {
  uint8_t flags;
  uint8_t gso_type;
  uint16_t hdr_len, gso_size, csum_start, csum_offset;
  uint16_t num_buffers;
};
static_assert(sizeof(VnetHdr) == 12);
inline constexpr uint32_t kVnetHdr = sizeof(VnetHdr);

enum class VnetRx : uint8_t { plain, csum_completed, gso, bad };

// m holds the header at mtod - kVnetHdr and `res` bytes were read (header
// included). Sets the lengths and offload flags; bad = drop it.
inline VnetRx vnet_rx(rte_mbuf* m, int res) {
  constexpr uint8_t kNeedsCsum = 1, kTcp4 = 1, kTcp6 = 4, kEcn = 0x80;
  if (res <= int(kVnetHdr)) return VnetRx::bad;
  uint8_t* frame = rte_pktmbuf_mtod(m, uint8_t*);
  auto* vh = reinterpret_cast<const VnetHdr*>(frame - kVnetHdr);
  m->data_len = uint16_t(res - kVnetHdr);
  m->pkt_len = m->data_len;
  uint8_t gso = vh->gso_type & uint8_t(~kEcn);
  if (gso) {
    // Only TCP GSO is ever negotiated.
    if ((gso != kTcp4 && gso != kTcp6) || vh->csum_start + 20 > m->data_len) return VnetRx::bad;
    // Kept whole: a GSO-capable TAP takes it as is, any other port gets it
    // segmented by interface-output.
    uint16_t type;
    std::memcpy(&type, frame + 12, 2);
    m->l2_len = type == RTE_BE16(0x8100) ? 18 : 14;
    m->l3_len = uint16_t(vh->csum_start - m->l2_len);
    m->l4_len = uint16_t((frame[vh->csum_start + 12] >> 4) * 4);
    m->tso_segsz = vh->gso_size;
    m->ol_flags |=
        RTE_MBUF_F_TX_TCP_SEG | RTE_MBUF_F_TX_TCP_CKSUM | (gso == kTcp4 ? RTE_MBUF_F_TX_IPV4 : RTE_MBUF_F_TX_IPV6);
    return VnetRx::gso;
  }
  if (vh->flags & kNeedsCsum) {
    // The kernel left the L4 checksum partial (pseudo-header sum in place).
    complete_l4_csum(frame, m->data_len, vh->csum_start, vh->csum_offset);
    return VnetRx::csum_completed;
  }
  return VnetRx::plain;
}

// Prepends the header describing m (a GSO frame or a plain one); nullptr
// when m has no headroom for it (never with our pools). *gso says which.
inline VnetHdr* vnet_tx(rte_mbuf* m, bool* gso) {
  *gso = false;
  auto* vh = reinterpret_cast<VnetHdr*>(rte_pktmbuf_prepend(m, kVnetHdr));
  if (!vh) return nullptr;
  std::memset(vh, 0, kVnetHdr);
  *gso = m->ol_flags & RTE_MBUF_F_TX_TCP_SEG;
  if (*gso) {
    vh->flags = 1;  // needs csum
    vh->gso_type = m->ol_flags & RTE_MBUF_F_TX_IPV4 ? 1 : 4;
    vh->gso_size = m->tso_segsz;
    vh->hdr_len = uint16_t(m->l2_len + m->l3_len + m->l4_len);
    vh->csum_start = uint16_t(m->l2_len + m->l3_len);
    vh->csum_offset = 16;
  }
  return vh;
}

}  // namespace vp
