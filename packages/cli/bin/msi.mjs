#!/usr/bin/env node
// The `msi` command: the compiled CLI (build with `npx tsc -b packages/cli`).
import { main } from '../dist/main.js';

process.exitCode = await main(process.argv.slice(2));
