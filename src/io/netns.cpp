#include "io/netns.hpp"

#include <fcntl.h>
#include <sched.h>
#include <unistd.h>

#include <cstring>

#include "infra/error.hpp"
#include "infra/log.hpp"

namespace vp {

void check_netns_name(const std::string& ns) {
  if (ns.find_first_of("/ \t") != std::string::npos) fail("'{}' is not a namespace name", ns);
}

NetnsGuard::NetnsGuard(const std::string& ns) {
  if (ns.empty()) return;
  std::string path = ns.find('/') == std::string::npos ? "/var/run/netns/" + ns : ns;
  int target = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (target < 0) fail("network namespace '{}' not found (create it with 'ip netns add {}')", ns, ns);
  orig_ = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
  if (orig_ < 0 || setns(target, CLONE_NEWNET) != 0) {
    int e = errno;
    close(target);
    if (orig_ >= 0) close(orig_);
    orig_ = -1;
    fail("cannot enter network namespace '{}': {}", ns, std::strerror(e));
  }
  close(target);
}

NetnsGuard::~NetnsGuard() {
  if (orig_ < 0) return;
  if (setns(orig_, CLONE_NEWNET) != 0) log::error("cannot return to the original network namespace");
  close(orig_);
}

}  // namespace vp
