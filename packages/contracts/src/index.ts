export * from './router-state.js';
