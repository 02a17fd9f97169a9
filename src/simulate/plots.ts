/**
 * The report's plots: vega-lite specs compiled and rendered to SVG by vega's headless SVG renderer (no browser, no
 * canvas), and SVG to PNG with resvg for places that want a picture (the README).
 *
 * vega, vega-lite and @resvg/resvg-js are optional peer dependencies: they are loaded here, on demand, and only when
 * plots are asked for, so `import 'cdk8s-balancer'` and a Markdown-only report never load them.
 */
import type { SimulationResult } from './figures';
import type { Report } from './report';

export type PlotName = 'cdf' | 'share' | 'inflight';

/** Thrown when plots are asked for and the plotting packages are missing; the message says what to install. */
export class PlotsUnavailableError extends Error {
  public readonly code = 'LB_SIMULATE_PLOTS_MISSING';
}

export const PLOT_PACKAGES = 'vega@6 vega-lite@6 @resvg/resvg-js@2';

/** A real dynamic import (vega and vega-lite are ES modules; TypeScript's CommonJS output would turn it into require). */
const importModule = new Function('specifier', 'return import(specifier)') as (specifier: string) => Promise<unknown>;

async function load<T>(name: string, why: string): Promise<T> {
  try {
    return (await importModule(name)) as T;
  } catch (e) {
    const code = (e as { code?: string }).code;
    if (code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND') {
      throw new PlotsUnavailableError(
        `LB_SIMULATE_PLOTS_MISSING: ${why} needs the package "${name}", which is not installed; fix: npm i -D ${PLOT_PACKAGES} (or ask for no plots: the Markdown report works without them)`,
      );
    }
    throw e;
  }
}

interface VegaLite {
  compile(spec: unknown): { spec: unknown };
}
interface Vega {
  parse(spec: unknown): unknown;
  View: new (runtime: unknown, options: { renderer: 'none' }) => { toSVG(): Promise<string>; finalize(): void };
}

const FONT = 'DejaVu Sans, Arial, sans-serif';
const CONFIG = {
  font: FONT,
  background: 'white',
  axis: { labelFontSize: 12, titleFontSize: 13 },
  legend: { labelFontSize: 12, titleFontSize: 13, labelLimit: 240 },
  header: { labelFontSize: 13, titleFontSize: 13 },
  title: { fontSize: 15 },
};

/** The vega-lite spec of one plot of a report (exported for tests and for users who render elsewhere). */
export function plotSpec(report: Report, plot: PlotName): Record<string, unknown> {
  const s = report.scenario;
  const title = `${s.name}: ${plot === 'cdf' ? 'latency CDF' : plot === 'share' ? 'share of tries per backend' : 'in-flight per backend'}`;
  if (plot === 'cdf') {
    const values = report.results.flatMap((r) => r.cdf.map(([x, q]) => ({ algorithm: r.algorithm, ms: Math.max(x, 0.01), quantile: q })));
    return {
      $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
      title,
      width: 640,
      height: 320,
      config: CONFIG,
      data: { values },
      mark: { type: 'line', interpolate: 'step-after', strokeWidth: 2 },
      encoding: {
        x: { field: 'ms', type: 'quantitative', scale: { type: 'log' }, title: 'latency (ms, log scale)' },
        y: { field: 'quantile', type: 'quantitative', scale: { domain: [0, 1] }, title: 'share of requests at or below' },
        color: { field: 'algorithm', type: 'nominal', sort: report.results.map((r) => r.algorithm) },
      },
    };
  }
  const values = report.results.flatMap((r) => seriesOf(r, plot));
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title,
    config: CONFIG,
    data: { values },
    facet: { field: 'algorithm', type: 'nominal', title: null, sort: report.results.map((r) => r.algorithm) },
    columns: 2,
    spec: {
      width: 320,
      height: 150,
      mark: { type: 'line', strokeWidth: 1.8 },
      encoding: {
        x: { field: 't', type: 'quantitative', title: 'time (s)' },
        y: { field: 'v', type: 'quantitative', title: plot === 'share' ? 'share of tries' : 'in flight', ...(plot === 'share' ? { scale: { domain: [0, 1] } } : {}) },
        color: { field: 'backend', type: 'nominal', sort: s.backends.map((b) => b.name) },
      },
    },
  };
}

function seriesOf(r: SimulationResult, plot: 'share' | 'inflight'): { algorithm: string; backend: string; t: number; v: number }[] {
  return r.buckets.flatMap((b) =>
    r.backends.map((be, i) => ({ algorithm: r.algorithm, backend: be.name, t: b.startMs / 1000, v: plot === 'share' ? b.shares[i] : b.inFlight[i] })),
  );
}

/** Renders the three plots of a report to SVG. */
export async function renderPlots(report: Report): Promise<Record<PlotName, string>> {
  const vl = await load<VegaLite>('vega-lite', 'drawing plots');
  const vega = await load<Vega>('vega', 'drawing plots');
  const out = {} as Record<PlotName, string>;
  for (const plot of ['cdf', 'share', 'inflight'] as const) {
    const view = new vega.View(vega.parse(vl.compile(plotSpec(report, plot)).spec), { renderer: 'none' });
    out[plot] = await view.toSVG();
    view.finalize();
  }
  return out;
}

interface Resvg {
  Resvg: new (svg: string, options: unknown) => { render(): { asPng(): Uint8Array } };
}

/** An SVG as a PNG `widthPx` wide (the README's pictures). */
export async function svgToPng(svg: string, widthPx = 1400): Promise<Uint8Array> {
  const { Resvg } = await load<Resvg>('@resvg/resvg-js', 'a PNG');
  return new Resvg(svg, { fitTo: { mode: 'width', value: widthPx }, background: 'white', font: { loadSystemFonts: true, defaultFontFamily: 'DejaVu Sans' } })
    .render()
    .asPng();
}
