// Channel errors end up in the notifications table and the deploy output. A Slack webhook's
// path is its credential and an SMTP password can surface in an AUTH transcript (base64), so
// every known secret, raw and in the encodings SMTP uses, is removed before an error leaves
// a channel.

export function secretForms(secret: string, user?: string): string[] {
  if (!secret) return [];
  const forms = [secret, Buffer.from(secret).toString('base64')];
  if (user) forms.push(Buffer.from(`\u0000${user}\u0000${secret}`).toString('base64'), Buffer.from(`${user}\u0000${user}\u0000${secret}`).toString('base64'));
  return forms;
}

export function scrubSecrets(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const s of secrets) if (s.length >= 3) out = out.split(s).join('[redacted]');
  return out.replace(/\s+/g, ' ').trim().slice(0, 500);
}
