/**
 * The client-facing Service, named like the app: the gateway's when there is one, else the app's own.
 */
import { Construct } from 'constructs';
import { AppService, AppServicePort } from '../app-service';
import type { ResolvedAppProps } from '../resolved-props';
import { guarded } from './checks';

/** Creates the client-facing Service under `scope` with the id `Service`. */
export function createClientService(scope: Construct, app: ResolvedAppProps, selector: Record<string, string>, ports: AppServicePort[]): AppService {
  const options = app.service;
  return guarded(scope, 'service', options, () =>
    new AppService(scope, 'Service', {
      metadata: { name: app.name, namespace: app.objectNamespace },
      selector,
      ports,
      type: options.type,
      sessionAffinity: options.sessionAffinity,
      sessionAffinityTimeout: options.sessionAffinityTimeout,
      externalTrafficPolicy: options.externalTrafficPolicy,
    }),
  );
}
