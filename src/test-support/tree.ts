/**
 * Fixture trees as objects, written to a fresh temp folder at test time, so hostile names,
 * symlinks and special files need no committed files. And a hash inventory to prove a scan
 * changed nothing.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  chmodSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach } from 'vitest';

/** A symlink, FIFO, or file/folder with an explicit mode: what a plain object cannot say. */
export class Special {
  constructor(
    readonly kind: 'symlink' | 'fifo' | 'file' | 'dir',
    readonly target = '',
    readonly content: string | Buffer | Tree = '',
    readonly mode = 0o644,
  ) {}
}
export const symlink = (target: string): Special => new Special('symlink', target);
export const fifo = (): Special => new Special('fifo');
export const file = (content: string | Buffer, mode: number): Special =>
  new Special('file', '', content, mode);
export const dir = (tree: Tree, mode: number): Special => new Special('dir', '', tree, mode);

type Node = string | Buffer | Special | Tree;
export interface Tree {
  [name: string]: Node;
}

function writeTree(at: string | Buffer, tree: Tree): void {
  for (const [name, node] of Object.entries(tree)) {
    writeNode(Buffer.concat([Buffer.from(at), Buffer.from('/'), Buffer.from(name)]), node);
  }
}

function writeNode(path: Buffer, node: Node): void {
  if (typeof node === 'string' || Buffer.isBuffer(node)) {
    writeFileSync(path, node);
  } else if (!(node instanceof Special)) {
    mkdirSync(path);
    writeTree(path, node);
  } else if (node.kind === 'symlink') {
    symlinkSync(node.target, path);
  } else if (node.kind === 'fifo') {
    execFileSync('mkfifo', [path.toString()]);
  } else {
    if (node.kind === 'file') writeFileSync(path, node.content as string | Buffer);
    else {
      mkdirSync(path);
      writeTree(path, node.content as Tree);
    }
    chmodSync(path, node.mode);
  }
}

/** A new temp folder holding `tree`; returns its path. */
function makeTree(tree: Tree): string {
  const root = mkdtempSync(join(tmpdir(), 'upload-audit-test-'));
  writeTree(root, tree);
  return root;
}

/** Write a file whose name is raw bytes (not valid UTF-8, control bytes, …). */
export function writeRawName(dir: string, name: Buffer, content: string | Buffer = 'x'): void {
  writeFileSync(Buffer.concat([Buffer.from(dir), Buffer.from('/'), name]), content);
}

/** Every entry below `root` with its type, mode, mtime, size, content hash and link target. */
export function inventory(root: string): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (dir: Buffer, rel: string): void => {
    for (const name of readdirSync(dir, { encoding: 'buffer' })) {
      const path = Buffer.concat([dir, Buffer.from('/'), name]);
      const key = `${rel}/${name.toString('base64')}`;
      const st = lstatSync(path);
      let detail = '';
      if (st.isSymbolicLink()) detail = readlinkSync(path, { encoding: 'buffer' }).toString('base64');
      else if (st.isFile()) detail = createHash('sha256').update(readFileSync(path)).digest('hex');
      out.set(key, `${st.mode}:${st.mtimeMs}:${st.size}:${st.nlink}:${detail}`);
      if (st.isDirectory()) walk(path, key);
    }
  };
  walk(Buffer.from(root), '');
  return out;
}

/** In a test file: `const tree = tempTrees();` then `tree({...})` gives a fresh root, removed after each test. */
export function tempTrees(): (spec: Tree) => string {
  const roots: string[] = [];
  afterEach(() => {
    for (const root of roots.splice(0)) {
      try {
        rmSync(root, { recursive: true, force: true });
      } catch {
        // Trees deeper than PATH_MAX: rm walks them with openat, Node cannot.
        execFileSync('rm', ['-rf', root]);
      }
    }
  });
  return (spec) => {
    const root = makeTree(spec);
    roots.push(root);
    return root;
  };
}
