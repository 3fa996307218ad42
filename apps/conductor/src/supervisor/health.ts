import { createServer } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';

/** GET url with a timeout; resolves with the status (0 when unreachable) and parsed JSON body. */
export async function probe(url: string, timeoutMs = 2000): Promise<{ status: number; body: unknown }> {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
    const text = await res.text();
    let body: unknown = text;
    try {
      body = JSON.parse(text);
    } catch {
      // not JSON
    }
    return { status: res.status, body };
  } catch {
    return { status: 0, body: null };
  }
}

/**
 * Polls GET /health/ready until 200. Gives up at the deadline or when `gone()` says the
 * process exited; resolves with the last status seen and whether it became ready.
 */
export async function waitReady(baseUrl: string, timeoutMs: number, gone: () => boolean): Promise<{ ready: boolean; lastStatus: number; reason?: string }> {
  const deadline = Date.now() + timeoutMs;
  let lastStatus = 0;
  while (Date.now() < deadline) {
    if (gone()) return { ready: false, lastStatus, reason: 'the process exited' };
    const { status } = await probe(`${baseUrl}/health/ready`, 2000);
    lastStatus = status;
    if (status === 200) return { ready: true, lastStatus };
    await sleep(150);
  }
  return { ready: false, lastStatus, reason: `not ready after ${timeoutMs} ms (last status ${lastStatus || 'no answer'})` };
}

/** A port that was free on 127.0.0.1 a moment ago. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}
