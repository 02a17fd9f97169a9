import { LoadBalancedApp, LoadBalancedAppProps } from '../../src';
import { ECHO, chart, constructionError, find, synthValid } from './helpers';

describe('gateway autoscaling', () => {
  test('an HPA scales the gateway Deployment, which then sets no replicas, and its PDB stays below the floor', () => {
    // GIVEN an autoscaled gateway
    const c = chart();
    new LoadBalancedApp(c, 'hello', { name: 'hello', container: ECHO, gateway: { autoscaling: { minReplicas: 3, maxReplicas: 10, cpuUtilization: 60 } } });
    const objects = synthValid(c);
    // THEN the HPA targets the gateway Deployment
    const hpa = find(objects, 'HorizontalPodAutoscaler', 'hello-gateway');
    expect(hpa.spec).toMatchObject({
      scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'hello-gateway' },
      minReplicas: 3,
      maxReplicas: 10,
      metrics: [{ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 60 } } }],
    });
    // AND the Deployment leaves the count to it
    expect(find(objects, 'Deployment', 'hello-gateway').spec.replicas).toBeUndefined();
    // AND the budget lets one proxy go at a time
    expect(find(objects, 'PodDisruptionBudget', 'hello-gateway').spec).toMatchObject({ maxUnavailable: 1 });
  });

  test('no HPA for the gateway unless asked', () => {
    const c = chart();
    new LoadBalancedApp(c, 'hello', { name: 'hello', container: ECHO });
    const objects = synthValid(c);
    expect(objects.filter((o) => o.kind === 'HorizontalPodAutoscaler')).toEqual([]);
    expect(find(objects, 'Deployment', 'hello-gateway').spec.replicas).toBe(2);
  });

  test.each<[string, Partial<LoadBalancedAppProps>, RegExp]>([
    ['replicas is set with autoscaling', { gateway: { replicas: 3, autoscaling: { maxReplicas: 5 } } }, /gateway\.replicas together with gateway\.autoscaling is invalid \(got 3\); fix: drop gateway\.replicas/],
    ['minReplicas is above maxReplicas', { gateway: { autoscaling: { minReplicas: 6, maxReplicas: 5 } } }, /gateway\.autoscaling\.minReplicas is invalid \(got 6\); fix: make it <= maxReplicas \(5\)/],
    ['cpuUtilization is 0', { gateway: { autoscaling: { maxReplicas: 5, cpuUtilization: 0 } } }, /gateway\.autoscaling\.cpuUtilization is invalid \(got 0\)/],
    ['maxUnavailable would let every proxy go at once', { gateway: { autoscaling: { minReplicas: 2, maxReplicas: 5 }, maxUnavailable: 2 } }, /gateway\.maxUnavailable is invalid \(got 2\); fix: keep it below the gateway's floor of 2 proxies \(gateway\.autoscaling\.minReplicas\)/],
    ['maxUnavailable is not below replicas', { gateway: { replicas: 3, maxUnavailable: 3 } }, /gateway\.maxUnavailable is invalid \(got 3\); fix: keep it below the gateway's floor of 3 proxies \(gateway\.replicas\)/],
    ['maxUnavailable is 0, which blocks every node drain', { gateway: { maxUnavailable: 0 } }, /gateway\.maxUnavailable is invalid \(got 0\); fix: use an integer >= 1/],
  ])('fails when %s', (_name, props, expected) => {
    expect(constructionError(props)).toMatch(/^LB_PROPS_INVALID: test\/hello: /);
    expect(constructionError(props)).toMatch(expected);
  });
});
