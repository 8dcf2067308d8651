#pragma once
// Runs a block of main-thread code inside another network namespace and
// always returns to the original one (sockets and TAPs opened inside stay
// bound to that namespace).
#include <string>

namespace vp {

// A namespace name as "ip netns" makes them (no '/' or blanks); fails otherwise.
void check_netns_name(const std::string& ns);

class NetnsGuard {
 public:
  // "" = stay where we are; a name is looked up in /var/run/netns; a path is used as is.
  explicit NetnsGuard(const std::string& ns);
  ~NetnsGuard();
  NetnsGuard(const NetnsGuard&) = delete;

 private:
  int orig_ = -1;
};

}  // namespace vp
