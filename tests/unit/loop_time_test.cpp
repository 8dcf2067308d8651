// The poll-gap histogram: buckets cover every gap exactly once, in order,
// within a quarter of a power of two; the maximum restarts on clear.
#include "graph/loop_time.hpp"

#include <gtest/gtest.h>

namespace vp {
namespace {

TEST(LoopTime, BucketsCoverEveryGapInOrder) {
  for (int b = 0; b + 1 < LoopTime::kBuckets - 4; b++) {
    EXPECT_LT(LoopTime::lower(b), LoopTime::lower(b + 1)) << b;
    EXPECT_EQ(LoopTime::bucket(LoopTime::lower(b)), b) << b;
    EXPECT_EQ(LoopTime::bucket(LoopTime::lower(b + 1) - 1), b) << b;
  }
  for (uint64_t g : {uint64_t(9), uint64_t(1000), uint64_t(123456789), uint64_t(1) << 40}) {
    int b = LoopTime::bucket(g);
    EXPECT_LE(LoopTime::lower(b), g);
    EXPECT_GT(LoopTime::lower(b + 1), g);
    EXPECT_LE(double(LoopTime::lower(b + 1) - LoopTime::lower(b)), double(g) * 0.25 + 1);
  }
  EXPECT_LT(LoopTime::bucket(~uint64_t(0)), LoopTime::kBuckets);
}

TEST(LoopTime, CountsGapsButNotSleepsAndKeepsTheMaximum) {
  LoopTime lt;
  lt.poll(1000);  // the first poll has no gap
  lt.poll(1100);
  lt.poll(1300);
  lt.pause();       // slept on purpose
  lt.poll(900000);  // not a gap
  lt.poll(905000);
  uint64_t n = 0;
  for (int b = 0; b < LoopTime::kBuckets; b++) n += lt.count(b);
  EXPECT_EQ(n, 3u);
  EXPECT_EQ(lt.sum(), 100u + 200u + 5000u);
  EXPECT_EQ(lt.max(), 5000u);
  EXPECT_EQ(lt.count(LoopTime::bucket(5000)), 1u);
  lt.clear_max();
  lt.poll(905010);
  EXPECT_EQ(lt.max(), 10u);
}

}  // namespace
}  // namespace vp
