// set interface tcp-mss-clamp and show interface tcp-mss-clamp (VPP's
// words), and their lines of show running-config.
//
// Each "ip4 <dir>" or "ip6 <dir>" sets that family whole: without its
// "-mss <n>" the clamp is the interface's default (MTU minus 40 or 60).
// A family the line does not name keeps what it has.
#include <fmt/format.h>

#include "control/cli.hpp"
#include "features/mss_clamp/mss_clamp_ops.hpp"
#include "infra/error.hpp"
#include "io/interface.hpp"

namespace vp::mss {

namespace {

const char* const kDirWords[] = {"disable", "rx", "tx", "enable"};  // indexed by Dir

// The line up to the word being read, as an error quotes it.
std::string so_far(const Args& a) {
  const auto& t = a.tokens();
  return fmt::format("{}", fmt::join(t.begin(), t.begin() + long(a.pos()), " "));
}

uint8_t parse_dir(Args& a) {
  if (a.done()) fail("'{}' is incomplete: expected enable, disable, rx or tx", so_far(a));
  for (uint8_t d = kOff; d <= kBoth; d++)
    if (a.accept(kDirWords[d])) return d;
  fail("unknown word '{}' after '{}': expected enable, disable, rx or tx", a.peek(), so_far(a));
}

uint16_t parse_mss(Args& a, const char* what) {
  const uint64_t v = a.num(what, 65535);
  if (v < kMinMss)
    fail("{} {} is below {}, the smallest clamp taken (leave {} out for the MTU's default)", what, v, kMinMss, what);
  return uint16_t(v);
}

void set_clamp(Args& a, Out&) {
  Interface& i = a.iface();
  std::optional<Family> v4, v6;
  std::optional<uint16_t> mss4, mss6;
  if (a.done()) fail("'{}' is incomplete: expected ip4 or ip6", so_far(a));
  while (!a.done()) {
    const std::string w = a.word("");
    auto once = [&](bool given) {
      if (given) fail("'{}' given twice", w);
    };
    if (w == "ip4") {
      once(v4.has_value());
      v4 = Family{.dir = parse_dir(a)};
    } else if (w == "ip6") {
      once(v6.has_value());
      v6 = Family{.dir = parse_dir(a)};
    } else if (w == "ip4-mss") {
      once(mss4.has_value());
      mss4 = parse_mss(a, "ip4-mss");
    } else if (w == "ip6-mss") {
      once(mss6.has_value());
      mss6 = parse_mss(a, "ip6-mss");
    } else {
      fail("unknown word '{}': expected ip4, ip6, ip4-mss or ip6-mss", w);
    }
  }
  auto attach = [](std::optional<Family>& f, const std::optional<uint16_t>& mss, const char* fam) {
    if (!mss) return;
    if (!f) fail("{}-mss needs '{} enable', '{} rx' or '{} tx' on the same line", fam, fam, fam, fam);
    f->mss = *mss;
  };
  attach(v4, mss4, "ip4");
  attach(v6, mss6, "ip6");
  set(i.index, v4, v6);
}

std::string dir_text(uint8_t d) { return d == kOff ? "disabled" : d == kBoth ? "rx tx" : d == kRx ? "rx" : "tx"; }

std::string mss_text(const Family& f, uint16_t in_effect, uint32_t mtu) {
  if (f.dir == kOff) return "-";
  return f.mss ? fmt::format("{}", in_effect) : fmt::format("{} (MTU {})", in_effect, mtu);
}

nlohmann::json family_json(const Family& f, uint16_t in_effect) {
  return {{"rx", bool(f.dir & kRx)}, {"tx", bool(f.dir & kTx)}, {"mss", in_effect}, {"configured_mss", f.mss}};
}

void show_clamp(Args& a, Out& o) {
  std::vector<IfClamp> rows;
  if (a.done()) {
    rows = list();
  } else {
    rows.push_back(get(a.iface().index));
    a.end();
  }
  nlohmann::json arr = nlohmann::json::array();
  if (!rows.empty()) o.line("{:<24} {:<9} {:<16} {:<9} {}", "Interface", "IPv4", "IPv4 MSS", "IPv6", "IPv6 MSS");
  for (const IfClamp& r : rows) {
    const Interface* i = ifs().at(r.sw_if_index);
    o.line("{:<24} {:<9} {:<16} {:<9} {}", i->name, dir_text(r.v4.dir), mss_text(r.v4, r.mss4, i->mtu),
           dir_text(r.v6.dir), mss_text(r.v6, r.mss6, i->mtu));
    arr.push_back({{"interface", i->name},
                   {"sw_if_index", r.sw_if_index},
                   {"ip4", family_json(r.v4, r.mss4)},
                   {"ip6", family_json(r.v6, r.mss6)}});
  }
  if (rows.empty()) o.line("no interface clamps the TCP MSS");
  if (o.json) o.j = arr;
}

CliRegistration cmds[] = {
    {{"set interface tcp-mss-clamp",
      "set interface tcp-mss-clamp <if> [ip4 <enable|disable|rx|tx> [ip4-mss <n>]] [ip6 <enable|disable|rx|tx> "
      "[ip6-mss <n>]]",
      "lower the MSS option of TCP SYN and SYN-ACK segments (default: MTU - 40 for IPv4, MTU - 60 for IPv6)",
      set_clamp}},
    {{"show interface tcp-mss-clamp", "show interface tcp-mss-clamp [<if>]",
      "TCP MSS clamping: direction and MSS of each interface and family", show_clamp}},
};

// After the interfaces and their MTUs (10), addresses (15) and Linux
// mirrors (16), which the lines name.
RunningConfigRegistration rc{17, [](std::vector<std::string>& out) {
                               for (const IfClamp& r : list()) {
                                 std::string l = "set interface tcp-mss-clamp " + ifs().at(r.sw_if_index)->name;
                                 for (auto [f, fam] : {std::pair{r.v4, "ip4"}, std::pair{r.v6, "ip6"}}) {
                                   if (f.dir == kOff) continue;
                                   l += fmt::format(" {} {}", fam, kDirWords[f.dir]);
                                   if (f.mss) l += fmt::format(" {}-mss {}", fam, f.mss);
                                 }
                                 out.push_back(l);
                               }
                             }};

}  // namespace

}  // namespace vp::mss
