#!/usr/bin/python3
"""Print vplane's events (interface and neighbour changes) as they happen.

    watch_events.py --api unix:/run/vplane/api.sock
"""
import argparse
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from vplane_client import Client, ip_text  # noqa: E402


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--api", default="unix:/run/vplane/api.sock")
    a = ap.parse_args()
    try:
        for e in Client(a.api).watch():
            if e.lost_before:
                print(f"({e.lost_before} events lost: reading too slowly)")
            if e.HasField("interface"):
                i = e.interface
                print(f"{e.seq}: interface {i.name} ({i.sw_if_index}) {'deleted' if i.deleted else ''}"
                      f" admin {'up' if i.admin_up else 'down'} link {'up' if i.link_up else 'down'} mtu {i.mtu}")
            else:
                n = e.neighbor
                mac = ":".join(f"{b:02x}" for b in n.neighbor.mac)
                print(f"{e.seq}: neighbour {ip_text(n.neighbor.ip)} on {n.neighbor.sw_if_index} "
                      f"{'deleted' if n.deleted else mac}{' static' if n.neighbor.is_static else ''}", flush=True)
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
