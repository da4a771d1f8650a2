export * from './line-format';
export * from './parse-line';
export * from './read-lines';
export * from './file-scanner';
export * from './output-line';
export { DEFAULT_MAX_LINE_BYTES } from './line-splitter';
