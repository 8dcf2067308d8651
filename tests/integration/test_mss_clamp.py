"""TCP MSS clamping end to end (docs/nat.md, "TCP MSS clamping"): vplaned
routes between a client and a server namespace whose kernels open a real
TCP connection; what each side's kernel receives is captured there. The
client's SYN must reach the server with the clamped MSS, the server's
SYN-ACK the client likewise when the clamp applies to its way, and the
connection must carry data (a wrong checksum would have the kernel drop
the SYN)."""
import socket

import grpc
import pytest
from scapy.all import TCP

from test_ip4 import host
from test_ip6 import host6
from vplane_harness import Capture, netns

PORT = 5400
CLAMP = 1300
KERNEL_MSS = {"ip4": 1460, "ip6": 1440}  # what Linux puts in a SYN on a 1500-byte link


def mk(lab, v, net, fam):
    return (host6 if fam == "ip6" else host)(lab, v, net)


def errors(v):
    return {(e["node"], e["reason"]): e["count"] for e in v.json("show errors")}


def mss_of(p):
    return dict(o for o in p[TCP].options if isinstance(o, tuple)).get("MSS")


def exchange(a, b, fam, port=PORT):
    """a connects to a listener on b and both send 4000 bytes; returns what
    b's kernel received (the SYN) and what a's received (the SYN-ACK), and
    the largest segment b sent."""
    af = socket.AF_INET6 if fam == "ip6" else socket.AF_INET
    tcp_port = lambda p: TCP in p and port in (p[TCP].sport, p[TCP].dport)  # noqa: E731
    cap_b = Capture(b["ns"], b["if"], lfilter=tcp_port)
    cap_a = Capture(a["ns"], a["if"], lfilter=tcp_port)
    with netns(b["ns"]):
        ls = socket.socket(af, socket.SOCK_STREAM)
    with netns(a["ns"]):
        c = socket.socket(af, socket.SOCK_STREAM)
    try:
        ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        ls.bind((b["ip"], port))
        ls.listen(1)
        ls.settimeout(3)
        c.settimeout(3)
        c.connect((b["ip"], port))
        s, _ = ls.accept()
        s.settimeout(3)
        data = bytes(range(256)) * 16
        c.sendall(data)
        got = b""
        while len(got) < len(data):
            got += s.recv(65536)
        s.sendall(got)
        back = b""
        while len(back) < len(data):
            back += c.recv(65536)
        assert back == data
        s.close()
    finally:
        c.close()
        ls.close()
    at_b, at_a = cap_b.stop(), cap_a.stop()
    syn = next(p for p in at_b if p[TCP].flags == "S")
    synack = next(p for p in at_a if p[TCP].flags == "SA")
    largest = max(len(p[TCP].payload) for p in at_b if p[TCP].sport == port)
    return mss_of(syn), mss_of(synack), largest


@pytest.fixture(params=["ip4", "ip6"])
def routed(request, lab):
    v = lab.vplane()
    fam = request.param
    return v, fam, mk(lab, v, 1, fam), mk(lab, v, 2, fam)


# (direction, on whose port, the SYN clamped, the SYN-ACK clamped)
CASES = [
    ("rx", "client", True, False),   # the SYN arrives on the client's port
    ("tx", "server", True, False),   # the SYN leaves by the server's port
    ("rx", "server", False, True),   # the SYN-ACK arrives on the server's port
    ("tx", "client", False, True),   # the SYN-ACK leaves by the client's port
    ("enable", "client", True, True),
]


@pytest.mark.parametrize("direction,where,syn_clamped,synack_clamped", CASES)
def test_syn_and_syn_ack_arrive_clamped(routed, direction, where, syn_clamped, synack_clamped):
    v, fam, a, b = routed
    port = (a if where == "client" else b)["port"]
    v.cli(f"set interface tcp-mss-clamp {port} {fam} {direction} {fam}-mss {CLAMP}")
    syn, synack, largest = exchange(a, b, fam)
    assert syn == (CLAMP if syn_clamped else KERNEL_MSS[fam])
    assert synack == (CLAMP if synack_clamped else KERNEL_MSS[fam])
    if syn_clamped:  # the server keeps to what it was told
        assert largest <= CLAMP
    node = f"tcp-mss-clamping-{fam}-{'in' if direction == 'rx' else 'out' if direction == 'tx' else ''}"
    clamped = {k[0]: n for k, n in errors(v).items() if k[1] == "MSS clamped"}
    if direction == "enable":
        assert clamped.get(f"tcp-mss-clamping-{fam}-in") == 1 and clamped.get(f"tcp-mss-clamping-{fam}-out") == 1
    else:
        assert clamped.get(node) == 1 and sum(clamped.values()) == 1


