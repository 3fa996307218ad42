import { relative, isAbsolute } from 'node:path';
import type { RolloutConfig } from './schema.js';
import { secretRefOf } from './secrets-schema.js';

// The second validation pass: meaning. Each check has a name so an error says which rule
// it broke, not only where.

export interface MeaningIssue {
  check: string;
  path: string;
  message: string;
}

type Check = (cfg: RolloutConfig) => MeaningIssue[];

const defaultEnvironmentExists: Check = (cfg) =>
  cfg.environments[cfg.defaultEnvironment]
    ? []
    : [{ check: 'default-environment-exists', path: 'defaultEnvironment', message: `names "${cfg.defaultEnvironment}", which is not under environments` }];

const uniqueStepIds: Check = (cfg) => {
  const seen = new Map<string, string>();
  const issues: MeaningIssue[] = [];
  cfg.plan.forEach((phase, pi) =>
    phase.steps.forEach((step, si) => {
      const path = `plan[${pi}].steps[${si}].id`;
      const prev = seen.get(step.id);
      if (prev) issues.push({ check: 'unique-step-ids', path, message: `"${step.id}" is already used at ${prev}` });
      else seen.set(step.id, path);
    }),
  );
  return issues;
};

const phasesInOrder: Check = (cfg) => {
  const order = ['pre-deployment', 'deployment', 'post-deployment'];
  const issues: MeaningIssue[] = [];
  cfg.plan.forEach((p, i) => {
    const prev = cfg.plan[i - 1];
    if (prev && order.indexOf(p.phase) < order.indexOf(prev.phase)) {
      issues.push({ check: 'phases-in-order', path: `plan[${i}].phase`, message: `${p.phase} cannot come after ${prev.phase}` });
    }
  });
  return issues;
};

const stepEnvironmentsExist: Check = (cfg) =>
  cfg.plan.flatMap((phase, pi) =>
    phase.steps.flatMap((step, si) =>
      (step.only ?? [])
        .map((env, ei) => ({ env, ei }))
        .filter(({ env }) => !cfg.environments[env])
        .map(({ env, ei }) => ({ check: 'step-environments-exist', path: `plan[${pi}].steps[${si}].only[${ei}]`, message: `environment "${env}" is not defined` })),
    ),
  );

const canaryIsCoherent: Check = (cfg) => {
  const issues: MeaningIssue[] = [];
  for (const [name, env] of Object.entries(cfg.environments)) {
    const base = `environments.${name}`;
    if (env.strategy === 'canary' && !env.canary) {
      issues.push({ check: 'canary-has-steps', path: `${base}.canary`, message: 'strategy is canary but no canary steps are configured' });
    }
    if (!env.canary) continue;
    let last = 0;
    env.canary.steps.forEach((s, i) => {
      const path = `${base}.canary.steps[${i}]`;
      if ('weight' in s) {
        if (s.weight < last) issues.push({ check: 'canary-weights-increase', path: `${path}.weight`, message: `weight ${s.weight} is lower than the previous ${last}; use rollback to go down` });
        last = s.weight;
      }
      if ('analysis' in s && typeof s.analysis === 'string' && !cfg.analysis[s.analysis]) {
        issues.push({ check: 'analysis-template-exists', path: `${path}.analysis`, message: `analysis template "${s.analysis}" is not defined under analysis` });
      }
    });
    if (!env.canary.steps.some((s) => 'analysis' in s)) {
      issues.push({ check: 'canary-has-analysis', path: `${base}.canary.steps`, message: 'a canary without an analysis step is promoted blindly; add at least one { analysis: ... }' });
    }
  }
  return issues;
};

const productionIsStrict: Check = (cfg) => {
  const issues: MeaningIssue[] = [];
  for (const [name, env] of Object.entries(cfg.environments)) {
    if (env.appEnv !== 'production') continue;
    if (!env.rollback.automatic) {
      issues.push({ check: 'production-auto-rollback', path: `environments.${name}.rollback.automatic`, message: 'production must roll back automatically when a step fails after traffic moved' });
    }
  }
  return issues;
};

const inside = (child: string, parent: string) => {
  const r = relative(parent, child);
  return r === '' || (!r.startsWith('..') && !isAbsolute(r));
};

// pgBackRest's repository and configuration must survive the loss of the data directory, and a
// restore must never land in it: none of them may sit inside another.
const pitrPathsApart: Check = (cfg) => {
  const issues: MeaningIssue[] = [];
  for (const [name, env] of Object.entries(cfg.environments)) {
    const p = env.pitr;
    if (!p) continue;
    const base = `environments.${name}.pitr`;
    if (inside(p.repoPath, p.pgData) || inside(p.pgData, p.repoPath)) {
      issues.push({ check: 'pitr-paths-apart', path: `${base}.repoPath`, message: `${p.repoPath} and pgData ${p.pgData} must not contain each other: the backups would go with the data` });
    }
    if (p.configFile && inside(p.configFile, p.pgData)) {
      issues.push({ check: 'pitr-paths-apart', path: `${base}.configFile`, message: `${p.configFile} is inside pgData ${p.pgData}; a restore would need the file it overwrites` });
    }
  }
  return issues;
};

/** An environment picks only declared secrets, and a "secret:<name>" setting names one it picked. */
const secretsDeclared: Check = (cfg) => {
  const issues: MeaningIssue[] = [];
  for (const [name, env] of Object.entries(cfg.environments)) {
    env.secrets.forEach((s, i) => {
      if (!cfg.secrets[s]) issues.push({ check: 'secrets-declared', path: `environments.${name}.secrets[${i}]`, message: `"${s}" is not declared under secrets (declared: ${Object.keys(cfg.secrets).join(', ') || 'none'})` });
    });
    for (const [key, value] of Object.entries(env.gates.settings)) {
      const ref = secretRefOf(value);
      if (ref && !env.secrets.includes(ref)) issues.push({ check: 'secrets-declared', path: `environments.${name}.gates.settings.${key}`, message: `uses secret:${ref}, which environments.${name}.secrets does not list` });
      else if (!ref && value.startsWith('secret:')) issues.push({ check: 'secrets-declared', path: `environments.${name}.gates.settings.${key}`, message: 'a secret reference is "secret:<name>" with a lower-case name' });
      else if (ref && env.target.type === 'kubernetes' && env.target.secrets.source === 'external-secret' && cfg.secrets[ref] && !cfg.secrets[ref].remoteRef) {
        issues.push({ check: 'secrets-declared', path: `secrets.${ref}.remoteRef`, message: `is needed: environments.${name} fills its Secret through an ExternalSecret, which finds ${key} by it` });
      }
    }
  }
  return issues;
};

export const MEANING_CHECKS: Record<string, Check> = {
  'default-environment-exists': defaultEnvironmentExists,
  'unique-step-ids': uniqueStepIds,
  'phases-in-order': phasesInOrder,
  'step-environments-exist': stepEnvironmentsExist,
  'canary-is-coherent': canaryIsCoherent,
  'production-is-strict': productionIsStrict,
  'pitr-paths-apart': pitrPathsApart,
  'secrets-declared': secretsDeclared,
};

export function checkMeaning(cfg: RolloutConfig): MeaningIssue[] {
  return Object.values(MEANING_CHECKS).flatMap((check) => check(cfg));
}
