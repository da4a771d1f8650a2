export * from './demo-market.types';
export { startDemoMarket } from './demo-market';
