#pragma once
// Helpers for node tests: build frames, run the main thread's graph, run
// commands, read a node's counter.
#include <gtest/gtest.h>
#include <rte_mbuf.h>

#include <cstring>
#include <nlohmann/json.hpp>
#include <vector>

#include "control/cli.hpp"
#include "graph/meta.hpp"
#include "graph/registry.hpp"
#include "graph/threads.hpp"
#include "infra/error.hpp"
#include "io/eal.hpp"

namespace vp::test {

inline rte_mbuf* frame(const std::vector<uint8_t>& bytes, uint32_t rx_if = kNoIf) {
  rte_mbuf* m = rte_pktmbuf_alloc(eal().pool);
  std::memcpy(rte_pktmbuf_append(m, uint16_t(bytes.size())), bytes.data(), bytes.size());
  meta_init(m, rx_if);
  return m;
}

inline std::vector<uint8_t> eth(uint16_t type, size_t len = 64) {
  std::vector<uint8_t> b(len, 0);
  uint8_t hdr[14] = {0x02, 0, 0, 0, 0, 2, 0x02, 0, 0, 0, 0, 1, uint8_t(type >> 8), uint8_t(type)};
  std::memcpy(b.data(), hdr, 14);
  return b;
}

inline Thread& T() { return threads().main(); }

// A command that must succeed: its text, or its JSON answer.
inline std::string cli(const std::string& c) {
  auto r = Cli::get().execute(c, false);
  EXPECT_TRUE(r.ok) << c << ": " << r.text;
  return r.text;
}
inline nlohmann::json cli_json(const std::string& c) {
  auto r = Cli::get().execute(c, true);
  EXPECT_TRUE(r.ok) << c << ": " << r.text;
  return nlohmann::json::parse(r.text);
}

// The main thread's count of a node's error or counter, by its reason.
inline uint64_t err(const char* node, const char* reason) {
  const auto& reg = Registry::get();
  for (size_t id = 0; id < reg.errors().size(); id++)
    if (reg.nodes()[reg.errors()[id].node]->name == node && reg.errors()[id].reason == reason)
      return threads().main().error_count(uint16_t(id));
  ADD_FAILURE() << "no counter " << node << ": " << reason;
  return 0;
}

}  // namespace vp::test
