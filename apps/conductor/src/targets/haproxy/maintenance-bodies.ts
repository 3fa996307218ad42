import { DEFAULT_MAINTENANCE_MESSAGE, maintenanceErrorBody, maintenancePage } from '@cc/contracts';

// The maintenance answers of @cc/contracts (the Node router serves the same ones), stored
// base64-encoded in the maintenance map (HAProxy's `b64dec` turns them back), so any message
// survives the Runtime API's word splitting.

export interface MaintenanceBodies {
  html: string;
  /** The JSON error up to the request id, and after it (HAProxy inserts the id). */
  jsonBefore: string;
  jsonAfter: string;
}

export function renderMaintenance(message: string | undefined): MaintenanceBodies {
  const text = message ?? DEFAULT_MAINTENANCE_MESSAGE;
  const marker = '\u0000RID\u0000';
  const json = maintenanceErrorBody(text, marker);
  const [before, after] = json.split(JSON.stringify(marker).slice(1, -1)) as [string, string];
  const b64 = (s: string) => Buffer.from(s, 'utf8').toString('base64');
  return { html: b64(maintenancePage(text)), jsonBefore: b64(before), jsonAfter: b64(after) };
}
