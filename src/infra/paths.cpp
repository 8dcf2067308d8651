#include "infra/paths.hpp"

namespace vp {
std::string& state_dir() {
  static std::string s = "/run/vplane/vplane";
  return s;
}
std::string& instance_name() {
  static std::string s = "vplane";
  return s;
}
}  // namespace vp