def test_the_default_follows_the_mtu_and_the_other_family_is_left_alone(lab):
    v = lab.vplane()
    a, b = host(lab, v, 1), host(lab, v, 2)
    v.cli(f"set interface tcp-mss-clamp {b['port']} ip4 enable ip6 rx ip6-mss 1280")
    rows = v.json(f"show interface tcp-mss-clamp {b['port']}")
    assert rows[0]["ip4"] == {"rx": True, "tx": True, "mss": 1460, "configured_mss": 0}
    assert rows[0]["ip6"] == {"rx": True, "tx": False, "mss": 1280, "configured_mss": 1280}
    # A smaller link towards the server (the af_packet port sets its Linux
    # side's MTU too): both ends must now keep to 1360, so that neither
    # sends more than fits and no ICMP error teaches the client a path MTU.
    v.cli(f"set interface mtu 1400 {b['port']}")
    assert v.json(f"show interface tcp-mss-clamp {b['port']}")[0]["ip4"]["mss"] == 1360
    syn, synack, largest = exchange(a, b, "ip4")
    assert (syn, synack) == (1360, 1360) and largest <= 1360
    v.cli(f"set interface tcp-mss-clamp {b['port']} ip4 disable")
    v.cli(f"set interface mtu 1500 {b['port']}")
    assert exchange(a, b, "ip4", PORT + 1)[:2] == (1460, 1460)
    assert v.json(f"show interface tcp-mss-clamp {b['port']}")[0]["ip6"]["rx"] is True


def test_show_running_config_errors_and_deletion(lab):
    v = lab.vplane()
    a = host(lab, v, 1)
    v.cli(f"set interface tcp-mss-clamp {a['port']} ip4 enable ip4-mss 1400 ip6 rx")
    text = v.cli("show interface tcp-mss-clamp")
    assert a["port"] in text and "1400" in text and "1440 (MTU 1500)" in text
    assert f"set interface tcp-mss-clamp {a['port']} ip4 enable ip4-mss 1400 ip6 rx" in v.json("show running-config")
    before = v.json("show interface tcp-mss-clamp")
    for line, want in (("set interface tcp-mss-clamp nosuch ip4 enable", "unknown interface 'nosuch'"),
                       (f"set interface tcp-mss-clamp {a['port']} ip4 enable ip4-mss 70000", "out of range"),
                       (f"set interface tcp-mss-clamp {a['port']} ip4 enable ip4-mss 20", "below 88"),
                       (f"set interface tcp-mss-clamp {a['port']} ip4", "incomplete"),
                       (f"set interface tcp-mss-clamp {a['port']}", "expected ip4 or ip6")):
        err = v.cli_fail(line)
        assert want in err and err.strip().count("\n") == 0, err
    assert v.json("show interface tcp-mss-clamp") == before
    outer = a["port"][len("host-"):]
    v.cli(f"delete host-interface name {outer}")
    assert v.json("show interface tcp-mss-clamp") == []
    assert not any("tcp-mss-clamp" in l for l in v.json("show running-config"))


def test_the_api_sets_and_reads_what_the_cli_does(lab):
    v = lab.vplane()
    a, b = host(lab, v, 1), host(lab, v, 2)
    c = v.client()
    from vplane_client import pb, rpc
    stub = rpc.MssClampStub(c.channel)
    idx = v.interface(b["port"])["sw_if_index"]
    stub.Set(pb.MssClampConfig(sw_if_index=idx, ip4=pb.MssClampFamily(direction=pb.MSS_CLAMP_DIRECTION_TX,
                                                                       mss=CLAMP)))
    got = stub.Get(pb.InterfaceRequest(sw_if_index=idx))
    assert got.interface == b["port"] and got.ip4.direction == pb.MSS_CLAMP_DIRECTION_TX
    assert got.ip4.effective_mss == CLAMP and got.ip6.direction == pb.MSS_CLAMP_DIRECTION_DISABLED
    assert [x.sw_if_index for x in stub.List(pb.Empty()).interfaces] == [idx]
    assert f"set interface tcp-mss-clamp {b['port']} ip4 tx ip4-mss {CLAMP}" in v.json("show running-config")
    syn, _, _ = exchange(a, b, "ip4")
    assert syn == CLAMP
    with pytest.raises(grpc.RpcError) as e:
        stub.Set(pb.MssClampConfig(sw_if_index=idx, ip4=pb.MssClampFamily(direction=pb.MSS_CLAMP_DIRECTION_RX,
                                                                           mss=10)))
    assert e.value.code() == grpc.StatusCode.INVALID_ARGUMENT and "below 88" in e.value.details()
    with pytest.raises(grpc.RpcError) as e:
        stub.Get(pb.InterfaceRequest(sw_if_index=9999))
    assert e.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert stub.Get(pb.InterfaceRequest(sw_if_index=idx)).ip4.effective_mss == CLAMP
    c.close()
