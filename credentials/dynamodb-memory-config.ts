/**
 * Config node `dynamodb-memory-config`: one DynamoDB connection (region, endpoint, table,
 * credentials) shared by every memory node that names it. One SDK client per config node, made when
 * the flow starts and destroyed when it stops. Secrets live in Node-RED's credential store.
 */
import type { Node, NodeAPI, NodeDef } from 'node-red';
import { explainAwsFailure } from '../lib/memory/aws-failure';
import { ChatMemory } from '../lib/memory/chat-memory';
import { connect } from '../lib/memory/connection';
import { ensureTable } from '../lib/memory/table-setup';
import { registerConfigAdminEndpoints } from '../lib/node-red/config-admin-endpoints';
import {
  connectionOptions,
  positiveNumber,
  tableName as tableNameOf,
  type ConnectionCredentials,
  type ConnectionSettings,
} from '../lib/node-red/connection-settings';
import { localizedFailure } from '../lib/node-red/failure-message';
import type { MemoryConfigNode } from '../lib/node-red/memory-config';
import { withDefaults } from '../lib/node-red/node-defaults';
import { WorkInFlight } from '../lib/node-red/work-in-flight';

interface ConfigDef extends NodeDef, ConnectionSettings {
  createTable: boolean;
  ttlDays: string | number;
  requireUser: boolean;
}

/** What closing keeps of Node-RED's close timeout for writing the statistics and letting the client go. */
const closeMargin = 2_000;

export = function register(RED: NodeAPI): void {
  function DynamoDBMemoryConfig(this: Node<ConnectionCredentials>, deployed: ConfigDef) {
    const def = withDefaults('dynamodb-memory-config', deployed);
    RED.nodes.createNode(this, def);
    const node = this as unknown as MemoryConfigNode;
    const tableName = tableNameOf(def);
    const options = connectionOptions(def, this.credentials ?? {});
    node.place = { tableName, region: options.region, ...(options.endpoint ? { endpoint: options.endpoint } : {}) };
    node.requireUser = def.requireUser === true;
    const connection = connect(options);
    const defaultTtlDays = positiveNumber(def.ttlDays, undefined);
    const memory = new ChatMemory({
      documents: connection.documents,
      tableName,
      ...(defaultTtlDays !== undefined ? { defaultTtlDays } : {}),
    });
    node.forgetJobs = memory.forgetJobs;
    const inFlight = new WorkInFlight();
    node.track = (work) => inFlight.track(work);
    let ready: Promise<ChatMemory> | undefined;
    node.memory = () => {
      ready ??= (def.createTable ? ensureTable(connection.client, tableName) : Promise.resolve()).then(
        () => memory,
        (error: unknown) => {
          ready = undefined; // let the next message try again
          throw error;
        },
      );
      return ready;
    };
    // A forget that a stop or a crash interrupted goes on here (any process on the table may take it).
    // The table may not exist yet, or the connection not work: the next forget msg resumes it then.
    node.startup = node.memory().then((started) => started.forgetJobs.resumeUnfinished()).then(() => undefined, () => undefined);
    node.on('close', (_removed: boolean, done: () => void) => {
      const destroy = () => {
        connection.client.destroy();
        done();
      };
      // The msgs' work ends first (within Node-RED's close timeout, less time for what follows),
      // then the table's statistics this process still holds are written, then the client goes.
      const closeTimeout = Number((RED.settings as { nodeCloseTimeout?: number }).nodeCloseTimeout ?? 15_000);
      inFlight.settle(Math.max(0, closeTimeout - closeMargin)).then((unfinished) => {
        if (unfinished > 0) node.warn(RED._('dynamodb-memory-config.warn.workUnfinished', { count: unfinished }));
        return memory.close();
      }).then(destroy, (error: unknown) => {
        node.warn(RED._('dynamodb-memory-config.warn.statsNotWritten', { error: localizedFailure(explainAwsFailure(error, node.place), RED._).message }));
        destroy();
      });
    });
  }

  RED.nodes.registerType<Node<ConnectionCredentials>, ConfigDef, unknown, ConnectionCredentials>('dynamodb-memory-config', DynamoDBMemoryConfig, {
    credentials: {
      accessKeyId: { type: 'text' },
      secretAccessKey: { type: 'password' },
      sessionToken: { type: 'password' },
    },
  });
  registerConfigAdminEndpoints(RED);
};
