// The feed formats `db import` recognises, tried in this order (the first whose detect() says
// yes parses the file).

import { osvImporter } from './sources/osv.js';
import type { Importer } from './types.js';

export const IMPORTERS: readonly Importer[] = [osvImporter];
