#!/usr/bin/env node
// The crashplug command; the TypeScript sources are compiled to dist/ by `npm install` (prepare).
import '../dist/cli/main.js';
