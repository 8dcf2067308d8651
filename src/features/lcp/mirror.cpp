#include "features/lcp/mirror.hpp"

#include <linux/if_tun.h>
#include <rte_errno.h>
#include <rte_pause.h>
#include <rte_ring.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <map>
#include <memory>

#include "features/lcp/host_sync.hpp"
#include "graph/registry.hpp"
#include "graph/thread.hpp"
#include "infra/error.hpp"
#include "infra/log.hpp"
#include "io/eal.hpp"
#include "io/input.hpp"
#include "io/interface.hpp"
#include "io/ports/tap/port_tap.hpp"
#include "io/ports/tap/tap_tx.hpp"
#include "io/ports/tap/vnet_hdr.hpp"
#include "io/rx_queue.hpp"

namespace vp {

namespace {

constexpr uint32_t kBufs = 256;       // shared receive buffers (jumbo: a GSO frame fits one)
constexpr uint32_t kSq = 1024;        // reads (re)posted per poll, at most
constexpr uint32_t kCq = 16384;       // completions waiting; more wait in the kernel
constexpr uint16_t kGroup = 0;        // provided-buffer group id
constexpr uint64_t kDead = ~0ull;     // slot value of an interface without a mirror
constexpr uint32_t kArmRing = 65536;  // mirrors created between two polls, at most

uint64_t key(uint32_t sw_if, uint32_t gen) { return uint64_t(gen) << 32 | sw_if; }

// Polled like one rx queue; rx() returns frames of many mirrors and leaves
// in rx_ifs() the interface each arrived on. Only the polling worker touches
// the ring's submission and completion sides and the buffer ring; the main
// thread talks to it through slots_ and the arm ring, and cancels reads
// with io_uring_register (which the kernel serialises with submission).
class MirrorHub : public Port {
 public:
  MirrorHub();
  ~MirrorHub() override;
  NodeId input_node() const override {
    static NodeId id = Registry::get().id("lcp-mirror-input");
    return id;
  }
  uint16_t rx(Thread& t, uint16_t q, rte_mbuf** p, uint16_t n) override;
  uint16_t tx(Thread&, rte_mbuf**, uint16_t) override { return 0; }  // not an interface: nothing sends to it
  const char* kind() const override { return "lcp mirror hub"; }
  std::string driver() const override { return "lcp mirror hub"; }
  const uint32_t* rx_ifs() const { return rx_if_; }

  // Main thread.
  void attach(uint32_t sw_if, int fd);
  void detach(uint32_t sw_if);
  nlohmann::json stats() const;
  TapTx tx_ring;
  uint32_t mirrors = 0;

