// Fails CI unless the fault suite ran, passed, and every test's count of acked messages lost is 0.
import { existsSync, readFileSync } from 'node:fs';

const report = JSON.parse(readFileSync(process.argv[2] ?? 'test-results/faults.json', 'utf8'));
const figures = existsSync('test-results/faults.jsonl')
  ? readFileSync('test-results/faults.jsonl', 'utf8').split('\n').filter((line) => line.trim() !== '').map((line) => JSON.parse(line))
  : [];
console.log('test | sent | acked | refused | lost | duplicated | reordered');
for (const row of figures) console.log(`${row.test} | ${row.sent} | ${row.acked} | ${row.refused} | ${row.lost} | ${row.duplicated} | ${row.reordered}`);
console.log(`fault suite: ${report.numPassedTests} passed, ${report.numFailedTests} failed, ${report.numPendingTests} skipped; ${figures.length} tallies`);
const lost = figures.filter((row) => row.lost !== 0);
if (report.numPassedTests === 0 || report.numFailedTests > 0 || figures.length === 0 || lost.length > 0) {
  console.error(lost.length > 0 ? `acked messages lost in: ${lost.map((row) => row.test).join(', ')}` : 'CI requires the fault suite to run and pass, with its tallies.');
  process.exit(1);
}
