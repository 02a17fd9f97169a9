/**
 * What `simulate()` accepts as "the algorithm": what users already have in their code. An `Algorithm` from the
 * constructs (`Algorithm.peakEwma()`), a config object (`{ kind: 'peak-ewma', decayMs: 2000 }`), a whole proxy config
 * (`app.gateway.config`, which also brings its retries, outlier detection and limits), or a name as the CLI takes it
 * (`peak-ewma`, `p2c`, ... and the comparison models `nginx-least-conn`, `haproxy-leastconn`, `jsq`).
 */
import { ALGORITHM_KINDS, AlgorithmSchema, CONFIG_VERSION, validateProxyConfig } from '../config';
import type { AlgorithmConfig, AlgorithmInput, ProxyConfig, ProxyConfigInput } from '../config';
import { MODEL_NAMES, ModelName } from './models';

/** Anything with the shape of the constructs' `Algorithm` class. */
export interface AlgorithmLike {
  readonly kind: string;
  toConfig(): AlgorithmInput;
}

export type SimAlgorithm = AlgorithmLike | AlgorithmInput | ProxyConfig | string;

/** The proxy settings besides the algorithm that change what a simulation shows. */
export type SimProxySettings = Pick<ProxyConfigInput, 'outlierDetection' | 'retries' | 'limits' | 'panicThresholdPercent' | 'timeouts'>;

/** Short names the CLI accepts for the proxy's algorithms. */
const ALIASES: Readonly<Record<string, AlgorithmConfig['kind']>> = {
  p2c: 'power-of-two-choices',
  'least-conn': 'least-connections',
  rr: 'round-robin',
  ewma: 'peak-ewma',
};

/** Every name `simulate()` and the CLI accept. */
export const ALGORITHM_NAMES: readonly string[] = [...ALGORITHM_KINDS, ...Object.keys(ALIASES), ...MODEL_NAMES];

export interface ResolvedAlgorithm {
  /** The label in reports: the kind, or the model name. */
  readonly label: string;
  readonly config: ProxyConfig;
  /** Set for a comparison model; the config's algorithm is then unused. */
  readonly model?: ModelName;
}

/** Thrown for an algorithm the simulator cannot run; the message names it and the fix. */
export class SimulationError extends Error {
  public readonly code = 'LB_SIMULATE_INVALID';
}

export function resolveAlgorithm(algorithm: SimAlgorithm, settings: SimProxySettings = {}, label?: string): ResolvedAlgorithm {
  if (typeof algorithm === 'string') {
    if ((MODEL_NAMES as readonly string[]).includes(algorithm)) {
      return { label: label ?? algorithm, config: proxyConfig({ kind: 'round-robin' }, settings), model: algorithm as ModelName };
    }
    const kind = ALIASES[algorithm] ?? algorithm;
    if (!(ALGORITHM_KINDS as readonly string[]).includes(kind)) {
      throw new SimulationError(
        `LB_SIMULATE_INVALID: unknown algorithm "${algorithm}"; fix: use one of ${ALGORITHM_NAMES.join(', ')}`,
      );
    }
    if (kind === 'consistent-hash') {
      return resolveAlgorithm({ kind, key: { source: 'header', name: 'x-user' } }, settings, label ?? kind);
    }
    return resolveAlgorithm({ kind } as AlgorithmInput, settings, label);
  }
  if (isProxyConfig(algorithm)) {
    const config = validateProxyConfig({ ...algorithm, ...settings });
    return { label: label ?? config.algorithm.kind, config };
  }
  const input = isAlgorithmLike(algorithm) ? algorithm.toConfig() : algorithm;
  const parsed = AlgorithmSchema.safeParse(input);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ');
    throw new SimulationError(`LB_SIMULATE_INVALID: algorithm ${JSON.stringify(input)} is invalid: ${issues}; fix: build it with Algorithm.<kind>(...) or follow the config schema`);
  }
  return { label: label ?? parsed.data.kind, config: proxyConfig(parsed.data, settings) };
}

function proxyConfig(algorithm: AlgorithmInput, settings: SimProxySettings): ProxyConfig {
  return validateProxyConfig({
    version: CONFIG_VERSION,
    upstream: { port: 8080, sources: [{ kind: 'static', endpoints: [{ address: '10.0.0.1' }] }] },
    algorithm,
    ...settings,
  });
}

function isAlgorithmLike(a: object): a is AlgorithmLike {
  return typeof (a as Partial<AlgorithmLike>).toConfig === 'function';
}

function isProxyConfig(a: object): a is ProxyConfig {
  return 'version' in a && 'algorithm' in a;
}
