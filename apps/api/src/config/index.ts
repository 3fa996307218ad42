export { loadConfig, configSchema, type Config, type LoadConfigOptions } from './schema.js';
export { redactUrl, jwtSecretWeakness, databasePasswordWeakness } from './secrets.js';
