import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import type pg from 'pg';
import { SMTPServer } from 'smtp-server';
import { parseRollout, type EnvironmentConfig } from '../src/config/index.js';
import { createContext } from '../src/engine/create-context.js';
import { stepImpl } from '../src/engine/registry.js';
import { createNotifier, NOTIFY_EVENTS, unknownNotifyEvents, type NotifyData, type NotifyEvent } from '../src/notify/index.js';
import '../src/steps/notify.js';
import { createRelease, openStorePool, type Release } from '../src/store/index.js';
import { scratchDatabase } from './support/scratch-db.js';
import { runServices } from './support/run-services.js';

// Notifications against real receivers: a local HTTP listener standing in for a Slack
// incoming webhook, and a local SMTP server (smtp-server) with AUTH.

const PASSWORD = 'smtp-Pa55word-never-logged';
const SECRET_PATH = '/services/T000/B000/hook-secret-path';

interface Mail { from: string; to: string[]; subject: string; body: string; user?: string }

function decodeMail(raw: string): { subject: string; body: string } {
  const [head, ...rest] = raw.split('\r\n\r\n');
  const headers = head!.replace(/\r\n[ \t]+/g, ' ');
  const subject = /^Subject: (.*)$/im.exec(headers)?.[1] ?? '';
  let body = rest.join('\r\n\r\n');
  if (/content-transfer-encoding: quoted-printable/i.test(headers)) {
    body = body.replace(/=\r\n/g, '').replace(/=([0-9A-F]{2})/g, (_m, h: string) => String.fromCharCode(parseInt(h, 16)));
  }
  return { subject, body: body.replace(/\r\n/g, '\n') };
}

function envWith(notifications: unknown[]): EnvironmentConfig {
  const config = parseRollout(JSON.stringify({
    version: 1, defaultEnvironment: 'prod',
    environments: { prod: { target: { type: 'local' }, notifications } },
    plan: [{ phase: 'deployment', steps: [{ id: 'tell', kind: 'automated', type: 'notify', title: 'Tell', params: { template: 'started' } }] }],
  }), 'test.yaml');
  return config.environments['prod']!;
}

async function closedPort(): Promise<number> {
  const s = http.createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as AddressInfo).port;
  await new Promise((r) => s.close(r));
  return port;
}

