export * from './nfgenmsg.js';
