export * from './genl.js';
export * from './ctrl.js';
