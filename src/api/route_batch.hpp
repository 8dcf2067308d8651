#pragma once
// Route batches (Routes.Apply and each message of Routes.Stream). Decoding
// is pure conversion and runs on the API thread; applying runs on the main
// thread. Per item: validated and applied, or rejected with a reason and
// nothing changed. Atomic: every item validated against the state before
// the batch; any rejection and none is applied.
#include <string>
#include <vector>

#include "net/ip/ip_ops.hpp"
#include "vplane/v1/vplane.pb.h"

namespace vp::api {

struct RouteItem {
  ops::RouteSpec spec;
  ops::RouteOp op = ops::RouteOp::add;
  std::string error;  // set: rejected while decoding
};
struct DecodedBatch {
  uint64_t id = 0;
  bool atomic = false;
  std::vector<RouteItem> items;
};

DecodedBatch decode_batch(const ::vplane::v1::RouteBatch& b);
void apply_batch(const DecodedBatch& b, ::vplane::v1::BatchReply* reply);
inline void apply_batch(const ::vplane::v1::RouteBatch& b, ::vplane::v1::BatchReply* reply) {
  apply_batch(decode_batch(b), reply);
}

}  // namespace vp::api
