/**
 * `npm run bench [-- --files N --runs R --log-lines M --only realistic|dir|log|bucket|serve]`:
 * upload-audit beside the peers, in the same run, alternating, after a warm-up; medians,
 * throughput, peak RSS and ratios. Absolute times drift on shared machines; the ratios are the
 * point. The directory case also scans clean trees of N/10 and N files: peak memory must not
 * grow with clean files. Last, the targets of issue 8, each judged met or not on this run's
 * medians.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus, totalmem } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { bucketBench } from './bucket.js';
import { generateLogs, generateTree, logsAreGenerated, treeIsGenerated } from './generate.js';
import { generateRealisticTree, realisticTreeIsGenerated } from './realistic.js';
import { serveBench } from './serve.js';

const PROJECT = fileURLToPath(new URL('../../', import.meta.url));
const BIN = join(PROJECT, 'bin/upload-audit.js');
const WORK = join(PROJECT, '.bench');

/** The floor: walk with two threads, open and read the first 4 KiB of every file. */
const FLOOR_C = `#define _GNU_SOURCE
#include <dirent.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
static long counts[2];
static char **tops; static int ntops;
static void walk(const char *path, int t) {
  DIR *d = opendir(path); if (!d) return;
  struct dirent *e; char buf[4096], child[4096];
  while ((e = readdir(d))) {
    if (e->d_name[0] == '.' && (!e->d_name[1] || (e->d_name[1] == '.' && !e->d_name[2]))) continue;
    snprintf(child, sizeof child, "%s/%s", path, e->d_name);
    if (e->d_type == DT_DIR) walk(child, t);
    else if (e->d_type == DT_REG) { int fd = open(child, O_RDONLY | O_NOFOLLOW); if (fd >= 0) { if (read(fd, buf, sizeof buf) >= 0) counts[t]++; close(fd); } }
  }
  closedir(d);
}
static void *run(void *arg) { int t = (int)(long)arg; for (int i = t; i < ntops; i += 2) walk(tops[i], t); return 0; }
int main(int argc, char **argv) {
  DIR *d = opendir(argv[1]); struct dirent *e; tops = calloc(65536, sizeof *tops);
  while ((e = readdir(d))) { if (e->d_name[0] == '.') continue; tops[ntops] = malloc(4096); snprintf(tops[ntops++], 4096, "%s/%s", argv[1], e->d_name); }
  pthread_t a, b; pthread_create(&a, 0, run, (void *)0); pthread_create(&b, 0, run, (void *)1);
  pthread_join(a, 0); pthread_join(b, 0); printf("%ld\\n", counts[0] + counts[1]); return 0;
}
`;

/**
 * The floor of an incremental rescan: two threads walk the tree and lstat every entry, as a
 * rescan must to see what changed, and read nothing.
 */
const LSTAT_FLOOR_C = FLOOR_C.replace(
  '#include <unistd.h>',
  '#include <sys/stat.h>\n#include <unistd.h>',
).replace(
  'else if (e->d_type == DT_REG) { int fd = open(child, O_RDONLY | O_NOFOLLOW); if (fd >= 0) { if (read(fd, buf, sizeof buf) >= 0) counts[t]++; close(fd); } }',
  'else { struct stat st; if (lstat(child, &st) == 0 && S_ISREG(st.st_mode)) counts[t]++; (void)buf; }',
);

/**
 * The same floor in Node: two worker threads walk the same halves of the tree and lstat every
 * entry (with nanosecond times, as a rescan's change key needs) and do nothing else. It shows
 * what a rescan written in Node can reach on this machine, whatever it does besides.
 */
const NODE_LSTAT_FLOOR_JS = `import { lstatSync, readdirSync } from 'node:fs';
import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';
if (isMainThread) {
  const root = process.argv[2];
  const tops = readdirSync(root).filter((name) => !name.startsWith('.')).map((name) => root + '/' + name);
  let files = 0;
  await Promise.all([0, 1].map((t) => new Promise((done, fail) => {
    const worker = new Worker(new URL(import.meta.url), { workerData: tops.filter((_, i) => i % 2 === t) });
    worker.on('message', (n) => { files += n; }).on('error', fail).on('exit', done);
  })));
  console.log(files);
} else {
  let files = 0;
  const walk = (dir) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = dir + '/' + entry.name;
      if (lstatSync(path, { bigint: true }).isFile()) files++;
      if (entry.isDirectory()) walk(path);
    }
  };
  for (const top of workerData) walk(top);
  parentPort.postMessage(files);
}
`;

