// The maintenance answers (DESIGN §4: 503 with Retry-After, a page for pages, the JSON error for
// /api), written once for every data plane that serves them: the Node router and HAProxy
// (which stores them pre-rendered in its maintenance map).

export const DEFAULT_MAINTENANCE_MESSAGE = 'We are upgrading CC. Please try again in a few minutes.';

/** The HTML page shown to people while maintenance is on. */
export function maintenancePage(message: string = DEFAULT_MAINTENANCE_MESSAGE): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>CC is under maintenance</title>
<style>body{font-family:system-ui,sans-serif;display:grid;place-items:center;min-height:100vh;margin:0;background:#111;color:#eee}main{max-width:32rem;padding:2rem;text-align:center}</style>
</head><body><main><h1>Down for maintenance</h1><p>${escapeHtml(message)}</p></main></body></html>
`;
}

/** The API's JSON error body while maintenance is on. */
export function maintenanceErrorBody(message: string, requestId: string): string {
  return JSON.stringify({ error: { code: 'maintenance', message, requestId } });
}

function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
