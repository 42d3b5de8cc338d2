/**
 * Reads the JUnit report that `bun test --reporter=junit` wrote and prints the closing line CI
 * reads: `tests: N passed, N failed` (skipped tests are named separately when there are any).
 * Counts test cases, so the line always reflects the run that produced the report.
 */
import { existsSync, readFileSync } from "node:fs";

const file = process.argv[2] ?? ".test-results/junit.xml";
if (!existsSync(file)) {
  console.error(`test-summary: no JUnit report at ${file}: the test run did not finish`);
  console.log("tests: 0 passed, 1 failed");
  process.exit(1);
}
const xml = readFileSync(file, "utf8");
let passed = 0;
let failed = 0;
let skipped = 0;
for (const match of xml.matchAll(/<testcase\b[^>]*?(\/>|>([\s\S]*?)<\/testcase>)/g)) {
  const body = match[2] ?? "";
  if (/<(failure|error)\b/.test(body)) failed++;
  else if (/<skipped\b/.test(body)) skipped++;
  else passed++;
}
const tail = skipped ? `, ${skipped} skipped` : "";
console.log(`tests: ${passed} passed, ${failed} failed${tail}`);
