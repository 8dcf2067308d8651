// show security screen statistics zone <z>: what each screen of the zone's
// profile dropped, summed over the workers, with Junos' names.
#include "control/cli.hpp"
#include "features/fw/fw_state.hpp"
#include "graph/threads.hpp"
#include "infra/error.hpp"

namespace vp::fw {

const char* const kScreenNames[kScreenCount] = {
    "",
    "ICMP flood",
    "UDP flood",
    "TCP SYN flood",
    "TCP land attack",
    "TCP SYN FIN",
    "TCP no flag",
    "TCP FIN no ACK",
    "TCP winnuke",
    "ICMP ping of death",
    "ICMP large packet",
    "IP tear drop",
    "IP source route option",
    "IP spoofing",
};

namespace {
void show_screen_statistics(Args& a, Out& o) {
  if (!a.accept("zone")) fail("expected 'zone <zone>'");
  const std::string name = a.word("zone");
  a.end();
  auto it = config().zones.find(name);
  if (it == config().zones.end()) fail("no zone '{}': see show security zones", name);
  const uint8_t z = it->second.id;
  o.line("Screen statistics:");
  o.line("  Zone: {}, profile: {}", name, it->second.screen.empty() ? "(none)" : it->second.screen);
  nlohmann::json j = {{"zone", name}, {"profile", it->second.screen}};
  nlohmann::json counts = nlohmann::json::object();
  for (uint32_t r = 1; r < kScreenCount; r++) {
    uint64_t v = 0;
    for (uint32_t t : threads().forwarding())
      if (FwWorker* w = g_fw_worker[t].load()) v += cread(w->screen_drops[z][r]);
    o.line("  {:<28}{}", kScreenNames[r], v);
    counts[kScreenNames[r]] = v;
  }
  j["counters"] = counts;
  if (o.json) o.j = j;
}

CliRegistration cmd{{"show security screen statistics", "show security screen statistics zone <zone>",
                     "what a zone's screens dropped", show_screen_statistics}};
}  // namespace

}  // namespace vp::fw
