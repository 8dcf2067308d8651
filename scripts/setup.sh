#!/usr/bin/env bash
# Installs what vplane needs on Debian 12 (run as root), reserves hugepages
# and builds (CMake + Ninja, ccache). Safe to run again: it only does what is
# missing.
set -euo pipefail
cd "$(dirname "$0")/.."

PKGS=(build-essential g++ cmake ninja-build ccache pkg-config clang-format
  libdpdk-dev dpdk dpdk-dev libtomlplusplus-dev libcli11-dev libfmt-dev libedit-dev
  liburing-dev libbpf-dev libxdp-dev libmnl-dev nlohmann-json3-dev
  libabsl-dev libgrpc++-dev libprotobuf-dev protobuf-compiler protobuf-compiler-grpc
  golang-go golang-google-grpc-dev golang-google-protobuf-dev protoc-gen-go protoc-gen-go-grpc frr bird2 exabgp
  libgtest-dev libgmock-dev libbenchmark-dev
  python3 python3-pytest python3-scapy python3-matplotlib python3-grpcio python3-protobuf
  tshark iperf3 iproute2 ethtool iputils-ping procps kmod linux-perf)

step() { printf '\033[1m==> %s\033[0m\n' "$*"; }

if [ "$(id -u)" != 0 ]; then
  echo "setup: run as root (it installs packages, reserves hugepages and creates namespaces)" >&2
  exit 1
fi

missing=()
for p in "${PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  step "installing ${#missing[@]} Debian packages: ${missing[*]}"
  apt-get update -q
  echo "wireshark-common wireshark-common/install-setuid boolean false" | debconf-set-selections
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}"
fi

# Hugepages: vplaned uses them when enough are free, else ordinary memory.
want=${VPLANE_HUGEPAGES:-1024}
have=$(cat /proc/sys/vm/nr_hugepages)
if [ "$have" -lt "$want" ]; then
  step "reserving $want 2 MB hugepages"
  sysctl -q -w vm.nr_hugepages="$want" || echo "setup: could not reserve hugepages; vplaned will use ordinary memory"
fi
if ! grep -q ' hugetlbfs ' /proc/mounts; then
  mkdir -p /dev/hugepages
  mount -t hugetlbfs nodev /dev/hugepages || echo "setup: could not mount hugetlbfs; vplaned will use ordinary memory"
fi

step "building (build/)"
export CCACHE_DIR=${CCACHE_DIR:-$HOME/.cache/ccache}
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo > build.log 2>&1 || { cat build.log; exit 1; }
ninja -C build >> build.log 2>&1 || { grep -E 'error|FAILED' build.log | head -40; exit 1; }
rm -f build.log
step "built: build/src/vplaned, build/src/vplanectl"
