export { type ReadinessCheck, registerHealthRoutes } from './health-routes.ts';
export { createLogger, type Logger } from './logger.ts';
export { onShutdownSignal, type ShutdownStep } from './shutdown.ts';