/**
 * The deep floor: two threads walk the tree and read exactly what upload-audit's default bounds
 * read of each file (head and tail, 4 KiB each; a whole PDF up to 16 MiB; markup up to 256 KiB;
 * a zip's last 64 KiB, where its end record and central directory are), passing every byte
 * through memchr once. No detection, no rules: what the reads alone cost.
 */
const DEEP_FLOOR_C = `#define _GNU_SOURCE
#include <dirent.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
static long counts[2]; static long long bytes[2];
static char **tops; static int ntops;
static int ends(const char *s, const char *suffix) { size_t a = strlen(s), b = strlen(suffix); return a >= b && !strcmp(s + a - b, suffix); }
static void consume(int t, const char *buf, ssize_t n) { if (n <= 0) return; bytes[t] += n; if (memchr(buf, 0x23, n)) counts[t]++; }
static void file(const char *path, int t, char *buf) {
  int fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK); if (fd < 0) return;
  struct stat st; if (fstat(fd, &st) || !S_ISREG(st.st_mode)) { close(fd); return; }
  off_t size = st.st_size;
  if (ends(path, ".pdf")) { off_t end = size < (16 << 20) ? size : (16 << 20); for (off_t at = 0; at < end; at += (1 << 20)) consume(t, buf, pread(fd, buf, 1 << 20, at)); }
  else {
    consume(t, buf, pread(fd, buf, 4096, 0));
    if (size > 4096) consume(t, buf, pread(fd, buf, 4096, size > 8192 ? size - 4096 : 4096));
    if (ends(path, ".svg") || ends(path, ".xml") || ends(path, ".html")) consume(t, buf, pread(fd, buf, 256 << 10, 0));
    if (ends(path, ".zip") || ends(path, ".docx") || ends(path, ".xlsx") || ends(path, ".pptx")) consume(t, buf, pread(fd, buf, 64 << 10, size > (64 << 10) ? size - (64 << 10) : 0));
  }
  close(fd);
}
static void walk(const char *path, int t, char *buf) {
  DIR *d = opendir(path); if (!d) return;
  struct dirent *e; char child[4096];
  while ((e = readdir(d))) {
    if (e->d_name[0] == '.' && (!e->d_name[1] || (e->d_name[1] == '.' && !e->d_name[2]))) continue;
    snprintf(child, sizeof child, "%s/%s", path, e->d_name);
    if (e->d_type == DT_DIR) walk(child, t, buf); else if (e->d_type == DT_REG) file(child, t, buf);
  }
  closedir(d);
}
static void *run(void *arg) { int t = (int)(long)arg; char *buf = malloc(1 << 20); for (int i = t; i < ntops; i += 2) walk(tops[i], t, buf); free(buf); return 0; }
int main(int argc, char **argv) {
  DIR *d = opendir(argv[1]); struct dirent *e; tops = calloc(65536, sizeof *tops);
  while ((e = readdir(d))) { if (e->d_name[0] == '.') continue; tops[ntops] = malloc(4096); snprintf(tops[ntops++], 4096, "%s/%s", argv[1], e->d_name); }
  pthread_t a, b; pthread_create(&a, 0, run, (void *)0); pthread_create(&b, 0, run, (void *)1);
  pthread_join(a, 0); pthread_join(b, 0); printf("%lld bytes\\n", bytes[0] + bytes[1]); return 0;
}
`;

interface Peer {
  name: string;
  command: string;
  /** Seconds of a run spent on the audit itself, read back after the run (our report's durationMs). */
  phase?: () => number;
}

const OUT = join(WORK, 'out.json');

/** Our command line for `args` (with node flags first): a JSON report to a file, never failing. */
const ourCommand = (args: string, nodeFlags = ''): string =>
  `node ${nodeFlags} ${BIN} ${args} --format json -o ${OUT} -q --fail-on none --allow-unevaluated`;

/** Our run of `args`, timed with its own audit phase. */
const ours = (name: string, args: string): Peer => ({
  name,
  command: ourCommand(args),
  phase: auditPhase(OUT),
});

/** The audit phase of the run that wrote `report`: from start of the walk to the last finding. */
const auditPhase = (report: string) => (): number =>
  (JSON.parse(readFileSync(report, 'utf8')) as { durationMs: number }).durationMs / 1000;

