#!/usr/bin/env bash
# Proves that what `npm pack` ships installs into a fresh, empty project and synthesizes there.
#  1. copies the package sources into a clean temp dir and builds there (so stale files in ./lib never ship),
#  2. `npm pack`s it and checks the tarball's file list (lib JS, .d.ts, bundle, schema in; sources and tests out),
#  3. creates an empty project, `npm install`s only the tarball, and runs a plain-JS main.js that builds a chart with
#     one LoadBalancedApp, synthesizes it, and validates it with the package's own assertValidManifests
#     (from `cdk8s-balancer/testing`),
#  4. asserts the YAML file exists, holds a Deployment and the proxy-bundle ConfigMap whose compressed bundle inflates
#     to the shipped lib/proxy.bundle.js byte for byte,
#  5. runs the package's `cdk8s-balancer validate` command on that dist/ (exit 0) and on a bad file (exit 1),
#  6. checks the `exports` map: the four entry points load (the simulator runs a short scenario), a deep import of an
#     internal module is refused, and a TypeScript user compiles against all four with node16 and with node10
#     (`typesVersions`) module resolution.
# usage: bash scripts/pack-smoke.sh   (KEEP=1 keeps the temp dir)
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
work="$(mktemp -d -t cdk8s-balancer-pack-XXXXXX)"
cleanup() { if [[ "${KEEP:-}" == 1 ]]; then echo "kept $work"; else rm -rf "$work"; fi; }
trap cleanup EXIT
fail() { echo "pack-smoke: FAIL: $*" >&2; exit 1; }
step() { echo "pack-smoke: $*"; }
npmq() { npm --loglevel=error --no-audit --no-fund --no-update-notifier "$@"; }

step "building a clean copy in $work/pkg"
mkdir -p "$work/pkg"
for f in package.json package-lock.json tsconfig.json README.md LICENSE; do
  [[ -e "$root/$f" ]] && cp "$root/$f" "$work/pkg/"
done
cp -r "$root/src" "$root/scripts" "$work/pkg/"
ln -s "$root/node_modules" "$work/pkg/node_modules"
(cd "$work/pkg" && npmq run build >/dev/null) || fail "build failed"

step "packing"
tarball="$(cd "$work/pkg" && npmq pack --pack-destination "$work" | tail -n1)"
tarball="$work/$tarball"
[[ -f "$tarball" ]] || fail "npm pack produced no tarball"
files="$(tar tzf "$tarball" | sed 's|^package/||' | sort)"
echo "$files" > "$work/files.txt"
for need in package.json lib/index.js lib/index.d.ts lib/proxy.bundle.js lib/proxy.bundle.js.br lib/config.schema.json \
  lib/constructs/load-balanced-app.js lib/constructs/load-balanced-app.d.ts lib/testing/index.js lib/testing/index.d.ts \
  lib/cli/main.js lib/cli/validate.js \
  lib/config/index.js; do
  grep -qx "$need" <<<"$files" || fail "tarball lacks $need (check package.json \"files\")"
done
unwanted="$(grep -E '^(src|test|bench|scripts)/|\.test\.|\.spec\.|\.ts$|\.tsbuildinfo$|\.cpuprofile$|\.tgz$' <<<"$files" | grep -vE '\.d\.ts$' || true)"
[[ -z "$unwanted" ]] || fail "tarball ships files users do not need: $(tr "\n" " " <<<"$unwanted")"
step "tarball $(basename "$tarball"): $(wc -l <<<"$files") files, $(du -k "$tarball" | cut -f1) KiB"

step "installing the tarball into an empty project"
mkdir -p "$work/proj"
cd "$work/proj"
npmq init -y >/dev/null
npmq install "$tarball" >/dev/null || fail "npm install of the tarball failed"

cat > main.js <<'JS'
// A user's chart: plain JavaScript, only the published package installed.
const { App, Chart } = require('cdk8s');
const { LoadBalancedApp } = require('cdk8s-balancer');
const { assertValidManifests } = require('cdk8s-balancer/testing');

const app = new App({ outdir: 'dist' });
const chart = new Chart(app, 'smoke');
new LoadBalancedApp(chart, 'hello', {
  container: { image: 'ghcr.io/example/hello:1.0.0', ports: [{ name: 'http', number: 3000 }] },
  config: { GREETING: 'hi' },
});
assertValidManifests(chart.toJson());
app.synth();
console.log('synthesized', chart.toJson().length, 'objects');
JS
node main.js || fail "main.js failed"

