/**
 * `cdk8s-balancer simulate`: runs algorithms through a scenario in the simulator and writes a Markdown report with
 * the table and the plots (SVG; PNG with --png).
 *
 *   npx cdk8s-balancer simulate --scenario degraded --algorithms peak-ewma,p2c,round-robin --out report/
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import type { Command, CommandIo } from './command';

const DEFAULT_ALGORITHMS = 'peak-ewma,p2c,least-connections,round-robin,nginx-least-conn,haproxy-leastconn';

const HELP = `usage: cdk8s-balancer simulate --scenario <name|file.js> [options]

Runs each algorithm, and the JSQ oracle, through a scenario in virtual time and writes report.md with a table of the
figures and plots of latency, share and in-flight per backend.

options:
  --scenario <name|file>  a shipped scenario (NAMES), or a JS file whose default export (or \`scenario\`) is a Scenario
  --algorithms <list>     comma list (default ${DEFAULT_ALGORITHMS}); any of: ALGS
  --out <dir>             where report.md and the plots go (default report/)
  --seed <n>              the random seed (default: the scenario's)
  --no-plots              the Markdown report only (no vega needed)
  --png                   also write each plot as PNG
  -h, --help              this text`;

async function run(argv: readonly string[], io: CommandIo): Promise<number> {
  const sim = await import('../simulate');
  const help = HELP.replace('NAMES', Object.keys(sim.SCENARIOS).join(', ')).replace('ALGS', sim.ALGORITHM_NAMES.join(', '));
  let values: Record<string, string | boolean | undefined>;
  try {
    values = parseArgs({
      args: [...argv],
      options: {
        scenario: { type: 'string' },
        algorithms: { type: 'string', default: DEFAULT_ALGORITHMS },
        out: { type: 'string', default: 'report' },
        seed: { type: 'string' },
        'no-plots': { type: 'boolean', default: false },
        png: { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
      },
      strict: true,
      allowPositionals: false,
    }).values;
  } catch (e) {
    return usage(io, `${(e as Error).message}; fix: see the options below`, help);
  }
  if (values.help) {
    io.out(help);
    return 0;
  }
  const name = values.scenario as string | undefined;
  if (name === undefined) return usage(io, `--scenario is required; fix: --scenario ${Object.keys(sim.SCENARIOS)[0]}`, help);
  let scenario: import('../simulate').Scenario;
  try {
    scenario = loadScenario(name, sim.SCENARIOS);
  } catch (e) {
    return usage(io, (e as Error).message, help);
  }
  const algorithms = (values.algorithms as string).split(',').map((a) => a.trim()).filter((a) => a !== '');
  const unknown = algorithms.filter((a) => !sim.ALGORITHM_NAMES.includes(a));
  if (algorithms.length === 0 || unknown.length > 0) {
    return usage(io, `--algorithms: unknown algorithm(s) ${JSON.stringify(unknown.join(','))}; fix: use a comma list of ${sim.ALGORITHM_NAMES.join(', ')}`, help);
  }
  let seed: number | undefined;
  if (values.seed !== undefined) {
    seed = Number(values.seed);
    if (!Number.isSafeInteger(seed)) return usage(io, `--seed must be an integer, got ${JSON.stringify(values.seed)}; fix: --seed 42`, help);
  }
  try {
    sim.checkScenario(scenario);
  } catch (e) {
    return usage(io, `--scenario ${name}: ${(e as Error).message}`, help);
  }
  const out = values.out as string;
  const started = Date.now();
  io.err(`simulate: ${scenario.name}: ${algorithms.length} algorithm(s) and the JSQ oracle, ${(scenario.durationMs / 1000).toFixed(0)} s of virtual time each`);
  const report = sim.compare(algorithms, scenario, {
    seed,
    onProgress: (label, done, total) => io.err(`simulate: ${label} done (${done}/${total}, ${((Date.now() - started) / 1000).toFixed(1)} s)`),
  });
  mkdirSync(out, { recursive: true });
  const links: Record<string, string> = {};
  if (!values['no-plots']) {
    let svgs: Record<string, string>;
    try {
      svgs = await sim.renderPlots(report);
    } catch (e) {
      if (e instanceof sim.PlotsUnavailableError) {
        io.err(`cdk8s-balancer simulate: ${e.message}; or run with --no-plots`);
        return 1;
      }
      throw e;
    }
    for (const [plot, svg] of Object.entries(svgs)) {
      const file = `${scenario.name}-${plot}.svg`;
      writeFileSync(path.join(out, file), svg);
      links[plot] = file;
      if (values.png) writeFileSync(path.join(out, `${scenario.name}-${plot}.png`), await sim.svgToPng(svg));
    }
  }
  const file = path.join(out, 'report.md');
  writeFileSync(file, sim.toMarkdown(report, links));
  io.out(`wrote ${file}${Object.keys(links).length > 0 ? ` and ${Object.keys(links).length} plot(s)` : ''}`);
  return 0;
}

function loadScenario(name: string, shipped: Readonly<Record<string, import('../simulate').Scenario>>): import('../simulate').Scenario {
  if (shipped[name] !== undefined) return shipped[name];
  if (!/[/\\]|\.(c?js|json)$/.test(name)) {
    throw new Error(`--scenario: no shipped scenario is named ${JSON.stringify(name)}; fix: use one of ${Object.keys(shipped).join(', ')}, or a path to a .js file`);
  }
  const file = path.resolve(name);
  let mod: unknown;
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    mod = require(file);
  } catch (e) {
    throw new Error(`--scenario: cannot load ${JSON.stringify(file)} (${(e as Error).message}); fix: give a .js or .json file (compile TypeScript first)`);
  }
  const m = mod as { default?: unknown; scenario?: unknown };
  const s = m.default ?? m.scenario ?? mod;
  return s as import('../simulate').Scenario;
}

function usage(io: CommandIo, message: string, help: string): number {
  io.err(`cdk8s-balancer simulate: ${message}\n\n${help}`);
  return 2;
}

export const simulateCommand: Command = {
  summary: 'run algorithms through a scenario in the simulator; writes a Markdown report with plots',
  run,
};
