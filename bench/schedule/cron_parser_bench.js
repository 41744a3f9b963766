// The reference side of bench/schedule/compare.sh: npm cron-parser@4 on the same expressions
// and slot count as bench_schedule. Prints "<zone> <slots> <seconds> <slots per second>".
//   node bench/schedule/cron_parser_bench.js EXPRESSIONS COUNT ZONE...
'use strict';
const fs = require('fs');
const path = require('path');
const os = require('os');

const tools = process.env.BOOMI_SCHED_TOOLS || path.join(os.homedir(), '.cache', 'boomi-sched-tools');
const parser = require(path.join(tools, 'node_modules', 'cron-parser'));

const exprs = fs.readFileSync(process.argv[2], 'utf8').split('\n')
  .map((l) => l.trim()).filter((l) => l && !l.startsWith('#'));
const count = Number(process.argv[3]);
for (const zone of process.argv.slice(4)) {
  let slots = 0;
  const t0 = process.hrtime.bigint();
  for (const e of exprs) {
    const it = parser.parseExpression(e, { currentDate: new Date('2026-01-01T00:00:00Z'), tz: zone });
    for (let i = 0; i < count; i++) { it.next(); slots++; }
  }
  const secs = Number(process.hrtime.bigint() - t0) / 1e9;
  console.log(`${zone} ${slots} ${secs.toFixed(3)} ${(slots / secs).toFixed(0)}`);
}