interface Sample {
  seconds: number;
  rssKiB: number;
}

/** Run a shell command under /usr/bin/time: wall seconds and the peak RSS of its processes. */
function measure(command: string): Sample {
  const run = spawnSync('/usr/bin/time', ['-f', '%e %M', 'bash', '-c', command], {
    encoding: 'utf8',
    maxBuffer: 1 << 26,
  });
  const last = run.stderr.trim().split('\n').at(-1) ?? '';
  const [seconds, rss] = last.split(' ').map(Number);
  if (!Number.isFinite(seconds)) throw new Error(`could not time: ${command}\n${run.stderr}`);
  return { seconds: seconds!, rssKiB: rss! };
}

const median = (values: number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
};

/** Warm up once each, then `runs` rounds alternating the commands; print the table. */
/** Per peer: the median seconds and the highest peak RSS of its runs. */
type Results = Map<string, { seconds: number; rssMiB: number }>;

function compare(title: string, units: number, unitName: string, peers: Peer[], runs: number): Results {
  for (const p of peers) measure(p.command);
  const samples = new Map<string, Sample[]>(peers.map((p) => [p.name, []]));
  const phases: number[] = [];
  for (let r = 0; r < runs; r++)
    for (const p of peers) {
      samples.get(p.name)!.push(measure(p.command));
      if (p.phase) phases.push(p.phase());
    }
  const oursSeconds = median(samples.get(peers[0]!.name)!.map((s) => s.seconds));
  console.log(
    `\n${title}: ${units.toLocaleString('en-US')} ${unitName}, median of ${runs} runs after a warm-up`,
  );
  const width = Math.max(34, ...peers.map((p) => p.name.length));
  console.log(
    `${'command'.padEnd(width)} ${'median s'.padStart(9)} ${`${unitName}/s`.padStart(13)} ${'peak RSS'.padStart(10)} ${'upload-audit ÷ this'.padStart(20)}`,
  );
  const results: Results = new Map();
  for (const p of peers) {
    const s = samples.get(p.name)!;
    const t = median(s.map((x) => x.seconds));
    const rss = Math.max(...s.map((x) => x.rssKiB));
    results.set(p.name, { seconds: t, rssMiB: rss / 1024 });
    const ratio = p === peers[0] ? '1.00' : t > 0 ? (oursSeconds / t).toFixed(2) : 'n/a';
    console.log(
      `${p.name.padEnd(width)} ${t.toFixed(2).padStart(9)} ${Math.round(units / Math.max(t, 0.001))
        .toLocaleString('en-US')
        .padStart(13)} ${`${(rss / 1024).toFixed(0)} MiB`.padStart(10)} ${ratio.padStart(20)}`,
    );
  }
  if (phases.length > 0) {
    const phase = median(phases);
    console.log(
      `(of upload-audit's ${oursSeconds.toFixed(2)} s, the audit itself took ${phase.toFixed(2)} s = ${Math.round(units / phase).toLocaleString('en-US')} ${unitName}/s; the rest is start-up and writing the report)`,
    );
  }
  return results;
}

/** A change of memory with its sign: +8 MiB, -2 MiB. */
const signedMiB = (mib: number): string => `${mib >= 0 ? '+' : ''}${mib.toFixed(0)} MiB`;

/** Say whether a bench input is made now (once) or was made by an earlier run. */
function announce(what: string, generated: boolean): void {
  console.log(generated ? `reusing ${what}, generated earlier` : `generating ${what} (once; reused later)…`);
}

/**
 * Memory against the number of clean files: peak RSS scanning clean trees of `small` and `large`
 * files, as shipped and with V8's young generation held small. V8 enlarges the young generation
 * of a busy thread over a long run (up to 16 MiB per semi-space, two threads): that raises peak
 * RSS once, by a bounded amount, and is not memory kept per file; holding it small
 * (--max-semi-space-size=4) shows what the scan itself keeps.
 */
