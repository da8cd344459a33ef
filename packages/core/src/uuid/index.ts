export { UuidError, type UuidErrorCode } from './uuid-error.js';
export { formatUuid, parseUuid, parseUuidV7 } from './uuid-text.js';
export { isUuidV7, mintUuidV7, UUID_SIZE, uuidV7Time, writeUuidV7 } from './uuid-v7.js';
