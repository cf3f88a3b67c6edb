/**
 * Node `dynamodb-memory-graph` ("graph link"): entities and their relationships in a user's graph or
 * a named one. The operation comes from the node or msg.operation, its input from msg.payload, its
 * result goes to msg.payload. The msg contract is in the help text
 * (locales/en-US/dynamodb-memory-graph.html).
 */
import type { Node, NodeAPI, NodeMessage } from 'node-red';
import type { GraphScope } from '../lib/memory/table-layout';
import type { UnlinkMode } from '../lib/memory/graph';
import {
  parseGraphOperation,
  parseGraphPayload,
  parseNamedScope,
  parseUserScope,
  type GraphOperation,
} from '../lib/schemas/graph-request';
import { handleMessages } from '../lib/node-red/input-handler';
import { connectionOf, evaluateUser, memoryFor, type MemoryNodeDef } from '../lib/node-red/memory-config';
import { withDefaults } from '../lib/node-red/node-defaults';
import { definedFields, evaluateOptional } from '../lib/node-red/typed-property';

interface GraphDef extends MemoryNodeDef {
  /** One of the operations, or "msg": msg.operation says. */
  operation: string;
  scope: 'user' | 'graph';
  /** The named graph's name, a TypedInput: a fixed name, or where to read it (msg, flow, env…). */
  graph: string;
  graphType: string;
  unlinkMode: UnlinkMode;
}

type GraphMsg = NodeMessage & { operation?: unknown };

export = function register(RED: NodeAPI): void {
  function DynamoDBMemoryGraph(this: Node, deployed: GraphDef) {
    const def = withDefaults('dynamodb-memory-graph', deployed);
    RED.nodes.createNode(this, def);
    handleMessages(RED, this, RED._('dynamodb-memory-graph.status.working'), async (msg: GraphMsg) => {
      const { operation } = parseGraphOperation(
        definedFields({ operation: msg.operation ?? (def.operation === 'msg' ? undefined : def.operation) }),
      );
      // Read for a named graph too: a connection that requires a user requires it of every msg.
      const userId = await evaluateUser(RED, this, msg, def);
      const scope: GraphScope =
        def.scope === 'graph'
          ? parseNamedScope(definedFields({ graph: await evaluateOptional(RED, this, msg, { value: def.graph, type: def.graphType }) }))
          : parseUserScope(definedFields({ userId }));
      const input = { payload: msg.payload };
      return run(operation, scope, input, msg);
    }, connectionOf(RED, def.memory));

    const run = async (operation: GraphOperation, scope: GraphScope, input: unknown, msg: GraphMsg): Promise<string> => {
      switch (operation) {
        case 'entity': {
          const request = parseGraphPayload.entity(input);
          const graph = (await memoryFor(RED, def.memory)).graph;
          msg.payload = await graph.upsertEntity(scope, request);
          return RED._('dynamodb-memory-graph.status.entity', { id: request.id });
        }
        case 'link': {
          const request = parseGraphPayload.link(input);
          const graph = (await memoryFor(RED, def.memory)).graph;
          msg.payload = await graph.link(scope, request);
          return RED._('dynamodb-memory-graph.status.linked', { relation: request.relation });
        }
        case 'unlink': {
          const request = parseGraphPayload.unlink(input);
          const graph = (await memoryFor(RED, def.memory)).graph;
          const result = await graph.unlink(scope, request, def.unlinkMode === 'delete' ? 'delete' : 'close');
          msg.payload = result;
          if (!result.unlinked) return RED._('dynamodb-memory-graph.status.notLinked');
          return result.mode === 'delete' ? RED._('dynamodb-memory-graph.status.deleted') : RED._('dynamodb-memory-graph.status.closed');
        }
        case 'neighbours': {
          const request = parseGraphPayload.neighbours(input);
          const graph = (await memoryFor(RED, def.memory)).graph;
          const result = await graph.neighbours(scope, request);
          msg.payload = result;
          return RED._('dynamodb-memory-graph.status.neighbours', { count: result.edges.length });
        }
        case 'relations': {
          const request = parseGraphPayload.relations(input);
          const graph = (await memoryFor(RED, def.memory)).graph;
          const result = await graph.relations(scope, request);
          msg.payload = result;
          return RED._('dynamodb-memory-graph.status.relations', { count: result.edges.length });
        }
      }
    };
  }
  RED.nodes.registerType('dynamodb-memory-graph', DynamoDBMemoryGraph);
};
