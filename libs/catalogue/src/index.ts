export * from './catalogue.schema';
export * from './load-catalogue';
export * from './catalogue';
export * from './token-count';
