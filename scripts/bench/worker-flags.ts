// The worker's V8 flags as the image runs it: the Dockerfile's NODE_OPTIONS (test/unit/deploy-files
// checks the two are the same). The bench starts its worker processes with them.
export const WORKER_NODE_ARGS = '--max-old-space-size=256';