function cleanMemory(small: number, large: number, runs: number): { shipped: number; held: number } {
  const sizes = [small, large].map((files) => {
    const tree = join(WORK, `clean-${files}`);
    announce(`${files.toLocaleString('en-US')} clean files in ${tree}`, treeIsGenerated(tree));
    generateTree(tree, files, { clean: true });
    return { files, tree };
  });
  const peak = (flags: string, tree: string): number => {
    const command = ourCommand(`scan ${tree}`, flags);
    measure(command);
    const kib = median(Array.from({ length: runs }, () => measure(command).rssKiB));
    const { summary } = JSON.parse(readFileSync(OUT, 'utf8')) as { summary: { findings: number } };
    if (summary.findings !== 0) throw new Error(`${tree} is not clean: ${summary.findings} findings`);
    return kib / 1024;
  };
  const rows = sizes.map(({ files, tree }) => ({
    files,
    shipped: peak('', tree),
    young: peak('--max-semi-space-size=4', tree),
  }));
  console.log(`\nMemory and clean files: peak RSS of a scan with no findings, median of ${runs} runs`);
  console.log(
    `${'clean files'.padEnd(14)} ${'as shipped'.padStart(12)} ${'young generation held small'.padStart(30)}`,
  );
  for (const r of rows)
    console.log(
      `${r.files.toLocaleString('en-US').padEnd(14)} ${`${r.shipped.toFixed(0)} MiB`.padStart(12)} ${`${r.young.toFixed(0)} MiB`.padStart(30)}`,
    );
  const [a, b] = rows as [(typeof rows)[0], (typeof rows)[0]];
  console.log(
    `(${a.files.toLocaleString('en-US')} -> ${b.files.toLocaleString('en-US')} clean files: ${signedMiB(b.shipped - a.shipped)} as shipped, ${signedMiB(b.young - a.young)} with the young generation held small)`,
  );
  return { shipped: b.shipped - a.shipped, held: b.young - a.young };
}

interface Target {
  target: string;
  measured: string;
  met: boolean;
}

/** The issues' numbers, judged on this run's medians (they are set for 2-core machines). */
function printTargets(targets: Target[]): void {
  console.log('\nTargets, judged on this run');
  const width = Math.max(...targets.map((t) => t.target.length));
  for (const t of targets)
    console.log(`${t.met ? 'met    ' : 'NOT met'}  ${t.target.padEnd(width)}  ${t.measured}`);
}

const times = (ratio: number): string => `${ratio.toFixed(2)}×`;
const perSecond = (units: number, seconds: number): string =>
  `${Math.round(units / seconds).toLocaleString('en-US')}/s`;

/** The directory targets: 8× `file` and 4× the floor; under 12 s and 250 MiB at a million files; no memory per clean file. */
function directoryTargets(
  files: number,
  r: Results,
  memory: { shipped: number; held: number },
  cleanFiles: number,
): Target[] {
  const ours = r.get(OURS_SCAN)!;
  const file = r.get(FILE_PEER)!.seconds;
  const floor = r.get(FLOOR_PEER)!.seconds;
  const n = files.toLocaleString('en-US');
  const perFile = (memory.held * 2 ** 20) / cleanFiles;
  const targets: Target[] = [
    {
      target: `${n} files: 8× faster than file --mime-type`,
      measured: times(file / ours.seconds),
      met: file / ours.seconds >= 8,
    },
    {
      target: `${n} files: within 4× of the C floor`,
      measured: times(ours.seconds / floor),
      met: ours.seconds / floor <= 4,
    },
    {
      // A record per file would be 100 bytes or more; run-to-run noise is a few MiB.
      target: 'clean files cost no memory (< 64 bytes each)',
      measured: `${perFile.toFixed(0)} bytes per clean file with the young generation held small (${signedMiB(memory.shipped)} as shipped)`,
      met: perFile < 64,
    },
  ];
  if (files >= 1_000_000)
    targets.push({
      target: `${n} files: under 12 s, peak RSS under 250 MiB`,
      measured: `${ours.seconds.toFixed(2)} s, ${ours.rssMiB.toFixed(0)} MiB`,
      met: ours.seconds < 12 && ours.rssMiB < 250,
    });
  return targets;
}

/** Compile a C peer once into .bench/ (the same source gives the same binary). */
function compiled(name: string, source: string): string {
  const binary = join(WORK, name);
  if (!existsSync(binary)) {
    writeFileSync(`${binary}.c`, source);
    execFileSync('cc', ['-O2', '-pthread', '-o', binary, `${binary}.c`]);
  }
  return binary;
}

/**
 * ClamAV's clamscan, installed from Debian's packages when missing (as root), with a database of
 * three signatures of our own: its cost of opening and parsing files, not of matching. Real
 * signature sets only make it slower.
 */
