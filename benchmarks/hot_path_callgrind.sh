#!/bin/bash
# Instructions per hot-path request, in process, under callgrind (see benchmarks/hot_path_cpu.py, --callgrind):
#   benchmarks/hot_path_callgrind.sh OUTPUT_DIRECTORY [REQUESTS]
# PYTHONPATH=<another checkout>/src measures that checkout's code with this script. Prints, per kind of
# request, the instructions of REQUESTS (40) requests; divide by REQUESTS. Takes a few minutes.
set -euo pipefail
out=$1
requests=${2:-40}
mkdir -p "$out"
rm -f "$out"/callgrind.*
cd "$(dirname "$0")/.."
coproc RUN {
    exec valgrind --tool=callgrind --instr-atstart=no --cache-sim=no --branch-sim=no \
        --callgrind-out-file="$out/callgrind.%p" \
        .venv/bin/python benchmarks/hot_path_cpu.py --callgrind --requests "$requests" 2>"$out/stderr"
}
pid=$RUN_PID
while read -r line <&"${RUN[0]}"; do
    case "$line" in
        "CALLGRIND on "*)
            callgrind_control -i on "$pid" >/dev/null 2>&1
            echo >&"${RUN[1]}" ;;
        "CALLGRIND dump "*)
            callgrind_control -d "${line#CALLGRIND dump }" "$pid" >/dev/null 2>&1
            callgrind_control -i off "$pid" >/dev/null 2>&1
            echo >&"${RUN[1]}" ;;
    esac
done
wait "$pid" || true
for file in "$out"/callgrind.*.*; do
    name=$(grep -m1 '^desc: Trigger' "$file" | sed 's/^desc: Trigger: //;s/^Client Request: //;s/^dump //')
    total=$(grep -m1 '^summary:' "$file" | cut -d' ' -f2)
    echo "$name $total $((total / requests))"
done
