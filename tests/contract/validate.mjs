// The contract test's validator: checks JSON bodies against the published Platform API
// schemas kept in platform_schemas.json (see extract_schemas.py for their source).
//
//   node tests/contract/validate.mjs SCHEMAS.json DIR
//
// Every DIR/*.json file is one body; its name says what it is, up to the first '.' after
// the kind:
//   request.<Schema>.<case>.json  a body the client sends: the published schema, as published
//   request.<operationId>.<case>.txt  a text/plain body the client sends (the queryMore
//                                 token), against that operation's published schema
//   answer.<Schema>.<case>.json   a body the simulator answers (ExecutionRequest,
//                                 ExecutionRecord, ExecutionRecordQueryResponse, Error,
//                                 ProcessSchedules, ProcessScheduleStatus and the query and
//                                 bulk answers of both)
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

// A process-schedule object as the platform sends it: the published properties and no
// others, the "@type" tag every JSON example carries, and as required the properties every
// JSON example of the calls boomi-sched makes carries (GET and query answers; an object whose
// schedules were never set has an empty Schedule and no Retry, as the Bulk UPDATE example of
// the introduction shows, so Retry is not required).
function wireObject(name, required, nested = {}) {
  const schema = structuredClone(published[name]);
  for (const [key, sub] of Object.entries(nested)) schema.properties[key] = sub;
  schema.properties['@type'] = { const: name };
  schema.required = required;
  schema.additionalProperties = false;
  return schema;
}

function wireScheduleObjects() {
  const rule = wireObject('Schedule', []);
  const retry = wireObject('ScheduleRetry', [], {
    Schedule: { type: 'array', items: rule },
    // "The minimum valid value is 1; the maximum is 5."
    maxRetry: { ...published.ScheduleRetry.properties.maxRetry, minimum: 1, maximum: 5 },
  });
  return {
    ProcessSchedules: wireObject('ProcessSchedules', ['id', 'atomId', 'processId', 'Schedule'],
                                 { Schedule: { type: 'array', items: rule }, Retry: retry }),
    ProcessScheduleStatus: wireObject('ProcessScheduleStatus',
                                      ['id', 'atomId', 'processId', 'enabled']),
  };
}

// A QueryResult page of `item`s, as the ExecutionRecord query answers are held.
function wireQuery(name, item) {
  const query = structuredClone(published[name]);
  query.properties.result = { type: 'array', items: item, maxItems: 100 };
  query.properties['@type'] = { const: 'QueryResult' };
  query.required = ['numberOfResults'];
  query.additionalProperties = false;
  return query;
}

// A BulkResult. The published item schema requires Result; the introduction's Bulk GET
// example answers an id it cannot find with an item that has no Result but the id asked
// for, statusCode 400 and errorMessage. So an item is either a success (Result, a 2xx
// statusCode; no id or index in the examples, none required) or a failure (the id asked for,
// statusCode >= 400, errorMessage; no Result).
function wireBulk(name, result) {
  const item = structuredClone(published[name].properties.response.items);
  item.properties.Result = result;
  item.properties['@type'] = { const: 'BulkResponse' };
  delete item.required;
  item.additionalProperties = false;
  item.oneOf = [
    { required: ['Result', 'statusCode'],
      properties: { statusCode: { minimum: 200, maximum: 299 } } },
    { required: ['id', 'statusCode', 'errorMessage'], not: { required: ['Result'] },
      properties: { statusCode: { minimum: 400, maximum: 599 }, errorMessage: { minLength: 1 } } },
  ];
  return {
    type: 'object', required: ['response'], additionalProperties: false,
    properties: { '@type': { const: 'BulkResult' },
      response: { type: 'array', items: item, maxItems: 100 } },
  };
}

function wireSchemas() {
  const record = wireRecord();
  const query = structuredClone(published.ExecutionRecordQueryResponse);
  query.properties.result = { type: 'array', items: record, maxItems: 100 };
  query.properties['@type'] = { const: 'QueryResult' };
  query.required = ['numberOfResults'];
  query.additionalProperties = false;
  const objects = wireScheduleObjects();
  return {
    ExecutionRecord: record,
    ExecutionRecordQueryResponse: query,
    ...objects,
    ProcessSchedulesQueryResponse: wireQuery('ProcessSchedulesQueryResponse', objects.ProcessSchedules),
    ProcessScheduleStatusQueryResponse:
        wireQuery('ProcessScheduleStatusQueryResponse', objects.ProcessScheduleStatus),
    ProcessSchedulesBulkResponse: wireBulk('ProcessSchedulesBulkResponse', objects.ProcessSchedules),
    ProcessScheduleStatusBulkResponse:
        wireBulk('ProcessScheduleStatusBulkResponse', objects.ProcessScheduleStatus),
    // The envelope alone, for the introduction's examples (a Process and a ProcessSchedules
    // update answer in Result).
    BulkResultEnvelope: wireBulk('ProcessSchedulesBulkResponse', { type: 'object' }),
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

// The published text/plain request bodies (the queryMore token), by operationId.
const textBodies = {};
for (const op of doc.operations) {
  const schema = op.requestBody && op.requestBody['text/plain'];
  if (schema) textBodies[op.operationId] = ajv.compile(schema);
}

function validatorFor(kind, name, text) {
  if (text) return kind === 'request' ? textBodies[name] || null : null;
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
  for (const [name, examples] of Object.entries(doc.answerExamples)) {
    examples.forEach((ex, i) => {
      if (!ajv.getSchema(`wire-${name}`)(ex)) problems.push(`the published ${name} example ${i}`);
    });
  }
  doc.bulkExamples.forEach((ex, i) => {
    if (!ajv.getSchema('wire-BulkResultEnvelope')(ex)) problems.push(`the published bulk example ${i}`);
  });
  if (problems.length) fail(`the wire schemas reject ${problems.join(', ')}`);
}
selfCheck();

const files = fs.readdirSync(dir).filter((f) => f.endsWith('.json') || f.endsWith('.txt')).sort();
if (files.length === 0) fail(`no .json or .txt files in ${dir}`);
let bad = 0;
for (const file of files) {
  const [kind, name] = file.split('.');
  const text = file.endsWith('.txt');
  const validate = validatorFor(kind, name, text);
  if (!validate) {
    console.log(`invalid ${file}: no schema for kind '${kind}', name '${name}'`);
    ++bad;
    continue;
  }
  let body;
  try {
    body = fs.readFileSync(path.join(dir, file), 'utf8');
    if (!text) body = JSON.parse(body);
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
