#!/usr/bin/env bash
# clang-tidy over every .cpp in core/ and labs/, with the checks in .clang-tidy and the compile
# flags of a configured build (its compile_commands.json). Any finding fails (.clang-tidy makes
# every warning an error) and is printed. The ctest test `clang_tidy` (label "lint") runs this,
# so `./wirelab test` does; docs/reliability.md says which checks are on and why some are off.
#
#   tools/tidy.sh [BUILD_DIR] [FILE...]     (default: build/, every core/ and labs/ .cpp)
#
# WIRELAB_TIDY_JOBS (default 2) files are checked at once; CLANG_TIDY names the binary
# (default clang-tidy-14, else clang-tidy).
set -uo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BUILD="$(cd "${1:-$ROOT/build}" 2>/dev/null && pwd)" || { echo "tidy: no build directory ${1:-$ROOT/build}" >&2; exit 1; }
shift $(( $# > 0 ? 1 : 0 ))
JOBS="${WIRELAB_TIDY_JOBS:-2}"

# A missing clang-tidy fails the check: passing without looking would hide every finding.
TIDY="${CLANG_TIDY:-}"
if [ -z "$TIDY" ]; then
  for t in clang-tidy-14 clang-tidy; do
    if command -v "$t" >/dev/null 2>&1; then TIDY="$t"; break; fi
  done
fi
if [ -z "$TIDY" ] || ! command -v "$TIDY" >/dev/null 2>&1; then
  echo "tidy: FAILED: clang-tidy is not installed (Debian: apt-get install clang-tidy; ./wirelab test installs it)" >&2
  exit 1
fi
if [ ! -f "$BUILD/compile_commands.json" ]; then
  echo "tidy: FAILED: $BUILD/compile_commands.json is missing (configure with CMAKE_EXPORT_COMPILE_COMMANDS=ON;" \
       "the top CMakeLists.txt sets it)" >&2
  exit 1
fi

if [ $# -gt 0 ]; then
  files=("$@")
else
  mapfile -t files < <(cd "$ROOT" && find core labs -name '*.cpp' | sort)
fi

out="$(mktemp -d "${TMPDIR:-/tmp}/wirelab-tidy.XXXXXX")"
trap 'rm -rf "$out"' EXIT
start=$(date +%s)

# One clang-tidy per file, JOBS at a time; each writes its findings to its own log, and a file
# with findings leaves a .failed marker beside it.
export TIDY BUILD ROOT out
printf '%s\n' "${files[@]}" | xargs -d '\n' -P "$JOBS" -n 1 bash -c '
  log="$out/$(echo "$1" | tr / _).log"
  if ! (cd "$ROOT" && "$TIDY" -p "$BUILD" --quiet "$1") >"$log" 2>&1; then touch "$log.failed"; fi' tidy

failed=()
for f in "${files[@]}"; do
  log="$out/$(echo "$f" | tr / _).log"
  if [ -e "$log.failed" ]; then
    failed+=("$f")
    # The findings, without clang-tidy's "N warnings generated" chatter.
    grep -v -E '^[0-9]+ warnings? (and [0-9]+ errors? )?generated\.$|^Suppressed [0-9]+ warnings|^Use -header-filter' "$log"
  fi
done
seconds=$(( $(date +%s) - start ))
if [ ${#failed[@]} -gt 0 ]; then
  echo "tidy: FAILED: findings in ${#failed[@]} of ${#files[@]} files (${seconds}s, $("$TIDY" --version | grep -o 'version [0-9.]*')): ${failed[*]}" >&2
  exit 1
fi
echo "tidy: ${#files[@]} files clean (${seconds}s, $JOBS jobs, $("$TIDY" --version | grep -o 'version [0-9.]*'))"
