"""pcapng capture read back by tshark; two vplaned instances joined by memif."""
import subprocess
import time

import pytest

from scapy.all import Ether, Raw

from test_xconnect import MARK, attach, frames
from vplane_harness import Capture, send


def xc_pair(v, a, b):
    for i in (a, b):
        v.cli(f"set interface state {i} up")
    v.cli(f"set interface l2 xconnect {a} {b}")
    v.cli(f"set interface l2 xconnect {b} {a}")


def test_pcap_trace_is_read_back_by_tshark(lab, tmp_path):
    ns1, ns2 = lab.ns(), lab.ns()
    v = lab.vplane()
    a, if1 = attach(v, "af_packet", lab, ns1)
    b, if2 = attach(v, "tap", lab, ns2)
    xc_pair(v, a, b)
    out = str(tmp_path / "cap.pcapng")
    v.cli(f"pcap trace rx tx max 100 file {out}")
    sent = frames() * 2
    cap = Capture(ns2, if2, lfilter=lambda p: p.src == MARK)
    send(ns1, if1, sent)
    assert len(cap.stop()) == len(sent)
    reply = v.cli("pcap trace off")
    assert f"Wrote {2 * len(sent)} packets" in reply
    r = subprocess.run(["tshark", "-r", out, "-T", "fields", "-e", "frame.interface_name", "-e", "frame.len"],
                       capture_output=True, text=True, check=True)
    rows = [l.split("\t") for l in r.stdout.strip().splitlines()]
    assert len(rows) == 2 * len(sent)
    assert sum(1 for r in rows if r[0] == a) == len(sent)
    assert sum(1 for r in rows if r[0] == b) == len(sent)
    assert sorted(int(r[1]) for r in rows if r[0] == a) == sorted(len(p) for p in sent)


def test_pcap_max_and_drop_capture(lab, tmp_path):
    ns1 = lab.ns()
    v = lab.vplane()
    a, if1 = attach(v, "af_packet", lab, ns1)
    v.cli(f"set interface state {a} up")
    out = str(tmp_path / "drops.pcapng")
    v.cli(f"pcap trace drop intfc {a} max 3 file {out}")
    send(ns1, if1, [Ether(src=MARK, dst="02:bb:00:00:00:02", type=0x88b5) / Raw(b"x" * 50)] * 5)
    time.sleep(0.5)
    assert "Wrote 3 packets" in v.cli("pcap trace off")
    r = subprocess.run(["tshark", "-r", out], capture_output=True, text=True, check=True)
    assert len(r.stdout.strip().splitlines()) == 3


# Instances with different thread counts (and so different numbers of tx
# queues on their other ports) still agree on memif's queue pairs.
@pytest.mark.parametrize("workers", [(0, 0), (1, 0)])
def test_two_instances_over_memif(lab, tmp_path, workers):
    ns1, ns2 = lab.ns(), lab.ns()
    sock = str(tmp_path / "memif.sock")
    va, vb = lab.vplane(workers=workers[0]), lab.vplane(workers=workers[1])
    a_host, if1 = attach(va, "af_packet", lab, ns1)
    b_host, if2 = attach(vb, "af_packet", lab, ns2)
    for v, role in ((va, "master"), (vb, "slave")):
        v.cli(f"create memif socket id 1 filename {sock}")
        assert v.cli(f"create interface memif id 0 socket-id 1 {role}").strip() == "memif1/0"
    xc_pair(va, a_host, "memif1/0")
    xc_pair(vb, b_host, "memif1/0")
    deadline = time.time() + 10
    while time.time() < deadline and not all(
            v.interface("memif1/0")["link_up"] for v in (va, vb)):
        time.sleep(0.2)
    assert va.interface("memif1/0")["link_up"], va.cli("show hardware-interfaces memif1/0")
    sent = frames() * 5
    cap = Capture(ns2, if2, lfilter=lambda p: p.src == MARK)
    send(ns1, if1, sent)
    got = cap.stop(settle=1.0)
    assert [bytes(p) for p in got] == [bytes(p) for p in sent]
    assert va.interface("memif1/0")["counters"]["tx_packets"] == len(sent)
    assert vb.interface("memif1/0")["counters"]["rx_packets"] == len(sent)
