#!/usr/bin/env bash
# W3 side by side: the plain-C reference (gcc -O2) and IommuKit's ArmLpaeIoPageTable + ArmLpaeWalker
# (dotnet, Release). Both print ns/op for map, walk, unmap and addrgen and check the expected values.
# Usage: bench/reference/run-w3.sh [runs]   (default 1 run of each, alternating)
set -euo pipefail
cd "$(dirname "$0")/../.."
runs="${1:-1}"
out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT

gcc -O2 -Wall -Wextra -o "$out/w3_lpae" bench/reference/w3_lpae.c
dotnet build bench/IommuKit.Benchmarks -c Release -nologo -v q >/dev/null
dll="bench/IommuKit.Benchmarks/bin/Release/net10.0/IommuKit.Benchmarks.dll"

status=0
for ((i = 1; i <= runs; i++)); do
    echo "== run $i"
    "$out/w3_lpae" || status=1
    dotnet "$dll" w3 || status=1
done
exit "$status"
