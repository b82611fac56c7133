// tus-js-client (the reference tus client) uploading one file from Node, for reeleditor's tests.
//   node upload.mjs --endpoint URL --file PATH [--chunk BYTES] [--token T] [--title T]
// Prints "UPLOADED <upload url>" on stdout when done; exits 1 with the error on stderr.
import fs from "node:fs";
import path from "node:path";
import tus from "tus-js-client";

const args = process.argv.slice(2);
const opt = (name, fallback) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : fallback;
};
const file = opt("file");
const endpoint = opt("endpoint");
if (!file || !endpoint) {
  console.error("upload.mjs: --endpoint and --file are required");
  process.exit(2);
}
const token = opt("token");
const size = fs.statSync(file).size;
const upload = new tus.Upload(fs.createReadStream(file), {
  endpoint,
  uploadSize: size,
  chunkSize: Number(opt("chunk", String(4 * 1024 * 1024))),
  retryDelays: [0, 200, 1000],
  metadata: { filename: path.basename(file), title: opt("title", path.basename(file)) },
  headers: token ? { Authorization: `Bearer ${token}` } : {},
  onError: (err) => {
    console.error(`upload failed: ${err.message}`);
    process.exit(1);
  },
  onSuccess: () => {
    process.stdout.write(`UPLOADED ${upload.url}\n`);
  },
});
upload.start();
