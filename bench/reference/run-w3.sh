#!/usr/bin/env bash
# W3 side by side: the plain-C reference (gcc -O2) and IommuKit's ArmLpaeIoPageTable + ArmLpaeWalker
# (dotnet, Release), run alternately. Each run prints ns/op for map, walk, unmap and addrgen and
# checks the expected values; the summary gives each phase's median and best over the runs and the
# ratio of the medians, and the C# driver's walk floor: W3's own walk written in plain C# over the
# same simulated RAM, which separates the walker's cost from the runtime's and the memory's.
# walk is W3's figure: the first pass of 10,000,000 walks right after the maps. walk_steady is the
# best of five more passes over the same tables, once the host's memory has warmed up. The C
# reference is also built as a library whose walk phase the C# driver runs over its own tables,
# alternating pass by pass with the walker: the same memory at the same moment. The paired line
# divides each IommuKit run by the C run just before it, which cancels most of a shared host's drift.
# Usage: bench/reference/run-w3.sh [runs]   (default 5)
set -euo pipefail
cd "$(dirname "$0")/../.."
runs="${1:-5}"
out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT

gcc -O2 -Wall -Wextra -o "$out/w3_lpae" bench/reference/w3_lpae.c
gcc -O2 -Wall -Wextra -shared -fPIC -DW3_LIBRARY -o "$out/libw3.so" bench/reference/w3_lpae.c
dotnet build bench/IommuKit.Benchmarks -c Release -nologo -v q >/dev/null
dll="bench/IommuKit.Benchmarks/bin/Release/net10.0/IommuKit.Benchmarks.dll"

status=0
for ((i = 1; i <= runs; i++)); do
    "$out/w3_lpae" >>"$out/all" || status=1
    W3_C_LIBRARY="$out/libw3.so" dotnet "$dll" w3 >>"$out/all" || status=1
done

grep -E '\.check ' "$out/all" | sort | uniq -c
awk '
    $3 == "ns/op" { split($1, k, "."); v[k[2] "." k[3]] = v[k[2] "." k[3]] " " $2 }
    function stat(list, which,    a, n, i, j, t) {
        n = split(substr(list, 2), a, " ")
        for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) if (a[j] + 0 < a[i] + 0) { t = a[i]; a[i] = a[j]; a[j] = t }
        return which == "min" ? a[1] : (n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2)
    }
    END {
        printf "%-12s %10s %10s %10s %10s %8s\n", "phase", "C median", "C best", "C# median", "C# best", "ratio"
        split("map walk walk_steady unmap addrgen", p, " ")
        for (i = 1; i <= 5; i++) {
            c = v["c." p[i]]; s = v["cs." p[i]]
            cm = stat(c, "med"); sm = stat(s, "med")
            printf "%-12s %10.2f %10.2f %10.2f %10.2f %7.2fx\n", p[i], cm, stat(c, "min"), sm, stat(s, "min"), sm / cm
        }
        f = v["cs.walk_floor"]; w = stat(v["cs.walk"], "med"); fm = stat(f, "med")
        printf "C# walk_floor (the C walk written in C#, same RAM): median %.2f, best %.2f; walker / floor %.2fx\n", fm, stat(f, "min"), w / fm
        f = v["cs.walk_floor_steady"]; w = stat(v["cs.walk_steady"], "med"); fm = stat(f, "med")
        printf "C# walk_floor_steady: median %.2f, best %.2f; walker / floor %.2fx\n", fm, stat(f, "min"), w / fm
        c = v["cs.c_inprocess_steady"]; cm = stat(c, "med")
        printf "C walk in the C# process, same tables, passes alternating with the walker: median %.2f, best %.2f; walker / C %.2fx\n", cm, stat(c, "min"), w / cm
        # Paired: run i of the C program against run i of IommuKit, which ran right after it.
        printf "paired (median of per-run C# / C):"
        for (i = 1; i <= 4; i++) {
            q = split("map walk walk_steady unmap", ph, " ")
            nc = split(substr(v["c." ph[i]], 2), ca, " "); split(substr(v["cs." ph[i]], 2), sa, " ")
            r = ""; for (j = 1; j <= nc; j++) r = r " " sa[j] / ca[j]
            printf " %s %.2fx", ph[i], stat(r, "med")
        }
        nc = split(substr(v["cs.c_inprocess_steady"], 2), ca, " "); split(substr(v["cs.walk_steady"], 2), sa, " ")
        r = ""; for (j = 1; j <= nc; j++) r = r " " sa[j] / ca[j]
        printf ", walk_steady / in-process C %.2fx\n", stat(r, "med")
    }' "$out/all"
exit "$status"