yaml_file="dist/smoke.k8s.yaml"
[[ -s "$yaml_file" ]] || fail "$yaml_file was not written"
node - "$yaml_file" node_modules/cdk8s-balancer/lib/proxy.bundle.js <<'JS' || fail "synthesized YAML is missing objects"
const fs = require('fs');
const YAML = require('yaml');
const [file, bundleFile] = process.argv.slice(2);
const docs = YAML.parseAllDocuments(fs.readFileSync(file, 'utf8')).map((d) => d.toJSON());
const kinds = docs.map((d) => d.kind);
const bundle = fs.readFileSync(bundleFile, 'utf8');
const inflate = (b64) => require('zlib').brotliDecompressSync(Buffer.from(b64, 'base64')).toString('utf8');
const bundleMaps = docs.filter((d) => d.kind === 'ConfigMap' && d.binaryData && d.binaryData['proxy.js.br'] && inflate(d.binaryData['proxy.js.br']) === bundle);
const deployments = docs.filter((d) => d.kind === 'Deployment');
console.log(`pack-smoke: ${file}: ${docs.length} objects (${[...new Set(kinds)].join(', ')})`);
if (bundleMaps.length !== 1) { console.error(`expected 1 ConfigMap holding the shipped proxy bundle, found ${bundleMaps.length}`); process.exit(1); }
if (deployments.length < 1) { console.error('expected a Deployment'); process.exit(1); }
console.log(`pack-smoke: bundle ConfigMap ${bundleMaps[0].metadata.name} (${bundle.length} bytes, inflated: identical to the shipped lib/proxy.bundle.js); Deployments: ${deployments.map((d) => d.metadata.name).join(', ')}`);
JS
node --check node_modules/cdk8s-balancer/lib/proxy.bundle.js || fail "the shipped bundle does not parse"

step "running the cdk8s-balancer command on dist/"
npx --no-install cdk8s-balancer validate dist/ || fail "\`npx cdk8s-balancer validate dist/\` found problems in the synthesized YAML, or did not run"
printf 'apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: bad\n' > bad.yaml
set +e
npx --no-install cdk8s-balancer validate --format github bad.yaml > bad.out 2>&1
code=$?
set -e
[[ "$code" == 1 ]] || fail "validate exited $code on an invalid Deployment, expected 1: $(cat bad.out)"
grep -q '^::error file=bad.yaml,line=' bad.out || fail "validate --format github printed no annotation: $(cat bad.out)"

step "checking the exports map"
node -e '
  const { validateProxyConfig, CONFIG_VERSION } = require("cdk8s-balancer/config");
  const cfg = validateProxyConfig({ version: CONFIG_VERSION, upstream: { port: 80, sources: [{ kind: "dns", hostname: "x" }] } });
  if (cfg.listener.port !== 8080) throw new Error("cdk8s-balancer/config did not validate a config");
  require.resolve("cdk8s-balancer/config.schema.json");
  try { require("cdk8s-balancer/lib/constructs/internal/resolve"); } catch (e) {
    if (e.code === "ERR_PACKAGE_PATH_NOT_EXPORTED") process.exit(0);
    throw e;
  }
  throw new Error("a deep import of an internal module was not refused");
' || fail "the exports map does not expose exactly the entry points"
node -e '
  // The simulator runs the proxy decision modules shipped under lib/proxy; a short run proves they are all there.
  const { simulate, SCENARIOS, scaleTime } = require("cdk8s-balancer/simulate");
  const r = simulate("peak-ewma", scaleTime(SCENARIOS["bench-slow"], 0.05), { oracle: false });
  if (!(r.requests > 1000)) throw new Error("cdk8s-balancer/simulate did not run: " + JSON.stringify(r.requests));
  console.log(`pack-smoke: cdk8s-balancer/simulate ran ${r.requests} requests`);
' || fail "cdk8s-balancer/simulate does not run from the packed library (check package.json \"files\")"
cat > user.ts <<'TS'
import { App, Chart } from 'cdk8s';
import { LoadBalancedApp, NamedPort, Protocol } from 'cdk8s-balancer';
import { ProxyConfig, validateProxyConfig } from 'cdk8s-balancer/config';
import { ManifestProblem, validateManifests } from 'cdk8s-balancer/testing';
import { SimulationResult, simulate, SCENARIOS } from 'cdk8s-balancer/simulate';

const chart = new Chart(new App(), 'c');
const app = new LoadBalancedApp(chart, 'hello', { protocol: Protocol.http(), container: { image: 'ghcr.io/example/hello:1.0.0', ports: [{ name: 'http', number: 3000 }] } });
const port: NamedPort = app.balancedPort;
const config: ProxyConfig | undefined = app.gateway?.config;
const problems: ManifestProblem[] = validateManifests(chart.toJson());
const figures: SimulationResult = simulate(app.gateway!.config, SCENARIOS.degraded, { oracle: false });
export const used = [port, config, problems, validateProxyConfig, figures];
TS
for resolution in node16 node10; do
  module=$([[ "$resolution" == node16 ]] && echo node16 || echo commonjs)
  "$root/node_modules/.bin/tsc" --noEmit --strict --skipLibCheck --module "$module" --moduleResolution "$resolution" user.ts \
    || fail "a TypeScript user does not compile against the entry points with moduleResolution $resolution"
done
step "OK"
