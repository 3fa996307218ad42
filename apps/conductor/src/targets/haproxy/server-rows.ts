import { showOk, type HaproxyRuntime } from './runtime-api.js';

// `show servers state <backend>` parsed by its header line, so column moves between HAProxy
// versions do not matter.

export interface ServerRow {
  /** srv_id: grows with each server added, so it gives the order targets were attached in. */
  id: number;
  backend: string;
  name: string;
  address: string;
  port: number;
  /** Current user weight (0..256). */
  weight: number;
  /** srv_admin_state bits: 0x01 forced maint, 0x08 forced drain. */
  adminState: number;
  /** srv_op_state: 0 stopped, 1 starting, 2 running, 3 stopping. */
  opState: number;
}

export async function readServers(rt: HaproxyRuntime, backend: string): Promise<ServerRow[]> {
  const lines = (await rt.must(`show servers state ${backend}`, showOk)).split('\n');
  const header = lines.find((l) => l.startsWith('# '))?.slice(2).split(' ');
  if (!header) return [];
  const col = (row: string[], name: string) => row[header.indexOf(name)] ?? '';
  return lines
    .filter((l) => l && !l.startsWith('#') && l.includes(' '))
    .map((l) => l.split(' '))
    .map((r) => ({
      id: Number(col(r, 'srv_id')),
      backend: col(r, 'be_name'),
      name: col(r, 'srv_name'),
      address: col(r, 'srv_addr'),
      port: Number(col(r, 'srv_port')),
      weight: Number(col(r, 'srv_uweight')),
      adminState: Number(col(r, 'srv_admin_state')),
      opState: Number(col(r, 'srv_op_state')),
    }))
    .sort((a, b) => a.id - b.id);
}
