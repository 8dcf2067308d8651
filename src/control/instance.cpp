#include "control/instance.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>

#include "infra/error.hpp"

namespace vp {

namespace {
int g_lock_fd = -1;
std::string g_lock_path;
}  // namespace

void instance_lock(const std::string& state_dir, const std::string& name) {
  std::error_code ec;
  std::filesystem::create_directories(state_dir, ec);
  std::string path = state_dir + "/vplaned.lock";
  int fd = open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) fail("cannot open the instance lock {}: {}", path, std::strerror(errno));
  if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
    std::string pid;
    std::ifstream(path) >> pid;
    close(fd);
    fail("vplaned instance '{}' is already running (pid {}): stop it first, or start this one with another --name",
         name, pid.empty() ? "unknown" : pid);
  }
  std::string pid = std::to_string(getpid()) + "\n";
  if (ftruncate(fd, 0) != 0 || pwrite(fd, pid.data(), pid.size(), 0) != ssize_t(pid.size()))
    fail("cannot write the instance lock {}: {}", path, std::strerror(errno));
  g_lock_fd = fd;
  g_lock_path = path;
}

void instance_unlock() {
  if (g_lock_fd < 0) return;
  unlink(g_lock_path.c_str());
  close(g_lock_fd);
  g_lock_fd = -1;
}

void claim_socket(const std::string& path, const char* what) {
  sockaddr_un a{};
  if (path.size() >= sizeof a.sun_path) fail("{} socket path '{}' is too long", what, path);
  a.sun_family = AF_UNIX;
  std::strcpy(a.sun_path, path.c_str());
  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) fail("cannot check the {} socket {}: {}", what, path, std::strerror(errno));
  bool live = connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
  close(fd);
  if (live)
    fail("the {} socket {} is in use by another process (another vplaned?): stop it or choose another path", what,
         path);
  unlink(path.c_str());
}

}  // namespace vp
