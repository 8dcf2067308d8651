#include "control/cli_server.hpp"

#include <grp.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>

#include "control/cli.hpp"
#include "control/instance.hpp"
#include "infra/error.hpp"
#include "infra/log.hpp"

namespace vp {

CliServer::CliServer(EventLoop& loop, std::string path, uint32_t mode, const std::string& group)
    : loop_(loop), path_(std::move(path)) {
  sockaddr_un a{};
  if (path_.size() >= sizeof a.sun_path) fail("CLI socket path '{}' is too long", path_);
  std::error_code ec;
  std::filesystem::create_directories(std::filesystem::path(path_).parent_path(), ec);
  fd_ = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  a.sun_family = AF_UNIX;
  std::strcpy(a.sun_path, path_.c_str());
  claim_socket(path_, "CLI");
  if (bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 || listen(fd_, 16) != 0)
    fail("cannot listen on CLI socket {}: {}", path_, std::strerror(errno));
  chmod(path_.c_str(), mode);
  if (!group.empty()) {
    struct group* g = getgrnam(group.c_str());
    if (!g) fail("unknown group '{}' for the CLI socket", group);
    if (chown(path_.c_str(), uid_t(-1), g->gr_gid) != 0) log::warn("cannot chgrp {} to {}", path_, group);
  }
  loop_.add_fd(fd_, [this] { accept_one(); });
  loop_.every(10, [this, alive = alive_] {
    if (*alive) flush_pending();
  });
}

CliServer::~CliServer() {
  *alive_ = false;
  for (auto& [fd, c] : clients_) {
    loop_.del_fd(fd);
    close(fd);
  }
  loop_.del_fd(fd_);
  close(fd_);
  unlink(path_.c_str());
}

namespace {
uint64_t now_ms() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return uint64_t(ts.tv_sec) * 1000 + uint64_t(ts.tv_nsec) / 1000000;
}

std::string frame(bool ok, const std::string& text) {
  uint32_t len = uint32_t(text.size() + 1);
  std::string out(reinterpret_cast<char*>(&len), 4);
  out += ok ? '\0' : '\1';
  out += text;
  return out;
}
}  // namespace

void CliServer::accept_one() {
  int c = accept4(fd_, nullptr, nullptr, SOCK_CLOEXEC | SOCK_NONBLOCK);
  if (c < 0) return;
  clients_[c] = Client{{}, {}, now_ms()};
  loop_.add_fd(c, [this, c] { readable(c); });
}

void CliServer::close_client(int fd) {
  loop_.del_fd(fd);
  clients_.erase(fd);
  close(fd);
}

bool CliServer::flush(int fd, Client& c) {
  size_t off = 0;
  while (off < c.out.size()) {
    ssize_t w = send(fd, c.out.data() + off, c.out.size() - off, MSG_NOSIGNAL);
    if (w < 0 && errno == EAGAIN) break;
    if (w <= 0) return false;
    off += size_t(w);
  }
  if (off) c.progress_ms = now_ms();
  c.out.erase(0, off);
  return true;
}

void CliServer::serve(int fd, Client& c) {
  while (c.out.empty() && c.in.size() >= 5) {
    uint32_t len;
    std::memcpy(&len, c.in.data(), 4);
    if (len < 1 || len > kCliMaxRequest) {
      c.out = frame(false, "malformed request: bad length");
      flush(fd, c);
      return close_client(fd);
    }
    if (c.in.size() < 4 + len) break;
    bool json = c.in[4] & 1;
    std::string cmd = c.in.substr(5, len - 1);
    c.in.erase(0, 4 + len);
    CliResult r = Cli::get().execute(cmd, json);
    if (!r.ok) log::debug("cli: '{}': {}", cmd, r.text);
    c.out = frame(r.ok, r.text);
    c.progress_ms = now_ms();
    if (!flush(fd, c)) return close_client(fd);
  }
  // While a reply waits, the client's next requests stay in its socket.
  loop_.pause_fd(fd, !c.out.empty());
}

void CliServer::readable(int fd) {
  auto it = clients_.find(fd);
  if (it == clients_.end()) return;
  char tmp[65536];
  ssize_t n = read(fd, tmp, sizeof tmp);
  if (n <= 0) {
    if (n < 0 && errno == EAGAIN) return;
    return close_client(fd);
  }
  it->second.in.append(tmp, size_t(n));
  serve(fd, it->second);
}

void CliServer::flush_pending() {
  uint64_t now = now_ms();
  std::vector<int> stalled, gone, drained;
  for (auto& [fd, c] : clients_) {
    if (c.out.empty()) continue;
    if (!flush(fd, c))
      gone.push_back(fd);
    else if (c.out.empty())
      drained.push_back(fd);
    else if (now > c.progress_ms + kCliStallMs)  // progress_ms may be later than now: flush() just set it
      stalled.push_back(fd);
  }
  for (int fd : gone) close_client(fd);
  for (int fd : stalled) {
    log::warn("CLI client on fd {} took no reply bytes for {} s ({} waiting): disconnected", fd, kCliStallMs / 1000,
              clients_[fd].out.size());
    close_client(fd);
  }
  for (int fd : drained)
    if (auto it = clients_.find(fd); it != clients_.end()) serve(fd, it->second);
}

}  // namespace vp
