// Preloaded with `--import` (through NODE_OPTIONS, so cluster workers get it too): appends the
// URL of every module the process resolves to the file named by RECORD_MODULES_TO. Tests read
// it to learn what a real process loaded, dynamic imports included.
import { register } from 'node:module';

if (process.env.RECORD_MODULES_TO) register('./record-modules-hooks.mjs', import.meta.url);
