// The feed formats `db import` recognises, tried in this order (the first whose detect() says
// yes parses the file).

import { friendsofphpImporter } from './sources/friendsofphp.js';
import { osvImporter } from './sources/osv.js';
import { rubysecImporter } from './sources/rubysec.js';
import { rustsecImporter } from './sources/rustsec.js';
import type { Importer } from './types.js';

export const IMPORTERS: readonly Importer[] = [
  osvImporter,
  rubysecImporter,
  friendsofphpImporter,
  rustsecImporter,
];
