/** Something a security-minded owner (or fail2ban) wants to know about. */
export type SecurityEventKind =
  | 'auth_failed'
  | 'lockout'
  | 'locked_out'
  | 'scope_denied'
  | 'model_denied'
  | 'rate_limited'
  | 'concurrency_limited'
  | 'admin_auth_failed'
  | 'admin_refused'
  | 'invite_failed'
  | 'web_signin_failed';

export interface SecurityEvent {
  at: number;
  kind: SecurityEventKind;
  ip: string;
  tokenId?: string;
  tokenName?: string;
  /** A short hash of a rejected credential: lets attempts be correlated, never reveals the secret. */
  fingerprint?: string;
  method?: string;
  path?: string;
  detail: string;
  /** How many times this happened (from this address, this kind, within a minute); 1 when absent. */
  count?: number;
}

export type SecuritySink = (event: SecurityEvent) => void;

const quote = (s: string) => `"${s.replace(/["\\\n\r]/g, (c) => (c === '\n' || c === '\r' ? ' ' : `\\${c}`))}"`;

/**
 * One line per event, in a format kept stable for log watchers:
 * `[SECURITY] 2026-11-22T17:00:00.000Z event=auth_failed ip=192.168.1.7 token=- fp=3f2a… route="POST /api/chat" detail="…"`
 */
export function securityLine(e: SecurityEvent): string {
  return [
    '[SECURITY]',
    new Date(e.at).toISOString(),
    `event=${e.kind}`,
    `ip=${e.ip}`,
    `token=${e.tokenName ? quote(e.tokenName) : '-'}`,
    `fp=${e.fingerprint ?? '-'}`,
    `route=${quote(e.method && e.path ? `${e.method} ${e.path}` : '-')}`,
    `detail=${quote(e.detail)}`,
    ...(e.count && e.count > 1 ? [`count=${e.count}`] : []),
  ].join(' ');
}
