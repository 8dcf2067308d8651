#include "control/cli_server.hpp"

#include <grp.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>

#include "control/cli.hpp"
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
  unlink(path_.c_str());
  if (bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 || listen(fd_, 16) != 0)
    fail("cannot listen on CLI socket {}: {}", path_, std::strerror(errno));
  chmod(path_.c_str(), mode);
  if (!group.empty()) {
    struct group* g = getgrnam(group.c_str());
    if (!g) fail("unknown group '{}' for the CLI socket", group);
    if (chown(path_.c_str(), uid_t(-1), g->gr_gid) != 0) log::warn("cannot chgrp {} to {}", path_, group);
  }
  loop_.add_fd(fd_, [this] { accept_one(); });
}

CliServer::~CliServer() {
  for (auto& [fd, b] : bufs_) close(fd);
  loop_.del_fd(fd_);
  close(fd_);
  unlink(path_.c_str());
}

void CliServer::accept_one() {
  int c = accept4(fd_, nullptr, nullptr, SOCK_CLOEXEC | SOCK_NONBLOCK);
  if (c < 0) return;
  bufs_[c] = {};
  loop_.add_fd(c, [this, c] { readable(c); });
}

void CliServer::close_client(int fd) {
  loop_.del_fd(fd);
  bufs_.erase(fd);
  close(fd);
}

static bool write_all(int fd, const std::string& s) {
  size_t off = 0;
  while (off < s.size()) {
    ssize_t w = write(fd, s.data() + off, s.size() - off);
    if (w < 0 && errno == EAGAIN) {
      usleep(100);
      continue;
    }
    if (w <= 0) return false;
    off += size_t(w);
  }
  return true;
}

void CliServer::readable(int fd) {
  char tmp[65536];
  ssize_t n = read(fd, tmp, sizeof tmp);
  if (n <= 0) {
    if (n < 0 && errno == EAGAIN) return;
    return close_client(fd);
  }
  std::string& b = bufs_[fd];
  b.append(tmp, size_t(n));
  while (b.size() >= 5) {
    uint32_t len;
    std::memcpy(&len, b.data(), 4);
    if (len < 1 || len > kCliMaxRequest) {
      std::string msg = "malformed request: bad length";
      uint32_t rl = uint32_t(msg.size() + 1);
      write_all(fd, std::string(reinterpret_cast<char*>(&rl), 4) + '\1' + msg);
      return close_client(fd);
    }
    if (b.size() < 4 + len) return;
    bool json = b[4] & 1;
    std::string cmd = b.substr(5, len - 1);
    b.erase(0, 4 + len);
    CliResult r = Cli::get().execute(cmd, json);
    if (!r.ok) log::debug("cli: '{}': {}", cmd, r.text);
    uint32_t rl = uint32_t(r.text.size() + 1);
    std::string out(reinterpret_cast<char*>(&rl), 4);
    out += r.ok ? '\0' : '\1';
    out += r.text;
    if (!write_all(fd, out)) return close_client(fd);
  }
}

}  // namespace vp
