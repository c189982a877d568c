// Regenerates the files derived from the settings schema (one source of truth):
// docs/settings.md and .env.example. A test fails when they are stale.
import { writeFileSync } from 'node:fs';
import { envExample, settingsReference } from '#src/settings/index.ts';

writeFileSync('docs/settings.md', settingsReference());
writeFileSync('.env.example', envExample());
console.log('wrote docs/settings.md and .env.example');
