"""The Nat gRPC service end to end (proto/vplane/v1/nat.proto), in the lab
of test_nat.py: NAT44 set up through the API alone translates flows,
reads back as the running configuration the commands make, refuses a bad
call with one line and no change, and pages through every translated
session exactly once."""
import grpc
import pytest

from test_fw import published
from test_ip4 import ping
from test_nat import Server, client, nat_lab
from vplane_harness import sh


def nat_api(v):
    """The Nat stub on a client's channel, the messages, and address packing."""
    c = v.client()
    from vplane_client import ip_bytes, pb, rpc
    return c, rpc.NatStub(c.channel), pb, ip_bytes


def nat_lines(v):
    return [l for l in v.cli("show running-config").splitlines() if "nat44" in l]


def test_api_setup_is_the_cli_setup(lab):
    v, a, b = nat_lab(lab)
    _, nat, pb, ip = nat_api(v)
    ia, ib = (v.interface(h["port"])["sw_if_index"] for h in (a, b))
    nat.AddPool(pb.Nat44Pool(first=ip("10.2.0.100"), last=ip("10.2.0.103"), twice_nat=True))
    nat.AddPool(pb.Nat44Pool(first=ip("10.2.0.110"), tenant_vrf=5))
    nat.AddInterfaceAddress(pb.InterfaceRequest(sw_if_index=ib))
    nat.SetPortRange(pb.Nat44PortRange(first=2000, last=60000))
    nat.AddStaticMapping(pb.Nat44StaticMapping(protocol=6, local_address=ip(a["ip"]), local_port=22,
                                               external_sw_if_index=ib, external_port=2222))
    nat.AddStaticMapping(pb.Nat44StaticMapping(protocol=17, local_address=ip("10.1.0.9"), local_port=5060,
                                               external_address=ip("10.2.0.60"), external_port=5060,
                                               twice_nat=True))
    nat.AddStaticMapping(pb.Nat44StaticMapping(identity=True, protocol=17, external_address=ip("10.1.0.7"),
                                               external_port=53))
    nat.SetForwarding(pb.Nat44Forwarding(enable=True))
    nat.SetInterface(pb.Nat44Interface(sw_if_index=ia, inside=True))
    nat.SetInterface(pb.Nat44Interface(sw_if_index=ib, outside=True, output_feature=True))
    nat.SetTimeout(pb.NatTimeout(name="udp", seconds=300))
    cmds = ["nat44 add address 10.2.0.100 - 10.2.0.103 twice-nat",
            "nat44 add address 10.2.0.110 tenant-vrf 5",
            f"nat44 add interface address {b['port']}",
            "set nat44 port-range 2000-60000",
            f"nat44 add static mapping tcp local {a['ip']} 22 external {b['port']} 2222",
            "nat44 add static mapping udp local 10.1.0.9 5060 external 10.2.0.60 5060 twice-nat",
            "nat44 add identity mapping 10.1.0.7 udp 53",
            "nat44 forwarding enable",
            f"set interface nat44 in {a['port']}",
            f"set interface nat44 out {b['port']} output-feature",
            "set nat timeout udp 300"]
    assert sorted(nat_lines(v)) == sorted(cmds[:-1]), nat_lines(v)
    run = v.cli("show running-config")
    assert "set security flow timeout udp 300" in run.splitlines()
    cfg = nat.GetConfig(pb.Empty())
    assert [bytes(p.first) for p in cfg.pools] == [ip("10.2.0.100"), ip("10.2.0.110")]
    assert cfg.pools[1].tenant_vrf == 5 and not cfg.pools[0].HasField("tenant_vrf")
    assert list(cfg.interface_addresses) == [ib]
    assert {(r.sw_if_index, r.inside, r.outside, r.output_feature) for r in cfg.interfaces} == \
        {(ia, True, False, False), (ib, False, True, True)}
    assert [m.external_sw_if_index for m in cfg.static_mappings if m.HasField("external_sw_if_index")] == [ib]
    assert cfg.port_range.first == 2000 and cfg.port_range.last == 60000 and cfg.forwarding

    # A bad call is refused with one line naming what is wrong, and changes nothing.
    for call, req, words in [
            (nat.AddPool, pb.Nat44Pool(first=b"\x0a\x02\x00"), "4 (IPv4) or 16 (IPv6) bytes"),
            (nat.AddPool, pb.Nat44Pool(first=ip("10.2.0.9"), last=ip("10.2.0.5")), "backwards"),
            (nat.AddPool, pb.Nat44Pool(first=ip("10.2.0.103"), last=ip("10.2.0.105")), "overlaps"),
            (nat.DeletePool, pb.Nat44Pool(first=ip("10.2.0.120")), "no address range"),
            (nat.SetInterface, pb.Nat44Interface(sw_if_index=9999, inside=True), "no interface with index 9999"),
            (nat.SetInterface, pb.Nat44Interface(sw_if_index=ia, inside=True, output_feature=True),
             "output-feature applies to an out interface"),
            (nat.AddStaticMapping, pb.Nat44StaticMapping(protocol=6, local_address=ip(a["ip"]),
                                                         external_address=ip("10.2.0.5")), "port"),
            (nat.AddStaticMapping, pb.Nat44StaticMapping(protocol=6, local_address=ip("10.1.0.8"), local_port=1,
                                                         external_sw_if_index=ib, external_port=2222),
             "already mapped"),
            (nat.SetPortRange, pb.Nat44PortRange(first=5000, last=4000), "port range"),
            (nat.SetTimeout, pb.NatTimeout(name="bogus", seconds=10), "unknown timeout"),
    ]:
        with pytest.raises(grpc.RpcError) as e:
            call(req)
        assert e.value.code() == grpc.StatusCode.INVALID_ARGUMENT, req
        assert words in e.value.details() and "\n" not in e.value.details(), e.value.details()
        assert v.cli("show running-config") == run, req

    # Undone through the API, then made by the commands: the same running
    # configuration and the same answer to GetConfig.
    for m in cfg.static_mappings:
        nat.DeleteStaticMapping(m)
    for p in cfg.pools:
        nat.DeletePool(p)
    for i in cfg.interface_addresses:
        nat.DeleteInterfaceAddress(pb.InterfaceRequest(sw_if_index=i))
    for r in cfg.interfaces:
        nat.SetInterface(pb.Nat44Interface(sw_if_index=r.sw_if_index, inside=r.inside, outside=r.outside,
                                           **{"del": True}))
    nat.SetForwarding(pb.Nat44Forwarding(enable=False))
    nat.SetPortRange(pb.Nat44PortRange(first=1024, last=65535))
    assert nat_lines(v) == []
    for cmd in cmds:
        v.cli(cmd)
    assert v.cli("show running-config") == run
    assert nat.GetConfig(pb.Empty()) == cfg


