/**
 * Where Prometheus finds the proxies' /metrics: the `prometheus.io/*` pod annotations that most scrape configs
 * honour, and a PodMonitor (monitoring.coreos.com/v1) for prometheus-operator, written as a small L1 over ApiObject
 * because cdk8s ships no CRD classes and one kind does not justify a `cdk8s import`.
 */
import { ApiObject, ApiObjectMetadata, ApiObjectMetadataDefinition } from 'cdk8s';
import { Construct } from 'constructs';

/** Where the proxy's admin server serves Prometheus metrics. */
export const METRICS_PATH = '/metrics';

export const SCRAPE_ANNOTATIONS = {
  scrape: 'prometheus.io/scrape',
  port: 'prometheus.io/port',
  path: 'prometheus.io/path',
} as const;

/**
 * Marks the pod for annotation-based scraping of `port`. A pod has one set of these annotations: when the pod already
 * carries any (its own app's, or another sidecar's), they are kept and nothing is added.
 */
export function addScrapeAnnotations(meta: ApiObjectMetadataDefinition, port: number): void {
  const existing = (meta.toJson() as { annotations?: Record<string, string> }).annotations ?? {};
  if (Object.values(SCRAPE_ANNOTATIONS).some((key) => existing[key] !== undefined)) return;
  meta.addAnnotation(SCRAPE_ANNOTATIONS.scrape, 'true');
  meta.addAnnotation(SCRAPE_ANNOTATIONS.port, String(port));
  meta.addAnnotation(SCRAPE_ANNOTATIONS.path, METRICS_PATH);
}

/** Props of {@link PodMonitor}. */
export interface PodMonitorProps {
  readonly metadata: ApiObjectMetadata;
  /** Labels of the pods to scrape. */
  readonly selector: Record<string, string>;
  /** Name of the container port that serves metrics. */
  readonly portName: string;
}

/** A prometheus-operator PodMonitor: scrape `portName` at /metrics on the pods the selector matches. */
export class PodMonitor extends ApiObject {
  constructor(scope: Construct, id: string, props: PodMonitorProps) {
    super(scope, id, {
      apiVersion: 'monitoring.coreos.com/v1',
      kind: 'PodMonitor',
      metadata: props.metadata,
      spec: {
        selector: { matchLabels: { ...props.selector } },
        podMetricsEndpoints: [{ port: props.portName, path: METRICS_PATH }],
      },
    });
  }
}
