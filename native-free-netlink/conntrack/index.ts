export * from './constants.js';
export * from './tuple.js';
export * from './flow.js';
export * from './requests.js';
