#pragma once
#include <fmt/format.h>

#include <string>

namespace vp::log {

enum class Level { debug = 0, info, warn, err };

void set_level(Level l);
Level level();
// "stderr" or a file path; throws vp::Error when the file cannot be opened.
void set_target(const std::string& target);
Level parse_level(const std::string& s);
void write(Level l, const std::string& msg);

template <typename... A>
void debug(fmt::format_string<A...> f, A&&... a) {
  if (level() <= Level::debug) write(Level::debug, fmt::format(f, std::forward<A>(a)...));
}
template <typename... A>
void info(fmt::format_string<A...> f, A&&... a) {
  if (level() <= Level::info) write(Level::info, fmt::format(f, std::forward<A>(a)...));
}
template <typename... A>
void warn(fmt::format_string<A...> f, A&&... a) {
  if (level() <= Level::warn) write(Level::warn, fmt::format(f, std::forward<A>(a)...));
}
template <typename... A>
void error(fmt::format_string<A...> f, A&&... a) {
  write(Level::err, fmt::format(f, std::forward<A>(a)...));
}

}  // namespace vp::log
