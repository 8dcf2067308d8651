#!/usr/bin/env bash
# The main job on an embedded default: installs and builds (setup.sh), starts
# vplaned between two network namespaces, shows traffic crossing it, prints
# what vplane saw, and cleans everything up on exit (even on Ctrl-C).
#
#   h1 10.10.1.2/24     --veth-- [ 10.10.1.1      vplane  10.10.2.1     ] --veth-- h2 10.10.2.2/24
#      2001:db8:1::2/64           2001:db8:1::1           2001:db8:2::1              2001:db8:2::2/64
#
# vplane routes IPv4 and IPv6 between the two subnets (ARP/ND, lookup, rewrite),
# then puts h1's side in zone trust and h2's in zone untrust: trust may open
# connections to untrust, untrust gets nothing back but replies (and a reset
# for ssh).
#
# Ports are AF_XDP, falling back to AF_PACKET where AF_XDP cannot attach.
set -euo pipefail
cd "$(dirname "$0")/.."
[ "${1:-}" = "--help" ] && { sed -n '2,13p' "$0"; exit 0; }
./scripts/setup.sh

NAME=lab
SOCK=/run/vplane/$NAME/cli.sock
CTL="build/src/vplanectl -s $SOCK"
LOG=/tmp/vplane-lab.log
VPID=""

step() { printf '\033[1m==> %s\033[0m\n' "$*"; }
cleanup() {
  set +e
  [ -n "$VPID" ] && kill "$VPID" 2>/dev/null && wait "$VPID" 2>/dev/null
  ip netns pids vplab-h1 2>/dev/null | xargs -r kill 2>/dev/null
  ip netns pids vplab-h2 2>/dev/null | xargs -r kill 2>/dev/null
  ip netns del vplab-h1 2>/dev/null
  ip netns del vplab-h2 2>/dev/null
  ip link del vplab1 2>/dev/null
  ip link del vplab2 2>/dev/null
  echo "lab cleaned up"
}
trap cleanup EXIT INT TERM
cleanup >/dev/null

step "creating namespaces vplab-h1 and vplab-h2"
for i in 1 2; do
  ip netns add vplab-h$i
  ip link add vplab$i type veth peer name eth0 netns vplab-h$i
  sysctl -q -w net.ipv6.conf.vplab$i.disable_ipv6=1
  ip link set vplab$i up
  ip -n vplab-h$i link set lo up
  ip -n vplab-h$i link set eth0 up
  ip -n vplab-h$i addr add 10.10.$i.2/24 dev eth0
  ip -n vplab-h$i route add default via 10.10.$i.1
  ip -n vplab-h$i addr add 2001:db8:$i::2/64 dev eth0 nodad
  ip -n vplab-h$i -6 route add default via 2001:db8:$i::1
  # AF_XDP/AF_PACKET and TX checksum/TSO offloads do not mix: compute in software.
  for dev in "vplab$i" "eth0"; do
    ns=""; [ "$dev" = eth0 ] && ns="ip netns exec vplab-h$i"
    $ns ethtool -K "$dev" rx off tx off tso off gso off gro off >/dev/null 2>&1 || true
  done
done

step "starting vplaned (instance '$NAME', single-thread mode)"
build/src/vplaned --name "$NAME" --workers 0 >"$LOG" 2>&1 &
VPID=$!
for _ in $(seq 100); do $CTL show version >/dev/null 2>&1 && break; sleep 0.1; done
$CTL show version

step "attaching vplab1 and vplab2"
PORTS=()
for i in 1 2; do
  if p=$($CTL create interface af_xdp host-if vplab$i 2>/dev/null); then
    echo "  vplab$i: AF_XDP ($p)"
  else
    p=$($CTL create host-interface name vplab$i)
    echo "  vplab$i: AF_PACKET ($p)"
  fi
  PORTS+=("$p")
  $CTL set interface ip address "$p" 10.10.$i.1/24
  $CTL set interface ip address "$p" 2001:db8:$i::1/64
  $CTL set interface state "$p" up
done
$CTL trace add af-xdp-input 2 >/dev/null
$CTL trace add af-packet-input 2 >/dev/null

step "ping h1 -> h2 through vplane, and vplane itself"
ip netns exec vplab-h1 ping -c 5 -i 0.2 -W 1 10.10.2.2
ip netns exec vplab-h1 ping -c 1 -W 1 10.10.1.1 | grep -E "bytes from|loss"
step "traceroute h1 -> h2 (vplane answers TTL exceeded)"
ip netns exec vplab-h1 ping -c 1 -t 1 -W 1 10.10.2.2 | grep -E "From|loss" || true
step "ping6 h1 -> h2 through vplane, vplane itself, and hop limit 1"
ip netns exec vplab-h1 ping -6 -c 5 -i 0.2 -W 1 2001:db8:2::2
ip netns exec vplab-h1 ping -6 -c 1 -W 1 2001:db8:1::1 | grep -E "bytes from|loss"
ip netns exec vplab-h1 ping -6 -c 1 -t 1 -W 1 2001:db8:2::2 | grep -E "From|loss" || true

