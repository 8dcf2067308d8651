"""L2 cross-connect end to end: frames sent from one namespace arrive
unchanged in the other, both directions, on af_packet, af_xdp and tap ports;
counters match; a trace shows the node path."""
import pytest
from scapy.all import Dot1Q, Ether, IP, Raw, UDP

from vplane_harness import Capture, send

MARK = "02:aa:00:00:00:01"


def frames(src=MARK):
    """Broadcast, unicast, VLAN-tagged and unknown-ethertype frames."""
    return [
        Ether(src=src, dst="ff:ff:ff:ff:ff:ff") / IP(src="10.0.0.1", dst="10.0.0.2") / UDP(dport=7) / Raw(b"b" * 20),
        Ether(src=src, dst="02:bb:00:00:00:02") / IP(src="10.0.0.1", dst="10.0.0.2") / UDP(dport=8) / Raw(b"u" * 300),
        Ether(src=src, dst="02:bb:00:00:00:02") / Dot1Q(vlan=100) / IP(dst="10.0.0.9") / UDP(dport=9) / Raw(b"v" * 30),
        Ether(src=src, dst="02:bb:00:00:00:02", type=0x88b5) / Raw(b"x" * 50),
    ]


def attach(v, kind, lab, ns):
    """Give vplane a port of `kind` whose other side is an interface in ns."""
    if kind == "tap":
        host = lab.ifname("t")
        name = v.cli(f"create tap host-if-name {host} host-ns {ns}").strip()
        return name, host
    outer, inner = lab.veth(ns)
    if kind == "af_packet":
        name = v.cli(f"create host-interface name {outer}").strip()
    else:
        name = v.cli(f"create interface af_xdp host-if {outer}").strip()
    return name, inner


def check_crossing(v, ns1, if1, ns2, if2, a, b, n_each=3):
    sent = frames() * n_each
    cap = Capture(ns2, if2, lfilter=lambda p: p.src == MARK)
    send(ns1, if1, sent)
    got = cap.stop()
    assert [bytes(p) for p in got] == [bytes(p) for p in sent], f"{len(got)}/{len(sent)} frames crossed unchanged"
    back = frames("02:aa:00:00:00:03")
    cap = Capture(ns1, if1, lfilter=lambda p: p.src == "02:aa:00:00:00:03")
    send(ns2, if2, back)
    got = cap.stop()
    assert [bytes(p) for p in got] == [bytes(p) for p in back]
    return len(sent), sum(len(p) for p in sent), len(back)


@pytest.mark.parametrize("kind", ["af_packet", "af_xdp", "tap"])
def test_xconnect_both_directions(lab, kind):
    ns1, ns2 = lab.ns(), lab.ns()
    v = lab.vplane()
    a, if1 = attach(v, kind, lab, ns1)
    b, if2 = attach(v, kind, lab, ns2)
    for i in (a, b):
        v.cli(f"set interface state {i} up")
    v.cli(f"set interface l2 xconnect {a} {b}")
    v.cli(f"set interface l2 xconnect {b} {a}")
    v.cli("clear interfaces")
    n, nbytes, nback = check_crossing(v, ns1, if1, ns2, if2, a, b)
    ia, ib = v.interface(a), v.interface(b)
    # Exact: the namespaces are quiet (no IPv6, no addresses).
    assert ia["counters"]["rx_packets"] == n
    assert ia["counters"]["rx_bytes"] == nbytes
    assert ib["counters"]["tx_packets"] == n
    assert ib["counters"]["rx_packets"] == nback
    assert ia["counters"]["tx_packets"] == nback
    assert ia["counters"]["drops"] == 0


def test_trace_shows_the_node_path(lab):
    ns1, ns2 = lab.ns(), lab.ns()
    v = lab.vplane()
    a, if1 = attach(v, "af_packet", lab, ns1)
    b, if2 = attach(v, "af_packet", lab, ns2)
    v.cli(f"set interface state {a} up")
    v.cli(f"set interface state {b} up")
    v.cli(f"set interface l2 xconnect {a} {b}")
    v.cli("trace add af-packet-input 2")
    send(ns1, if1, frames()[:1])
    cap_wait = Capture(ns2, if2)
    cap_wait.stop(settle=0.3)
    tr = v.json("show trace")
    assert tr, v.cli("show trace")
    path = [n["node"] for n in tr[0]["nodes"]]
    assert path == ["af-packet-input", "ethernet-input", "l2-xconnect", "interface-output"]
    text = v.cli("show trace")
    assert f"{a}: rx len" in text and f"{b}: tx len" in text
    v.cli("clear trace")
    assert v.json("show trace") == []


def test_unconnected_interface_drops_and_counts(lab):
    """An L3 interface with no L3 protocol for the frame drops it with a reason."""
    ns1 = lab.ns()
    v = lab.vplane()
    a, if1 = attach(v, "af_packet", lab, ns1)
    v.cli(f"set interface state {a} up")
    mine = v.interface(a)["mac"]
    send(ns1, if1, [Ether(src=MARK, dst=mine, type=0x88b5) / Raw(b"x" * 50)] * 4 +
         [Ether(src=MARK, dst="02:bb:00:00:00:02", type=0x0800) / Raw(b"y" * 50)] * 2)
    import time
    time.sleep(0.5)
    errs = {(e["node"], e["reason"]): e["count"] for e in v.json("show errors")}
    assert errs.get(("ethernet-input", "unknown ethertype")) == 4
    assert errs.get(("ethernet-input", "not for us")) == 2
    assert v.interface(a)["counters"]["drops"] == 6
