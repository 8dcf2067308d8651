#!/usr/bin/python3
"""Load routes from a file into vplane over the API's route stream, with a
progress line. Each line: "<prefix> via <next-hop> [<sw_if_index>]" (the
CLI's "ip route add" words after "add" also work: "ip route add" is skipped).

    load_routes.py --api unix:/run/vplane/api.sock routes.txt [--batch 1000] [--table 0]
"""
import argparse
import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from vplane_client import Client, pb  # noqa: E402


def batches(path, size, table, counter):
    b = pb.RouteBatch(batch_id=0)
    with open(path) as f:
        for line in f:
            w = line.split()
            if w[:3] == ["ip", "route", "add"]:
                w = w[3:]
            if not w or w[0].startswith("#"):
                continue
            if len(w) < 3 or w[1] != "via":
                sys.exit(f"{path}: cannot read '{line.strip()}': want <prefix> via <next-hop> [<sw_if_index>]")
            r = Client.route(w[0], via=w[2], interface=int(w[3]) if len(w) > 3 else None, table=table)
            b.updates.add(op=pb.ROUTE_ADD, route=r)
            if len(b.updates) == size:
                counter[0] += len(b.updates)
                yield b
                b = pb.RouteBatch(batch_id=b.batch_id + 1)
    if b.updates:
        counter[0] += len(b.updates)
        yield b


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--api", default="unix:/run/vplane/api.sock")
    ap.add_argument("--batch", type=int, default=1000)
    ap.add_argument("--table", type=int, default=0)
    ap.add_argument("file")
    a = ap.parse_args()
    c = Client(a.api)
    sent, applied, rejected = [0], 0, 0
    t0 = time.time()
    for reply in c.stream(batches(a.file, a.batch, a.table, sent)):
        applied += reply.applied
        rejected += len(reply.rejected)
        for e in reply.rejected[:3]:
            print(f"\n  batch {reply.batch_id} item {e.index}: {e.reason}", file=sys.stderr)
        dt = time.time() - t0
        print(f"\r{applied + rejected} routes acknowledged, {rejected} rejected, {applied / max(dt, 1e-6):,.0f}/s",
              end="", flush=True)
    dt = time.time() - t0
    print(f"\ndone: {applied} routes applied, {rejected} rejected in {dt:.2f} s")
    sys.exit(1 if rejected else 0)


if __name__ == "__main__":
    main()
