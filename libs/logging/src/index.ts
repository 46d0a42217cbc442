export { PinoLogging, makePino, pinoLogger, type LogFormat, type LogOptions } from "./logger.ts";
