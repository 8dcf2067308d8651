// The firewall's timer wheel: expiry at exactly the due second, cancel,
// reschedule, re-arm from the callback, timeouts longer than a revolution,
// long gaps between advances, and nothing ever firing early.
#include <gtest/gtest.h>

#include <map>
#include <random>
#include <vector>

#include "features/fw/timer_wheel.hpp"

namespace vp::fw {
namespace {

// Advances one second at a time and records the second each entry fired.
std::map<uint32_t, uint32_t> run(TimerWheel& w, uint32_t until) {
  std::map<uint32_t, uint32_t> fired;
  for (uint32_t now = w.now() + 1; now <= until; now++)
    w.advance(now, [&](uint32_t i) {
      EXPECT_FALSE(fired.count(i)) << "entry " << i << " fired twice";
      fired[i] = now;
      return 0u;
    });
  return fired;
}

TEST(FwTimerWheel, FiresAtExactlyItsSecond) {
  TimerWheel w(8, 1000);
  w.schedule(3, 1010);
  EXPECT_EQ(w.size(), 1u);
  EXPECT_TRUE(w.armed(3));
  EXPECT_EQ(w.due(3), 1010u);
  std::vector<uint32_t> fired;
  auto rec = [&](uint32_t i) {
    fired.push_back(i);
    return 0u;
  };
  EXPECT_EQ(w.advance(1009, rec), 0u);
  EXPECT_TRUE(fired.empty());
  EXPECT_EQ(w.advance(1010, rec), 1u);
  EXPECT_EQ(fired, std::vector<uint32_t>{3});
  EXPECT_FALSE(w.armed(3));
  EXPECT_EQ(w.size(), 0u);
}

TEST(FwTimerWheel, SecondBySecond) {
  TimerWheel w(8, 1000);
  w.schedule(3, 1010);
  w.schedule(5, 1001);
  w.schedule(6, 1001);
  const auto fired = run(w, 1020);
  EXPECT_EQ(fired.at(3), 1010u);
  EXPECT_EQ(fired.at(5), 1001u);
  EXPECT_EQ(fired.at(6), 1001u);
  EXPECT_EQ(fired.size(), 3u);
  EXPECT_EQ(w.size(), 0u);
  EXPECT_FALSE(w.armed(3));
}

TEST(FwTimerWheel, CancelAndReschedule) {
  TimerWheel w(8, 0);
  for (uint32_t i = 0; i < 8; i++) w.schedule(i, 100);
  w.cancel(2);
  w.cancel(2);  // twice is harmless
  w.cancel(7);
  w.schedule(4, 50);   // earlier
  w.schedule(5, 300);  // later
  w.schedule(6, 100);  // same second again
  EXPECT_EQ(w.size(), 6u);
  const auto fired = run(w, 400);
  EXPECT_FALSE(fired.count(2));
  EXPECT_FALSE(fired.count(7));
  EXPECT_EQ(fired.at(4), 50u);
  EXPECT_EQ(fired.at(5), 300u);
  for (uint32_t i : {0u, 1u, 3u, 6u}) EXPECT_EQ(fired.at(i), 100u) << i;
  // A due time already passed fires on the next second, not a revolution later.
  w.schedule(1, 10);
  EXPECT_EQ(w.due(1), 401u);
}

TEST(FwTimerWheel, CallbackRearms) {
  // Lazy refresh: the callback returns a later time while the entry has
  // seen traffic, and 0 once it has not.
  TimerWheel w(4, 0);
  w.schedule(1, 60);
  std::vector<uint32_t> seen;
  const uint32_t last_seen[] = {100, 130, 130};  // what traffic left at each firing
  uint32_t k = 0;
  for (uint32_t now = 1; now <= 400; now++)
    w.advance(now, [&](uint32_t i) -> uint32_t {
      EXPECT_EQ(i, 1u);
      seen.push_back(now);
      if (k == 3) {
        ADD_FAILURE() << "fired again at " << now;
        return 0;
      }
      const uint32_t deadline = last_seen[k++] + 60;
      return deadline > now ? deadline : 0;
    });
  // 60: seen at 100 -> 160; 160: seen at 130 -> 190; 190: nothing newer -> gone.
  EXPECT_EQ(seen, (std::vector<uint32_t>{60, 160, 190}));
  EXPECT_FALSE(w.armed(1));
}

TEST(FwTimerWheel, LongerThanOneRevolution) {
  TimerWheel w(4, 5000);
  w.schedule(0, 5000 + 1800);                    // tcp-established
  w.schedule(1, 5000 + TimerWheel::kSlots + 7);  // beyond one revolution
  w.schedule(2, 5000 + 3 * TimerWheel::kSlots);  // several, same slot as "now"
  w.schedule(3, 5000 + 2 * TimerWheel::kSlots + 1);
  const auto fired = run(w, 5000 + 3 * TimerWheel::kSlots + 10);
  EXPECT_EQ(fired.at(0), 5000u + 1800);
  EXPECT_EQ(fired.at(1), 5000u + TimerWheel::kSlots + 7);
  EXPECT_EQ(fired.at(2), 5000u + 3 * TimerWheel::kSlots);
  EXPECT_EQ(fired.at(3), 5000u + 2 * TimerWheel::kSlots + 1);
}

TEST(FwTimerWheel, JumpsFireWhatIsDueOnly) {
  TimerWheel w(3, 0);
  w.schedule(0, 10);
  w.schedule(1, 5000);
  w.schedule(2, 20000);
  std::vector<uint32_t> fired;
  auto rec = [&](uint32_t i) {
    fired.push_back(i);
    return 0u;
  };
  EXPECT_EQ(w.advance(9, rec), 0u);
  EXPECT_EQ(w.advance(9000, rec), 2u);  // more than a revolution at once
  EXPECT_EQ(fired, (std::vector<uint32_t>{0, 1}));
  EXPECT_TRUE(w.armed(2));
  EXPECT_EQ(w.advance(19999, rec), 0u);
  EXPECT_EQ(w.advance(20000, rec), 1u);
  EXPECT_EQ(w.advance(20000, rec), 0u);  // same second again: nothing
}

// Many entries, random due times up to three revolutions, random cancels
// and reschedules, advanced by random steps: each fires once, in the step
// that covers its due time, never before it.
TEST(FwTimerWheel, RandomisedNeverEarlyNeverLate) {
  constexpr uint32_t kN = 20000;
  std::mt19937 rng(99);
  TimerWheel w(kN, 1);
  std::vector<uint32_t> due(kN, 0);
  for (uint32_t i = 0; i < kN; i++) {
    due[i] = 2 + rng() % (3 * TimerWheel::kSlots);
    w.schedule(i, due[i]);
  }
  uint32_t now = 1, total = 0;
  while (now < 4 * TimerWheel::kSlots) {
    // Some changes between steps.
    for (int c = 0; c < 20; c++) {
      const uint32_t i = rng() % kN;
      if (rng() % 2) {
        w.cancel(i);
        due[i] = 0;
      } else {
        due[i] = now + 1 + rng() % 5000;
        w.schedule(i, due[i]);
      }
    }
    const uint32_t prev = now;
    now += 1 + rng() % 40;
    total += w.advance(now, [&](uint32_t i) {
      EXPECT_NE(due[i], 0u) << "cancelled entry fired";
      EXPECT_GT(due[i], prev) << "fired late";
      EXPECT_LE(due[i], now) << "fired early";
      due[i] = 0;
      return 0u;
    });
  }
  uint32_t pending = 0;
  for (uint32_t i = 0; i < kN; i++) {
    EXPECT_EQ(w.armed(i), due[i] != 0) << i;
    pending += due[i] != 0;
  }
  EXPECT_EQ(w.size(), pending);
  EXPECT_GT(total, kN / 2);
}

}  // namespace
}  // namespace vp::fw
