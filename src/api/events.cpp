#include "api/events.hpp"

#include "api/convert.hpp"
#include "io/interface.hpp"
#include "net/arp/neighbor.hpp"

namespace vp::api {

EventHub& event_hub() {
  static EventHub h;
  return h;
}

void EventHub::start() {
  ifs().watch([this](Interface& i, IfEvent ev) {
    if (ev == IfEvent::addresses) return;  // not an interface event of the API (yet)
    pb::Event e;
    auto* x = e.mutable_interface();
    x->set_sw_if_index(i.index);
    x->set_name(i.name);
    x->set_admin_up(i.admin_up);
    x->set_link_up(i.port && i.port->link_up());
    x->set_mtu(i.mtu);
    x->set_deleted(ev == IfEvent::deleting);
    publish(std::move(e));
  });
  neighbors().watch([this](uint32_t sw_if, const IpAddr& ip, const Mac* mac, bool is_static) {
    pb::Event e;
    auto* x = e.mutable_neighbor();
    x->mutable_neighbor()->set_sw_if_index(sw_if);
    x->mutable_neighbor()->set_ip(ip_bytes(ip));
    if (mac) x->mutable_neighbor()->set_mac(mac_bytes(*mac));
    x->mutable_neighbor()->set_is_static(is_static);
    x->set_deleted(!mac);
    publish(std::move(e));
  });
}

std::shared_ptr<EventHub::Sub> EventHub::subscribe() {
  auto s = std::make_shared<Sub>();
  std::lock_guard g(mu_);
  subs_.push_back(s);
  return s;
}

void EventHub::unsubscribe(const std::shared_ptr<Sub>& s) {
  std::lock_guard g(mu_);
  std::erase(subs_, s);
}

size_t EventHub::subscribers() {
  std::lock_guard g(mu_);
  return subs_.size();
}

void EventHub::publish(pb::Event e) {
  std::lock_guard g(mu_);
  if (subs_.empty()) return;
  e.set_seq(++seq_);
  for (auto& s : subs_) {
    {
      std::lock_guard sg(s->mu);
      if (s->q.size() >= kQueue) {
        s->q.pop_front();
        s->lost++;
      }
      s->q.push_back(e);
    }
    s->cv.notify_one();
  }
}

}  // namespace vp::api
