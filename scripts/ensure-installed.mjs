// Runs `npm ci` when node_modules is missing or older than package-lock.json, so that on a fresh
// clone `npm start` and `npm test` are each one command. Uses only Node built-ins: it runs before
// any dependency exists.
import { execSync } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';

const installed = 'node_modules/.package-lock.json';
const stale =
  !existsSync(installed) || statSync(installed).mtimeMs < statSync('package-lock.json').mtimeMs;
if (stale) {
  console.log('Installing dependencies (npm ci)…');
  execSync('npm ci', { stdio: 'inherit' });
}
