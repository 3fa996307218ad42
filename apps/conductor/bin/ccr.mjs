#!/usr/bin/env node
// The `ccr` command. Workspace code runs from TypeScript source through tsx's loader, so the
// CLI needs no build step in development; release artifacts bundle what they need.
import { register } from 'tsx/esm/api';

register();
await import('../src/cli/main.ts');
