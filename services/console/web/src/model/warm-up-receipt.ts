// A valid receipt of the core's vectors (packages/core/testdata/receipts/valid/process.json) and
// the key that verifies it, bundled for the verification workers' warm-up (verify-worker.ts): it is
// never shown, and trusts nothing the auditor pinned.
import receipt from '../../../../../packages/core/testdata/receipts/valid/process.json?raw';

export const WARM_UP_RECEIPT: string = receipt;
export const WARM_UP_KEY = 'msi.example/calendar+67b72184+AdglrftQ5QZx3ASAne8Q3KHYXaFFumBXZUeUCpPUOSGK';
