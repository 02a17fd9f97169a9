import { Testing } from 'cdk8s';
import { Algorithm, AppSecret, LoadBalancedApp } from '../../src';
import { validateManifests } from '../../src/testing';
import { chart, consumer, ECHO, fakeBundle, Obj } from './helpers';

// A backstop next to the explicit assertions of the other files: any change to the output shows up here for review.
test('LoadBalancedApp snapshot', () => {
  const c = chart();
  const app = new LoadBalancedApp(c, 'hello', {
    name: 'hello',
    container: ECHO,
    algorithm: Algorithm.peakEwma(),
    config: { GREETING: 'hi' },
    secret: AppSecret.fromExisting('hello-credentials'),
    migration: { container: { image: 'busybox:1.36.1', command: ['true'] } },
    smokeTest: true,
    autoscaling: { maxReplicas: 6 },
    proxy: { bundleFile: fakeBundle('/* snapshot bundle */\n') },
  });
  app.addConsumer(consumer(c));
  const objects = Testing.synth(c) as Obj[];
  expect(objects.map((o) => `${o.kind}/${o.metadata.name}`)).toContain('Deployment/hello-gateway');
  expect(validateManifests(objects, { external: { secrets: ['hello-credentials'] } })).toEqual([]);
  expect(objects).toMatchSnapshot();
});