function clamscan(): string | undefined {
  const has = () => spawnSync('sh', ['-c', 'command -v clamscan'], { encoding: 'utf8' }).status === 0;
  if (!has() && process.getuid?.() === 0) {
    console.log('installing clamav from Debian for the clamscan peer (once)…');
    spawnSync('sh', [
      '-c',
      'apt-get install -y clamav > /dev/null 2>&1 || (apt-get update > /dev/null && apt-get install -y clamav > /dev/null 2>&1)',
    ]);
  }
  if (!has()) {
    console.log('clamscan is not installed (apt-get install clamav): its row is left out');
    return undefined;
  }
  const db = join(WORK, 'tiny.ndb');
  writeFileSync(
    db,
    [
      'Bench.Sig1:0:*:3c3f706870206576616c28',
      'Bench.Sig2:0:*:7573655f7368656c6c5f65786563',
      'Bench.Sig3:0:*:4556494c5f4d41524b4552',
      '',
    ].join('\n'),
  );
  return db;
}

const DEEP_FLOOR = 'C deep floor (2 threads, our read bounds)';
const CLAMSCAN = 'clamscan (3 signatures)';

/**
 * Past this many files clamscan runs on a named subset (the tree's first year of date folders,
 * 36,500 files) beside our scan of the same subset: on the whole of a 100,000-file tree it takes
 * about ten minutes a run.
 */
const CLAMSCAN_WHOLE_TREE_FILES = 10_000;
const CLAMSCAN_SUBSET = '2020';

/** The realistic tree: us beside the deep floor, file -P2 and clamscan; issue 18's targets. */
function realistic(files: number, runs: number): Target[] {
  const tree = join(WORK, `real-${files}`);
  announce(
    `a realistic tree of ${files.toLocaleString('en-US')} files in ${tree}`,
    realisticTreeIsGenerated(tree),
  );
  generateRealisticTree(tree, files);
  const floor = compiled('deep-floor', DEEP_FLOOR_C);
  const db = clamscan();
  const clamscanPeer = (root: string): Peer => ({
    name: CLAMSCAN,
    command: `clamscan -r --no-summary --infected -d ${db} ${root} > /dev/null; true`,
  });
  const wholeTree = files <= CLAMSCAN_WHOLE_TREE_FILES;
  const peers: Peer[] = [
    ours(OURS_SCAN, `scan ${tree}`),
    { name: DEEP_FLOOR, command: `${floor} ${tree}` },
    { name: FILE_PEER, command: `find ${tree} -type f -print0 | xargs -0 -P2 file --mime-type > /dev/null` },
  ];
  if (db && wholeTree) peers.push(clamscanPeer(tree));
  const r = compare(
    'Realistic upload tree (log-normal sizes, real structure, sparse bodies)',
    files,
    'files',
    peers,
    runs,
  );
  let clamscanRatio: { ratio: number; on: string } | undefined;
  if (db && wholeTree)
    clamscanRatio = { ratio: r.get(CLAMSCAN)!.seconds / r.get(OURS_SCAN)!.seconds, on: '' };
  if (db && !wholeTree) {
    const subset = join(tree, CLAMSCAN_SUBSET);
    const subsetFiles = countFiles(subset);
    // clamscan first, once: it reads every byte of the subset (sparse holes too) and can push
    // what we read out of the page cache; our run is then warmed up and measured as above.
    const clam = measure(clamscanPeer(subset).command);
    const s = compare(
      `The same tree's subset ${subset} beside clamscan`,
      subsetFiles,
      'files',
      [ours(OURS_SCAN, `scan ${subset}`)],
      runs,
    );
    console.log(
      `clamscan (3 signatures), one run before ours: ${clam.seconds.toFixed(2)} s, ${perSecond(subsetFiles, clam.seconds)}, ${(clam.rssKiB / 1024).toFixed(0)} MiB`,
    );
    clamscanRatio = {
      ratio: clam.seconds / s.get(OURS_SCAN)!.seconds,
      on: ` (on the subset ${CLAMSCAN_SUBSET}/, ${subsetFiles.toLocaleString('en-US')} files)`,
    };
  }
  if (db)
    console.log('(clamscan ran with a three-signature database: real signature sets only make it slower)');
  const us = r.get(OURS_SCAN)!;
  const n = files.toLocaleString('en-US');
  const floorRatio = us.seconds / r.get(DEEP_FLOOR)!.seconds;
  const million = files >= 1_000_000;
  const targets: Target[] = [
    {
      target: `${n} realistic files: within 3× of the deep floor`,
      measured: times(floorRatio),
      met: floorRatio <= 3,
    },
    {
      target: `${n} realistic files: peak RSS under ${million ? 200 : 150} MiB`,
      measured: `${us.rssMiB.toFixed(0)} MiB`,
      met: us.rssMiB < (million ? 200 : 150),
    },
  ];
  // Issue 18 sets these two for 100,000 files; at a million it asks for the floor and memory only.
  if (!million)
    targets.push({
      target: `${n} realistic files: 3× faster than file -P2`,
      measured: times(r.get(FILE_PEER)!.seconds / us.seconds),
      met: r.get(FILE_PEER)!.seconds / us.seconds >= 3,
    });
  if (clamscanRatio && !million)
    targets.push({
      target: `${n} realistic files: 30× faster than clamscan${clamscanRatio.on}`,
      measured: times(clamscanRatio.ratio),
      met: clamscanRatio.ratio >= 30,
    });
  return targets;
}

