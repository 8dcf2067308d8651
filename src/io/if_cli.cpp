// Interface commands, in VPP's vocabulary, parsed into ops:: calls.
#include "io/if_cli.hpp"

#include <fmt/format.h>

#include "graph/threads.hpp"
#include "infra/error.hpp"
#include "io/if_ops.hpp"
#include "io/interface.hpp"

namespace vp {

void reply_created(Out& o, uint32_t idx) {
  Interface* i = ifs().at(idx);
  o.line("{}", i->name);
  if (o.json) o.j = {{"name", i->name}, {"sw_if_index", idx}};
}

CliCmd delete_cmd(std::string path, const char* kind, const char* keyword) {
  std::string syntax = path + (keyword ? std::string(" ") + keyword : "") + " <if>";
  return {path, syntax, std::string("remove a ") + kind + " interface", [kind, keyword](Args& a, Out&) {
            if (keyword && !a.accept(keyword)) fail("missing {} <if>", keyword);
            Interface& i = a.iface();
            if (std::string_view(i.port->kind()) != kind)
              fail("{} is a {} interface, not {}", i.name, i.port->kind(), kind);
            a.end();
            ops::delete_interface(i.index);
          }};
}

namespace {

nlohmann::json if_json(Interface& i) {
  IfCounters c = ifs().counters(i.index);
  uint64_t missed = i.port->rx_missed();
  return {{"name", i.name},
          {"sw_if_index", i.index},
          {"kind", i.port->kind()},
          {"admin_up", i.admin_up},
          {"link_up", i.port->link_up()},
          {"mtu", i.mtu},
          {"mac", i.mac.str()},
          {"l2", i.l2 == L2Mode::xconnect ? "xconnect" : "l3"},
          {"xconnect", i.xc_tx == kNoIf    ? ""
                       : ifs().at(i.xc_tx) ? ifs().at(i.xc_tx)->name
                                           : ""},
          {"counters",
           {{"rx_packets", c.rx_packets},
            {"rx_bytes", c.rx_bytes},
            {"tx_packets", c.tx_packets},
            {"tx_bytes", c.tx_bytes},
            {"drops", c.drops},
            {"tx_errors", c.tx_errors},
            {"rx_missed", missed},
            {"punts", c.punts}}}};
}

// "[<if>]": the one named, or all.
std::vector<Interface*> one_or_all(Args& a) {
  std::vector<Interface*> list = a.done() ? ifs().all() : std::vector<Interface*>{&a.iface()};
  a.end();
  return list;
}

void show_interface(Args& a, Out& o) {
  auto list = one_or_all(a);
  nlohmann::json arr = nlohmann::json::array();
  o.line("{:<28}{:>5}  {:<6}{:>6}  {:<16}{:>16}", "Name", "Idx", "State", "MTU", "Counter", "Count");
  for (auto* i : list) {
    auto j = if_json(*i);
    arr.push_back(j);
    std::string state = i->admin_up ? (i->port->link_up() ? "up" : "up/nl") : "down";
    auto& c = j["counters"];
    std::vector<std::pair<const char*, uint64_t>> rows;
    for (auto [what, key] : {std::pair{"rx packets", "rx_packets"},
                             {"rx bytes", "rx_bytes"},
                             {"tx packets", "tx_packets"},
                             {"tx bytes", "tx_bytes"},
                             {"drops", "drops"},
                             {"tx-error", "tx_errors"},
                             {"rx-miss", "rx_missed"},
                             {"punt", "punts"}})
      if (uint64_t v = c[key]) rows.push_back({what, v});
    if (rows.empty()) rows.push_back({"", 0});
    for (size_t r = 0; r < rows.size(); r++) {
      std::string v = rows[r].second ? std::to_string(rows[r].second) : "";
      if (r == 0)
        o.line("{:<28}{:>5}  {:<6}{:>6}  {:<16}{:>16}", i->name, i->index, state, i->mtu, rows[r].first, v);
      else
        o.line("{:<49}{:<16}{:>16}", "", rows[r].first, v);
    }
  }
  if (o.json) o.j = arr;
}

CliRegistration cmds[] = {
    {{"set interface state", "set interface state <if> up|down", "admin state (interfaces are created down)",
      [](Args& a, Out&) {
        Interface& i = a.iface();
        bool up;
        if (a.accept("up"))
          up = true;
        else if (a.accept("down"))
          up = false;
        else
          fail("say up or down");
        a.end();
        ops::set_state(i.index, up);
      }}},
    {{"set interface mtu", "set interface mtu [packet] <n> <if>", "interface MTU",
      [](Args& a, Out&) {
        a.accept("packet");
        uint32_t mtu = uint32_t(a.num("MTU", 65535));
        Interface& i = a.iface();
        a.end();
        ops::set_mtu(i.index, mtu);
      }}},
    {{"set interface mac address", "set interface mac address <if> <mac>", "interface MAC address",
      [](Args& a, Out&) {
        Interface& i = a.iface();
        Mac m = parse_mac(a.word("MAC address"));
        a.end();
        ops::set_mac(i.index, m);
      }}},
    {{"set interface l2 xconnect", "set interface l2 xconnect <rx-if> <tx-if>",
      "frames received on rx-if leave unchanged on tx-if (one direction)",
      [](Args& a, Out&) {
        Interface& rx = a.iface();
        Interface& tx = a.iface();
        a.end();
        ops::set_xconnect(rx.index, tx.index);
      }}},
    {{"set interface l3", "set interface l3 <if>", "return an interface to L3 (undo xconnect)",
      [](Args& a, Out&) {
        Interface& i = a.iface();
        a.end();
        ops::set_l3(i.index);
      }}},
    {{"set interface rx-placement", "set interface rx-placement <if> [queue <q>] worker <n>",
      "pin an rx queue to a worker",
      [](Args& a, Out&) {
        Interface& i = a.iface();
        uint16_t q = 0;
        if (a.accept("queue")) q = uint16_t(a.num("queue", 65535));
        if (!a.accept("worker")) fail("missing worker <n>");
        uint32_t w = uint32_t(a.num("worker", 1024));
        a.end();
        ops::set_rx_placement(i.index, q, w);
      }}},
    {{"set interface feature", "set interface feature <if> <feature> arc <arc> [disable]",
      "enable a feature node on an interface's feature arc",
      [](Args& a, Out&) {
        Interface& i = a.iface();
        auto f = a.word("feature");
        if (!a.accept("arc")) fail("missing arc <arc>");
        auto arc = a.word("arc");
        bool dis = a.accept("disable");
        a.end();
        ops::set_feature(i.index, arc, f, !dis);
      }}},
    {{"show interface", "show interface [<if>]", "interfaces, state and counters", show_interface}},
    {{"show interface addr", "show interface addr", "interfaces and their addresses",
      [](Args& a, Out& o) {
        a.end();
        nlohmann::json arr = nlohmann::json::array();
        for (auto* i : ifs().all()) {
          o.line("{} ({})", i->name, i->admin_up ? "up" : "dn");
          if (i->l2 == L2Mode::xconnect && ifs().at(i->xc_tx)) o.line("  L2 xconnect {}", ifs().at(i->xc_tx)->name);
          nlohmann::json addrs = nlohmann::json::array();
          for (auto& p : i->addrs) {
            o.line("  L3 {}", p.str());
            addrs.push_back(p.str());
          }
          arr.push_back({{"name", i->name}, {"admin_up", i->admin_up}, {"addresses", addrs}});
        }
        if (o.json) o.j = arr;
      }}},
    {{"show hardware-interfaces", "show hardware-interfaces [<if>]", "what backs each interface",
      [](Args& a, Out& o) {
        auto list = one_or_all(a);
        nlohmann::json arr = nlohmann::json::array();
        for (auto* i : list) {
          auto hw = i->port->hw_info();
          o.line("{:<28}{:>5}  {}  driver {}  mac {}", i->name, i->index, i->port->link_up() ? "up" : "down",
                 i->port->driver(), i->mac.str());
          for (auto& [k, v] : hw.items()) o.line("    {}: {}", k, v.dump());
          arr.push_back({{"name", i->name},
                         {"sw_if_index", i->index},
                         {"driver", i->port->driver()},
                         {"mac", i->mac.str()},
                         {"link_up", i->port->link_up()},
                         {"details", hw}});
        }
        if (o.json) o.j = arr;
      }}},
    {{"show interface rx-placement", "show interface rx-placement", "which thread polls which rx queue",
      [](Args& a, Out& o) {
        a.end();
        nlohmann::json arr = nlohmann::json::array();
        for (uint32_t t : threads().forwarding()) {
          o.line("Thread {}:", t);
          for (auto [sw, q] : ifs().placement(t)) {
            Interface* i = ifs().at(sw);
            std::string name = i ? i->name : sw == kNoIf ? "(one ring shared by several interfaces)" : "";
            if (name.empty()) continue;
            o.line("  {} queue {}", name, q);
            arr.push_back({{"thread", t}, {"interface", name}, {"queue", q}});
          }
        }
        if (o.json) o.j = arr;
      }}},
    {{"clear interfaces", "clear interfaces", "zero interface counters",
      [](Args& a, Out&) {
        a.end();
        ifs().clear_counters();
      }}},
};

RunningConfigRegistration rc{
    10, [](std::vector<std::string>& out) {
      auto all = ifs().all();
      std::erase_if(all, [](Interface* i) { return !i->owner.empty(); });  // their owner replays them
      for (auto* i : all)
        if (auto cmd = i->port->create_command(); !cmd.empty()) out.push_back(cmd);
      for (auto* i : all) {
        if (i->mtu != 1500) out.push_back(fmt::format("set interface mtu {} {}", i->mtu, i->name));
        if (i->mac_set) out.push_back(fmt::format("set interface mac address {} {}", i->name, i->mac.str()));
        if (i->admin_up) out.push_back(fmt::format("set interface state {} up", i->name));
      }
      for (auto* i : all) {
        if (i->l2 == L2Mode::xconnect && ifs().at(i->xc_tx))
          out.push_back(fmt::format("set interface l2 xconnect {} {}", i->name, ifs().at(i->xc_tx)->name));
        for (size_t q = 0; q < i->rx_worker.size(); q++)
          if (i->rx_worker[q] > 0)
            out.push_back(
                fmt::format("set interface rx-placement {} queue {} worker {}", i->name, q, i->rx_worker[q] - 1));
        for (auto& [arc, fs] : i->features)
          for (auto& f : fs)
            out.push_back(fmt::format("set interface feature {} {} arc {}", i->name, f, Arcs::get().arc(arc).name));
      }
    }};

}  // namespace
}  // namespace vp
