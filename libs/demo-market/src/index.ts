export * from './demo-market.types';
export { startDemoMarket } from './demo-market';
export { startDemoMarketThread, type ThreadClock } from './demo-market-thread';