/** Regular files under `dir`, counted by walking it. */
function countFiles(dir: string): number {
  return readdirSync(dir, { recursive: true, withFileTypes: true }).filter((e) => e.isFile()).length;
}

const LSTAT_FLOOR = 'C walk + lstat floor (2 threads)';
const NODE_LSTAT_FLOOR = 'Node walk + lstat floor (2 threads)';
const OURS_RESCAN = 'upload-audit scan --state (unchanged)';

/**
 * An incremental rescan of the unchanged tree (issue 20): beside the C walk-and-lstat floor and
 * find, after two seeding runs 2 s apart, so no file is racy against the state's run.
 */
function rescanTargets(tree: string, files: number, runs: number, fullSeconds: number): Target[] {
  const floor = compiled('lstat-floor', LSTAT_FLOOR_C);
  const nodeFloor = join(WORK, 'node-lstat-floor.mjs');
  writeFileSync(nodeFloor, NODE_LSTAT_FLOOR_JS);
  const state = join(WORK, `state-${files}`);
  rmSync(state, { force: true });
  const rescan = ourCommand(`scan ${tree} --state ${state}`);
  measure(rescan);
  execFileSync('sleep', ['2.1']);
  measure(rescan);
  const r = compare(
    'Incremental rescan of the unchanged tree',
    files,
    'files',
    [
      ours(OURS_RESCAN, `scan ${tree} --state ${state}`),
      { name: 'find -type f | wc -l', command: `find ${tree} -type f | wc -l` },
      { name: LSTAT_FLOOR, command: `${floor} ${tree}` },
      { name: NODE_LSTAT_FLOOR, command: `node ${nodeFloor} ${tree}` },
    ],
    runs,
  );
  const report = JSON.parse(readFileSync(OUT, 'utf8')) as { incremental?: { mode: string; reused: number } };
  console.log(
    `(the last rescan: ${report.incremental?.mode}, ${report.incremental?.reused.toLocaleString('en-US')} files not opened; a full scan took ${fullSeconds.toFixed(2)} s)`,
  );
  const us = r.get(OURS_RESCAN)!;
  const ratio = us.seconds / r.get(LSTAT_FLOOR)!.seconds;
  const nodeRatio = r.get(NODE_LSTAT_FLOOR)!.seconds / r.get(LSTAT_FLOOR)!.seconds;
  const within = files >= 1_000_000 ? 1.5 : 3;
  return [
    {
      target: `${files.toLocaleString('en-US')} unchanged files: rescan within ${within}× the walk-and-lstat floor, peak RSS under 150 MiB`,
      measured: `${times(ratio)} the floor (Node's floor: ${times(nodeRatio)}), ${us.rssMiB.toFixed(0)} MiB`,
      met: ratio <= within && us.rssMiB < 150,
    },
  ];
}

