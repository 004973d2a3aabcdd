import { describe, expect, it } from 'vitest';
import { globsFor, pathMatcher } from './globs.js';

/** [pattern, paths it matches, paths it does not], as .gitignore reads the pattern. */
const TABLE: Array<[string, string[], string[]]> = [
  ['*.png', ['a.png', 'users/bob/a.png', 'x/y/z/.hidden.png'], ['a.png.php', 'png', 'users/bob/a.jpg']],
  [
    '.htaccess',
    ['.htaccess', 'users/bob/.htaccess', 'users/bob/.htaccess/inner'],
    ['x.htaccess', 'htaccess'],
  ],
  ['cache/**', ['cache/a', 'cache/x/y'], ['users/cache/a', 'cachefile']],
  ['cache', ['cache', 'cache/a', 'users/cache', 'users/cache/b'], ['cached', 'users/cachex']],
  ['cache/', ['cache', 'cache/a', 'users/cache/b'], ['cached']],
  ['/tmp', ['tmp', 'tmp/x'], ['users/tmp', 'users/tmp/x']],
  ['2024/03', ['2024/03', '2024/03/a.jpg'], ['x/2024/03', '2024/04/a.jpg']],
  ['**/thumbs/*.jpg', ['thumbs/a.jpg', 'a/b/thumbs/c.jpg'], ['thumbs/x/c.jpg', 'thumbs/a.png']],
  ['shell.{php,phtml}', ['shell.php', 'u/shell.phtml'], ['shell.php5', 'shell.php.jpg']],
  ['?.txt', ['a.txt', 'd/b.txt'], ['ab.txt']],
];

describe('--include and --exclude patterns, as .gitignore reads them', () => {
  it.each(TABLE)('%s', (pattern, matches, misses) => {
    const match = pathMatcher([pattern])!;
    for (const path of matches) expect(match(path), `${pattern} should match ${path}`).toBe(true);
    for (const path of misses) expect(match(path), `${pattern} should not match ${path}`).toBe(false);
  });

  it('matches when any pattern does, and has no matcher for no patterns', () => {
    const match = pathMatcher(['*.png', '/docs'])!;
    expect(['x/a.png', 'docs/a.pdf'].map(match)).toEqual([true, true]);
    expect(match('x/docs/a.pdf')).toBe(false);
    expect(pathMatcher([])).toBeUndefined();
    expect(globsFor('/')).toEqual([]);
  });
});
