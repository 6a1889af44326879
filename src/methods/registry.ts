import { autoencoder, denoisingAutoencoder } from "./autoencoder.js";
import { jigsaw } from "./jigsaw.js";
import { maskedAutoencoder } from "./mae.js";
import type { Method } from "./method.js";
import { rotation } from "./rotation.js";
import { simclr } from "./simclr.js";

/**
 * Every method by its name, as the CLI and the playground look them up. Adding a method: its
 * file, then one entry here.
 */
export const methods: Readonly<Record<string, Method>> = Object.fromEntries(
  [simclr, autoencoder, denoisingAutoencoder, maskedAutoencoder, rotation, jigsaw].map((m): [string, Method] => [m.name, m as Method]),
);
