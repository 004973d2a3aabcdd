import { defaultPolicySet } from '../policy/policy.js';
import { CheckServer, type ServeOptions } from '../serve/server.js';

/** A check server on 127.0.0.1 (a free port) with the built-in policy, as tests start one. */
export function testCheckServer(over: Partial<ServeOptions> = {}): CheckServer {
  return new CheckServer({
    policy: defaultPolicySet(),
    failOn: 'high',
    listen: { host: '127.0.0.1', port: 0 },
    maxBodyBytes: 16 * 1024 * 1024,
    maxInFlight: 16,
    requestTimeoutMs: 10_000,
    ...over,
  });
}
