import { chmodSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cli, PROJECT_ROOT } from '../test-support/cli.js';
import { tempTrees } from '../test-support/tree.js';
import {
  DEFAULT_POLICY_FILE,
  defaultPolicyYaml,
  LIST_EXAMPLES,
  policyReferenceMarkdown,
} from './document.js';
import {
  discoverPolicy,
  loadPolicyFile,
  PolicyError,
  parsePolicyText,
  policyTrustProblems,
  toPolicySet,
} from './load.js';
import { defaultPolicySet } from './policy.js';

const INVALID = 'fixtures/policies/invalid';

describe('invalid policies: one fixture per message', () => {
  const fixtures = readdirSync(join(PROJECT_ROOT, INVALID)).filter((f) => !f.endsWith('.expected'));

  it('has a fixture for every kind of problem', async () => {
    expect(fixtures.length).toBeGreaterThanOrEqual(25);
  });

  it.each(fixtures)('%s', async (name) => {
    const file = `${INVALID}/${name}`;
    const expected = readFileSync(join(PROJECT_ROOT, file.replace(/\.\w+$/, '.expected')), 'utf8');
    let problems: string[] = [];
    try {
      loadPolicyFile(join(PROJECT_ROOT, file));
    } catch (error) {
      if (!(error instanceof PolicyError)) throw error;
      problems = error.problems.map((p) => p.replace(PROJECT_ROOT, ''));
    }
    expect(problems.map((p) => `upload-audit: ${p}\n`).join('')).toBe(expected);
  });

  it('reports every problem of a file, not just the first', async () => {
    const text = 'version: 1\nmode: whitelist\nrules: { size/empty: severe }\nextra: 1\n';
    expect(() => parsePolicyText(text, 'p.yaml')).toThrow(PolicyError);
    try {
      parsePolicyText(text, 'p.yaml');
    } catch (error) {
      expect((error as PolicyError).problems.map((p) => p.split(': ')[0])).toEqual([
        'p.yaml:2:7',
        'p.yaml:3:22',
        'p.yaml:4:1',
      ]);
    }
  });
});

describe('generated policy documents', () => {
  it('policy show prints a file that validates and means exactly the built-in default', async () => {
    const set = toPolicySet(parsePolicyText(defaultPolicyYaml(), 'default.yaml'), 'built-in');
    expect(set.digest).toBe(defaultPolicySet().digest);
    expect(parsePolicyText(defaultPolicyYaml(), 'x')).toEqual(
      JSON.parse(JSON.stringify(DEFAULT_POLICY_FILE)),
    );
  });

  it('the commented examples validate once uncommented', async () => {
    for (const [key, example] of Object.entries(LIST_EXAMPLES)) {
      const text = `version: 1\n${key}:\n${example.replace(/^/gm, '  ')}\n`;
      expect(() => parsePolicyText(text, `${key}-example.yaml`)).not.toThrow();
    }
  });

  it('README carries the current policy reference', async () => {
    const readme = readFileSync(join(PROJECT_ROOT, 'README.md'), 'utf8');
    const start =
      '<!-- policy-reference:start (generated from src/policy/schema.ts; UPDATE_GOLDEN=1 npm test rewrites it) -->\n';
    const end = '<!-- policy-reference:end -->';
    const generated = policyReferenceMarkdown();
    if (process.env.UPDATE_GOLDEN === '1') {
      const before = readme.slice(0, readme.indexOf(start) + start.length);
      writeFileSync(join(PROJECT_ROOT, 'README.md'), before + generated + readme.slice(readme.indexOf(end)));
      return;
    }
    expect(readme).toContain(start + generated + end);
  });

  it('accepts JSON as well as YAML, with the same meaning', async () => {
    const yaml = parsePolicyText(
      'version: 1\nlimits: { sizes: { image: 2MiB } }\nrules: { size: off }\n',
      'p.yaml',
    );
    const json = parsePolicyText(
      '{"version": 1, "limits": {"sizes": {"image": "2MiB"}}, "rules": {"size": "off"}}',
      'p.json',
    );
    expect(toPolicySet(json, 'x').digest).toBe(toPolicySet(yaml, 'x').digest);
  });
});

describe('policy discovery', () => {
  const tree = tempTrees();

  it('finds upload-audit.yaml above the root, nearest first, then in the current directory', async () => {
    const base = tree({ srv: { www: { uploads: {} } }, work: {} });
    const root = join(base, 'srv/www/uploads');
    expect(discoverPolicy(root, join(base, 'work'))).toBeUndefined();
    writeFileSync(join(base, 'work/upload-audit.yaml'), 'version: 1\n');
    expect(discoverPolicy(root, join(base, 'work'))).toBe(join(base, 'work/upload-audit.yaml'));
    writeFileSync(join(base, 'srv/.upload-audit.yaml'), 'version: 1\n');
    expect(discoverPolicy(root, join(base, 'work'))).toBe(join(base, 'srv/.upload-audit.yaml'));
    writeFileSync(join(base, 'srv/www/upload-audit.yaml'), 'version: 1\n');
    expect(discoverPolicy(root, join(base, 'work'))).toBe(join(base, 'srv/www/upload-audit.yaml'));
  });

  it('never takes a policy from inside the scanned tree, which uploaders control', async () => {
    const base = tree({ uploads: { sub: {} } });
    const root = join(base, 'uploads');
    writeFileSync(join(root, 'upload-audit.yaml'), 'version: 1\nrules: { dangerous-extension: off }\n');
    mkdirSync(join(root, 'sub/deeper'));
    writeFileSync(join(root, 'sub/upload-audit.yaml'), 'version: 1\n');
    expect(discoverPolicy(root, root)).toBeUndefined();
    expect(discoverPolicy(root, join(root, 'sub'))).toBeUndefined();
    // A folder whose name starts with two dots is inside the tree too.
    mkdirSync(join(root, '..x'));
    writeFileSync(join(root, '..x/upload-audit.yaml'), 'version: 1\n');
    expect(discoverPolicy(root, join(root, '..x'))).toBeUndefined();
  });

  it('warns when a discovered policy or its folder can be written by others', async () => {
    const base = tree({ uploads: { '2024': { 'a.php': '<?php' } } });
    writeFileSync(join(base, 'uploads/upload-audit.yaml'), 'version: 1\n');
    chmodSync(join(base, 'uploads'), 0o777);
    const file = join(base, 'uploads/upload-audit.yaml');
    expect(policyTrustProblems(file)).toEqual(['its folder is writable by others (mode 0777)']);
    const run = cli(['scan', join(base, 'uploads/2024'), '-q'], { cwd: base });
    expect(run.stderr).toBe(
      `upload-audit: warning: using the policy '${file}' found by discovery, but its folder is writable by others (mode 0777); name the policy you mean with --policy, or use --no-policy-discovery\n`,
    );
    chmodSync(join(base, 'uploads'), 0o755);
    expect(policyTrustProblems(file)).toEqual([]);
    expect(cli(['scan', join(base, 'uploads/2024'), '-q'], { cwd: base }).stderr).toBe('');
  });
});
