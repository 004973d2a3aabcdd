import type { Finding, Report } from '../model/types.js';
import { parsePolicyText, toPolicySet } from '../policy/load.js';
import { runScan } from '../sources/directory/run.js';
import { type Tree, tempTrees } from './tree.js';

/** In a test file: `const audit = auditor();` then `await audit(tree, 'bounds: …')` scans a fresh temp tree. */
export function auditor(): (spec: Tree, policyYaml?: string) => Promise<Report> {
  const tree = tempTrees();
  return (spec, policyYaml) => {
    const policy =
      policyYaml === undefined
        ? undefined
        : toPolicySet(parsePolicyText(`version: 1\n${policyYaml}`, 'test.yaml'), 'test.yaml');
    return runScan({
      root: tree(spec),
      failOn: 'high',
      allowUnevaluated: false,
      concurrency: 1,
      ...(policy && { policy }),
    });
  };
}

/** `path[!inner] ruleId` for the findings of some categories, sorted. */
export function found(report: Report, ...categories: Finding['category'][]): string[] {
  return report.findings
    .filter((f) => categories.includes(f.category))
    .map((f) => `${f.path}${f.innerPath === undefined ? '' : `!${f.innerPath}`} ${f.ruleId}`)
    .sort();
}
