#pragma once
#include <string>

namespace vp {
// Per-instance runtime directory (/run/vplane/<instance> by default).
std::string& state_dir();
std::string& instance_name();
}  // namespace vp
