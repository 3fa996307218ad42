// The maintenance answers, rendered here and stored base64-encoded in the maintenance map
// (HAProxy's `b64dec` turns them back), so any message survives the Runtime API's
// word splitting. Same page and JSON error as the Node router (packages/router/src/maintenance.ts).

const DEFAULT_MESSAGE = 'We are upgrading CC. Please try again in a few minutes.';

export interface MaintenanceBodies {
  html: string;
  /** The JSON error up to the request id, and after it (HAProxy inserts the id). */
  jsonBefore: string;
  jsonAfter: string;
}

export function renderMaintenance(message: string | undefined): MaintenanceBodies {
  const text = message ?? DEFAULT_MESSAGE;
  const marker = '\u0000RID\u0000';
  const json = JSON.stringify({ error: { code: 'maintenance', message: text, requestId: marker } });
  const [before, after] = json.split(JSON.stringify(marker).slice(1, -1)) as [string, string];
  const b64 = (s: string) => Buffer.from(s, 'utf8').toString('base64');
  return { html: b64(renderPage(text)), jsonBefore: b64(before), jsonAfter: b64(after) };
}

function renderPage(message: string): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>CC is under maintenance</title>
<style>body{font-family:system-ui,sans-serif;display:grid;place-items:center;min-height:100vh;margin:0;background:#111;color:#eee}main{max-width:32rem;padding:2rem;text-align:center}</style>
</head><body><main><h1>Down for maintenance</h1><p>${escapeHtml(message)}</p></main></body></html>
`;
}

function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
