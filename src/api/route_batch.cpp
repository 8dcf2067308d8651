#include "api/route_batch.hpp"

#include "api/convert.hpp"

namespace vp::api {

namespace {
ops::RouteOp op_from(pb::RouteOp op) {
  switch (op) {
    case pb::ROUTE_ADD:
      return ops::RouteOp::add;
    case pb::ROUTE_DEL:
      return ops::RouteOp::del;
    case pb::ROUTE_REPLACE:
      return ops::RouteOp::replace;
    default:
      fail("unknown route operation {}", int(op));
  }
}

void reject(pb::BatchReply* reply, int i, const char* why) {
  auto* e = reply->add_rejected();
  e->set_index(uint32_t(i));
  e->set_reason(why);
}
}  // namespace

void apply_batch(const pb::RouteBatch& b, pb::BatchReply* reply) {
  reply->set_batch_id(b.batch_id());
  uint32_t applied = 0;
  if (b.atomic()) {
    std::vector<std::pair<ops::RouteSpec, ops::RouteOp>> items;
    items.reserve(size_t(b.updates_size()));
    for (int i = 0; i < b.updates_size(); i++) try {
        items.emplace_back(route_from(b.updates(i).route()), op_from(b.updates(i).op()));
        ops::route_check(items.back().first, items.back().second);
      } catch (const Error& e) {
        reject(reply, i, e.what());
      }
    if (reply->rejected_size() == 0)
      for (size_t i = 0; i < items.size(); i++) try {
          ops::route_apply(items[i].first, items[i].second);
          applied++;
        } catch (const Error& e) {
          reject(reply, int(i), e.what());  // only when items depend on each other: see docs/api.md
        }
  } else {
    for (int i = 0; i < b.updates_size(); i++) try {
        ops::route_apply(route_from(b.updates(i).route()), op_from(b.updates(i).op()));
        applied++;
      } catch (const Error& e) {
        reject(reply, i, e.what());
      }
  }
  reply->set_applied(applied);
}

}  // namespace vp::api