step "TCP h1 -> h2 through vplane (iperf3, 3 s)"
ip netns exec vplab-h2 iperf3 -s -1 -D -p 5201 >/dev/null
sleep 0.3
RATE=$(ip netns exec vplab-h1 iperf3 -c 10.10.2.2 -p 5201 -t 3 -f m | awk '/receiver/ {print $7, $8}')
echo "  iperf3: $RATE"
step "TCP over IPv6 h1 -> h2 through vplane (iperf3, 3 s)"
ip netns exec vplab-h2 iperf3 -s -1 -D -p 5202 >/dev/null
sleep 0.3
RATE6=$(ip netns exec vplab-h1 iperf3 -6 -c 2001:db8:2::2 -p 5202 -t 3 -f m | awk '/receiver/ {print $7, $8}')
echo "  iperf3: $RATE6"

step "zone firewall: trust (h1) -> untrust (h2) permitted, untrust -> trust denied, ssh from untrust rejected"
for c in "set security zones security-zone trust interfaces ${PORTS[0]}" \
         "set security zones security-zone trust host-inbound-traffic system-services ping" \
         "set security zones security-zone untrust interfaces ${PORTS[1]}" \
         "set security policies from-zone trust to-zone untrust policy out match source-address any" \
         "set security policies from-zone trust to-zone untrust policy out match destination-address any" \
         "set security policies from-zone trust to-zone untrust policy out match application any" \
         "set security policies from-zone trust to-zone untrust policy out then permit" \
         "set security policies from-zone trust to-zone untrust policy out then count" \
         "set security policies from-zone untrust to-zone trust policy no-ssh match source-address any" \
         "set security policies from-zone untrust to-zone trust policy no-ssh match destination-address any" \
         "set security policies from-zone untrust to-zone trust policy no-ssh match application junos-ssh" \
         "set security policies from-zone untrust to-zone trust policy no-ssh then reject"; do
  echo "  $c"
  $CTL $c
done
sleep 0.1  # the rulebase is published within 50 ms
echo "  h1 -> h2 (trust -> untrust, permitted):"
ip netns exec vplab-h1 ping -c 3 -i 0.2 -W 1 10.10.2.2 | grep -E "loss"
echo "  h2 -> h1 (untrust -> trust, no policy: denied):"
ip netns exec vplab-h2 ping -c 2 -i 0.2 -W 1 10.10.1.2 | grep -E "loss" || true
echo "  h2 -> h1 port 22 (policy no-ssh rejects with a TCP reset):"
ip netns exec vplab-h2 /usr/bin/python3 -c 'import socket; s = socket.socket(); s.settimeout(2)
try: s.connect(("10.10.1.2", 22)); print("  connected?!")
except ConnectionRefusedError: print("  connection refused (reset from the firewall)")
except socket.timeout: print("  timed out")'
ip netns exec vplab-h2 iperf3 -s -1 -D -p 5203 >/dev/null
sleep 0.3
RATEFW=$(ip netns exec vplab-h1 iperf3 -c 10.10.2.2 -p 5203 -t 3 -f m | awk '/receiver/ {print $7, $8}')
echo "  iperf3 h1 -> h2 through the firewall: $RATEFW"
ip netns exec vplab-h1 ping -c 1 -W 1 10.10.2.2 >/dev/null
step "show security flow session"
$CTL show security flow session
step "show security policies hit-count"
$CTL show security policies hit-count
step "show security flow statistics"
$CTL show security flow statistics

step "NAT44: h1's flows leave as vplane's address on h2's link (source NAT to an interface)"
for c in "nat44 add interface address ${PORTS[1]}" \
         "set interface nat44 in ${PORTS[0]} out ${PORTS[1]}"; do
  echo "  $c"
  $CTL $c
done
SEEN=$(ip netns exec vplab-h2 /usr/bin/python3 -c 'import socket; s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("0.0.0.0", 5300)); s.listen(1); s.settimeout(5)
try: c, a = s.accept(); print(a[0])
except socket.timeout: print("nothing")' &
  sleep 0.3
  ip netns exec vplab-h1 /usr/bin/python3 -c 'import socket; socket.create_connection(("10.10.2.2", 5300), timeout=2)' || true
  wait)
echo "  h2's server saw h1 connect from $SEEN (h1 is 10.10.1.2)"
step "show nat44 sessions"
$CTL show nat44 sessions

step "show interface"
$CTL show interface
step "show ip fib"
$CTL show ip fib
step "show ip6 fib"
$CTL show ip6 fib
step "show ip neighbors / show ip6 neighbors"
$CTL show ip neighbors
$CTL show ip6 neighbors
step "show runtime"
$CTL show runtime
step "show trace (first packets)"
$CTL show trace | head -12
step "show errors"
$CTL show errors

RX=$($CTL --json show interface | /usr/bin/python3 -c 'import json,sys; print(sum(i["counters"]["rx_packets"] for i in json.load(sys.stdin)))')
step "summary: vplane routed $RX packets between 10.10.1.0/24 and 10.10.2.0/24 and their IPv6 twins; TCP through it: $RATE (IPv4), $RATE6 (IPv6), $RATEFW (IPv4 through the zone firewall); NAT44 made h1 $SEEN"
