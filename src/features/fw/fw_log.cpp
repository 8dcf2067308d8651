// The main thread's half of the flow logs: drains the workers' rings,
// formats RFC 5424 messages in the RT_FLOW shape and sends them to the
// configured streams (fw_log.hpp).
#include "features/fw/fw_log.hpp"

#include <arpa/inet.h>
#include <fmt/chrono.h>
#include <fmt/format.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>

#include "control/event_loop.hpp"
#include "control/lifecycle.hpp"
#include "features/fw/fw_names.hpp"
#include "features/fw/fw_state.hpp"
#include "graph/threads.hpp"
#include "infra/log.hpp"

namespace vp::fw {

namespace {
struct Sender {
  int fd4 = -1, fd6 = -1;
  LogStats st{};
  // Token bucket: `rate` a second, a second's worth of burst.
  double tokens = kLogRateDefault;
  std::chrono::steady_clock::time_point last = std::chrono::steady_clock::now();
  std::string host = [] {
    char h[256] = {};
    gethostname(h, sizeof h - 1);
    return std::string(*h ? h : "-");
  }();
};
Sender& sender() {
  static Sender s;
  return s;
}

const char* reason_text(CloseReason r) {
  switch (r) {
    case CloseReason::kTimeout:
      return "idle Timeout";
    case CloseReason::kTcpFin:
      return "TCP FIN";
    case CloseReason::kTcpRst:
      return "TCP RST";
    case CloseReason::kPolicy:
      return "policy delete";
    case CloseReason::kClear:
      return "clear session";
    case CloseReason::kReopen:
      return "TCP reopen";
    default:
      return "N/A";
  }
}

// RFC 5424: PRI (facility user, severity info), version, timestamp,
// hostname, app-name, procid, msgid, structured data, message.
std::string format(const LogEvent& e, const std::string& host) {
  const uint8_t ini = e.init_side, rsp = ini ^ 1;
  const std::string src = session_addr(e.key.addr[ini]).str(), dst = session_addr(e.key.addr[rsp]).str();
  const uint16_t sp = rte_be_to_cpu_16(e.key.port[ini]), dp = rte_be_to_cpu_16(e.key.port[rsp]);
  const char* id = e.kind == LogKind::kCreate  ? "RT_FLOW_SESSION_CREATE"
                   : e.kind == LogKind::kClose ? "RT_FLOW_SESSION_CLOSE"
                                               : "RT_FLOW_SESSION_DENY";
  const auto now = std::chrono::system_clock::now();
  std::string sd = fmt::format("[junos@2636.1.1.1.2.129");
  if (e.kind == LogKind::kClose) sd += fmt::format(" reason=\"{}\"", reason_text(e.reason));
  sd += fmt::format(
      " source-address=\"{}\" source-port=\"{}\" destination-address=\"{}\" destination-port=\"{}\""
      " protocol-id=\"{}\" policy-name=\"{}\" source-zone-name=\"{}\" destination-zone-name=\"{}\"",
      src, sp, dst, dp, e.key.proto, policy_name(e.policy), zone_name(e.zone[0]), zone_name(e.zone[1]));
  if (e.kind != LogKind::kDeny) {
    // The initiator's packet after translation (Junos' nat-* fields); the
    // original tuple when nothing was translated.
    auto v4 = [](uint32_t a) {
      IpAddr x;
      std::memcpy(x.b.data(), &a, 4);
      return x.str();
    };
    sd += fmt::format(
        " nat-source-address=\"{}\" nat-source-port=\"{}\" nat-destination-address=\"{}\""
        " nat-destination-port=\"{}\" src-nat-rule-name=\"N/A\" dst-nat-rule-name=\"N/A\"",
        e.nat ? v4(e.xaddr[0]) : src, e.nat ? rte_be_to_cpu_16(e.xport[0]) : sp, e.nat ? v4(e.xaddr[1]) : dst,
        e.nat ? rte_be_to_cpu_16(e.xport[1]) : dp);
  }
  if (e.kind == LogKind::kClose)
    sd += fmt::format(
        " packets-from-client=\"{}\" bytes-from-client=\"{}\" packets-from-server=\"{}\" bytes-from-server=\"{}\"",
        e.packets[0], e.bytes[0], e.packets[1], e.bytes[1]);
  sd += "]";
  const char* what = e.kind == LogKind::kCreate  ? "session created"
                     : e.kind == LogKind::kClose ? "session closed"
                                                 : "session denied";
  return fmt::format("<14>1 {:%Y-%m-%dT%H:%M:%S}Z {} RT_FLOW - {} {} {} {}/{}->{}/{} {}", now, host, id, sd, what, src,
                     sp, dst, dp, e.key.proto);
}

void send_one(Sender& s, const std::string& msg) {
  for (auto& [name, stream] : config().streams) {
    sockaddr_storage ss{};
    socklen_t len;
    int* fd;
    if (stream.host.v6) {
      auto* a = reinterpret_cast<sockaddr_in6*>(&ss);
      a->sin6_family = AF_INET6;
      a->sin6_port = htons(stream.port);
      std::memcpy(&a->sin6_addr, stream.host.b.data(), 16);
      len = sizeof *a;
      fd = &s.fd6;
    } else {
      auto* a = reinterpret_cast<sockaddr_in*>(&ss);
      a->sin_family = AF_INET;
      a->sin_port = htons(stream.port);
      std::memcpy(&a->sin_addr, stream.host.b.data(), 4);
      len = sizeof *a;
      fd = &s.fd4;
    }
    if (*fd < 0) *fd = socket(stream.host.v6 ? AF_INET6 : AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (*fd < 0 || sendto(*fd, msg.data(), msg.size(), 0, reinterpret_cast<sockaddr*>(&ss), len) < 0)
      s.st.send_errors++;
    else
      s.st.sent++;
  }
}

void drain() {
  Sender& s = sender();
  const auto now = std::chrono::steady_clock::now();
  s.tokens = std::min<double>(kLogRateDefault,
                              s.tokens + kLogRateDefault * std::chrono::duration<double>(now - s.last).count());
  s.last = now;
  const bool streams = !config().streams.empty();
  for (uint32_t t : threads().forwarding()) {
    FwWorker* w = g_fw_worker[t].load(std::memory_order_acquire);
    if (!w) continue;
    w->log.drain([&](const LogEvent& e) {
      if (!streams) return;
      if (s.tokens < 1) {
        s.st.rate_dropped++;
        return;
      }
      s.tokens -= 1;
      send_one(s, format(e, s.host));
    });
  }
}

StartRegistration start{[](EventLoop& loop) { loop.every(10, drain); }};
ShutdownRegistration stop{[] {
  Sender& s = sender();
  for (int* fd : {&s.fd4, &s.fd6})
    if (*fd >= 0) {
      close(*fd);
      *fd = -1;
    }
}};
}  // namespace

LogStats log_stats() {
  LogStats st = sender().st;
  for (uint32_t t : threads().forwarding())
    if (FwWorker* w = g_fw_worker[t].load()) st.lost += cread(w->c.log_lost);
  return st;
}

}  // namespace vp::fw
