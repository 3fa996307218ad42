// `npm run start:api`: the API alone, configured only from the environment. Tooling (the
// supervisor, the conductor) relies on this entry point.
import { runApi } from './run-api.js';

await runApi();
