/**
 * The newest Node-RED release line, pinned so that the scorecard runs offline (the Flow Library
 * reads it from the npm registry's `latest` tag). The compatibility test installs that line's
 * newest release and fails if its `engines.node` has moved away from this one.
 */
export const latestNodeRed = {
  version: '5.0.7',
  /** `engines.node` of that release. */
  node: '>=22.9',
} as const;