/** The check server beside clamd (issue 23): latency of a 1 MiB JPEG at 200/s, sustained rates on a mix. */
async function serve(files: number): Promise<Target[]> {
  const tree = join(WORK, `real-${files}`);
  generateRealisticTree(tree, files);
  clamscan(); // installs clamav and writes the tiny database when missing
  const r = await serveBench({ work: WORK, bin: BIN, tree, database: join(WORK, 'tiny.ndb') });
  const ms = (n: number) => `${n.toFixed(2)} ms`;
  console.log(
    `\nCheck server: one open-loop load generator, a 1 MiB JPEG at 200/s, then a mix of ${r.mixCount} uploads (10 KB-2 MB) at doubling rates`,
  );
  console.log(
    `${'server'.padEnd(28)} ${'p50'.padStart(10)} ${'p99'.padStart(10)} ${'sustained (p99 < 100 ms)'.padStart(26)}`,
  );
  console.log(
    `${'upload-audit serve'.padEnd(28)} ${ms(r.ours.p50).padStart(10)} ${ms(r.ours.p99).padStart(10)} ${`${r.ours.sustained}/s`.padStart(26)}`,
  );
  if (r.clamd)
    console.log(
      `${'clamd (3 signatures)'.padEnd(28)} ${ms(r.clamd.p50).padStart(10)} ${ms(r.clamd.p99).padStart(10)} ${`${r.clamd.sustained}/s`.padStart(26)}`,
    );
  else console.log('clamd is not installed (apt-get install clamav-daemon): its row is left out');
  const targets: Target[] = [
    {
      target: 'serve: p99 under 5 ms for a 1 MiB JPEG at 200 requests/s',
      measured: ms(r.ours.p99),
      met: r.ours.p99 < 5,
    },
  ];
  if (r.clamd)
    targets.push({
      target: "serve: at least 5× clamd's sustained rate on the mix",
      measured: times(r.ours.sustained / Math.max(1, r.clamd.sustained)),
      met: r.ours.sustained >= 5 * r.clamd.sustained,
    });
  return targets;
}

/** The bucket bench's table and targets (issue 21). */
async function bucket(files: number, runs: number): Promise<Target[]> {
  const tree = join(WORK, `real-${files}`);
  announce(
    `a realistic tree of ${files.toLocaleString('en-US')} files in ${tree}`,
    realisticTreeIsGenerated(tree),
  );
  generateRealisticTree(tree, files);
  const r = await bucketBench(tree, files, runs, { work: WORK, bin: BIN, project: PROJECT, timed: measure });
  const rate = (seconds: number) => `${Math.round(r.objects / seconds).toLocaleString('en-US')}`;
  console.log(
    `\nBucket (s3rver on 127.0.0.1): ${r.objects.toLocaleString('en-US')} objects, ${(r.storedBytes / 2 ** 30).toFixed(2)} GiB stored, median of ${runs} runs`,
  );
  console.log(`${'command'.padEnd(44)} ${'median s'.padStart(9)} ${'objects/s'.padStart(10)}`);
  const rows: Array<[string, number]> = [
    ['upload-audit scan s3://bench', r.scanSeconds],
    ['bare listing (ListObjectsV2, every page)', r.listSeconds],
    ['upload-audit scan s3://bench --state (unchanged)', r.rescanSeconds],
    ['download every object, then scan the folder', r.naiveSeconds],
    ['range-read floor (head and tail, bare HTTP)', r.floorSeconds],
  ];
  for (const [name, seconds] of rows)
    console.log(`${name.padEnd(44)} ${seconds.toFixed(2).padStart(9)} ${rate(seconds).padStart(10)}`);
  console.log(
    `(the store's own CPU time, one s3rver process on the same two cores: ${r.storeCpu.scan.toFixed(2)} s during our scan, ${r.storeCpu.floor.toFixed(2)} s during the floor, ${r.storeCpu.naive.toFixed(2)} s during download-then-scan)`,
  );
  const share = r.fetchedBytes / r.storedBytes;
  console.log(
    `(bytes fetched by the scan: ${r.fetchedBytes.toLocaleString('en-US')} of ${r.storedBytes.toLocaleString('en-US')} stored = ${(share * 100).toFixed(2)}%; peak RSS ${r.rssMiB.toFixed(0)} MiB)`,
  );
  return [
    {
      target: 'bucket: bytes fetched under 5% of bytes stored',
      measured: `${(share * 100).toFixed(2)}%`,
      met: share < 0.05,
    },
    {
      target: 'bucket: 10× faster than download-then-scan',
      // The floor's ratio says what any range-reading audit could reach against this store.
      measured: `${times(r.naiveSeconds / r.scanSeconds)} (the range-read floor: ${times(r.naiveSeconds / r.floorSeconds)})`,
      met: r.naiveSeconds / r.scanSeconds >= 10,
    },
    {
      target: 'bucket: unchanged rescan with --state under 2× one bare listing',
      measured: times(r.rescanSeconds / r.listSeconds),
      met: r.rescanSeconds / r.listSeconds < 2,
    },
  ];
}

