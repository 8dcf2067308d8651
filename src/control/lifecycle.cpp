#include "control/lifecycle.hpp"

#include <vector>

namespace vp {

namespace {
std::vector<std::function<void(EventLoop&)>>& starts() {
  static std::vector<std::function<void(EventLoop&)>> v;
  return v;
}
std::vector<std::function<void()>>& shutdowns() {
  static std::vector<std::function<void()>> v;
  return v;
}
}  // namespace

StartRegistration::StartRegistration(std::function<void(EventLoop&)> fn) { starts().push_back(std::move(fn)); }
ShutdownRegistration::ShutdownRegistration(std::function<void()> fn) { shutdowns().push_back(std::move(fn)); }

void run_start(EventLoop& loop) {
  for (auto& f : starts()) f(loop);
}

void run_shutdown() {
  for (auto it = shutdowns().rbegin(); it != shutdowns().rend(); ++it) (*it)();
}

}  // namespace vp
