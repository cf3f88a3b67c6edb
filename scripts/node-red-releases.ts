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

/**
 * The Node.js lines the pack supports, each tested by `npm run test:compat` under both Node-RED
 * lines (CI runs the whole suite on the first). Node 20 left support on 2026-04-30, and the AWS SDK's
 * releases after the first week of January 2027 require Node 22; Node 22 is maintained until
 * 2027-04-30, Node 24 until 2028-04-30. `engines.node` in package.json admits the first and later.
 */
export const supportedNodeLines = [22, 24] as const;
