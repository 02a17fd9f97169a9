/**
 * Parsing a backend's load report from a response header, for least-utilization.
 *
 * Accepted forms, all giving a utilization clamped to [0, 1]:
 * - a plain number: `0.42`, or a percentage: `42%`;
 * - ORCA's `endpoint-load-metrics` header (ORCA, Open Request Cost Aggregation, from gRPC and xDS; envoy reads the
 *   same header), in its TEXT
 *   form `TEXT cpu_utilization=0.3, mem_utilization=0.8, application_utilization=0.5` or its JSON form
 *   `JSON {"cpu_utilization": 0.3, ...}`. Like gRPC's weighted round robin, application_utilization is used when it is
 *   present and above zero, else cpu_utilization. CPU utilization may exceed 1 on several cores; it is clamped.
 *   The binary form (`BIN`, base64 protobuf) is not supported and reads as no report.
 *
 * A repeated header is read from its first value. Anything else (empty, negative, NaN, trailing garbage, an ORCA report with neither metric) is `undefined`: a garbled
 * header must not look like an idle backend. Under the `endpoint-load-metrics` name only the ORCA forms are accepted;
 * under any other name the plain forms are, and ORCA forms too when the value says so by its prefix.
 */

export const ORCA_HEADER = 'endpoint-load-metrics';

const PLAIN = /^\s*(\d+(?:\.\d*)?|\.\d+)\s*(%?)\s*$/;
const NUMBER = /^\s*(\d+(?:\.\d*)?(?:[eE][+-]?\d+)?|\.\d+(?:[eE][+-]?\d+)?)\s*$/;

export function parseLoadReport(headerName: string, value: string | string[] | undefined): number | undefined {
  const raw = Array.isArray(value) ? value[0] : value;
  if (raw === undefined) return undefined;
  const text = raw.trim();
  const orcaHeader = headerName.toLowerCase() === ORCA_HEADER;
  if (text.startsWith('TEXT ')) return orcaUtilization(parseOrcaText(text.slice(5)));
  if (text.startsWith('JSON ')) return orcaUtilization(parseOrcaJson(text.slice(5)));
  if (orcaHeader) return undefined;
  const m = PLAIN.exec(text);
  if (m === null) return undefined;
  const n = Number(m[1]);
  return clamp01(m[2] === '%' ? n / 100 : n);
}

type OrcaMetrics = ReadonlyMap<string, number> | undefined;

function parseOrcaText(body: string): OrcaMetrics {
  const metrics = new Map<string, number>();
  for (const pair of body.split(',')) {
    const eq = pair.indexOf('=');
    if (eq < 0) return undefined;
    const name = pair.slice(0, eq).trim();
    const m = NUMBER.exec(pair.slice(eq + 1));
    if (name === '' || m === null) return undefined;
    metrics.set(name, Number(m[1]));
  }
  return metrics;
}

function parseOrcaJson(body: string): OrcaMetrics {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    return undefined;
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return undefined;
  const metrics = new Map<string, number>();
  for (const [name, v] of Object.entries(parsed)) {
    if (typeof v === 'number' && Number.isFinite(v) && v >= 0) metrics.set(name, v);
  }
  return metrics;
}

function orcaUtilization(metrics: OrcaMetrics): number | undefined {
  if (metrics === undefined) return undefined;
  const app = metrics.get('application_utilization');
  if (app !== undefined && app > 0) return clamp01(app);
  const cpu = metrics.get('cpu_utilization');
  return cpu === undefined ? undefined : clamp01(cpu);
}

function clamp01(n: number): number | undefined {
  if (!Number.isFinite(n) || n < 0) return undefined;
  return n > 1 ? 1 : n;
}
