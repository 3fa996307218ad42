export { loadConfig, configSchema, type Config } from './schema.js';
export { redactUrl, jwtSecretWeakness, databasePasswordWeakness } from './secrets.js';
