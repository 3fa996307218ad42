// The conductor's inner layers (DESIGN §5), top to bottom. A folder (or a top-level file) may
// import from its own layer and the layers below it, never from a layer above: eslint.config.js
// turns this list into no-restricted-imports rules, and test/layering.test.ts checks that the
// rule fires and that every folder of src/ has a place here.
export const CONDUCTOR_LAYERS = [
  // the commands: parse arguments, open the environment, wire services, print
  ['cli'],
  // the release service and the controller: the one way callers (the CLI, the HTTP API)
  // start and steer releases, and the loop that drives them (issue 12)
  ['service'],
  // the plan's step types
  ['steps'],
  // what steps run: the deploy strategies, hypercare, rollback, the release record
  ['strategies', 'hypercare', 'rollback', 'report'],
  // the domains those use: metric analysis, schema safety, deploy targets, backups and
  // point-in-time recovery, the pre-deployment gates
  ['analysis', 'schema', 'targets', 'backup', 'pitr', 'gates'],
  // the run itself (context, executor, plugin interfaces) and the local runtime
  ['engine', 'runtime'],
  // the ground everything stands on
  ['config', 'secrets', 'plan', 'store', 'artifacts', 'images', 'notify', 'smoke', 'metrics', 'supervisor', 'command', 'errors', 'suggest', 'paths', 'conductor-root'],
];

/** The only folder that may start processes (one way to run a process, DESIGN §5). */
export const PROCESS_FOLDER = 'command';
