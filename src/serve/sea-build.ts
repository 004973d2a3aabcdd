/**
 * `npm run build:sea`: the check server as one executable file, with Node's single executable
 * applications (SEA) feature, for hosts without Node. Node 20 runs one CommonJS script inside the
 * executable and cannot require files beside it, so esbuild bundles `sea-main.js` and everything
 * it imports into one script first. Then: the SEA blob from that script, a copy of this Node
 * binary, and postject to put the blob into the copy.
 *
 * What the bundle cannot carry is left out and never reached by `serve`: the file watcher (a
 * native module, `watch` only), the AWS SDK (`s3://` roots only) and worker threads (the server
 * audits in its own thread).
 */
import { execFileSync } from 'node:child_process';
import { chmodSync, copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build, type Plugin } from 'esbuild';

const PROJECT = fileURLToPath(new URL('../../', import.meta.url));
const OUT = join(PROJECT, 'dist/sea');
/** The sentinel Node looks for to know it carries a blob (from Node's SEA documentation). */
const FUSE = 'NODE_SEA_FUSE_fce680ab2cc467b6e072b8b5df1996b2';

/**
 * Two things esbuild cannot follow, made static: modules loaded with createRequire (kept lazy
 * for start-up time in the package) become plain requires it bundles, and the version, read
 * from package.json at run time, is written in.
 */
function bundleable(version: string): Plugin {
  return {
    name: 'upload-audit-sea',
    setup(b) {
      b.onLoad({ filter: /[/\\]dist[/\\].*\.js$/ }, (args) => {
        let contents = readFileSync(args.path, 'utf8');
        if (args.path.endsWith(join('util', 'version.js')))
          contents = `export const VERSION = ${JSON.stringify(version)};\n`;
        contents = contents.replace(/createRequire\(import\.meta\.url\)\(/g, 'require(');
        return { contents, loader: 'js', resolveDir: dirname(args.path) };
      });
    },
  };
}

/** Build `dist/sea/upload-audit-serve` (needs `tsc` first); returns its path. */
export async function buildSea(): Promise<string> {
  mkdirSync(OUT, { recursive: true });
  const { version } = JSON.parse(readFileSync(join(PROJECT, 'package.json'), 'utf8')) as { version: string };
  const script = join(OUT, 'serve.cjs');
  await build({
    entryPoints: [join(PROJECT, 'dist/serve/sea-main.js')],
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    outfile: script,
    external: ['@parcel/watcher', '@aws-sdk/*'],
    // import.meta has no meaning in one CommonJS script: the executable's own path stands in.
    define: { 'import.meta.url': '__seaUrl' },
    banner: { js: "const __seaUrl = require('node:url').pathToFileURL(__filename).href;" },
    plugins: [bundleable(version)],
    logLevel: 'warning',
  });
  const config = join(OUT, 'sea-config.json');
  const blob = join(OUT, 'serve.blob');
  writeFileSync(config, JSON.stringify({ main: script, output: blob, disableExperimentalSEAWarning: true }));
  execFileSync(process.execPath, ['--experimental-sea-config', config], { stdio: 'pipe' });
  const executable = join(OUT, 'upload-audit-serve');
  copyFileSync(process.execPath, executable);
  chmodSync(executable, 0o755);
  const postject = join(PROJECT, 'node_modules/postject/dist/cli.js');
  execFileSync(process.execPath, [postject, executable, 'NODE_SEA_BLOB', blob, '--sentinel-fuse', FUSE], {
    stdio: 'pipe',
  });
  return executable;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  buildSea().then(
    (path) => process.stdout.write(`${path}\n`),
    (error: unknown) => {
      process.stderr.write(`build:sea: ${error instanceof Error ? error.message : String(error)}\n`);
      process.exitCode = 2;
    },
  );
}
