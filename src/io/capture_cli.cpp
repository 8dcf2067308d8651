// pcap trace rx|tx|drop [intfc <if>] max <n> file <path> / pcap trace off
#include "control/cli.hpp"
#include "graph/meta.hpp"
#include "infra/error.hpp"
#include "io/capture.hpp"
#include "io/interface.hpp"

namespace vp {

namespace {

void pcap_trace(Args& a, Out& o) {
  if (a.accept("off")) {
    a.end();
    auto st = capture_status();
    uint64_t n = capture_stop();
    o.line("Wrote {} packets to {}", n, st.file);
    if (o.json) o.j = {{"file", st.file}, {"packets", n}};
    return;
  }
  uint8_t points = 0;
  uint32_t sw_if = kNoIf;
  uint64_t max = 100;
  std::string file;
  while (!a.done()) {
    if (a.accept("rx"))
      points |= kCapRx;
    else if (a.accept("tx"))
      points |= kCapTx;
    else if (a.accept("drop"))
      points |= kCapDrop;
    else if (a.accept("intfc")) {
      if (a.accept("any"))
        sw_if = kNoIf;
      else
        sw_if = a.iface().index;
    } else if (a.accept("max"))
      max = a.num("max", 10000000);
    else if (a.accept("file"))
      file = a.word("file");
    else
      a.end();
  }
  if (file.empty()) fail("missing file <path>");
  if (file[0] != '/') file = "/tmp/" + file;  // as VPP: relative names go to /tmp
  capture_start(points, sw_if, max, file);
}

CliRegistration cmds[] = {
    {{"pcap trace", "pcap trace rx|tx|drop [intfc <if>|any] [max <n>] file <path> | pcap trace off",
      "capture packets to a pcapng file", pcap_trace}},
    {{"show pcap", "show pcap", "state of the pcap trace",
      [](Args& a, Out& o) {
        a.end();
        auto s = capture_status();
        o.line("{}", s.active ? "capture running, " + std::to_string(s.written) + " packets written to " + s.file
                              : "no capture running");
        if (o.json) o.j = {{"active", s.active}, {"file", s.file}, {"written", s.written}, {"max", s.max}};
      }}},
};

}  // namespace
}  // namespace vp
