#include "control/metrics.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstring>

#include "control/cli.hpp"
#include "graph/threads.hpp"
#include "infra/error.hpp"
#include "infra/parse.hpp"

namespace vp {

namespace {
nlohmann::json show(const char* cmd) {
  CliResult r = Cli::get().execute(cmd, true);
  return r.ok ? nlohmann::json::parse(r.text) : nlohmann::json();
}

std::string label(const std::string& v) {
  std::string o;
  for (char c : v) {
    if (c == '\\' || c == '"') o += '\\';
    if (c == '\n') {
      o += "\\n";
      continue;
    }
    o += c;
  }
  return o;
}

std::vector<std::function<void(MetricsOut&)>>& sources() {
  static std::vector<std::function<void(MetricsOut&)>> v;
  return v;
}
}  // namespace

MetricsRegistration::MetricsRegistration(std::function<void(MetricsOut&)> fn) { sources().push_back(std::move(fn)); }

std::string metrics_text() {
  MetricsOut o;
  auto ifs = show("show interface");
  static const std::pair<const char*, const char*> if_counters[] = {{"rx_packets", "packets received"},
                                                                    {"rx_bytes", "bytes received"},
                                                                    {"tx_packets", "packets sent"},
                                                                    {"tx_bytes", "bytes sent"},
                                                                    {"drops", "packets dropped after arrival"},
                                                                    {"tx_errors", "packets not sent"},
                                                                    {"rx_missed", "packets the port could not receive"},
                                                                    {"punts", "packets handed to the control plane"}};
  for (auto& [k, text] : if_counters) {
    std::string name = fmt::format("vplane_interface_{}_total", k);
    o.help(name.c_str(), "counter", text);
    for (auto& i : ifs)
      if (i.contains("counters") && i["counters"].contains(k))
        o.line(name.c_str(), fmt::format("interface=\"{}\"", label(i["name"])), i["counters"][k].get<uint64_t>());
  }
  o.help("vplane_interface_up", "gauge", "1 when the interface is admin up");
  for (auto& i : ifs)
    o.line("vplane_interface_up", fmt::format("interface=\"{}\"", label(i["name"])), i["admin_up"] ? 1 : 0);

  auto rt = show("show runtime");
  static const std::pair<const char*, const char*> node_counters[] = {
      {"calls", "node dispatches"}, {"vectors", "packets processed"}, {"clocks", "TSC clocks spent"}};
  for (auto& [k, text] : node_counters) {
    std::string name = fmt::format("vplane_node_{}_total", k);
    o.help(name.c_str(), "counter", text);
    for (auto& t : rt["threads"])
      for (auto& n : t["nodes"])
        o.line(name.c_str(), fmt::format("thread=\"{}\",node=\"{}\"", t["thread"].get<int>(), label(n["name"])),
               n[k].get<uint64_t>());
  }
  o.help("vplane_node_vectors_per_call", "gauge", "average packets per dispatch since the last clear");
  for (auto& t : rt["threads"])
    for (auto& n : t["nodes"])
      o.line("vplane_node_vectors_per_call",
             fmt::format("thread=\"{}\",node=\"{}\"", t["thread"].get<int>(), label(n["name"])),
             n["vectors_per_call"].get<double>());
  // Raw (monotonic, not reset by "clear runtime"), per thread: threads differ.
  o.help("vplane_poll_gap_seconds", "histogram", "time between two polls of a thread's inputs");
  double sec = 1.0 / rt["tsc_hz"].get<double>();
  for (uint32_t t = 0; t < threads().size(); t++) {
    LoopTime& lt = threads().at(t).loop_time();
    uint64_t cum = 0;
    int next = 0;
    for (int k = 10; k <= 36; k++) {  // 2^10 clocks (~0.3 us) to 2^36 (~20 s)
      for (; next < LoopTime::bucket(uint64_t(1) << k); next++) cum += lt.count(next);
      o.line("vplane_poll_gap_seconds_bucket",
             fmt::format("thread=\"{}\",le=\"{:.3g}\"", t, double(uint64_t(1) << k) * sec), cum);
    }
    for (; next < LoopTime::kBuckets; next++) cum += lt.count(next);
    o.line("vplane_poll_gap_seconds_bucket", fmt::format("thread=\"{}\",le=\"+Inf\"", t), cum);
    o.line("vplane_poll_gap_seconds_sum", fmt::format("thread=\"{}\"", t), double(lt.sum()) * sec);
    o.line("vplane_poll_gap_seconds_count", fmt::format("thread=\"{}\"", t), cum);
  }
  o.help("vplane_poll_gap_max_seconds", "gauge", "longest time between two polls since the last \"clear runtime\"");
  for (uint32_t t = 0; t < threads().size(); t++)
    o.line("vplane_poll_gap_max_seconds", fmt::format("thread=\"{}\"", t),
           double(threads().at(t).loop_time().max()) * sec);
  o.help("vplane_tsc_hz", "gauge", "TSC frequency (clocks to seconds)");
  o.line("vplane_tsc_hz", "", rt["tsc_hz"].get<uint64_t>());

  o.help("vplane_errors_total", "counter", "per-node error and drop counters, by reason");
  for (auto& e : show("show errors"))
    o.line("vplane_errors_total", fmt::format("node=\"{}\",reason=\"{}\"", label(e["node"]), label(e["reason"])),
           e["count"].get<uint64_t>());

  auto b = show("show buffers");
  o.help("vplane_buffers", "gauge", "packet buffers by state");
  o.line("vplane_buffers", fmt::format("pool=\"{}\",state=\"available\"", label(b["pool"])),
         b["available"].get<uint64_t>());
  o.line("vplane_buffers", fmt::format("pool=\"{}\",state=\"in_use\"", label(b["pool"])), b["in_use"].get<uint64_t>());
  for (auto& f : sources()) f(o);
  return o.s;
}

MetricsServer::MetricsServer(EventLoop& loop, const std::string& listen) : loop_(loop) {
  auto colon = listen.rfind(':');
  if (colon == std::string::npos) fail("metrics: '{}' is not <address>:<port>", listen);
  std::string host = listen.substr(0, colon), port_s = listen.substr(colon + 1);
  uint16_t port = uint16_t(parse_uint(port_s, 65535, "metrics port"));
  sockaddr_storage ss{};
  socklen_t len;
  if (host.size() > 2 && host.front() == '[') {
    auto* a = reinterpret_cast<sockaddr_in6*>(&ss);
    a->sin6_family = AF_INET6;
    a->sin6_port = htons(port);
    if (inet_pton(AF_INET6, host.substr(1, host.size() - 2).c_str(), &a->sin6_addr) != 1 ||
        !IN6_IS_ADDR_LOOPBACK(&a->sin6_addr))
      fail("metrics: {} is not a loopback address", host);
    len = sizeof *a;
  } else {
    auto* a = reinterpret_cast<sockaddr_in*>(&ss);
    a->sin_family = AF_INET;
    a->sin_port = htons(port);
    if (inet_pton(AF_INET, host.c_str(), &a->sin_addr) != 1 || (ntohl(a->sin_addr.s_addr) >> 24) != 127)
      fail("metrics: {} is not a loopback address (127.x.x.x or [::1])", host);
    len = sizeof *a;
  }
  fd_ = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  int one = 1;
  setsockopt(fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  if (fd_ < 0 || bind(fd_, reinterpret_cast<sockaddr*>(&ss), len) != 0 || ::listen(fd_, 16) != 0) {
    int e = errno;
    if (fd_ >= 0) close(fd_);
    fail("metrics: cannot listen on {}: {}", listen, strerror(e));
  }
  loop_.add_fd(fd_, [this] { accept_one(); });
}

MetricsServer::~MetricsServer() {
  for (auto& [fd, b] : std::map(bufs_)) close_client(fd);
  loop_.del_fd(fd_);
  close(fd_);
}

void MetricsServer::accept_one() {
  int c = accept4(fd_, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
  if (c < 0) return;
  if (bufs_.size() >= 64) {  // scrapers are few; refuse a flood
    close(c);
    return;
  }
  bufs_[c];
  loop_.add_fd(c, [this, c] { readable(c); });
}

void MetricsServer::close_client(int fd) {
  loop_.del_fd(fd);
  bufs_.erase(fd);
  close(fd);
}

void MetricsServer::readable(int fd) {
  char buf[2048];
  ssize_t n = read(fd, buf, sizeof buf);
  if (n <= 0) return close_client(fd);
  std::string& b = bufs_[fd];
  b.append(buf, size_t(n));
  if (b.size() > 8192) return close_client(fd);
  if (b.find("\r\n\r\n") == std::string::npos) return;
  std::string body, status = "200 OK";
  if (b.rfind("GET /metrics ", 0) == 0 || b.rfind("GET /metrics?", 0) == 0)
    body = metrics_text();
  else
    status = "404 Not Found", body = "vplane serves GET /metrics\n";
  std::string resp = fmt::format(
      "HTTP/1.1 {}\r\nContent-Type: text/plain; version=0.0.4; charset=utf-8\r\nContent-Length: {}\r\n"
      "Connection: close\r\n\r\n{}",
      status, body.size(), body);
  // A scrape is small: send it whole, waiting at most a second on a slow reader.
  int flags = fcntl(fd, F_GETFL);
  fcntl(fd, F_SETFL, flags & ~O_NONBLOCK);
  timeval tv{1, 0};
  setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
  for (size_t off = 0; off < resp.size();) {
    ssize_t w = send(fd, resp.data() + off, resp.size() - off, MSG_NOSIGNAL);
    if (w <= 0) break;
    off += size_t(w);
  }
  close_client(fd);
}

}  // namespace vp
