/** `upload-audit serve`: the check server, its options, its signals. */
import { type Command, Option } from 'commander';
import { SEVERITIES, type Severity } from '../model/types.js';
import { parseSize } from '../policy/size.js';
import { tuneHeapForServing } from '../serve/heap.js';
import { CheckServer } from '../serve/server.js';
import { InputError, UsageError } from '../util/errors.js';
import { escapeUnsafe } from '../util/escape.js';
import { runUntilStopped } from './daemon.js';
import { choosePolicy, entryCount } from './options.js';

interface ServeFlags {
  listen: string;
  socket?: string;
  maxBody: string;
  maxInFlight: number;
  requestTimeout: number;
  failOn: Severity | 'none';
  policy?: string;
  policyDiscovery: boolean;
  quiet: boolean;
}

function parseListen(text: string): { host: string; port: number } {
  const match = /^(?:\[([^\]]+)\]|([^:]+)):(\d{1,5})$/.exec(text);
  const port = Number(match?.[3]);
  if (!match || port > 65535)
    throw new UsageError(`--listen '${text}': expected HOST:PORT, as 127.0.0.1:8971`);
  return { host: match[1] ?? match[2]!, port };
}

async function serveCommand(flags: ServeFlags): Promise<void> {
  tuneHeapForServing();
  const maxBodyBytes = parseSize(flags.maxBody);
  if (maxBodyBytes === undefined || maxBodyBytes < 1)
    throw new UsageError(`--max-body '${flags.maxBody}': expected a size, as 64MiB`);
  const token = process.env.UPLOAD_AUDIT_TOKEN;
  const say = (line: string): void => {
    process.stderr.write(`upload-audit serve: ${line}\n`);
  };
  const server = new CheckServer({
    policy: choosePolicy(flags, undefined),
    failOn: flags.failOn,
    listen: flags.socket !== undefined ? { socket: flags.socket } : parseListen(flags.listen),
    ...(token !== undefined && token !== '' && { token }),
    maxBodyBytes,
    maxInFlight: flags.maxInFlight,
    requestTimeoutMs: flags.requestTimeout,
    ...(!flags.quiet && { log: say }),
  });
  let address: string;
  try {
    address = await server.start();
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? String(error);
    throw new InputError(`cannot listen on ${flags.socket ?? flags.listen}: ${code}`);
  }
  say(
    `listening on ${escapeUnsafe(address)}, policy ${server.policy.digest.slice(0, 19)}${token ? ', bearer token required' : ''}`,
  );

  // SIGHUP: the policy again, for requests from now on; SIGTERM: the requests in flight answered.
  await runUntilStopped(
    {
      reload: (policy) => server.reload(policy),
      reloadFailed: () => {
        server.metrics.reloads.failed++;
        return server.policy.digest.slice(0, 19);
      },
      stop: () => {
        say('stopping: answering the requests in flight');
        return server.close();
      },
    },
    () => choosePolicy(flags, undefined),
    say,
  );
}

export function registerServeCommand(program: Command): void {
  program
    .command('serve')
    .description(
      'Check uploads at request time with the same policy: POST /v1/check?filename=NAME[&path=DEST] with the bytes as the body (or one file in multipart/form-data).',
    )
    .option('--listen <host:port>', 'where to listen (loopback by default)', '127.0.0.1:8971')
    .option('--socket <path>', 'listen on a Unix socket instead')
    .option('--max-body <size>', 'largest body accepted (413 beyond)', '64MiB')
    .option('--max-in-flight <n>', 'requests answered at once; more get 503 and Retry-After', entryCount, 64)
    .option('--request-timeout <ms>', 'time for a whole request, headers and body', entryCount, 30_000)
    .addOption(
      new Option('--fail-on <severity>', 'refuse an upload with a finding at this severity')
        .choices([...SEVERITIES, 'none'])
        .default('high'),
    )
    .option(
      '-p, --policy <file>',
      'policy file; default: $UPLOAD_AUDIT_POLICY, else upload-audit.yaml here, else the built-in policy; SIGHUP reloads it',
    )
    .option('--no-policy-discovery', 'do not look for upload-audit.yaml / .upload-audit.yaml')
    .option('-q, --quiet', 'no line per request on stderr', false)
    .addHelpText(
      'after',
      `
Environment: UPLOAD_AUDIT_TOKEN set: every request must carry "Authorization: Bearer TOKEN".

Example:
  $ upload-audit serve --listen 127.0.0.1:8971 &
  $ curl -s --data-binary @avatar.png -H 'Content-Type: image/png' \\
      'http://127.0.0.1:8971/v1/check?filename=avatar.png&path=users/42/avatar.png'
  {"allowed":true,"complete":true,"failOn":"high","findings":[],"policy":{...}}`,
    )
    .action(serveCommand);
}
