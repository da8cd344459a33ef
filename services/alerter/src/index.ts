export { type Alert, type AlertCandidate, alertToJson, alertToProto } from './alert.js';
export { type AlerterOptions, prepareAlerterSchema, type RunningAlerter, startAlerter } from './alerter.js';
export { SCHEMA } from './schema.js';
export { signWebhook, verifyWebhookSignature, WEBHOOK_SIGNATURE_HEADER } from './webhook-signature.js';
