#pragma once
// Control-plane errors: one line that names what is wrong. Thrown by the
// typed operations layer before anything is changed, caught by the CLI/API.
#include <fmt/format.h>

#include <stdexcept>
#include <string>

namespace vp {

struct Error : std::runtime_error {
  using std::runtime_error::runtime_error;
};

template <typename... A>
[[noreturn]] inline void fail(fmt::format_string<A...> f, A&&... a) {
  throw Error(fmt::format(f, std::forward<A>(a)...));
}

}  // namespace vp
