export { handler, type ReconcileSummary } from './handler';
