#!/bin/sh
# Builds and runs W2 beside each other: the libfdt reference (C) and `iommukit dt walk`.
# Usage: bench/reference/run-w2.sh [DIR] [R]   (default DIR: tests/fixtures/firmware, R: 20)
set -eu
root=$(cd "$(dirname "$0")/../.." && pwd)
dir=${1:-$root/tests/fixtures/firmware}
reps=${2:-20}
mkdir -p "$root/bench/reference/build"
gcc -O2 -Wall -o "$root/bench/reference/build/w2_libfdt" "$root/bench/reference/w2_libfdt.c" -lfdt
dotnet build -c Release "$root/src/IommuKit.Cli" -v quiet -nologo > /dev/null
echo "== libfdt (C, gcc -O2, Debian libfdt1) =="
"$root/bench/reference/build/w2_libfdt" "$dir" "$reps"
echo "== iommukit dt walk (C#) =="
dotnet "$root/src/IommuKit.Cli/bin/Release/net10.0/iommukit.dll" dt walk "$dir" --repetitions "$reps"
