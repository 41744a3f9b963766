// Reference side of the differential schedule test (schedule_differential_test.cpp): reads
// lines "START<TAB>COUNT<TAB>EXPRESSION" from the file named by argv[2] and prints, per line,
// the next COUNT instants after START computed by npm cron-parser@4 in UTC, space-separated
// as YYYY-MM-DDTHH:MM:SSZ, or "ERR <message>". The module is found through
// $BOOMI_SCHED_TOOLS/node_modules, else ~/.cache/boomi-sched-tools/node_modules.
'use strict';
const fs = require('fs');
const path = require('path');
const os = require('os');

const tools = process.env.BOOMI_SCHED_TOOLS || path.join(os.homedir(), '.cache', 'boomi-sched-tools');
const parser = require(path.join(tools, 'node_modules', 'cron-parser'));

const out = [];
for (const line of fs.readFileSync(process.argv[2], 'utf8').split('\n')) {
  if (!line) continue;
  const [start, count, expr] = line.split('\t');
  try {
    const it = parser.parseExpression(expr, { currentDate: new Date(start), tz: 'UTC' });
    const slots = [];
    for (let i = 0; i < Number(count); i++) {
      slots.push(it.next().toDate().toISOString().replace('.000Z', 'Z'));
    }
    out.push(slots.join(' '));
  } catch (err) {
    out.push('ERR ' + String(err.message).replace(/\s+/g, ' '));
  }
}
process.stdout.write(out.join('\n') + '\n');
