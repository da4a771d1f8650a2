export * from './cheapest-option';
export * from './price-factor';
export * from './submission';
export * from './customer-price';
export * from './money';
export * from './sla-capacity';
