#pragma once
// Route batches (Routes.Apply and each message of Routes.Stream), on the
// main thread. Per item: validated and applied, or rejected with a reason
// and nothing changed. Atomic: every item validated against the state
// before the batch; any rejection and none is applied.
#include "vplane/v1/vplane.pb.h"

namespace vp::api {

void apply_batch(const ::vplane::v1::RouteBatch& b, ::vplane::v1::BatchReply* reply);

}  // namespace vp::api
