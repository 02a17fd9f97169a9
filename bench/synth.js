// Synthesis benchmark: LoadBalancedApp (lib/index.js) against the same objects written with bare cdk8s-plus-27
// (bench/synth-bare.js), for 1, 100 and 1000 apps. Each measurement runs in its own child process, so peak RSS
// (process.resourceUsage().maxRSS) belongs to one case; lib and bare alternate within a round so drift on a shared
// machine hits both. Wall = construct + synth to YAML (app.synthYaml()), excluding Node start-up and module load,
// which are reported separately.
// usage: node bench/synth.js [--runs N] [--apps 1,100,1000]
'use strict';
const { execFileSync } = require('node:child_process');
const path = require('node:path');

const args = process.argv.slice(2);
const opt = (name, dflt) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : dflt;
};
const RUNS = Number(opt('--runs', process.env.BENCH_RUNS ?? '5'));
const APPS = opt('--apps', '1,100,1000').split(',').map(Number);
const TARGET_WALL_MS = 3000;
const TARGET_RATIO = 1.5;

function measure(impl, apps) {
  const out = execFileSync(process.execPath, [path.join(__dirname, 'synth-case.js'), impl, String(apps)], {
    encoding: 'utf8',
    maxBuffer: 16 * 1024 * 1024,
  });
  return JSON.parse(out.trim().split('\n').pop());
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

const rows = [];
for (const apps of APPS) {
  const runs = { lib: [], bare: [] };
  for (let r = 0; r < RUNS; r++) {
    const order = r % 2 === 0 ? ['lib', 'bare'] : ['bare', 'lib'];
    for (const impl of order) runs[impl].push(measure(impl, apps));
    process.stderr.write(`  apps=${apps} run ${r + 1}/${RUNS}: lib ${runs.lib.at(-1).wallMs.toFixed(0)} ms, bare ${runs.bare.at(-1).wallMs.toFixed(0)} ms\n`);
  }
  const lib = runs.lib;
  const bare = runs.bare;
  if (JSON.stringify(lib[0].kinds) !== JSON.stringify(bare[0].kinds)) {
    console.error(`object sets differ at ${apps} apps: lib ${JSON.stringify(lib[0].kinds)} bare ${JSON.stringify(bare[0].kinds)}`);
    process.exitCode = 1;
  }
  // Ratios are medians of per-round ratios: each round ran both cases back to back.
  const ratio = (key) => median(lib.map((l, i) => l[key] / bare[i][key]));
  rows.push({
    apps,
    objects: lib[0].objects,
    bareObjects: bare[0].objects,
    kinds: lib[0].kinds,
    libWall: median(lib.map((x) => x.wallMs)),
    bareWall: median(bare.map((x) => x.wallMs)),
    wallRatio: ratio('wallMs'),
    libConstruct: median(lib.map((x) => x.constructMs)),
    libSynth: median(lib.map((x) => x.synthMs)),
    bareConstruct: median(bare.map((x) => x.constructMs)),
    bareSynth: median(bare.map((x) => x.synthMs)),
    libCpu: median(lib.map((x) => x.cpuMs)),
    bareCpu: median(bare.map((x) => x.cpuMs)),
    cpuRatio: ratio('cpuMs'),
    libLoad: median(lib.map((x) => x.loadMs)),
    bareLoad: median(bare.map((x) => x.loadMs)),
    libRss: median(lib.map((x) => x.maxRssMB)),
    bareRss: median(bare.map((x) => x.maxRssMB)),
    rssRatio: ratio('maxRssMB'),
  });
}

const f0 = (x) => x.toFixed(0);
const f2 = (x) => x.toFixed(2);
const table = [
  ['apps', 'objects', 'lib wall ms', 'bare wall ms', 'ratio', 'lib peak RSS MB', 'bare peak RSS MB', 'ratio'],
  ...rows.map((r) => [r.apps, r.objects === r.bareObjects ? r.objects : `${r.objects}/${r.bareObjects}`, f0(r.libWall), f0(r.bareWall), f2(r.wallRatio), f0(r.libRss), f0(r.bareRss), f2(r.rssRatio)].map(String)),
];
const widths = table[0].map((_, c) => Math.max(...table.map((row) => row[c].length)));
const line = (row) => `| ${row.map((cell, c) => cell.padStart(widths[c])).join(' | ')} |`;
const load = require('node:os').loadavg().map((x) => x.toFixed(1)).join(' ');
console.log(`\nsynthesis: LoadBalancedApp vs bare cdk8s-plus-27, median of ${RUNS} runs (node ${process.version}, ${require('node:os').cpus().length} CPUs, load avg now ${load}; ratios are medians of same-round ratios)`);
console.log(line(table[0]));
console.log(`|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`);
for (const row of table.slice(1)) console.log(line(row));
console.log('\nsplit (median ms): construct / synth, module load (not in wall), and CPU time of construct + synth');
for (const r of rows) {
  console.log(`  ${String(r.apps).padStart(4)} apps: lib ${f0(r.libConstruct)} / ${f0(r.libSynth)} (load ${f0(r.libLoad)}), bare ${f0(r.bareConstruct)} / ${f0(r.bareSynth)} (load ${f0(r.bareLoad)}); CPU lib ${f0(r.libCpu)} bare ${f0(r.bareCpu)} ratio ${f2(r.cpuRatio)}`);
}
console.log(`objects per kind at ${rows.at(-1).apps} apps: ${JSON.stringify(rows.at(-1).kinds)} (same for both: ${process.exitCode ? 'NO' : 'yes'})`);

const big = rows.find((r) => r.apps === 1000);
if (big) {
  const okWall = big.libWall <= TARGET_WALL_MS;
  const okRatio = big.wallRatio <= TARGET_RATIO;
  console.log(`targets at 1000 apps: wall ${f0(big.libWall)} ms <= ${TARGET_WALL_MS} ms: ${okWall ? 'met' : 'MISSED'}; ratio ${f2(big.wallRatio)} <= ${TARGET_RATIO}: ${okRatio ? 'met' : 'MISSED'}`);
}
