/** The URL import worker: reads the import queue and runs the pipeline on each accepted URL import. */
export { UrlImportWorker, readUrlImportJob, type UrlImportWorkerDependencies } from './worker';
