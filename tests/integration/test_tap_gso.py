"""TAPs with gso: TCP through vplane between two GSO TAPs keeps GSO frames
whole; from a GSO TAP to an AF_PACKET port they are segmented in software."""
import json
import subprocess

from test_pcap_memif import xc_pair
from vplane_harness import sh


def iperf(lab, server_ns, client_ns, addr):
    srv = subprocess.Popen(["ip", "netns", "exec", server_ns, "iperf3", "-s", "-1", "-J"],
                           stdout=subprocess.PIPE, text=True)
    import time
    time.sleep(0.5)
    r = sh(["ip", "netns", "exec", client_ns, "iperf3", "-c", addr, "-t", "2", "-J"])
    srv.wait(30)
    res = json.loads(r.stdout)
    return res["end"]["sum_received"]["bits_per_second"] / 1e6, res["end"]["sum_received"]["bytes"]


def test_tcp_between_gso_taps_keeps_frames_whole(lab):
    n1, n2 = lab.ns(), lab.ns()
    v = lab.vplane()
    t1 = v.cli(f"create tap host-ns {n1} host-if-name {lab.ifname('g')} host-ip4-addr 10.66.0.1/24 gso").strip()
    t2 = v.cli(f"create tap host-ns {n2} host-if-name {lab.ifname('g')} host-ip4-addr 10.66.0.2/24 gso").strip()
    xc_pair(v, t1, t2)
    mbps, nbytes = iperf(lab, n2, n1, "10.66.0.2")
    assert nbytes > 10_000_000
    hw = {h["name"]: h["details"] for h in v.json("show hardware-interfaces")}
    assert hw[t1]["gso_rx"] > 0 and hw[t2]["gso_tx"] > 0
    assert not [e for e in v.json("show errors") if e["node"] == "interface-output"]
    print(f"gso tap <-> gso tap: {mbps:.0f} Mbit/s")


def test_gso_frames_are_segmented_for_af_packet(lab):
    n1, n2 = lab.ns(), lab.ns()
    v = lab.vplane()
    t1 = v.cli(f"create tap host-ns {n1} host-if-name {lab.ifname('g')} host-ip4-addr 10.67.0.1/24 gso").strip()
    outer, inner = lab.veth(n2)
    sh(["ip", "-n", n2, "addr", "add", "10.67.0.2/24", "dev", inner])
    p = v.cli(f"create host-interface name {outer}").strip()
    xc_pair(v, t1, p)
    mbps, nbytes = iperf(lab, n2, n1, "10.67.0.2")
    assert nbytes > 10_000_000
    hw = {h["name"]: h["details"] for h in v.json("show hardware-interfaces")}
    assert hw[t1]["gso_rx"] > 0
    # Every frame that left on the veth fit its MTU (segmented, not dropped).
    assert not [e for e in v.json("show errors") if e["node"] == "interface-output"]
    assert v.interface(p)["counters"]["tx_packets"] > v.interface(t1)["counters"]["rx_packets"]
    print(f"gso tap -> af_packet: {mbps:.0f} Mbit/s")
