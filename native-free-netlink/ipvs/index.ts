// The IPVS generic netlink codec: values, request builders, reply decoders, kernel-side reply encoders.
export * from './constants.js';
export * from './types.js';
export * from './address.js';
export * from './stats.js';
export * from './service.js';
export * from './destination.js';
export * from './requests.js';
export * from './request-decode.js';
export * from './replies.js';
export * from './reply-encode.js';
export * from './errors.js';
