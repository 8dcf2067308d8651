#include "infra/log.hpp"

#include <cstdio>
#include <ctime>
#include <mutex>

#include "infra/error.hpp"

namespace vp::log {
namespace {
Level g_level = Level::info;
FILE* g_out = stderr;
std::mutex g_mu;
const char* names[] = {"debug", "info", "warn", "error"};
}  // namespace

void set_level(Level l) { g_level = l; }
Level level() { return g_level; }

Level parse_level(const std::string& s) {
  for (int i = 0; i < 4; i++)
    if (s == names[i]) return Level(i);
  fail("unknown log level '{}' (use debug, info, warn or error)", s);
}

void set_target(const std::string& target) {
  if (target.empty() || target == "stderr") {
    g_out = stderr;
    return;
  }
  FILE* f = std::fopen(target.c_str(), "a");
  if (!f) fail("cannot open log file '{}'", target);
  g_out = f;
}

void write(Level l, const std::string& msg) {
  timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  tm t;
  gmtime_r(&ts.tv_sec, &t);
  std::lock_guard g(g_mu);
  std::fprintf(g_out, "%02d:%02d:%02d.%03ld vplaned %s: %s\n", t.tm_hour, t.tm_min, t.tm_sec, ts.tv_nsec / 1000000,
               names[int(l)], msg.c_str());
  std::fflush(g_out);
}

}  // namespace vp::log
