// Regenerates the files derived from the settings schema and the finding registry (one source of
// truth each): docs/settings.md, .env.example and docs/checks.md. A test fails when they are stale.
import { writeFileSync } from 'node:fs';
import { checksReference, envExample, settingsReference } from '#src/settings/index.ts';

writeFileSync('docs/settings.md', settingsReference());
writeFileSync('.env.example', envExample());
writeFileSync('docs/checks.md', checksReference());
console.log('wrote docs/settings.md, .env.example and docs/checks.md');
