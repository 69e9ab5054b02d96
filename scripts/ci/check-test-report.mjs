// Fails CI when the Kafka or Redis tests did not run: a green run must have exercised both brokers.
import { readFileSync } from 'node:fs';

const file = process.argv[2] ?? 'test-results/vitest.json';
const report = JSON.parse(readFileSync(file, 'utf8'));
const groups = {
  kafka: (path) => path.includes('/driver-kafka/') || path.endsWith('.kafka.integration.test.ts'),
  redis: (path) => path.includes('/driver-redis/') || path.endsWith('.redis.integration.test.ts'),
};
let failed = false;
for (const [name, matches] of Object.entries(groups)) {
  const results = report.testResults.filter((result) => matches(result.name)).flatMap((result) => result.assertionResults);
  const count = (status) => results.filter((result) => result.status === status).length;
  const passed = count('passed');
  console.log(`${name}: ${passed} passed, ${count('failed')} failed, ${results.length - passed - count('failed')} skipped`);
  if (passed === 0 || count('failed') > 0) failed = true;
}
console.log(`all: ${report.numPassedTests} passed, ${report.numFailedTests} failed, ${report.numPendingTests} skipped`);
if (failed) {
  console.error('CI requires the Kafka and Redis tests to run, and none of them to fail.');
  process.exit(1);
}
