"""Worker handoff end to end: vplaned with two workers routes between two
namespaces, each port polled by a different worker, so the two directions
of a flow arrive on different workers. With ip4-flow-handoff (ip6-) enabled,
the packets of the direction that arrived on the other worker are handed to
the flow's owner: every packet of the flow, both ways, is looked up and
rewritten on one worker only."""
import re
import socket
import time

import pytest

from test_ip4 import host, ping
from test_ip6 import host6, ping6
from vplane_harness import netns

N = 200  # packets each way per flow


def udp_flow(a, b, sport, dport, v6, n=N):
    """n datagrams a:sport -> b:dport and n back, in paced batches; returns
    how many arrived each way."""
    af = socket.AF_INET6 if v6 else socket.AF_INET
    with netns(a["ns"]):
        sa = socket.socket(af, socket.SOCK_DGRAM)
    with netns(b["ns"]):
        sb = socket.socket(af, socket.SOCK_DGRAM)
    try:
        sa.bind((a["ip"], sport))
        sb.bind((b["ip"], dport))
        got = {sa: 0, sb: 0}
        for start in range(0, n, 20):
            for i in range(start, min(start + 20, n)):
                sa.sendto(b"a%d" % i, (b["ip"], dport))
                sb.sendto(b"b%d" % i, (a["ip"], sport))
            # Drain what this batch brought before sending the next one.
            want = min(start + 20, n)
            deadline = time.time() + 2
            for s in (sa, sb):
                s.settimeout(0.2)
                while got[s] < want and time.time() < deadline:
                    try:
                        s.recv(64)
                        got[s] += 1
                    except socket.timeout:
                        pass
        return got[sb], got[sa]
    finally:
        sa.close()
        sb.close()


def per_worker(rt, node):
    """Packets `node` processed on each worker (threads 1 and 2)."""
    out = []
    for t in rt["threads"][1:]:
        out.append(sum(n["vectors"] for n in t["nodes"] if n["name"] == node))
    return out


def errors(v):
    return {(e["node"], e["reason"]): e["count"] for e in v.json("show errors")}


@pytest.mark.parametrize("family", ["ip4", "ip6"])
def test_both_directions_of_a_flow_are_processed_on_its_owner(lab, family):
    v6 = family == "ip6"
    v = lab.vplane(workers=2)
    mk = host6 if v6 else host
    a, b = mk(lab, v, 1), mk(lab, v, 2)
    # a's port is polled by worker 0, b's by worker 1: a flow's two
    # directions arrive on different workers.
    v.cli(f"set interface rx-placement {a['port']} worker 0")
    v.cli(f"set interface rx-placement {b['port']} worker 1")
    placement = {p["interface"]: p["thread"] for p in v.json("show interface rx-placement")}
    assert placement == {a["port"]: 1, b["port"]: 2}
    node = f"{family}-flow-handoff"
    for p in (a["port"], b["port"]):
        v.cli(f"set interface feature {p} {node} arc {family}-unicast")
    # Neighbours resolved on both sides before counting.
    pinger = ping6 if v6 else ping
    assert pinger(a["ns"], b["ip"]).returncode == 0
    assert pinger(b["ns"], a["ip"]).returncode == 0

    # Flows with different ports until both workers have owned one: the hash
    # is fixed, so which flows those are does not change from run to run.
    owners = []
    for k in range(12):
        v.cli("clear runtime")
        v.cli("clear errors")
        sport, dport = 40000 + k, 5000 + 7 * k
        assert udp_flow(a, b, sport, dport, v6) == (N, N), f"flow {sport}->{dport} lost packets"
        rt = v.json("show runtime")
        # Each worker ran the handoff node for the direction it polls ...
        assert per_worker(rt, node) == [N, N]
        # ... but every packet of the flow, both ways, was looked up and
        # rewritten on one worker only: the owner.
        lookup, rewrite = per_worker(rt, f"{family}-lookup"), per_worker(rt, f"{family}-rewrite")
        assert sorted(lookup) == [0, 2 * N], f"{family}-lookup per worker: {lookup}"
        assert rewrite == lookup, f"{family}-rewrite per worker: {rewrite}"
        owners.append(lookup.index(2 * N))
        # The direction that arrived on the other worker was handed off.
        e = errors(v)
        assert e.get((node, "handed off to another worker"), 0) == N
        assert e.get((node, "kept on this worker"), 0) == N
        if k >= 1 and len(set(owners)) == 2:
            break
    print(f"{family}: owners (worker) of the flows tried: {owners}")
    assert set(owners) == {0, 1}, f"owners of the flows tried: {owners}"

    # A traced packet's trace names its owner, and the owner's trace has the
    # rest of its path: 5 packets traced on each worker, all of the last flow.
    v.cli("clear trace")
    v.cli("trace add af-packet-input 5")
    assert udp_flow(a, b, sport, dport, v6, n=5) == (5, 5)
    owner_thread = owners[-1] + 1
    named, lookups = [], {1: 0, 2: 0}
    for pkt in v.json("show trace"):
        for rec in pkt["nodes"]:
            if rec["node"] == node:
                m = re.fullmatch(r"flow hash 0x[0-9a-f]{8} owner thread (\d+)", rec["text"])
                assert m, rec["text"]
                named.append(int(m.group(1)))
            if rec["node"] == f"{family}-lookup":
                lookups[pkt["thread"]] += 1
    assert named == [owner_thread] * 10
    assert lookups[owner_thread] == 10 and sum(lookups.values()) == 10, lookups

    # Switched off, each direction is processed where it arrived.
    for p in (a["port"], b["port"]):
        v.cli(f"set interface feature {p} {node} arc {family}-unicast disable")
    v.cli("clear runtime")
    assert udp_flow(a, b, 41000, 6000, v6) == (N, N)
    assert per_worker(v.json("show runtime"), f"{family}-lookup") == [N, N]
