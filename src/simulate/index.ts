/**
 * `cdk8s-balancer/simulate`: see what an algorithm does to your traffic before you ship it. A deterministic
 * discrete-event simulation that drives the proxy's real balancer, health and retry modules in virtual time.
 *
 * ```ts
 * import { Algorithm } from 'cdk8s-balancer';
 * import { SCENARIOS, simulate } from 'cdk8s-balancer/simulate';
 * const r = simulate(Algorithm.peakEwma(), SCENARIOS.degraded);
 * expect(r.latencyMs.p99).toBeLessThan(100);
 * ```
 */
export { ALGORITHM_NAMES, SimulationError } from './algorithms';
export type { AlgorithmLike, SimAlgorithm, SimProxySettings } from './algorithms';
export type { BackendFigures, Bucket, LatencyFigures, SimulationResult, WatchFigures } from './figures';
export { MODEL_NAMES } from './models';
export type { ModelName } from './models';
export { PLOT_PACKAGES, plotSpec, PlotsUnavailableError, renderPlots, svgToPng } from './plots';
export type { PlotName } from './plots';
export { compare, toMarkdown } from './report';
export type { CompareOptions, PlotLinks, Report } from './report';
export { checkScenario, ScenarioError } from './scenario';
export type { BackendEvent, BackendSpec, LatencyModel, LoadSpec, Scenario, Watch } from './scenario';
export { benchSlowScenario, scaleTime, SCENARIOS } from './scenarios';
export type { BenchSlowOptions } from './scenarios';
export { simulate } from './simulate';
export type { SimulateOptions } from './simulate';
