export { canonicalJson, parseCanonicalJson } from './canonical-json.js';
export { JsonError, type JsonErrorCode, MAX_JSON_DEPTH } from './json-error.js';
