/**
 * `npm run playground`: builds the playground and serves it on 127.0.0.1. The first line of output
 * is the URL; `PORT` picks the port (default 5174; 0 for any free one).
 */
import { buildPlayground, servePlayground } from "./playground-server.js";

const raw = process.env.PORT ?? "5174";
const port = Number(raw);
if (!Number.isInteger(port) || port < 0 || port > 65535) {
  console.error(`PORT=${raw}: not a port number (0..65535)`);
  process.exit(2);
}
const dir = await buildPlayground();
try {
  const { url } = await servePlayground(dir, port);
  console.log(url);
  console.error(`serving ${dir} (Ctrl-C stops)`);
} catch (e) {
  console.error(`cannot listen on 127.0.0.1:${port}: ${e instanceof Error ? e.message : String(e)}; pick another with PORT=`);
  process.exit(1);
}