const OURS_SCAN = 'upload-audit scan (every rule)';
const FILE_PEER = 'find | xargs -P2 file --mime-type';
const FLOOR_PEER = 'C floor (2 threads, read 4 KiB)';

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      files: { type: 'string', default: '100000' },
      runs: { type: 'string', default: '5' },
      'log-lines': { type: 'string', default: '2000000' },
      only: { type: 'string' },
    },
  });
  const files = Number(values.files);
  const runs = Number(values.runs);
  const logLines = Number(values['log-lines']);
  const targets: Target[] = [];
  mkdirSync(WORK, { recursive: true });
  console.log(`upload-audit benchmark, ${new Date().toISOString()}`);
  console.log(
    `machine: ${cpus()[0]?.model ?? 'unknown CPU'}, ${availableParallelism()} cores, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}`,
  );
  if (values.only === 'realistic' || values.only === undefined) targets.push(...realistic(files, runs));
  // Uploads the realistic tree's files (gigabytes, though sparse on disk): only when asked for.
  if (values.only === 'bucket') targets.push(...(await bucket(Math.min(files, 10_000), runs)));
  if (values.only === 'serve') targets.push(...(await serve(Math.min(files, 10_000))));
  if (values.only === undefined || values.only === 'dir') {
    const tree = join(WORK, `tree-${files}`);
    announce(`${files.toLocaleString('en-US')} files in ${tree}`, treeIsGenerated(tree));
    generateTree(tree, files);
    const floorSource = join(WORK, 'floor.c');
    const floor = join(WORK, 'floor');
    if (!existsSync(floor)) {
      writeFileSync(floorSource, FLOOR_C);
      execFileSync('cc', ['-O2', '-pthread', '-o', floor, floorSource]);
    }
    const results = compare(
      'Directory scan',
      files,
      'files',
      [
        ours(OURS_SCAN, `scan ${tree}`),
        { name: 'find -type f | wc -l', command: `find ${tree} -type f | wc -l` },
        {
          name: FILE_PEER,
          command: `find ${tree} -type f -print0 | xargs -0 -P2 file --mime-type > /dev/null`,
        },
        { name: FLOOR_PEER, command: `${floor} ${tree}` },
      ],
      runs,
    );
    const small = Math.round(files / 10);
    const memory = cleanMemory(small, files, Math.min(runs, 3));
    targets.push(...directoryTargets(files, results, memory, files - small));
    targets.push(...rescanTargets(tree, files, runs, results.get(OURS_SCAN)!.seconds));
  }
  if (values.only === undefined || values.only === 'log') {
    console.log();
    announce(
      `logs of ${logLines.toLocaleString('en-US')} lines`,
      logsAreGenerated(join(WORK, 'logs'), logLines),
    );
    const { jsonl, access } = await generateLogs(join(WORK, 'logs'), logLines);
    const cases = [
      {
        title: 'JSON Lines upload log',
        kind: 'jsonl',
        file: jsonl,
        jq: "jq -c 'select(.original_filename)'",
        linesPerSecond: 500_000,
      },
      {
        title: 'Combined access log',
        kind: 'combined',
        file: access,
        jq: 'jq -R \'select(test("POST"))\'',
        linesPerSecond: 1_000_000,
      },
    ];
    for (const { title, kind, file, jq, linesPerSecond } of cases) {
      const name = `upload-audit log (${kind})`;
      const results = compare(
        title,
        logLines,
        'lines',
        [
          ours(name, `log ${file}`),
          { name: 'wc -l', command: `wc -l < ${file}` },
          { name: jq, command: `${jq} ${file} > /dev/null` },
        ],
        runs,
      );
      const seconds = results.get(name)!.seconds;
      const ratio = results.get(jq)!.seconds / seconds;
      targets.push({
        target: `${kind}: ${linesPerSecond.toLocaleString('en-US')} lines/s and 3× faster than jq`,
        measured: `${perSecond(logLines, seconds)}, ${times(ratio)} jq`,
        met: logLines / seconds >= linesPerSecond && ratio >= 3,
      });
    }
  }
  printTargets(targets);
}

await main();
