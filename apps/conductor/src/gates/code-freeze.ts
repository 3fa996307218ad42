import { git, resolveRef } from '../artifacts/git.js';
import { activeFreeze } from './freeze-store.js';
import { check, fromChecks, type CheckOutcome, type Gate } from './types.js';

// Code freeze (seed I.1): the release candidate is a tag on the release branch, the working
// tree it is released from is clean, and while a freeze is active only its release candidate
// or a hotfix tag may deploy.

async function tagOf(repo: string, ref: string): Promise<string | null> {
  const r = await resolveRef(repo, ref).catch(() => null);
  return r?.isTag ? r.version : null;
}

export const codeFreezeGate: Gate = async (input) => {
  const checks: CheckOutcome[] = [];
  const { repo, ref, gates } = input;

  const porcelain = await git(repo, ['status', '--porcelain', '--untracked-files=normal']);
  const dirty = porcelain.split('\n').filter(Boolean);
  checks.push(dirty.length
    ? check('clean-tree', 'fail', `the working tree has ${dirty.length} uncommitted change(s): ${dirty.slice(0, 5).map((l) => l.trim()).join(', ')}`, { changes: dirty.slice(0, 50) })
    : check('clean-tree', 'pass', 'the working tree is clean'));

  let resolved;
  try {
    resolved = await resolveRef(repo, ref);
  } catch (err) {
    checks.push(check('release-candidate', 'fail', (err as Error).message));
    return fromChecks(checks);
  }
  const tag = await tagOf(repo, ref);
  if (!tag) {
    checks.push(check('release-candidate', 'fail', `${ref} is not a tag: a release candidate must be a tag on the release branch`, { commit: resolved.commit }));
  } else if (!gates.releaseBranch) {
    checks.push(check('release-candidate', 'cannot-check', `${tag} is a tag, but no release branch is configured (gates.releaseBranch)`, { tag, commit: resolved.commit }));
  } else {
    const onBranch = await git(repo, ['merge-base', '--is-ancestor', resolved.commit, gates.releaseBranch]).then(() => true, () => false);
    checks.push(onBranch
      ? check('release-candidate', 'pass', `${tag} (${resolved.commit.slice(0, 12)}) is on ${gates.releaseBranch}`, { tag, commit: resolved.commit, branch: gates.releaseBranch })
      : check('release-candidate', 'fail', `${tag} (${resolved.commit.slice(0, 12)}) is not on the release branch ${gates.releaseBranch}`, { tag, commit: resolved.commit, branch: gates.releaseBranch }));
  }

  const freeze = await activeFreeze(input.store);
  const hotfix = tag !== null && new RegExp(gates.hotfixTagPattern).test(tag);
  if (freeze) {
    const evidence = { freeze: { rcTag: freeze.rcTag, reason: freeze.reason, startedBy: freeze.startedBy, startedAt: freeze.startedAt }, tag };
    if (tag === freeze.rcTag) checks.push(check('freeze', 'pass', `${tag} is the frozen release candidate (freeze since ${freeze.startedAt}: ${freeze.reason})`, evidence));
    else if (hotfix) checks.push(check('freeze', 'pass', `${tag} is a hotfix tag, allowed during the freeze of ${freeze.rcTag}`, evidence));
    else checks.push(check('freeze', 'fail', `a code freeze is active for ${freeze.rcTag}; only it or a hotfix tag may deploy, not ${tag ?? ref}`, evidence));
  } else if (hotfix) {
    checks.push(check('freeze', 'pass', `${tag} is a hotfix tag`, { tag }));
  } else if (gates.freezeRequired) {
    checks.push(check('freeze', 'fail', `no code freeze is active; start one for the release candidate: ccr freeze start ${tag ?? '<tag>'} --reason "..."`));
  } else {
    checks.push(check('freeze', 'pass', 'no code freeze is active and none is required (gates.freezeRequired: false)'));
  }
  return fromChecks(checks);
};
