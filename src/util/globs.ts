/**
 * --include and --exclude as .gitignore reads its patterns, which is what users of git, trivy
 * and semgrep expect: a pattern without a slash matches a name at any depth (`*.png`,
 * `.htaccess`); a pattern with a slash is relative to the root (`cache/**`, `2024/03`); a
 * leading slash anchors a name to the root (`/tmp`); a trailing slash is allowed (`cache/`).
 * A pattern that matches a folder matches everything below it. Glob syntax is picomatch's
 * (`*`, `**`, `?`, `[...]`, `{a,b}`), dotfiles included.
 */
import picomatch from 'picomatch';

/** The picomatch globs one .gitignore-style pattern stands for. */
export function globsFor(pattern: string): string[] {
  let p = pattern;
  const anchored = p.startsWith('/');
  if (anchored) p = p.slice(1);
  while (p.endsWith('/')) p = p.slice(0, -1);
  if (p === '') return [];
  const base = anchored || p.includes('/') ? p : `**/${p}`;
  return [base, `${base}/**`];
}

/** A test of relative paths (`/`-separated) against the patterns; undefined when there are none. */
export function pathMatcher(patterns: readonly string[]): ((path: string) => boolean) | undefined {
  const globs = patterns.flatMap(globsFor);
  return globs.length > 0 ? picomatch(globs, { dot: true }) : undefined;
}
