// One synthesis measurement, run in its own process so peak RSS belongs to this case alone.
// usage: node bench/synth-case.js <lib|bare> <apps>
// Prints one JSON line: objects, kinds, load/construct/synth ms, peak RSS.
'use strict';
const { performance } = require('node:perf_hooks');
const { createHash } = require('node:crypto');
const { readFileSync } = require('node:fs');
const path = require('node:path');

const [impl, appsArg] = process.argv.slice(2);
const apps = Number(appsArg);
if (!['lib', 'bare'].includes(impl) || !Number.isInteger(apps) || apps < 1) {
  console.error('usage: node bench/synth-case.js <lib|bare> <apps>');
  process.exit(2);
}

const t0 = performance.now();
const { App, ApiObject, Chart, Duration, Size } = require('cdk8s');
const kplus = require('cdk8s-plus-27');
const lib = impl === 'lib' ? require(path.join(__dirname, '..', 'lib', 'index.js')) : undefined;
const tLoaded = performance.now();
const cpuLoaded = process.cpuUsage();

const APP_PORT = 3000;
const GATEWAY_PORT = 8080;
const ADMIN_PORT = 9901;
const REPLICAS = 3;
const IMAGE = 'ghcr.io/example/app:1.0.0';
const config = (i) => ({ LOG_LEVEL: 'info', APP_INDEX: String(i) });

const app = new App({ outdir: path.join(require('node:os').tmpdir(), 'cdk8s-balancer-bench') });
const chart = new Chart(app, 'bench');

if (lib !== undefined) {
  for (let i = 0; i < apps; i++) {
    new lib.LoadBalancedApp(chart, `App${i}`, {
      name: `app${i}`,
      replicas: REPLICAS,
      container: { image: IMAGE, ports: [{ name: 'http', number: APP_PORT }] },
      config: config(i),
    });
  }
} else {
  require('./synth-bare').addBareApps(chart, apps, { kplus, ApiObject, Duration, Size, createHash, readFileSync, config,
    APP_PORT, GATEWAY_PORT, ADMIN_PORT, REPLICAS, IMAGE });
}
const tBuilt = performance.now();
const yaml = app.synthYaml();
const tSynth = performance.now();
const cpu = process.cpuUsage(cpuLoaded);

const objects = chart.toJson();
const kinds = {};
for (const o of objects) kinds[o.kind] = (kinds[o.kind] ?? 0) + 1;
console.log(JSON.stringify({
  impl,
  apps,
  objects: objects.length,
  kinds,
  yamlBytes: yaml.length,
  loadMs: tLoaded - t0,
  constructMs: tBuilt - tLoaded,
  synthMs: tSynth - tBuilt,
  wallMs: tSynth - tLoaded,
  // CPU time (all threads, GC included) is steadier than wall on a shared machine.
  cpuMs: (cpu.user + cpu.system) / 1000,
  maxRssMB: process.resourceUsage().maxRSS / 1024,
}));
