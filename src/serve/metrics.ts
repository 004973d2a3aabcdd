/** What `GET /metrics` answers, in Prometheus' text exposition format. */
import { SEVERITIES, type Severity } from '../model/types.js';

/** Upper bounds of the latency histogram, in seconds: a check is expected in milliseconds. */
const BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5];

export class ServerMetrics {
  readonly #requests = new Map<string, number>();
  readonly #verdicts = { allowed: 0, refused: 0 };
  readonly #findings = new Map<Severity, number>(SEVERITIES.map((s) => [s, 0]));
  readonly #latency = new Array<number>(BUCKETS.length).fill(0);
  #latencyCount = 0;
  #latencySum = 0;
  inFlight = 0;
  reloads = { ok: 0, failed: 0 };

  request(route: string, status: number): void {
    const key = `route="${route}",code="${status}"`;
    this.#requests.set(key, (this.#requests.get(key) ?? 0) + 1);
  }

  verdict(allowed: boolean, severities: readonly Severity[], seconds: number): void {
    this.#verdicts[allowed ? 'allowed' : 'refused']++;
    for (const s of severities) this.#findings.set(s, this.#findings.get(s)! + 1);
    this.#latencyCount++;
    this.#latencySum += seconds;
    for (let i = 0; i < BUCKETS.length; i++) if (seconds <= BUCKETS[i]!) this.#latency[i]!++;
  }

  text(): string {
    const lines: string[] = [
      '# HELP upload_audit_requests_total HTTP requests answered, by route and status code.',
      '# TYPE upload_audit_requests_total counter',
      ...[...this.#requests].map(([labels, n]) => `upload_audit_requests_total{${labels}} ${n}`),
      '# HELP upload_audit_checks_total Uploads checked, by verdict under --fail-on.',
      '# TYPE upload_audit_checks_total counter',
      `upload_audit_checks_total{verdict="allowed"} ${this.#verdicts.allowed}`,
      `upload_audit_checks_total{verdict="refused"} ${this.#verdicts.refused}`,
      '# HELP upload_audit_findings_total Findings in checked uploads, by severity.',
      '# TYPE upload_audit_findings_total counter',
      ...SEVERITIES.map((s) => `upload_audit_findings_total{severity="${s}"} ${this.#findings.get(s)}`),
      '# HELP upload_audit_check_duration_seconds Time from the last byte of a body to its verdict.',
      '# TYPE upload_audit_check_duration_seconds histogram',
      ...BUCKETS.map((b, i) => `upload_audit_check_duration_seconds_bucket{le="${b}"} ${this.#latency[i]}`),
      `upload_audit_check_duration_seconds_bucket{le="+Inf"} ${this.#latencyCount}`,
      `upload_audit_check_duration_seconds_sum ${this.#latencySum}`,
      `upload_audit_check_duration_seconds_count ${this.#latencyCount}`,
      '# HELP upload_audit_in_flight Requests being answered now.',
      '# TYPE upload_audit_in_flight gauge',
      `upload_audit_in_flight ${this.inFlight}`,
      '# HELP upload_audit_policy_reloads_total Policy reloads on SIGHUP, by result.',
      '# TYPE upload_audit_policy_reloads_total counter',
      `upload_audit_policy_reloads_total{result="ok"} ${this.reloads.ok}`,
      `upload_audit_policy_reloads_total{result="failed"} ${this.reloads.failed}`,
    ];
    return `${lines.join('\n')}\n`;
  }
}
