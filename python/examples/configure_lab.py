#!/usr/bin/python3
"""Configure a routed vplane from scratch over the API: attach two Linux
interfaces with AF_PACKET, address them, bring them up, add a route.

    configure_lab.py --api unix:/run/vplane/api.sock eth1 10.1.0.1/24 eth2 10.2.0.1/24 \\
        --route 198.51.100.0/24=10.2.0.2
"""
import argparse
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from vplane_client import Client  # noqa: E402


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--api", default="unix:/run/vplane/api.sock")
    ap.add_argument("pairs", nargs="+", help="<linux-if> <address/len> ...")
    ap.add_argument("--route", action="append", default=[], help="<prefix>=<next-hop>")
    a = ap.parse_args()
    if len(a.pairs) % 2:
        sys.exit("give interfaces and addresses in pairs: <linux-if> <address/len> ...")
    c = Client(a.api)
    for host_if, addr in zip(a.pairs[::2], a.pairs[1::2]):
        idx = c.create_af_packet(host_if)
        c.set_address(idx, addr)
        c.set_state(idx, True)
        print(f"{host_if}: sw_if_index {idx}, {addr}, up")
    if a.route:
        reply = c.apply([c.route(p, via=nh) for p, nh in (r.split("=") for r in a.route)])
        for e in reply.rejected:
            print(f"route {a.route[e.index]} rejected: {e.reason}")
        print(f"{reply.applied} route(s) added")


if __name__ == "__main__":
    main()
