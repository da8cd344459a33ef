export { TileLogClient, type TileLogClientOptions } from './tile-log-client.js';
export { TileLogError, type TileLogErrorCode } from './tile-log-error.js';
