// node --import ./register-ts.mjs file.ts: installs ts-hooks.mjs (Node >= 20.6).
import { register } from 'node:module';

register('./ts-hooks.mjs', import.meta.url);
