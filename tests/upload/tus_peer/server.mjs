// The official tus Node server (@tus/server + @tus/file-store) as a test peer for reeleditor.
// Prints "LISTENING <port>" on stdout once it accepts connections.
//   node server.mjs --dir DATA [--port 0] [--host 127.0.0.1] [--expire-ms N] [--max-size N]
//                   [--token T] [--checksum]
// --token: require "Authorization: Bearer T" (401 without a token, 403 with a wrong one).
// --checksum: add the tus checksum extension (sha1, sha256) in front of the server, since
// @tus/server does not implement it: a PATCH whose Upload-Checksum does not match gets 460.
import { createHash } from "node:crypto";
import http from "node:http";
import { FileStore } from "@tus/file-store";
import { Server } from "@tus/server";

const args = process.argv.slice(2);
const opt = (name, fallback) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : fallback;
};
const flag = (name) => args.includes(`--${name}`);

const dir = opt("dir");
if (!dir) {
  console.error("server.mjs: --dir is required");
  process.exit(2);
}
const token = opt("token");
const checksum = flag("checksum");
const expireMs = Number(opt("expire-ms", "0"));
const maxSize = Number(opt("max-size", "0"));

const tus = new Server({
  path: "/files",
  datastore: new FileStore({ directory: dir, expirationPeriodInMilliseconds: expireMs }),
  ...(maxSize ? { maxSize } : {}),
});

function reply(res, status, body, headers = {}) {
  res.writeHead(status, { "Tus-Resumable": "1.0.0", "Content-Type": "text/plain", ...headers });
  res.end(body);
}

function readBody(req) {
  return new Promise((resolve, reject) => {
    const parts = [];
    req.on("data", (c) => parts.push(c));
    req.on("end", () => resolve(Buffer.concat(parts)));
    req.on("error", reject);
  });
}

// Checksum mode: buffer the (small, test-sized) body, verify it, then hand a Web Request to
// the tus server and add the checksum extension to what OPTIONS advertises.
async function handleWithChecksum(req, res) {
  const body = ["POST", "PATCH"].includes(req.method) ? await readBody(req) : null;
  const given = req.headers["upload-checksum"];
  if (given && body !== null) {
    const [algo, digest] = given.split(" ");
    if (!["sha1", "sha256"].includes(algo)) {
      return reply(res, 400, "Unsupported checksum algorithm\n");
    }
    if (createHash(algo).update(body).digest("base64") !== digest) {
      return reply(res, 460, "Checksum Mismatch\n");
    }
  }
  const headers = new Headers();
  for (const [k, v] of Object.entries(req.headers)) {
    headers.set(k, Array.isArray(v) ? v.join(", ") : v);
  }
  const url = `http://${req.headers.host}${req.url}`;
  const request = new Request(url, { method: req.method, headers, body: body?.length ? body : null });
  const response = await tus.handleWeb(request);
  const out = Object.fromEntries(response.headers.entries());
  if (req.method === "OPTIONS") {
    out["tus-extension"] = `${out["tus-extension"] || "creation"},checksum`;
    out["tus-checksum-algorithm"] = "sha1,sha256";
  }
  res.writeHead(response.status, out);
  res.end(Buffer.from(await response.arrayBuffer()));
}

const server = http.createServer((req, res) => {
  if (token) {
    const auth = req.headers.authorization;
    if (!auth) return reply(res, 401, "Unauthorized: a bearer token is required\n");
    if (auth !== `Bearer ${token}`) return reply(res, 403, "Forbidden: invalid token\n");
  }
  const done = checksum ? handleWithChecksum(req, res) : tus.handle(req, res);
  Promise.resolve(done).catch((err) => {
    if (!res.headersSent) reply(res, 500, `peer error: ${err.message}\n`);
    else res.destroy();
  });
});
server.listen(Number(opt("port", "0")), opt("host", "127.0.0.1"), () => {
  process.stdout.write(`LISTENING ${server.address().port}\n`);
});
for (const sig of ["SIGTERM", "SIGINT"]) {
  process.on(sig, () => {
    server.closeAllConnections(); // keep-alive clients must not hold the exit for seconds
    server.close(() => process.exit(0));
  });
}
