// The feed formats `db import` recognises, tried in this order (the first whose detect() says
// yes parses the file).

import { alpineSecdbImporter } from './sources/alpine-secdb.js';
import { debianDsaImporter } from './sources/debian-dsa.js';
import { debianTrackerImporter } from './sources/debian-tracker.js';
import { friendsofphpImporter } from './sources/friendsofphp.js';
import { nvdImporter } from './sources/nvd.js';
import { osvImporter } from './sources/osv.js';
import { redhatCsafImporter } from './sources/redhat-csaf.js';
import { rubysecImporter } from './sources/rubysec.js';
import { rustsecImporter } from './sources/rustsec.js';
import type { Importer } from './types.js';

export const IMPORTERS: readonly Importer[] = [
  debianTrackerImporter,
  debianDsaImporter,
  alpineSecdbImporter,
  redhatCsafImporter,
  nvdImporter,
  osvImporter,
  rubysecImporter,
  friendsofphpImporter,
  rustsecImporter,
];
