// The contract test's validator: checks JSON bodies against the published Platform API
// schemas kept in platform_schemas.json (see extract_schemas.py for their source).
//
//   node tests/contract/validate.mjs SCHEMAS.json DIR
//
// Every DIR/*.json file is one body; its name says what it is, up to the first '.' after
// the kind:
//   request.<Schema>.<case>.json  a body the client sends: the published schema, as published
//   answer.<Schema>.<case>.json   a body the simulator answers (ExecutionRequest,
//                                 ExecutionRecord, ExecutionRecordQueryResponse, Error)
//
// Answers are held to the published schema with the deviations the same document makes in
// its own examples, and no others (wireSchemas below). Prints "ok NAME" or "invalid NAME: …"
// per file; exits 0 when every file is valid, 1 when one is not, 2 on a usage or setup error
// (node modules missing). ajv and ajv-formats come from $BOOMI_SCHED_TOOLS/node_modules, else
// ~/.cache/boomi-sched-tools/node_modules (scripts/install-deps.sh --test installs them).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createRequire } from 'node:module';

function fail(message) {
  console.error(`validate.mjs: ${message}`);
  process.exit(2);
}

const [schemasFile, dir] = process.argv.slice(2);
if (!schemasFile || !dir) fail('usage: node validate.mjs SCHEMAS.json DIR');

const tools = process.env.BOOMI_SCHED_TOOLS || path.join(os.homedir(), '.cache', 'boomi-sched-tools');
const require = createRequire(path.join(tools, 'node_modules', 'x.js'));
let Ajv, addFormats;
try {
  Ajv = require('ajv').default;
  addFormats = require('ajv-formats').default;
} catch (e) {
  fail(`ajv is missing under ${tools}/node_modules: run scripts/install-deps.sh --test (${e.message})`);
}

const doc = JSON.parse(fs.readFileSync(schemasFile, 'utf8'));
const published = doc.components.schemas;

// The int64 fields of an ExecutionRecord: an integer in the schema, the typed pair
// ["Long", n] in the same document's query example (and on the wire).
const longFields = ['executionDuration', 'inboundDocumentSize', 'outboundDocumentSize'];

// The ExecutionRecord as the platform sends it. The published schema lists 17 fields as
// required, yet its own query example omits launcherID, message, originalExecutionId,
// parentExecutionId, reportKey and topLevelExecutionId, and the field descriptions say
// several appear only when they apply (nodeId: omitted on a single Runtime; recordedDate:
// the end of a finished run). So: required are the fields every record of the example
// carries and no description makes conditional; the long fields may be typed pairs; the
// "@type" tag is allowed; no field outside the published ones.
function wireRecord() {
  const rec = structuredClone(published.ExecutionRecord);
  const examples = doc.queryExample200.result;
  const conditional = new Set(['nodeId', 'recordedDate']);
  rec.required = rec.required.filter(
      (k) => !conditional.has(k) && examples.every((r) => Object.hasOwn(r, k)));
  for (const k of longFields) {
    rec.properties[k] = {
      oneOf: [rec.properties[k],
        { type: 'array', minItems: 2, maxItems: 2,
          items: [{ const: 'Long' }, { type: ['integer', 'string'], pattern: '^-?[0-9]+$' }] }],
    };
  }
  rec.properties['@type'] = { const: 'ExecutionRecord' };
  rec.additionalProperties = false;
  return rec;
}

function wireSchemas() {
  const record = wireRecord();
  const query = structuredClone(published.ExecutionRecordQueryResponse);
  query.properties.result = { type: 'array', items: record, maxItems: 100 };
  query.properties['@type'] = { const: 'QueryResult' };
  query.required = ['numberOfResults'];
  query.additionalProperties = false;
  return {
    ExecutionRecord: record,
    ExecutionRecordQueryResponse: query,
    // The JSON error examples of the published 403 / 410 / 503 answers; the platform-api.md
    // second shape {"error":{"message"}} as well.
    Error: {
      oneOf: [
        { type: 'object', required: ['message'], additionalProperties: false,
          properties: { message: { type: 'string', minLength: 1 } } },
        { type: 'object', required: ['error'], additionalProperties: false,
          properties: { error: { type: 'object', required: ['message'],
            properties: { message: { type: 'string', minLength: 1 } } } } },
      ],
    },
  };
}

const ajv = new Ajv({ strict: false, allErrors: true });
addFormats(ajv);
ajv.addFormat('int32', { type: 'number', validate: (n) => Number.isInteger(n) && Math.abs(n) < 2 ** 31 });
ajv.addFormat('int64', { type: 'number', validate: (n) => Number.isInteger(n) });
ajv.addSchema({ $id: 'platform', components: { schemas: published } });
const wire = wireSchemas();
for (const [name, schema] of Object.entries(wire)) {
  ajv.addSchema({ $id: `wire-${name}`, ...schema });
}

function validatorFor(kind, name) {
  if (kind === 'request') {
    return published[name] ? ajv.getSchema(`platform#/components/schemas/${name}`) : null;
  }
  if (kind === 'answer') {
    if (wire[name]) return ajv.getSchema(`wire-${name}`);
    if (name === 'ExecutionRequest') return ajv.getSchema('platform#/components/schemas/ExecutionRequest');
  }
  return null;
}

// The wire schemas must accept the published examples they were derived from.
function selfCheck() {
  const problems = [];
  if (!ajv.getSchema('wire-ExecutionRecordQueryResponse')(doc.queryExample200)) {
    problems.push('the published query example');
  }
  for (const [code, examples] of Object.entries(doc.errorExamples)) {
    for (const ex of Object.values(examples)) {
      if (!ajv.getSchema('wire-Error')(ex.value)) problems.push(`the published ${code} example`);
    }
  }
  if (problems.length) fail(`the wire schemas reject ${problems.join(', ')}`);
}
selfCheck();

const files = fs.readdirSync(dir).filter((f) => f.endsWith('.json')).sort();
if (files.length === 0) fail(`no .json files in ${dir}`);
let bad = 0;
for (const file of files) {
  const [kind, name] = file.split('.');
  const validate = validatorFor(kind, name);
  if (!validate) {
    console.log(`invalid ${file}: no schema for kind '${kind}', name '${name}'`);
    ++bad;
    continue;
  }
  let body;
  try {
    body = JSON.parse(fs.readFileSync(path.join(dir, file), 'utf8'));
  } catch (e) {
    console.log(`invalid ${file}: not JSON (${e.message})`);
    ++bad;
    continue;
  }
  if (validate(body)) {
    console.log(`ok ${file}`);
  } else {
    ++bad;
    const why = validate.errors.map((e) => `${e.instancePath || '/'} ${e.message}` +
        (e.params && e.params.additionalProperty ? ` '${e.params.additionalProperty}'` : ''));
    console.log(`invalid ${file}: ${why.join('; ')}`);
  }
}
process.exit(bad ? 1 : 0);
