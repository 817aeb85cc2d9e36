// The feed formats `db import` recognises, tried in this order (the first whose detect() says
// yes parses the file).

import type { Importer } from './types.js';

export const IMPORTERS: readonly Importer[] = [];