describe('notifications', () => {
  let store: Awaited<ReturnType<typeof scratchDatabase>>;
  let pool: pg.Pool;
  let hook: http.Server;
  let hookUrl: string;
  let hookStatus = 200;
  const posts: Array<{ path: string; json: Record<string, unknown> }> = [];
  let smtp: SMTPServer;
  let smtpPort: number;
  const mails: Mail[] = [];
  let release: Release;

  before(async () => {
    store = await scratchDatabase();
    pool = await openStorePool(store.url);
    release = await createRelease(pool, { env: 'prod', ref: 'v2', strategy: 'canary', startedBy: 'tester', phase: 'deployment', previousVersion: 'v1' });
    hook = http.createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        posts.push({ path: req.url ?? '', json: JSON.parse(body) as Record<string, unknown> });
        res.writeHead(hookStatus, { 'content-type': 'text/plain' }).end(hookStatus === 200 ? 'ok' : 'invalid_token');
      });
    });
    await new Promise<void>((r) => hook.listen(0, '127.0.0.1', r));
    hookUrl = `http://127.0.0.1:${(hook.address() as AddressInfo).port}${SECRET_PATH}`;
    smtp = new SMTPServer({
      disabledCommands: ['STARTTLS'],
      allowInsecureAuth: true,
      logger: false,
      onAuth(auth, _session, cb) {
        if (auth.username === 'ccr' && auth.password === PASSWORD) cb(null, { user: 'ccr' });
        else cb(new Error('Invalid username or password'));
      },
      onData(stream, session, cb) {
        let raw = '';
        stream.on('data', (c: Buffer) => (raw += c.toString()));
        stream.on('end', () => {
          mails.push({ from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '', to: session.envelope.rcptTo.map((r) => r.address), user: session.user as string, ...decodeMail(raw) });
          cb();
        });
      },
    });
    await new Promise<void>((r) => smtp.listen(0, '127.0.0.1', r));
    smtpPort = (smtp.server.address() as AddressInfo).port;
  });

  after(async () => {
    await new Promise((r) => hook?.close(r));
    await new Promise<void>((r) => (smtp ? smtp.close(() => r()) : r()));
    await pool?.end();
    await store?.drop();
  });

  const data = (extra: Partial<NotifyData> = {}): NotifyData => ({ releaseId: release.id, env: 'prod', version: 'v2', previousVersion: 'v1', ...extra });
  const rows = async (event?: string) =>
    (await pool.query('SELECT channel, event, ok, error FROM notifications WHERE release_id = $1 AND ($2::text IS NULL OR event = $2) ORDER BY id', [release.id, event ?? null])).rows as Array<{ channel: string; event: string; ok: boolean; error: string | null }>;

  test('the webhook receives Slack JSON for every template, with release, env, both versions and the numbers', async () => {
    posts.length = 0;
    const notifier = createNotifier(envWith([{ type: 'webhook', url: hookUrl }]), pool);
    const tripped = { reason: 'error rate above threshold', metrics: [{ name: 'error-rate', value: 0.21, threshold: 0.05, baseline: 0.01 }, { name: 'p99-latency', value: 180, threshold: 2, baseline: 40, unit: ' ms' }] };
    for (const event of NOTIFY_EVENTS) {
      const extra = event === 'progress' ? { percent: 25 } : event === 'issue' || event === 'rollback-initiated' ? tripped : event === 'scheduled' ? { at: '2030-01-02 03:00 UTC' } : {};
      const report = await notifier.notify(event, data(extra));
      assert.deepEqual(report, { event, ok: true, deliveries: [{ channel: `webhook:${new URL(hookUrl).host}`, ok: true }] });
    }
    assert.equal(posts.length, NOTIFY_EVENTS.length);
    for (const [i, p] of posts.entries()) {
      assert.equal(p.path, SECRET_PATH);
      const text = p.json['text'] as string;
      assert.equal(typeof text, 'string');
      for (const needle of [release.id, 'Environment: prod', 'Version: v2', 'Previous version: v1']) assert.ok(text.includes(needle), `${NOTIFY_EVENTS[i]}: ${needle} in ${text}`);
      assert.ok(Array.isArray(p.json['blocks']) && (p.json['blocks'] as unknown[]).length === 3);
      const att = (p.json['attachments'] as Array<{ color: string; fields: Array<{ title: string; value: string }> }>)[0]!;
      assert.match(att.color, /^#[0-9A-F]{6}$/);
      assert.deepEqual(att.fields.slice(0, 4).map((f) => [f.title, f.value]), [['Release', release.id], ['Environment', 'prod'], ['Version', 'v2'], ['Previous version', 'v1']]);
    }
    const byEvent = Object.fromEntries(posts.map((p, i) => [NOTIFY_EVENTS[i]!, p.json['text'] as string]));
    assert.match(byEvent['scheduled']!, /^\[prod\] Release v2 scheduled for 2030-01-02 03:00 UTC/);
    assert.match(byEvent['started']!, /^\[prod\] Release v2 started\n/);
    assert.match(byEvent['progress']!, /^\[prod\] Release v2: 25%\n[\s\S]*Progress: 25%/);
    assert.match(byEvent['issue']!, /issue encountered[\s\S]*Reason: error rate above threshold[\s\S]*error-rate = 0\.21 \(threshold 0\.05, stable 0\.01\)\n {2}- p99-latency = 180 ms \(threshold 2 ms, stable 40 ms\)/);
    assert.match(byEvent['completed']!, /^\[prod\] Release v2 completed\nv2 is live on prod \(previously v1\)/);
    assert.match(byEvent['rollback-initiated']!, /^\[prod\] Rolling back v2 to v1[\s\S]*error-rate = 0\.21/);
    assert.match(byEvent['rollback-completed']!, /^\[prod\] Rollback to v1 completed/);
    const recorded = await rows();
    assert.deepEqual(recorded.map((r) => [r.event, r.ok, r.error]), NOTIFY_EVENTS.map((e) => [e, true, null]));
    assert.ok(recorded.every((r) => !r.channel.includes('hook-secret-path')), 'the webhook path (its credential) is not recorded');
  });

  test('email goes out over SMTP with AUTH, subject and body from the template', async () => {
    mails.length = 0;
    const env = { CCR_SMTP_PASSWORD: PASSWORD };
    const notifier = createNotifier(envWith([{ type: 'email', smtp: { host: '127.0.0.1', port: smtpPort, user: 'ccr', passwordEnv: 'CCR_SMTP_PASSWORD' }, from: 'ccr@example.com', to: ['ops@example.com', 'lead@example.com'] }]), pool, { env });
    const report = await notifier.notify('rollback-completed', data({ reason: 'canary failed analysis' }));
    assert.equal(report.ok, true, JSON.stringify(report));
    assert.equal(mails.length, 1);
    const m = mails[0]!;
    assert.equal(m.user, 'ccr');
    assert.equal(m.from, 'ccr@example.com');
    assert.deepEqual(m.to, ['ops@example.com', 'lead@example.com']);
    assert.equal(m.subject, '[prod] Rollback to v1 completed');
    assert.match(m.body, /prod is back on v1; v2 has been withdrawn\./);
    assert.match(m.body, new RegExp(`Release: ${release.id}\\nEnvironment: prod\\nVersion: v2\\nPrevious version: v1\\nReason: canary failed analysis`));
  });

  test('a wrong SMTP password is recorded as failed, and the password appears nowhere: not in the record, the report or the output', async () => {
    const wrong = 'wrong-Secret-9f8e7d6c5b';
    const forms = [wrong, Buffer.from(wrong).toString('base64'), Buffer.from(`\u0000ccr\u0000${wrong}`).toString('base64')];
    const seen: string[] = [];
    const out = process.stdout.write.bind(process.stdout);
    const err = process.stderr.write.bind(process.stderr);
    process.stdout.write = ((c: string | Uint8Array, ...a: never[]) => (seen.push(String(c)), out(c, ...a))) as typeof process.stdout.write;
    process.stderr.write = ((c: string | Uint8Array, ...a: never[]) => (seen.push(String(c)), err(c, ...a))) as typeof process.stderr.write;
    const failures: string[] = [];
    let report;
    try {
      const notifier = createNotifier(envWith([{ type: 'email', smtp: { host: '127.0.0.1', port: smtpPort, user: 'ccr', passwordEnv: 'CCR_SMTP_PASSWORD' }, from: 'ccr@example.com', to: ['ops@example.com'] }]), pool, { env: { CCR_SMTP_PASSWORD: wrong }, onFailure: (d) => failures.push(d.error ?? '') });
      report = await notifier.notify('issue', data());
    } finally {
      process.stdout.write = out;
      process.stderr.write = err;
    }
    assert.equal(report.ok, false);
    assert.match(report.deliveries[0]!.error!, /^email:127\.0\.0\.1:\d+: EAUTH 535: Invalid login/);
    const row = (await rows('issue')).at(-1);
    assert.equal(row!.ok, false);
    const everything = JSON.stringify([report, row, failures, seen]);
    for (const f of forms) assert.ok(!everything.includes(f), 'password form leaked');
  });

  test('an unset password variable is a recorded failure naming the variable, not a crash', async () => {
    const notifier = createNotifier(envWith([{ type: 'email', smtp: { host: '127.0.0.1', port: smtpPort, user: 'ccr', passwordEnv: 'CCR_SMTP_UNSET' }, from: 'ccr@example.com', to: ['ops@example.com'] }]), pool, { env: {} });
    const report = await notifier.notify('started', data());
    assert.deepEqual(report.deliveries.map((d) => [d.ok, d.error]), [[false, `email:127.0.0.1:${smtpPort}: the SMTP password variable CCR_SMTP_UNSET is not set`]]);
  });

  test('a dead webhook and one answering 500 are recorded as failed without throwing; the other channels still deliver', async () => {
    posts.length = 0;
    const dead = `http://127.0.0.1:${await closedPort()}${SECRET_PATH}`;
    const notifier = createNotifier(envWith([{ type: 'webhook', url: dead }, { type: 'webhook', url: hookUrl }]), pool);
    const report = await notifier.notify('completed', data());
    assert.equal(report.ok, false);
    assert.deepEqual(report.deliveries.map((d) => d.ok), [false, true]);
    assert.match(report.deliveries[0]!.error!, /^POST to webhook:127\.0\.0\.1:\d+ failed: ECONNREFUSED$/);
    assert.equal(posts.length, 1);

    hookStatus = 500;
    try {
      const r500 = await createNotifier(envWith([{ type: 'webhook', url: hookUrl }]), pool).notify('completed', data());
      assert.match(r500.deliveries[0]!.error!, /answered 500: invalid_token$/);
    } finally {
      hookStatus = 200;
    }
    const recorded = await rows('completed');
    assert.deepEqual(recorded.slice(-3).map((r) => r.ok), [false, true, false]);
    assert.ok(recorded.every((r) => !(r.error ?? '').includes('hook-secret-path')));
  });

  test('the events filter: a channel gets only the events it lists', async () => {
    posts.length = 0;
    const notifier = createNotifier(envWith([{ type: 'webhook', url: hookUrl, events: ['completed', 'rollback-initiated'] }]), pool);
    const sent: Array<[NotifyEvent, number]> = [];
    for (const e of ['started', 'progress', 'completed', 'rollback-initiated'] as NotifyEvent[]) sent.push([e, (await notifier.notify(e, data())).deliveries.length]);
    assert.deepEqual(sent, [['started', 0], ['progress', 0], ['completed', 1], ['rollback-initiated', 1]]);
    assert.deepEqual(posts.map((p) => (p.json['text'] as string).split('\n')[0]), ['[prod] Release v2 completed', '[prod] Rolling back v2 to v1']);
    assert.deepEqual(unknownNotifyEvents(envWith([{ type: 'webhook', url: hookUrl, events: ['completed', 'complete'] }])), [{ path: 'notifications[0].events[1]', event: 'complete' }]);
  });

  test('the notify step: done with no channels, done when sent, done with a warning when a channel fails', async () => {
    const run = async (notifications: unknown[], params: Record<string, unknown> = { template: 'started' }) => {
      const env = envWith(notifications);
      const config = parseRollout(JSON.stringify({ version: 1, defaultEnvironment: 'prod', environments: { prod: { target: { type: 'local' }, notifications } }, plan: [{ phase: 'deployment', steps: [{ id: 'tell', kind: 'automated', type: 'notify', title: 'Tell', params }] }] }), 'x.yaml');
      assert.deepEqual(config.environments['prod'], env);
      const ctx = createContext({ store: pool, config, envName: 'prod', release: { ...release, version: 'v2' }, actor: 'tester', services: runServices() });
      return stepImpl('notify').reconcile(ctx, config.plan[0]!.steps[0] as Parameters<ReturnType<typeof stepImpl>['reconcile']>[1]);
    };
    assert.deepEqual(await run([]), { status: 'done', reason: 'no channels configured' });
    posts.length = 0;
    const ok = await run([{ type: 'webhook', url: hookUrl }], { template: 'progress', percent: 50 });
    assert.equal(ok.status, 'done');
    assert.equal(ok.reason, 'progress sent to 1 channel(s)');
    assert.match(posts[0]!.json['text'] as string, /^\[prod\] Release v2: 50%/);
    const dead = `http://127.0.0.1:${await closedPort()}/x`;
    const warned = await run([{ type: 'webhook', url: dead }, { type: 'webhook', url: hookUrl }]);
    assert.equal(warned.status, 'done');
    assert.match(warned.reason, /^warning: started failed on 1 of 2 channel\(s\): webhook:127\.0\.0\.1:\d+ \(POST to webhook:127\.0\.0\.1:\d+ failed: ECONNREFUSED\)$/);
    const bad = await run([], { template: 'finished' });
    assert.equal(bad.status, 'fail');
    assert.match(bad.reason, /params\.template/);
  });
});
