import type { Command } from 'commander';
import { register as plan } from './plan.js';
import { register as build } from './build.js';
import { register as verifyArtifact } from './verify-artifact.js';
import { register as up } from './up.js';
import { register as down } from './down.js';
import { register as status } from './status.js';
import { register as deploy } from './deploy.js';
import { register as rollback } from './rollback.js';
import { register as abort } from './abort.js';
import { register as promote } from './promote.js';
import { register as pause } from './pause.js';
import { register as resume } from './resume.js';
import { register as approve } from './approve.js';
import { register as history } from './history.js';
import { register as audit } from './audit.js';
import { register as lockCmd } from './lock.js';
import { register as maintenance } from './maintenance.js';
import { register as backup } from './backup.js';
import { register as migrate } from './migrate.js';
import { register as hypercare } from './hypercare.js';
import { register as report } from './report.js';
import { register as runbook } from './runbook.js';
import { register as preflight } from './preflight.js';
import { register as freeze } from './freeze.js';
import { register as k8s } from './k8s.js';
import { register as images } from './images.js';

/** Each command file exports register(program); adding a command is one line here. */
const registrars: Array<(program: Command) => void> = [
  plan,
  build,
  verifyArtifact,
  up,
  down,
  status,
  deploy,
  rollback,
  abort,
  promote,
  pause,
  resume,
  approve,
  history,
  audit,
  lockCmd,
  maintenance,
  backup,
  migrate,
  hypercare,
  report,
  runbook,
  preflight,
  freeze,
  k8s,
  images,
];

export function registerCommands(program: Command): void {
  for (const register of registrars) register(program);
}
