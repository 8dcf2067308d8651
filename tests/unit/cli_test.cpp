// CLI parsing: tokenizer, abbreviations, every command's error path, and
// that a rejected command changes nothing.
#include "control/cli.hpp"

#include <gtest/gtest.h>

#include "infra/error.hpp"
#include "io/interface.hpp"

namespace vp {
namespace {

CliResult run(const std::string& c) { return Cli::get().execute(c, false); }

TEST(Cli, TokenizerSplitsBracesAndQuotes) {
  EXPECT_EQ(Cli::tokenize("a  b\t{c}\n\"d e\""), (std::vector<std::string>{"a", "b", "{", "c", "}", "d e"}));
  EXPECT_THROW(Cli::tokenize("a \"b"), Error);
}

TEST(Cli, UnknownAndAmbiguousCommandsAreOneLineErrors) {
  auto r = run("frobnicate now");
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.text.find('\n'), std::string::npos);
  EXPECT_NE(r.text.find("unknown command"), std::string::npos);
  r = run("show in");  // interface / ...
  EXPECT_TRUE(r.ok || r.text.find("ambiguous") != std::string::npos);
}

TEST(Cli, EmptyQuotedWordsMatchNothingAndErrorsStayOneLine) {
  // Found by the CLI fuzzer: "" used to match every command word.
  for (const char* in : {"\n\n\"\"\"\"", "\"\" \"\"", "show\n\ninterface\tfoo"}) {
    auto r = run(in);
    EXPECT_FALSE(r.ok) << in;
    EXPECT_EQ(r.text.find('\n'), std::string::npos) << r.text;
  }
}

TEST(Cli, AbbreviatedWordsMatchUniquely) {
  auto r = run("sh vers");
  ASSERT_TRUE(r.ok) << r.text;
  EXPECT_NE(r.text.find("vplane"), std::string::npos);
}

TEST(Cli, JsonAnswers) {
  auto r = Cli::get().execute("show version", true);
  ASSERT_TRUE(r.ok);
  auto j = nlohmann::json::parse(r.text);
  EXPECT_TRUE(j.contains("version"));
  r = Cli::get().execute("show interface", true);
  ASSERT_TRUE(r.ok);
  EXPECT_TRUE(nlohmann::json::parse(r.text).is_array());
}

// Every registered command given a bogus argument answers with a one-line
// error (or, for the few that take free text, succeeds) and never crashes.
TEST(Cli, EveryCommandRejectsGarbageWithOneLine) {
  size_t before = ifs().all().size();
  for (auto& c : Cli::get().commands()) {
    if (c.path == "help") continue;
    auto r = run(c.path + " bogus-arg-xyz 999999999999999999999 ::");
    EXPECT_FALSE(r.ok) << c.path << " accepted garbage";
    EXPECT_EQ(r.text.find('\n'), std::string::npos) << c.path << ": " << r.text;
    EXPECT_FALSE(r.text.empty()) << c.path;
  }
  EXPECT_EQ(ifs().all().size(), before);
}

struct BadCase {
  const char* cmd;
  const char* expect;  // substring of the error
};

TEST(Cli, SpecificErrorsNameTheProblem) {
  BadCase cases[] = {
      {"create loopback interface mac 01:00:5e:00:00:01", "multicast"},
      {"create loopback interface mac zz:zz", "bad MAC"},
      {"set interface state nosuch0 up", "unknown interface 'nosuch0'"},
      {"create host-interface name does-not-exist0", "does not exist"},
      {"create interface af_xdp", "missing host-if"},
      {"create interface memif id 0 socket-id 9 master", "no memif socket id 9"},
      {"create interface memif id 0", "master or slave"},
      {"create memif socket id 1 filename relative.sock", "absolute"},
      {"create vhost-user socket relative", "absolute"},
      {"set interface mtu 10 nosuch", "unknown interface"},
      {"trace add ethernet-input 10", "not an input node"},
      {"trace add nosuch-node 10", "unknown node"},
      {"pcap trace rx max 10", "missing file"},
      {"pcap trace off", "no pcap trace"},
      {"set vector-size 0", "out of range"},
      {"set vector-size 512", "out of range"},
      {"packet-generator new name x data { }", "shorter than an Ethernet header"},
      {"packet-generator new name x size 64", "needs data"},
      {"packet-generator new size 64 data { IP4: 02:00:00:00:00:01 -> 02:00:00:00:00:02 }", "needs a name"},
      {"packet-generator enable-stream nosuch", "no packet-generator stream"},
      {"create packet-generator interface foo", "named pg<n>"},
      {"set interface rx-placement nosuch worker 0", "unknown interface"},
  };
  for (auto& c : cases) {
    auto r = run(c.cmd);
    EXPECT_FALSE(r.ok) << c.cmd;
    EXPECT_NE(r.text.find(c.expect), std::string::npos) << c.cmd << " -> " << r.text;
  }
}

TEST(Cli, RejectedCommandChangesNothing) {
  ASSERT_TRUE(run("create loopback interface").ok);
  Interface* i = ifs().find("loop0");
  ASSERT_NE(i, nullptr);
  auto rc_before = running_config();
  EXPECT_FALSE(run("set interface mtu 99999999 loop0").ok);
  EXPECT_FALSE(run("set interface state loop0 sideways").ok);
  EXPECT_FALSE(run("set interface l2 xconnect loop0 loop0").ok);
  EXPECT_FALSE(run("set interface mac address loop0 ff:ff:ff:ff:ff:ff").ok);
  EXPECT_EQ(running_config(), rc_before);
  EXPECT_FALSE(i->admin_up);
  EXPECT_EQ(i->mtu, 1500u);
  ASSERT_TRUE(run("delete loopback interface intfc loop0").ok);
}

TEST(Cli, RunningConfigReplaysToTheSameConfig) {
  ASSERT_TRUE(run("create packet-generator interface pg9").ok);
  ASSERT_TRUE(run("create null-sink interface null9").ok);
  ASSERT_TRUE(run("set interface state pg9 up").ok);
  ASSERT_TRUE(run("set interface mtu 9000 null9").ok);
  ASSERT_TRUE(run("set interface l2 xconnect pg9 null9").ok);
  ASSERT_TRUE(run("packet-generator new name rc size 64-128 count 5 data { IP4: 02:00:00:00:00:01 -> "
                  "02:00:00:00:00:02 UDP: 10.0.0.1 -> 10.0.0.2 - 10.0.0.9 UDP: 1 -> 2 }")
                  .ok);
  auto rc1 = running_config();
  std::string script;
  for (auto& l : rc1) script += l + "\n";
  ASSERT_TRUE(run("packet-generator delete rc").ok);
  ASSERT_TRUE(run("delete null-sink interface null9").ok);
  ASSERT_TRUE(run("delete packet-generator interface pg9").ok);
  run_script(script, "replay");
  EXPECT_EQ(running_config(), rc1);
  ASSERT_TRUE(run("packet-generator delete rc").ok);
  ASSERT_TRUE(run("delete null-sink interface null9").ok);
  ASSERT_TRUE(run("delete packet-generator interface pg9").ok);
}

TEST(Cli, ScriptsJoinBraceBlocksAndReportTheFailingLine) {
  auto parts = split_script("# c\nshow version\n\npacket-generator new {\n name a\n}\nshow errors\n");
  ASSERT_EQ(parts.size(), 3u);
  EXPECT_EQ(parts[0].first, 2);
  EXPECT_EQ(parts[1].first, 4);
  EXPECT_NE(parts[1].second.find("name a"), std::string::npos);
  try {
    run_script("show version\nbogus command\n", "startup.cli");
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("startup.cli line 2"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace vp
