export { UuidError, type UuidErrorCode } from './uuid-error.js';
export { formatUuid, parseUuid, parseUuidV7 } from './uuid-text.js';
export {
  isUuidV7,
  isUuidV7At,
  mintUuidV7,
  UUID_SIZE,
  uuidV7Time,
  uuidV7TimeAt,
  writeUuidV7,
} from './uuid-v7.js';
