#!/usr/bin/env node
// The crashplug command. `--version` answers from package.json alone, so a script that asks for it
// does not pay for loading the ports; everything else runs the bundled CLI in dist/bundle/ (made by
// npm run build: tsc, then scripts/bundle.mjs).
const args = process.argv.slice(2);
if (args.length === 1 && (args[0] === '--version' || args[0] === '-V')) {
  const { readFileSync } = await import('node:fs');
  const { version } = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
  process.stdout.write(`${version}\n`);
} else {
  await import('../dist/bundle/cli/main.js');
}
