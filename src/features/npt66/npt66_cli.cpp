// NPTv6 commands: `set interface npt66`, `show npt66` (VPP's npt66 plugin
// says `show npt66 bindings` and prints "[n] internal: <pfx> external:
// <pfx>"; both forms work here, with the interface and the counters added),
// and the bindings' part of show running-config.
#include <fmt/format.h>

#include <optional>

#include "control/cli.hpp"
#include "features/npt66/npt66_ops.hpp"
#include "infra/error.hpp"
#include "io/interface.hpp"

namespace vp::npt66 {

namespace {

void set_cmd(Args& a, Out&) {
  BindingSpec b;
  b.sw_if = a.iface().index;
  std::optional<Prefix> internal, external;
  bool del = false;
  while (!a.done()) {
    const std::string w = a.word("");
    if (w == "internal")
      internal = parse_prefix(a.word("internal prefix"));
    else if (w == "external")
      external = parse_prefix(a.word("external prefix"));
    else if (w == "del")
      del = true;
    else
      fail("unknown word '{}': expected internal <prefix>, external <prefix> or del", w);
  }
  if (!internal) fail("missing internal <prefix>");
  if (!external) fail("missing external <prefix>");
  b.internal = *internal;
  b.external = *external;
  del ? delete_binding(b) : add_binding(b);
}

void show(Args& a, Out& o) {
  a.accept("bindings");
  a.end();
  nlohmann::json arr = nlohmann::json::array();
  for (const BindingInfo& b : bindings()) {
    const Interface* i = ifs().at(b.sw_if);
    const std::string ifname = i ? i->name : "?";
    const bool same = b.internal.len == b.external.len;
    o.line("[{}] internal: {} external: {} interface: {}{}", b.id, b.internal.str(), b.external.str(), ifname,
           same ? "" : fmt::format(" (both as /{})", b.length));
    o.line("    adjustment 0x{:04x}, translated out (source) {}, in (destination) {}", b.adjustment, b.translated_out,
           b.translated_in);
    arr.push_back({{"id", b.id},
                   {"interface", ifname},
                   {"sw_if_index", b.sw_if},
                   {"internal", b.internal.str()},
                   {"external", b.external.str()},
                   {"length", b.length},
                   {"adjustment", b.adjustment},
                   {"translated_out", b.translated_out},
                   {"translated_in", b.translated_in}});
  }
  if (o.json) o.j = arr;
}

CliRegistration cmds[] = {
    {{"set interface npt66", "set interface npt66 <if> internal <prefix> external <prefix> [del]",
      "NPTv6 (RFC 6296) on an outside interface: sources in the internal prefix leave in the external one, "
      "destinations in the external prefix come in to the internal one",
      set_cmd}},
    {{"show npt66", "show npt66 [bindings]",
      "NPTv6 bindings: prefixes, interface, checksum adjustment, packets translated each way", show}},
};

// After the interfaces, their addresses and the Linux mirrors (10, 15, 16)
// and the packet generator's streams (20); nothing names a binding.
RunningConfigRegistration rc{25, [](std::vector<std::string>& out) {
                               for (const BindingInfo& b : bindings())
                                 if (const Interface* i = ifs().at(b.sw_if))
                                   out.push_back(fmt::format("set interface npt66 {} internal {} external {}", i->name,
                                                             b.internal.str(), b.external.str()));
                             }};

}  // namespace

}  // namespace vp::npt66
