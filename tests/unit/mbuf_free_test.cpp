// free_bulk: every packet of a mixed burst goes back where it belongs, and a
// packet still referenced elsewhere is not freed under its other owner.
#include "io/mbuf_free.hpp"

#include <gtest/gtest.h>

#include "helpers.hpp"

namespace vp {
namespace {

TEST(MbufFree, MixedBurstReturnsEverythingAndKeepsSharedOnes) {
  rte_mempool* pool = eal().pool;
  rte_mempool* other = rte_pktmbuf_pool_create("test-free-other", 63, 0, 64, RTE_MBUF_DEFAULT_BUF_SIZE, SOCKET_ID_ANY);
  ASSERT_NE(other, nullptr);
  unsigned before = rte_mempool_avail_count(pool), before_other = rte_mempool_avail_count(other);
  std::vector<rte_mbuf*> burst;
  for (int i = 0; i < 300; i++) burst.push_back(test::frame(test::eth(0x0800)));  // more than one chunk
  rte_mbuf* chain = test::frame(test::eth(0x0800));
  ASSERT_EQ(rte_pktmbuf_chain(chain, test::frame(test::eth(0x0800))), 0);
  burst.insert(burst.begin() + 5, chain);
  rte_mbuf* shared = test::frame(test::eth(0x0800));
  rte_mbuf_refcnt_update(shared, 1);  // a capture still holds it
  burst.insert(burst.begin() + 7, shared);
  rte_mbuf* clone = rte_pktmbuf_clone(burst[0], pool);  // indirect, attached to burst[0]'s buffer
  ASSERT_NE(clone, nullptr);
  burst.push_back(clone);
  rte_mbuf* foreign = rte_pktmbuf_alloc(other);
  burst.insert(burst.begin() + 1, foreign);
  ASSERT_LT(rte_mempool_avail_count(pool), before);
  free_bulk(burst.data(), uint32_t(burst.size()));
  EXPECT_EQ(rte_mbuf_refcnt_read(shared), 1);  // only our reference dropped
  EXPECT_EQ(rte_mempool_avail_count(pool), before - 1);
  rte_pktmbuf_free(shared);
  EXPECT_EQ(rte_mempool_avail_count(pool), before);
  EXPECT_EQ(rte_mempool_avail_count(other), before_other);
  rte_mempool_free(other);
}

}  // namespace
}  // namespace vp