def test_sessions_page_through_every_translated_flow(lab):
    v, a, b = nat_lab(lab, workers=2)
    c, nat, pb, ip = nat_api(v)
    ia, ib = (v.interface(h["port"])["sw_if_index"] for h in (a, b))
    nat.AddInterfaceAddress(pb.InterfaceRequest(sw_if_index=ib))
    nat.SetInterface(pb.Nat44Interface(sw_if_index=ia, inside=True))
    nat.SetInterface(pb.Nat44Interface(sw_if_index=ib, outside=True))
    # With zones every permitted flow has a session, translated or not: a
    # flow from 10.1.0.2:7777 (an identity mapping, with a route back to it)
    # has one that ListSessions leaves out.
    nat.AddStaticMapping(pb.Nat44StaticMapping(identity=True, protocol=17, external_address=ip(a["ip"]),
                                               external_port=7777))
    sh(["ip", "-n", b["ns"], "route", "add", f"{a['ip']}/32", "via", "10.2.0.1"])
    from vplane_client import rpc
    sec = rpc.SecurityStub(c.channel)
    sec.SetZone(pb.SecurityZone(name="trust", interfaces=[ia]))
    sec.SetZone(pb.SecurityZone(name="untrust", interfaces=[ib]))
    sec.SetPolicy(pb.SecurityPolicy(name="out", from_zone="trust", to_zone="untrust", source_address=["any"],
                                    destination_address=["any"], application=["any"],
                                    action=pb.POLICY_ACTION_PERMIT))
    published(v)
    srv = Server(b["ns"], "udp", 5001)
    assert client(a["ns"], "udp", b["ip"], 5001, n=30, base=30000) == 30
    assert client(a["ns"], "udp", b["ip"], 5001, base=7777) == 1
    peers = srv.peers()
    assert len(peers) == 31 and {p[0] for p in peers} == {"10.2.0.1", a["ip"]}, peers
    assert ping(a["ns"], b["ip"]).returncode == 0

    cli = v.json("show nat44 sessions")
    total = cli["total"]
    assert total == 31  # 30 UDP flows and the ping
    assert v.json("show security flow session")["total"] == total + 1
    ids, got, token, pages = [], [], "", 0
    while True:
        r = nat.ListSessions(pb.ListNatSessionsRequest(page_size=7, page_token=token))
        assert len(r.sessions) <= 7
        ids += [s.id for s in r.sessions]
        got += r.sessions
        pages += 1
        token = r.next_page_token
        if not token:
            break
        assert pages <= total
    assert len(ids) == total and len(set(ids)) == total
    assert len({s.worker for s in got}) == 2, "31 flows all on one worker: paging never crossed workers"
    assert sorted((s.inside_source_port, s.outside_source_port) for s in got) == \
        sorted((s["inside_source_port"], s["outside_source_port"]) for s in cli["sessions"])
    udp = [s for s in got if s.protocol == 17]
    assert sorted(s.inside_source_port for s in udp) == list(range(30000, 30030))
    for s in udp:
        assert bytes(s.inside_source) == ip(a["ip"]) and bytes(s.inside_destination) == ip(b["ip"])
        assert bytes(s.outside_source) == ip("10.2.0.1") and bytes(s.outside_destination) == ip(b["ip"])
        assert s.inside_destination_port == s.outside_destination_port == 5001
        assert s.state == "valid" and s.timeout > 0
        assert s.packets_i2o == 1 and s.packets_o2i == 1 and s.bytes_i2o == s.bytes_o2i > 0, s
    # One call with the default page size gives them all.
    assert len(nat.ListSessions(pb.ListNatSessionsRequest()).sessions) == total
    with pytest.raises(grpc.RpcError) as e:
        nat.ListSessions(pb.ListNatSessionsRequest(page_token="zzz"))
    assert e.value.code() == grpc.StatusCode.INVALID_ARGUMENT and "page_token" in e.value.details()

    # The outside address with its sessions, and the summary, as the show commands say.
    addrs = nat.ListAddresses(pb.Empty())
    assert [(bytes(x.address), x.sw_if_index, x.sessions) for x in addrs.addresses] == [(ip("10.2.0.1"), ib, total)]
    assert v.json("show nat44 addresses")["addresses"][0]["sessions"] == total
    s = nat.GetSummary(pb.Empty())
    summary = v.json("show nat44 summary")
    assert (s.sessions, s.udp, s.icmp, s.tcp, s.other) == (total, 30, 1, 0, 0)
    assert s.workers == 2 and s.port_share == summary["port_share"]
    assert (s.port_range.first, s.port_range.last) == (summary["port_lo"], summary["port_hi"])
    counters = {}
    for x in s.counters:
        counters[x.reason] = counters.get(x.reason, 0) + x.count
    assert counters == summary["counters"]
