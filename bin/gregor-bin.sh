# Sourced by the bin/ scripts: finds the gregor binary (GREGOR_BIN, a release or debug build of
# this checkout, or gregor on PATH).
gregor_bin() {
  local root
  root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
  if [ -n "${GREGOR_BIN:-}" ]; then echo "$GREGOR_BIN"; return; fi
  for candidate in "$root/build/release/src/tools/gregor" "$root/build/debug/src/tools/gregor"; do
    if [ -x "$candidate" ]; then echo "$candidate"; return; fi
  done
  command -v gregor || { echo "gregor binary not found: build it with ./dev build release" >&2; exit 1; }
}
