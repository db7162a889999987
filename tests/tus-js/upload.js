// tests/tus-js/upload.js: tus-js-client (npm, the version package-lock.json pins) as a
// second resumable-upload client, independent of ours (tests/integration/resumable.sh).
//
// node upload.js ENDPOINT PKI CERT KIND FILE CHUNK
// Uploads FILE in CHUNK-byte PATCHes; after the second chunk it aborts, as a client whose
// link dropped, then resumes with a new tus.Upload on the same upload URL (tus-js-client asks
// the server with HEAD where it stands). Prints the last PATCH's answer (the receipt JSON) on
// stdout; exits 0 on success, 1 with the error on stderr.
'use strict';
const fs = require('fs');
const tus = require('tus-js-client');

const [endpoint, pki, cert, kind, file, chunk] = process.argv.slice(2);
const data = fs.readFileSync(file);
const stack = new tus.DefaultHttpStack({
  ca: fs.readFileSync(pki + '/ca.crt'),
  cert: fs.readFileSync(pki + '/' + cert + '.crt'),
  key: fs.readFileSync(pki + '/' + cert + '.key'),
  servername: 'localhost',
});
const common = {
  endpoint,
  httpStack: stack,
  chunkSize: Number(chunk),
  retryDelays: [0, 500, 1000],
  metadata: { kind, filename: file.replace(/.*\//, '') },
};
const timer = setTimeout(() => { console.error('timed out'); process.exit(1); }, 120000);

function fail(err) {
  console.error('tus-js-client: ' + err);
  process.exit(1);
}

let chunks = 0;
const first = new tus.Upload(data, Object.assign({}, common, {
  onError: fail,
  onSuccess: () => fail('finished before it could be interrupted'),
  onChunkComplete: () => {
    if (++chunks !== 2)
      return;
    first.abort().then(() => {
      console.error('interrupted after ' + chunks + ' chunks at ' + first.url);
      const second = new tus.Upload(data, Object.assign({}, common, {
        uploadUrl: first.url,
        onError: fail,
        onSuccess: (payload) => {
          clearTimeout(timer);
          process.stdout.write(payload.lastResponse.getBody());
          process.exit(0);
        },
      }));
      second.start();
    }, fail);
  },
}));
first.start();
