export { type Config, loadConfig } from './config.js';
export { type RunningTileServer, startTileServer, type TileServerOptions } from './tile-server.js';
