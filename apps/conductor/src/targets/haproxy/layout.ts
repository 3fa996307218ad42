import { join } from 'node:path';
import type { ServiceName } from '../../engine/deploy-target.js';

// Names shared by the config renderer and the data plane: which backends exist, and the map
// and ACL files that the Runtime API edits. A ccr process finds the files again by asking
// HAProxy (`show map`), so only the backend names have to be configured.

export interface HaproxyLayout {
  /** The weighted backend of each service (rollout.yaml `target.backend`). */
  backends: Record<ServiceName, string>;
  /** Per-version backends per service, for pinned and sticky requests (versions attached at once). */
  slots: number;
}

export const DEFAULT_SLOTS = 6;

/** File names of the runtime-edited maps; the directory is wherever the config put them. */
export const MAP_FILES = {
  /** "<service>/<version>" -> slot backend, every attached version (pinning). */
  pin: 'cc-pin.map',
  /** "<service>/<version>" -> slot backend, versions with weight (the cc_v cookie). */
  sticky: 'cc-sticky.map',
  /** server name -> version (X-CC-Served-By, the cookie value, per-version counters). */
  served: 'cc-served.map',
  /** server name -> the instance id it stands for. */
  ids: 'cc-ids.map',
  /** "<service>/<server>" -> weight in plan units (HAProxy weights stop at 256). */
  weights: 'cc-weights.map',
  /** "<service>" -> 1 while two or more versions carry weight (a weighted choice sets cc_v). */
  multi: 'cc-multi.map',
  /** enabled, retry, message, html, jpre, jpost (base64 bodies). */
  maint: 'cc-maint.map',
  /** inter, timeout, rise, fall: health-check settings dynamic servers must be given. */
  settings: 'cc-settings.map',
} as const;
export const ACL_FILES = {
  /** CIDRs that bypass maintenance. */
  allow: 'cc-allow.acl',
  /** The pin token (X-CC-Pin-Token); a file keeps it out of haproxy.cfg and rotatable. */
  pinToken: 'cc-pin-token.acl',
} as const;

export type MapName = keyof typeof MAP_FILES;
export type AclName = keyof typeof ACL_FILES;

export const COUNTERS_TABLE = 'cc_counters';

export function slotBackend(layout: HaproxyLayout, service: ServiceName, slot: number): string {
  return `${layout.backends[service]}_v${slot}`;
}

export function assetBackend(layout: HaproxyLayout): string {
  return `${layout.backends.web}_assets`;
}

export function mapPath(dir: string, name: MapName): string {
  return join(dir, MAP_FILES[name]);
}

export function aclPath(dir: string, name: AclName): string {
  return join(dir, ACL_FILES[name]);
}

/** Latency buckets in seconds, the same bounds as the Node router's histogram. */
export const LATENCY_BUCKETS_S = [0.0005, 0.001, 0.002, 0.003, 0.005, 0.0075, 0.01, 0.015, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/** HAProxy server names allow letters, digits, ".", "-", "_" and ":"; ids may hold more. */
export function serverName(id: string): string {
  const safe = id.replace(/[^A-Za-z0-9._-]/g, '_').slice(0, 48);
  if (safe === id) return id;
  let h = 0;
  for (const ch of id) h = (Math.imul(h, 31) + ch.charCodeAt(0)) >>> 0;
  return `${safe}_${h.toString(36)}`;
}
