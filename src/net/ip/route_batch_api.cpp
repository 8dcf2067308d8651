#include "net/ip/route_batch_api.hpp"

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

DecodedBatch decode_batch(const pb::RouteBatch& b) {
  DecodedBatch d;
  d.id = b.batch_id();
  d.atomic = b.atomic();
  d.items.resize(size_t(b.updates_size()));
  for (int i = 0; i < b.updates_size(); i++) try {
      d.items[size_t(i)].spec = route_from(b.updates(i).route());
      d.items[size_t(i)].op = op_from(b.updates(i).op());
    } catch (const Error& e) {
      d.items[size_t(i)].error = e.what();
    }
  return d;
}

void apply_batch(const DecodedBatch& b, pb::BatchReply* reply) {
  reply->set_batch_id(b.id);
  uint32_t applied = 0;
  if (b.atomic) {
    for (size_t i = 0; i < b.items.size(); i++) try {
        if (!b.items[i].error.empty()) fail("{}", b.items[i].error);
        ops::route_check(b.items[i].spec, b.items[i].op);
      } catch (const Error& e) {
        reject(reply, int(i), e.what());
      }
    if (reply->rejected_size() == 0)
      for (size_t i = 0; i < b.items.size(); i++) try {
          ops::route_apply(b.items[i].spec, b.items[i].op);
          applied++;
        } catch (const Error& e) {
          reject(reply, int(i), e.what());  // only when items depend on each other: see docs/api.md
        }
  } else {
    for (size_t i = 0; i < b.items.size(); i++) try {
        if (!b.items[i].error.empty()) fail("{}", b.items[i].error);
        ops::route_apply(b.items[i].spec, b.items[i].op);
        applied++;
      } catch (const Error& e) {
        reject(reply, int(i), e.what());
      }
  }
  reply->set_applied(applied);
}

}  // namespace vp::api
