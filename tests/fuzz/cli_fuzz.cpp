// Fuzz target: arbitrary bytes as a CLI command (what a client may send on
// the socket). It must answer ok or a one-line error, never crash.
#include <string>

#include "control/cli.hpp"
#include "fuzz_env.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  vp::fuzz::init_once();
  std::string line(reinterpret_cast<const char*>(data), size);
  // Commands that would touch the host (files, Linux interfaces) are not
  // what this target is about.
  for (const char* skip : {"pcap", "create", "delete", "tap", "memif", "vhost", "af_xdp", "host-interface"})
    if (line.find(skip) != std::string::npos) return 0;
  auto r = vp::Cli::get().execute(line, size % 2);
  if (!r.ok && r.text.find('\n') != std::string::npos) __builtin_trap();
  return 0;
}
