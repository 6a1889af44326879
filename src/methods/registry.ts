import { byolA } from "./audio/byol-a.js";
import { cola } from "./audio/cola.js";
import { cpc } from "./audio/cpc.js";
import { autoencoder, denoisingAutoencoder } from "./autoencoder.js";
import { barlowTwins } from "./barlow-twins.js";
import { byol } from "./byol.js";
import { clm } from "./clm.js";
import { dino } from "./dino.js";
import { jigsaw } from "./jigsaw.js";
import { maskedAutoencoder } from "./mae.js";
import { mlm } from "./mlm.js";
import type { Modality } from "../data/sample.js";
import type { Method } from "./method.js";
import { moco } from "./moco.js";
import { rotation } from "./rotation.js";
import { scarf } from "./table/scarf.js";
import { vime } from "./table/vime.js";
import { simclr } from "./simclr.js";
import { simcse } from "./simcse.js";
import { simsiam } from "./simsiam.js";
import { triplet } from "./triplet.js";
import { vicreg } from "./vicreg.js";

/**
 * Every method by its name, as the CLI and the playground look them up; listing order is this
 * order (images: contrastive, non-contrastive, auto-associative, pretext tasks; then text; then audio; then tables). Adding a method: its
 * file, then one entry here.
 */
export const methods: Readonly<Record<string, Method>> = Object.fromEntries(
  [simclr, moco, triplet, byol, simsiam, barlowTwins, vicreg, dino, autoencoder, denoisingAutoencoder, maskedAutoencoder, rotation, jigsaw, mlm, clm, simcse, byolA, cola, cpc, scarf, vime].map(
    (m): [string, Method] => [m.name, m],
  ),
);

/** The methods that learn from `modality`, in listing order. */
export function methodsFor(modality: Modality): Method[] {
  return Object.values(methods).filter((m) => m.modalities.includes(modality));
}
