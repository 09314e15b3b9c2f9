// Runs the MDN HTTP Observatory's own rules (@mdn/mdn-http-observatory) against a local server
// and prints its scan result as JSON: `node observatory-scan.mjs HOST HTTPS_PORT HTTP_PORT`.
//
// Its `scan()` takes a host name only (ports 443 and 80); this does what `scan()` does, with
// ports: the package's retriever fetches the pages (https, the http redirect, robots.txt, a CORS
// preflight), then every one of its tests runs and its grader scores them, unchanged. The
// certificate is verified as the hosted scanner does: run this with NODE_EXTRA_CA_CERTS naming
// the test's certificate, which makes it locally trusted for this process only.
import { existsSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';

const [host, httpsPort, httpPort] = process.argv.slice(2);
if (host === undefined || httpsPort === undefined || httpPort === undefined) {
  process.stderr.write('usage: observatory-scan.mjs HOST HTTPS_PORT HTTP_PORT\n');
  process.exit(2);
}

const require = createRequire(import.meta.url);
const packageDir = path.dirname(require.resolve('@mdn/mdn-http-observatory/package.json'));
// The package's install script downloads Chromium's HSTS preload list into conf/; the project
// denies that script (package.json `allowScripts`: installs must work offline). An empty list is
// what the preload list says about any local host name: not preloaded.
const preloadList = path.join(packageDir, 'conf', 'hsts-preload.json');
if (!existsSync(preloadList)) writeFileSync(preloadList, '{}\n');

const load = (file) => import(path.join(packageDir, 'src', file));
const { retrieve } = await load('retriever/retriever.js');
const { ALL_TESTS, NUM_TESTS } = await load('constants.js');
const { getGradeForScore, getScoreModifier } = await load('grader/grader.js');
const { MINIMUM_SCORE_FOR_EXTRA_CREDIT } = await load('grader/charts.js');

const requests = await retrieve(host, { httpsPort, httpPort });
if (!requests.responses.auto) {
  process.stdout.write(`${JSON.stringify({ error: 'the site could not be reached' })}\n`);
  process.exit(1);
}
// As scanner/index.js: every test's modifier counts, extra credit only from an A upwards.
const results = ALL_TESTS.map((test) => test(requests));
let withExtraCredit = 100;
let uncurved = 100;
let passed = 0;
const tests = {};
for (const result of results) {
  if (result.result) {
    result.scoreModifier = getScoreModifier(result.result);
    passed += result.pass ? 1 : 0;
    withExtraCredit += result.scoreModifier;
    if (result.scoreModifier < 0) uncurved += result.scoreModifier;
  }
  tests[result.constructor.name] = {
    result: result.result,
    pass: result.pass,
    scoreModifier: result.scoreModifier,
  };
}
const final = getGradeForScore(
  uncurved >= MINIMUM_SCORE_FOR_EXTRA_CREDIT ? withExtraCredit : uncurved,
);
process.stdout.write(
  `${JSON.stringify({
    grade: final.grade,
    score: final.score,
    statusCode: requests.responses.auto.status,
    testsPassed: passed,
    testsQuantity: NUM_TESTS,
    tests,
  })}\n`,
);
