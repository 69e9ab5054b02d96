export { startServer, type RunningServer, type StartServerOptions } from './start-server.js';
export { CONFIG_SETTINGS, LOG_LEVELS, loadConfig, type ConfigSetting, type LogLevel, type ServerConfig } from './config.js';
export { CLOSE_CODES } from './close-codes.js';
export { parseClientFrame, type ClientFrame, type ErrorCode, type FrameProblem } from './protocol.js';
export { WS_PATH, WsServer } from './ws-server.js';
export { API_SETTINGS, loadApiSettings, type ApiSettings } from './http/api-keys.js';
export { API_PUBLISH_PATH } from './http/api-publish.js';
export * as tokens from './tokens.js';