 private:
  bool post_read(uint64_t k);
  void refill();
  io_uring ring_{};
  io_uring_buf_ring* br_ = nullptr;
  size_t br_size_ = 0;
  rte_ring* arm_ = nullptr;
  std::unique_ptr<std::atomic<uint64_t>[]> slots_;  // by sw_if: gen << 32 | fd, or kDead
  uint32_t gen_ = 0;
  std::atomic<bool> busy_{false};  // a worker is inside rx()
  // Worker-owned.
  rte_mbuf* bufs_[kBufs] = {};  // by buffer id, while the kernel holds it
  uint16_t empty_[kBufs];       // buffer ids to refill
  uint32_t n_empty_ = 0;
  std::vector<uint64_t> starved_;  // reads that found no buffer, to post again
  uint32_t rx_if_[256];
  std::atomic<uint64_t> rx_ = 0, errors_ = 0, gso_rx_ = 0, csum_ = 0, no_buf_ = 0;
};

MirrorHub* g_hub = nullptr;

struct Retired {
  std::string netns;
  int ifindex, fd;
};
std::vector<Retired> g_retired;

MirrorHub::MirrorHub() : slots_(new std::atomic<uint64_t>[kMaxInterfaces]) {
  for (uint32_t i = 0; i < kMaxInterfaces; i++) slots_[i].store(kDead, std::memory_order_relaxed);
  starved_.reserve(kMaxInterfaces);
  io_uring_params pr{};
  pr.flags = IORING_SETUP_CQSIZE;
  pr.cq_entries = kCq;
  if (io_uring_queue_init_params(kSq, &ring_, &pr) != 0)
    fail("cannot set up io_uring for the Linux mirrors (kernel too old or memlock limit)");
  br_size_ = kBufs * sizeof(io_uring_buf);
  void* mem = mmap(nullptr, br_size_, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  io_uring_buf_reg reg{};
  reg.ring_addr = reinterpret_cast<uint64_t>(mem);
  reg.ring_entries = kBufs;
  reg.bgid = kGroup;
  if (mem == MAP_FAILED || io_uring_register_buf_ring(&ring_, &reg, 0) != 0) {
    if (mem != MAP_FAILED) munmap(mem, br_size_);
    io_uring_queue_exit(&ring_);
    fail("cannot register receive buffers for the Linux mirrors (needs Linux 5.19 or later)");
  }
  br_ = static_cast<io_uring_buf_ring*>(mem);
  io_uring_buf_ring_init(br_);
  arm_ = rte_ring_create("lcp-mirror-arm", kArmRing, SOCKET_ID_ANY, RING_F_SC_DEQ | RING_F_EXACT_SZ);
  if (!arm_) {
    io_uring_queue_exit(&ring_);
    munmap(br_, br_size_);
    fail("cannot allocate the Linux mirrors' request ring: {}", rte_strerror(rte_errno));
  }
  for (uint32_t i = 0; i < kBufs; i++) empty_[n_empty_++] = uint16_t(i);
  refill();
  if (n_empty_) log::warn("lcp: only {} of {} mirror receive buffers (raise memory-mb)", kBufs - n_empty_, kBufs);
  ifs().add_shared_rx(this);
}

MirrorHub::~MirrorHub() {
  ifs().remove_shared_rx(this);  // no worker polls it any more
  io_uring_queue_exit(&ring_);   // cancels what is still posted
  for (auto* m : bufs_)
    if (m) rte_pktmbuf_free(m);
  munmap(br_, br_size_);
  rte_ring_free(arm_);
}

void MirrorHub::refill() {
  if (!n_empty_) return;
  rte_mbuf* m[kBufs];
  // Buffers come back one allocation at a time when the pool runs low.
  uint32_t n = n_empty_;
  while (n && rte_pktmbuf_alloc_bulk(jumbo_pool(), m, n) != 0) n /= 2;
  const int mask = io_uring_buf_ring_mask(kBufs);
  for (uint32_t i = 0; i < n; i++) {
    uint16_t bid = empty_[--n_empty_];
    bufs_[bid] = m[i];
    // The virtio-net header lands in the headroom, the frame at data_off.
    io_uring_buf_ring_add(br_, rte_pktmbuf_mtod(m[i], uint8_t*) - kVnetHdr, rte_pktmbuf_tailroom(m[i]) + kVnetHdr, bid,
                          mask, int(i));
  }
  io_uring_buf_ring_advance(br_, int(n));
}

bool MirrorHub::post_read(uint64_t k) {
  uint32_t sw_if = uint32_t(k);
  uint64_t s = slots_[sw_if].load();
  if (s >> 32 != k >> 32 || s == kDead) return true;  // that mirror is gone
  io_uring_sqe* sqe = io_uring_get_sqe(&ring_);
  if (!sqe) return false;
  io_uring_prep_read(sqe, int(uint32_t(s)), nullptr, kJumboData, 0);
  sqe->flags |= IOSQE_BUFFER_SELECT;
  sqe->buf_group = kGroup;
  io_uring_sqe_set_data64(sqe, k);
  return true;
}

uint16_t MirrorHub::rx(Thread&, uint16_t, rte_mbuf** p, uint16_t n) {
  // One poller at a time, even while a new placement is being published.
  bool idle = false;
  if (!busy_.compare_exchange_strong(idle, true)) return 0;
  void* arm[64];
  unsigned na = rte_ring_sc_dequeue_burst(arm_, arm, 64, nullptr);
  for (unsigned i = 0; i < na; i++)
    if (!post_read(reinterpret_cast<uintptr_t>(arm[i]))) starved_.push_back(reinterpret_cast<uintptr_t>(arm[i]));
  io_uring_cqe* cqes[256];
  unsigned got = io_uring_peek_batch_cqe(&ring_, cqes, n);
  uint16_t k = 0;
  uint64_t bad = 0, gso = 0, csum = 0, nobuf = 0;
  for (unsigned i = 0; i < got; i++) {
    const io_uring_cqe* c = cqes[i];
    rte_mbuf* m = nullptr;
    if (c->flags & IORING_CQE_F_BUFFER) {
      uint16_t bid = uint16_t(c->flags >> IORING_CQE_BUFFER_SHIFT);
      m = bufs_[bid];
      bufs_[bid] = nullptr;
      empty_[n_empty_++] = bid;
    }
    uint64_t ck = c->user_data;
    if (c->res == -ECANCELED || slots_[uint32_t(ck)].load() >> 32 != ck >> 32) {
      if (m) rte_pktmbuf_free(m);  // its mirror is gone
      continue;
    }
    if (c->res == -ENOBUFS) {
      nobuf++;
      starved_.push_back(ck);
      continue;
    }
    if (!post_read(ck)) starved_.push_back(ck);
    VnetRx r = m ? vnet_rx(m, c->res) : VnetRx::bad;
    if (r == VnetRx::bad) {
      bad++;
      if (m) rte_pktmbuf_free(m);
      continue;
    }
    gso += r == VnetRx::gso;
    csum += r == VnetRx::csum_completed;
    rx_if_[k] = uint32_t(ck);
    p[k++] = m;
  }
  if (got) io_uring_cq_advance(&ring_, got);
  refill();
  // Reads that found the buffers empty wait until there are some again.
  if (!starved_.empty() && n_empty_ < kBufs) {
    size_t done = 0;
    while (done < starved_.size() && post_read(starved_[done])) done++;
    starved_.erase(starved_.begin(), starved_.begin() + long(done));
  }
  if (io_uring_sq_ready(&ring_)) io_uring_submit(&ring_);
  if (k) rx_.fetch_add(k, std::memory_order_relaxed);
  if (bad) errors_.fetch_add(bad, std::memory_order_relaxed);
  if (gso) gso_rx_.fetch_add(gso, std::memory_order_relaxed);
  if (csum) csum_.fetch_add(csum, std::memory_order_relaxed);
  if (nobuf) no_buf_.fetch_add(nobuf, std::memory_order_relaxed);
  busy_.store(false);
  return k;
}

void MirrorHub::attach(uint32_t sw_if, int fd) {
  uint64_t k = key(sw_if, ++gen_);
  slots_[sw_if].store((k & ~0xffffffffull) | uint32_t(fd));
  if (rte_ring_mp_enqueue(arm_, reinterpret_cast<void*>(uintptr_t(k))) != 0)
    fail("too many Linux mirrors created before a worker polled: try again");
}

void MirrorHub::detach(uint32_t sw_if) {
  uint64_t k = (slots_[sw_if].load() & ~0xffffffffull) | sw_if;
  slots_[sw_if].store(kDead);
  // A poll that started before that may still post a read; one that starts
  // after cannot. Wait the current one out, then cancel what is posted.
  while (busy_.load()) rte_pause();
  io_uring_sync_cancel_reg reg{};
  reg.addr = k;  // by user_data: a hash lookup (by fd, the kernel walks every read posted)
  reg.timeout.tv_sec = -1;
  reg.timeout.tv_nsec = -1;
  int rc = io_uring_register_sync_cancel(&ring_, &reg);
  if (rc < 0 && rc != -ENOENT) log::warn("lcp: cannot cancel the read on a mirror's TAP: {}", std::strerror(-rc));
}

nlohmann::json MirrorHub::stats() const {
  return {{"mirrors", mirrors},
          {"buffers", kBufs},
          {"rx", rx_.load()},
          {"rx_errors", errors_.load()},
          {"gso_rx", gso_rx_.load()},
          {"gso_tx", tx_ring.gso_tx()},
          {"csum_completed", csum_.load()},
          {"no_buffer", no_buf_.load()}};
}

MirrorHub& hub() {
  if (!g_hub) g_hub = new MirrorHub();
  return *g_hub;
}

uint32_t mirror_input(Thread& t, NodeRt& self) {
  auto* rl = static_cast<const RxList*>(self.rx.load(std::memory_order_acquire));
  if (!rl) return 0;
  auto* h = static_cast<MirrorHub*>(rl->q[0].port);
  rte_mbuf* pkts[256];
  uint16_t n = h->rx(t, 0, pkts, uint16_t(t.vsize()));
  const uint32_t* in = h->rx_ifs();
  for (uint32_t i = 0; i < n;) {
    uint32_t j = i + 1;
    while (j < n && in[j] == in[i]) j++;
    deliver_rx(t, self, in[i], pkts + i, j - i);
    i = j;
  }
  return n;
}

NodeRegistration reg{{.name = "lcp-mirror-input", .input = mirror_input}};

}  // namespace

MirrorPort::MirrorPort(const TapArgs& a) : host_if_(a.host_if), host_ns_(a.host_ns) {
  MirrorHub& h = hub();
  h.mirrors++;
  try {
    TapArgs g = a;
    g.gso = true;
    fd_ = tap_open(g, host_if_);
  } catch (...) {
    if (!--h.mirrors) {
      delete g_hub;
      g_hub = nullptr;
    }
    throw;
  }
}

MirrorPort::~MirrorPort() {
  if (sw_if_ != kNoIf) g_hub->detach(sw_if_);
  if (ifindex_)
    g_retired.push_back({host_ns_, ifindex_, fd_});
  else
    close(fd_);
  if (!--g_hub->mirrors) {
    delete g_hub;
    g_hub = nullptr;
  }
}

void mirror_flush_retired() {
  if (g_retired.empty()) return;
  std::map<std::string, std::vector<int>> by_ns;
  for (auto& r : g_retired) by_ns[r.netns].push_back(r.ifindex);
  for (auto& [ns, v] : by_ns) host_delete_links(ns, v);
  for (auto& r : g_retired) close(r.fd);
  g_retired.clear();
}

void MirrorPort::attach(uint32_t sw_if, int ifindex) {
  sw_if_ = sw_if;
  ifindex_ = ifindex;
  g_hub->attach(sw_if, fd_);
}

uint16_t MirrorPort::tx(Thread& t, rte_mbuf** p, uint16_t n) { return g_hub->tx_ring.send(t, fd_, p, n); }

void MirrorPort::set_admin(bool up) {
  admin_ = up;
  carrier();
}

void MirrorPort::set_link(bool up) {
  if (up == link_) return;
  link_ = up;
  carrier();
}

void MirrorPort::carrier() {
  int on = admin_ && link_ ? 1 : 0;
  ioctl(fd_, TUNSETCARRIER, &on);
}

nlohmann::json MirrorPort::hw_info() const {
  return {{"host_if", host_if_},
          {"host_ns", host_ns_.empty() ? "(vplaned's)" : host_ns_},
          {"vnet_hdr", kVnetHdr},
          {"offloads", "csum tso4 tso6 (gso)"},
          {"ring", "shared by all mirrors"}};
}

nlohmann::json mirror_hub_stats() { return g_hub ? g_hub->stats() : nlohmann::json(nullptr); }

}  // namespace vp
