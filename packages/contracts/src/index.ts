export * from './router-state.js';
export * from './secret-weakness.js';
export * from './maintenance-page.js';
