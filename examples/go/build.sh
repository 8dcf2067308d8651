#!/bin/sh
# Builds the Go example offline with Debian's packages (golang-go,
# golang-google-grpc-dev, golang-google-protobuf-dev, protoc-gen-go,
# protoc-gen-go-grpc): stubs from every file of proto/vplane/v1/ (one per
# feature, one Go package vplane/v1) into a GOPATH of our own, next to
# Debian's /usr/share/gocode.
#   examples/go/build.sh <output binary>
set -eu
out=${1:?usage: examples/go/build.sh <output binary>}
root=$(cd "$(dirname "$0")/../.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/src/vplane/v1"
cd "$root/proto"
protos=$(ls vplane/v1/*.proto)
map=""
for p in $protos; do map="$map --go_opt=M$p=vplane/v1 --go-grpc_opt=M$p=vplane/v1"; done
# shellcheck disable=SC2086
protoc -I . --go_out="$work/src/vplane/v1" --go_opt=paths=source_relative \
  --go-grpc_out="$work/src/vplane/v1" --go-grpc_opt=paths=source_relative $map $protos
mv "$work/src/vplane/v1/vplane/v1/"*.go "$work/src/vplane/v1/" 2>/dev/null || true
GOPATH="$work:/usr/share/gocode" GO111MODULE=off GOFLAGS=-mod=mod go build -o "$out" "$root/examples/go/vplane-routes/main.go"
