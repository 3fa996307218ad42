// Acknowledgements live in the migration file itself, next to the statement they excuse:
//   -- ccr:ack ban-drop-column the v3 code stopped reading users.legacy_email in release 41
// The first word names a squawk rule or a hazard class; the rest is the reason, required.

export interface Ack {
  rule: string;
  reason: string;
  line: number;
}

export interface AckProblem {
  line: number;
  message: string;
}

const ACK_RE = /^\s*--\s*ccr:ack\b(.*)$/;
export const MIN_REASON = 10;

export function parseAcks(sql: string): { acks: Ack[]; problems: AckProblem[] } {
  const acks: Ack[] = [];
  const problems: AckProblem[] = [];
  sql.split('\n').forEach((text, i) => {
    const m = ACK_RE.exec(text);
    if (!m) return;
    const [rule, ...rest] = m[1]!.trim().split(/\s+/);
    const reason = rest.join(' ').trim();
    if (!rule) problems.push({ line: i + 1, message: 'ccr:ack needs a rule and a reason: -- ccr:ack <rule> <reason>' });
    else if (reason.length < MIN_REASON) problems.push({ line: i + 1, message: `ccr:ack ${rule}: give a reason (at least ${MIN_REASON} characters)` });
    else acks.push({ rule, reason, line: i + 1 });
  });
  return { acks, problems };
}
