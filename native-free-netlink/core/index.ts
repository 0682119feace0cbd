export * from './bytes.js';
export * from './errors.js';
export * from './errno.js';
export * from './message.js';
export * from './attributes.js';
export * from './ack.js';
export * from './ip.js';
