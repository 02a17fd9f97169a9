/**
 * `cdk8s-balancer validate`: good and bad directories, exit codes, the three output formats, YAML errors at their
 * line, the flags for objects created elsewhere, and usage errors that name the flag and the fix.
 */
import { copyFileSync, readdirSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { BAD_DEPLOYMENT, cli, exampleDist, lineOf, tempDir, write } from './fixtures';

const dist = exampleDist();
const yamlOf = (dir: string) => readdirSync(dir).filter((f) => f.endsWith('.yaml')).map((f) => path.join(dir, f));

/**
 * The example's dist/ with its pods reading a Secret made elsewhere (`hello-credentials`) instead of the one it
 * creates: the example itself needs nothing external.
 */
function externalSecretDist(): string {
  const dir = tempDir();
  for (const f of yamlOf(dist)) {
    const text = readFileSync(f, 'utf8').replace(/secretRef:\n(\s+)name: hello-secret\n/g, 'secretRef:\n$1name: hello-credentials\n');
    write(dir, path.basename(f), text);
  }
  return dir;
}
const external = externalSecretDist();

/** A copy of the example's dist/ plus the bad Deployment in its own file. */
function badDir(): { dir: string; bad: string } {
  const dir = tempDir();
  for (const f of yamlOf(dist)) copyFileSync(f, path.join(dir, path.basename(f)));
  return { dir, bad: write(dir, 'helm/bad.yaml', BAD_DEPLOYMENT) };
}

describe('validate: a clean directory', () => {
  test('exits 0 and says how many objects and files it checked', async () => {
    const r = await cli('validate', dist);
    expect(r).toMatchObject({ code: 0, err: '' });
    expect(r.out).toMatch(/^cdk8s-balancer validate: \d+ objects in 1 file: no problems$/);
  });

  test('fails when a Secret made elsewhere is not named, and the fix names --external-secret', async () => {
    const r = await cli('validate', external);
    expect(r.code).toBe(1);
    expect(r.out).toContain('[REFERENCE_MISSING]');
    expect(r.out).toContain('hello-credentials');
    expect(r.out).toMatch(/fix: .*--external-secret/);
  });

  test('takes repeated and comma-separated names', async () => {
    expect((await cli('validate', '--external-secret', 'other,hello-credentials', external)).code).toBe(0);
    expect((await cli('validate', '--external-secret', 'other', '--external-secret', 'hello-credentials', external)).code).toBe(0);
  });

  test('ignores non-YAML files in a directory with a note on stderr, and reads subdirectories', async () => {
    const dir = tempDir();
    copyFileSync(yamlOf(dist)[0], path.join(dir, 'app.k8s.yaml'));
    write(dir, 'README.md', '# not YAML');
    write(dir, 'nested/values.json', '{}');
    write(dir, 'nested/more.yml', 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: more\ndata: {}\n');
    const r = await cli('validate', '--external-secret', 'hello-credentials', dir);
    expect(r.code).toBe(0);
    expect(r.err).toBe(`note: ignored 2 non-YAML files in ${dir}: ${path.join(dir, 'README.md')}, ${path.join(dir, 'nested/values.json')} (only .yaml and .yml files are read)`);
    expect(r.out).toMatch(/in 2 files: no problems/);
  });
});

describe('validate: a directory with problems', () => {
  test('text: each problem on its file:line:col, with object, field, value and fix', async () => {
    const { dir, bad } = badDir();
    const r = await cli('validate', '--external-secret', 'hello-credentials', dir);
    expect(r.code).toBe(1);
    const lines = r.out.split('\n');
    const image = lines.findIndex((l) => l.includes('[HARDEN_IMAGE_NOT_PINNED]'));
    expect(lines[image]).toBe(
      `${bad}:${lineOf(BAD_DEPLOYMENT, 'image: nginx:latest')}:11: [HARDEN_IMAGE_NOT_PINNED] Deployment shop/bad spec.template.spec.containers[0].image = "nginx:latest": must carry a version tag other than latest, or a digest (@sha256:...)`,
    );
    expect(lines[image + 1]).toMatch(/^ {4}fix: use a version tag other than latest/);
    const missing = lines.find((l) => l.includes('[REFERENCE_MISSING]'))!;
    expect(missing.startsWith(`${bad}:${lineOf(BAD_DEPLOYMENT, 'secretRef')}:`)).toBe(true);
    expect(missing).toContain('Deployment shop/bad spec.template.spec.containers[0].envFrom[0].secretRef.name');
    expect(lines.at(-1)).toMatch(/^cdk8s-balancer validate: \d+ problems? in 1 object \(\d+ objects in 2 files checked\)$/);
  });

  test('json: one record per problem with file, line, object, field, code and fix', async () => {
    const { dir, bad } = badDir();
    const r = await cli('validate', '--format', 'json', '--external-secret', 'hello-credentials', dir);
    expect(r.code).toBe(1);
    const report = JSON.parse(r.out);
    expect(report).toMatchObject({ ok: false, files: [...yamlOf(dir), bad].sort(), notes: [] });
    expect(report.objects).toBeGreaterThan(10);
    expect(report.problems).toContainEqual({
      file: bad,
      line: lineOf(BAD_DEPLOYMENT, 'image: nginx:latest'),
      column: 11,
      rule: 'hardening',
      code: 'HARDEN_IMAGE_NOT_PINNED',
      object: 'Deployment shop/bad',
      kind: 'Deployment',
      namespace: 'shop',
      name: 'bad',
      path: 'spec.template.spec.containers[0].image',
      value: 'nginx:latest',
      message: 'must carry a version tag other than latest, or a digest (@sha256:...)',
      fix: expect.stringContaining('version tag'),
    });
  });

  test('github: one ::error annotation per problem, properties and data escaped', async () => {
    const { dir, bad } = badDir();
    const r = await cli('validate', '--format', 'github', '--external-secret', 'hello-credentials', dir);
    expect(r.code).toBe(1);
    const annotations = r.out.split('\n').filter((l) => l.startsWith('::error '));
    expect(annotations).toContain(
      `::error file=${bad},line=${lineOf(BAD_DEPLOYMENT, 'image: nginx:latest')},col=11,title=HARDEN_IMAGE_NOT_PINNED::` +
        '[HARDEN_IMAGE_NOT_PINNED] Deployment shop/bad spec.template.spec.containers[0].image = "nginx:latest": must carry a version tag other than latest, or a digest (@sha256:...). Fix: use a version tag other than latest (image:1.2.3) or a digest (image@sha256:...)',
    );
    expect(annotations.length).toBe(r.out.split('\n').length - 1);
    const odd = await cli('validate', '--format', 'github', write(tempDir(), 'a,b:c%.yaml', 'apiVersion: v1\nkind: Nope\nmetadata:\n  name: x\n'));
    expect(odd.out.split('\n')[0]).toMatch(/^::error file=[^,]*a%2Cb%3Ac%25\.yaml,line=2,col=1,title=UNKNOWN_KIND::/);
  });

  test('a field that is missing is placed at its deepest existing ancestor; a dotted label key at its own line', async () => {
    const text = BAD_DEPLOYMENT.replace('          resources:\n            requests: { cpu: 10m, memory: 16Mi }\n', '').replace('app.kubernetes.io/name: bad', 'app.kubernetes.io/name: -bad-');
    const file = write(tempDir(), 'x.yaml', text);
    const r = JSON.parse((await cli('validate', '--format', 'json', '--external-secret', 'db-credentials', file)).out);
    const at = (code: string) => r.problems.find((p: { code: string }) => p.code === code);
    expect(at('HARDEN_RESOURCE_REQUESTS')).toMatchObject({ path: 'spec.template.spec.containers[0].resources.requests', line: lineOf(text, '- name: main') });
    const label = r.problems.find((p: { path: string }) => p.path.startsWith('metadata.labels'));
    expect(label).toMatchObject({ line: lineOf(text, 'app.kubernetes.io/name: -bad-') });
  });

  test('a duplicate object is placed at its second copy', async () => {
    const dir = tempDir();
    const cm = 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: same\ndata: {}\n';
    write(dir, 'a.yaml', cm);
    const second = write(dir, 'b.yaml', `# second\n${cm}`);
    const r = JSON.parse((await cli('validate', '--format', 'json', dir)).out);
    expect(r.problems).toEqual([expect.objectContaining({ code: 'DUPLICATE_OBJECT', file: second, line: 5 })]);
  });

  test('--ignore drops a code, and --no-hardening a family', async () => {
    const file = write(tempDir(), 'bad.yaml', BAD_DEPLOYMENT);
    const codes = async (...flags: string[]) =>
      JSON.parse((await cli('validate', '--format', 'json', '--external-secret', 'db-credentials', ...flags, file)).out).problems.map((p: { code: string }) => p.code);
    expect(await codes()).toEqual(['HARDEN_IMAGE_NOT_PINNED']);
    expect(await codes('--ignore', 'HARDEN_IMAGE_NOT_PINNED')).toEqual([]);
    expect(await codes('--no-hardening')).toEqual([]);
  });
});

describe('validate: YAML input', () => {
  test('reports a YAML syntax error with its file and line, exits 1, and still checks the other documents', async () => {
    const text = `${BAD_DEPLOYMENT}---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: broken\ndata:\n  a: [1, 2\n  b: x\n---\napiVersion: v1\nkind: Nope\nmetadata:\n  name: after\n`;
    const file = write(tempDir(), 'multi.yaml', text);
    const r = await cli('validate', '--external-secret', 'db-credentials', file);
    expect(r.code).toBe(1);
    const yamlError = r.out.split('\n').find((l) => l.includes('[YAML_INVALID]'))!;
    expect(yamlError).toMatch(new RegExp(`^${file}:${lineOf(text, '  b: x')}:\\d+: \\[YAML_INVALID\\] the YAML does not parse: `));
    expect(r.out).toContain('[HARDEN_IMAGE_NOT_PINNED] Deployment shop/bad');
    expect(r.out).toContain(`${file}:${lineOf(text, 'kind: Nope')}:1: [UNKNOWN_KIND] Nope default/after kind = "v1/Nope"`);
    expect(r.out.split('\n').at(-1)).toMatch(/2 problems in 2 objects and 1 YAML error/);
  });

  test('reads a kind: List item by item, skips empty documents, and places problems inside the item', async () => {
    const text = '---\n# only a comment\n---\napiVersion: v1\nkind: List\nitems:\n  - apiVersion: v1\n    kind: ConfigMap\n    metadata: { name: ok }\n  - apiVersion: v1\n    kind: ConfigMap\n    metadata: { name: ok2 }\n    dataa: {}\n...\n';
    const r = JSON.parse((await cli('validate', '--format', 'json', write(tempDir(), 'list.yaml', text))).out);
    expect(r.objects).toBe(2);
    expect(r.problems).toEqual([expect.objectContaining({ code: 'SCHEMA_UNKNOWN_FIELD', object: 'ConfigMap default/ok2', line: lineOf(text, 'dataa') })]);
  });

  test('a file named explicitly is read whatever its extension', async () => {
    const file = write(tempDir(), 'rendered.txt', readFileSync(yamlOf(dist)[0], 'utf8'));
    expect((await cli('validate', '--external-secret', 'hello-credentials', file)).code).toBe(0);
  });
});

describe('validate: usage errors exit 2 and name the flag or file and the fix', () => {
  const empty = tempDir();
  write(empty, 'notes.txt', 'x');
  test.each([
    [[], /no input given; fix: name the YAML files or directories to check, e.g. `cdk8s-balancer validate dist\/`/],
    [['--frob', 'x'], /unknown option --frob; fix: see `cdk8s-balancer validate --help`/],
    [['--format', 'xml', 'x'], /--format must be one of text, json, github \(got "xml"\); fix: e\.g\. --format json/],
    [['--format'], /--format/],
    [['--ignore', 'NOPE', 'x'], /--ignore NOPE: no such problem code; fix: use one of NOT_AN_OBJECT, /],
    [['/no/such/dir'], /cannot read \/no\/such\/dir: no such file or directory; fix: pass a YAML file or a directory/],
    [[empty], /holds no \.yaml or \.yml files; fix: run `cdk8s synth` first/],
  ])('%j', async (args, message) => {
    const r = await cli('validate', ...(args as string[]));
    expect(r.code).toBe(2);
    expect(r.out).toBe('');
    expect(r.err).toMatch(/^cdk8s-balancer validate: /);
    expect(r.err).toMatch(message);
  });

  test('--help prints the options and exits 0; the command list names validate', async () => {
    const help = await cli('validate', '--help');
    expect(help.code).toBe(0);
    for (const flag of ['--format', '--external-secret', '--external-config-map', '--external-service-account', '--external-pvc', '--allow-kind', '--ignore']) {
      expect(help.out).toContain(flag);
    }
    expect((await cli('--help')).out).toMatch(/^ {2}validate {3}check Kubernetes YAML/m);
  });
});
