import { runChecked } from '../command/index.js';
import { CcrError } from '../errors.js';

/** Release versions end up in router state, cookies and headers, hence the narrow alphabet. */
const VERSION_RE = /^[A-Za-z0-9][A-Za-z0-9._+-]{0,63}$/;

export interface ResolvedRef {
  commit: string;
  /** The tag name when the ref is a tag, else the first 12 hex digits of the commit. */
  version: string;
  isTag: boolean;
  /** Commit timestamp in ISO 8601 UTC: the artifact's builtAt, so rebuilds are byte-identical. */
  committedAt: string;
}

export async function git(repo: string, args: string[]): Promise<string> {
  const r = await runChecked({ argv: ['git', ...args], cwd: repo }, {
    code: 'git_failed',
    explain: (res) => `git ${args.join(' ')} failed${res.stderr.trim() ? `: ${res.stderr.trim()}` : ''}`,
  });
  return r.stdout.trim();
}

async function tagName(repo: string, ref: string): Promise<string | null> {
  const name = ref.replace(/^refs\/tags\//, '').replace(/^tags\//, '');
  try {
    await git(repo, ['show-ref', '--verify', '--quiet', `refs/tags/${name}`]);
    return name;
  } catch {
    return null;
  }
}

export async function resolveRef(repo: string, ref: string): Promise<ResolvedRef> {
  if (!ref || ref.startsWith('-')) throw new CcrError('usage', `not a git ref: "${ref}"`);
  let commit: string;
  try {
    commit = await git(repo, ['rev-parse', '--verify', '--quiet', `${ref}^{commit}`]);
  } catch (err) {
    throw new CcrError('not_found', `git ref "${ref}" does not name a commit in ${repo}`, { cause: err });
  }
  const tag = await tagName(repo, ref);
  const version = tag ?? commit.slice(0, 12);
  if (!VERSION_RE.test(version)) {
    throw new CcrError('usage', `tag "${version}" cannot be a release version: use 1-64 letters, digits, ".", "_", "+" or "-"`);
  }
  const epoch = Number(await git(repo, ['show', '-s', '--format=%ct', commit]));
  return { commit, version, isTag: tag !== null, committedAt: new Date(epoch * 1000).toISOString() };
}
