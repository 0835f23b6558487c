export * from './change-record';
export * from './dashboard';
export * from './sql-dialect';
