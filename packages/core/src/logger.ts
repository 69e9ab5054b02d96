/**
 * The logging surface drivers use. It matches pino's `(object, message)` call form, so a pino
 * logger (or a child of one) can be passed as is.
 */
export interface BusLogger {
  debug(details: object, message: string): void;
  info(details: object, message: string): void;
  warn(details: object, message: string): void;
  error(details: object, message: string): void;
}

/** A logger that drops everything: the default when a driver is given none. */
export const silentLogger: BusLogger = {
  debug() {},
  info() {},
  warn() {},
  error() {},
};
