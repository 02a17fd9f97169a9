import { Duration } from 'cdk8s';
import * as kplus from 'cdk8s-plus-27';
import { AppSecret, AppService, ExternalTrafficPolicy, LoadBalancedApp, LoadBalancedAppProps, SessionAffinity } from '../../src';
import { ECHO, chart, constructionError, find, synthValid } from './helpers';

// Finding 4: values the API server refuses, and values that were silently dropped, fail at construction with the prop.
describe('client Service props the API server would refuse', () => {
  const cases: Array<[string, Partial<LoadBalancedAppProps>, RegExp]> = [
    [
      'nodePorts are set on a ClusterIP Service',
      { service: { nodePorts: { http: 30080 } } },
      /^LB_PROPS_INVALID: test\/hello: service\.nodePorts\.http is invalid \(got 30080\); fix: node ports need service\.type NodePort or LoadBalancer; set the type or drop nodePorts/,
    ],
    [
      'a nodePort is outside 30000-32767',
      { service: { type: kplus.ServiceType.NODE_PORT, nodePorts: { http: 80 } } },
      /service\.nodePorts\.http is invalid \(got 80\); fix: use a port in the API server's default node port range 30000-32767, or leave it out/,
    ],
    [
      'externalTrafficPolicy is set on a ClusterIP Service',
      { service: { externalTrafficPolicy: ExternalTrafficPolicy.LOCAL } },
      /service\.externalTrafficPolicy is invalid \(got "Local"\); fix: it applies to service\.type NodePort or LoadBalancer only/,
    ],
    [
      'the session affinity timeout is over 86400 s',
      { service: { sessionAffinity: SessionAffinity.CLIENT_IP, sessionAffinityTimeout: Duration.days(2) } },
      /service\.sessionAffinityTimeout is invalid \(got "2 days"\); fix: use a whole number of seconds from 1 to 86400 \(one day\)/,
    ],
    [
      'the session affinity timeout is not whole seconds',
      { service: { sessionAffinity: SessionAffinity.CLIENT_IP, sessionAffinityTimeout: Duration.millis(1500) } },
      /service\.sessionAffinityTimeout is invalid \(got "1 second 500 millis"\)/,
    ],
    [
      'a session affinity timeout is given without ClientIP affinity, which would drop it',
      { service: { sessionAffinityTimeout: Duration.hours(1) } },
      /service\.sessionAffinityTimeout is invalid \(got "60 minutes"\); fix: it applies to sessionAffinity: SessionAffinity\.CLIENT_IP only; set that, or drop the timeout/,
    ],
    [
      'a Secret key has a space',
      { secret: AppSecret.fromValues({ 'api key': 'x' }) },
      /^LB_PROPS_INVALID: test\/hello: secret key is invalid \(got "api key"\); fix: use letters, digits, "-", "_" and "\." \(at most 253\), e.g\. "api_key"/,
    ],
  ];

  test.each(cases)('fails when %s', (_name, props, expected) => {
    expect(constructionError(props)).toMatch(expected);
  });

  test('a NodePort Service with an in-range node port, Local policy and a one-day ClientIP affinity is accepted', () => {
    const c = chart();
    new LoadBalancedApp(c, 'hello', {
      name: 'hello',
      container: ECHO,
      service: {
        type: kplus.ServiceType.NODE_PORT,
        nodePorts: { http: 30080 },
        externalTrafficPolicy: ExternalTrafficPolicy.LOCAL,
        sessionAffinity: SessionAffinity.CLIENT_IP,
        sessionAffinityTimeout: Duration.days(1),
      },
    });
    const svc = find(synthValid(c), 'Service', 'hello');
    expect(svc.spec).toMatchObject({ type: 'NodePort', externalTrafficPolicy: 'Local', sessionAffinityConfig: { clientIP: { timeoutSeconds: 86400 } } });
    expect(svc.spec.ports[0].nodePort).toBe(30080);
  });
});

describe('AppService props the API server would refuse', () => {
  const base = { selector: { app: 'x' }, ports: [{ name: 'http', port: 80, targetPort: 8080 }] };
  test.each([
    ['a nodePort on a ClusterIP Service', { ports: [{ name: 'http', port: 80, targetPort: 8080, nodePort: 30080 }] }, /ports\[0\]\.nodePort is invalid \(got 30080\)/],
    ['a nodePort out of range', { type: kplus.ServiceType.LOAD_BALANCER, ports: [{ name: 'http', port: 80, targetPort: 8080, nodePort: 80 }] }, /ports\[0\]\.nodePort is invalid \(got 80\); fix: use a port in the API server's default node port range/],
    ['externalTrafficPolicy on ClusterIP', { externalTrafficPolicy: ExternalTrafficPolicy.LOCAL }, /externalTrafficPolicy is invalid \(got "Local"\)/],
    ['a timeout without ClientIP', { sessionAffinityTimeout: Duration.minutes(5) }, /sessionAffinityTimeout is invalid \(got "5 minutes"\)/],
    ['a headless NodePort Service', { headless: true, type: kplus.ServiceType.NODE_PORT }, /headless is invalid \(got true\); fix: a headless Service must be type ClusterIP/],
    ['two ports with one name', { ports: [{ name: 'http', port: 80, targetPort: 8080 }, { name: 'http', port: 81, targetPort: 8081 }] }, /ports\[1\]\.name is invalid \(got "http"\); fix: give each port its own name/],
  ])('fails on %s', (_name, props, expected) => {
    expect(() => new AppService(chart(), 'svc', { ...base, ...props })).toThrow(expected);
  });
});
