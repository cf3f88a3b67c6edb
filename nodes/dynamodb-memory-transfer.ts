/**
 * Node `dynamodb-memory-transfer` ("export / import"): everything the pack keeps about a user as
 * JSON parts (export, one msg per part, with msg.parts so a join node can assemble them), and such
 * parts written back into this connection's table (import, a part or an array of parts per msg).
 * The format is docs/export-format.md; the msg contract is in the help text
 * (locales/en-US/dynamodb-memory-transfer.html).
 */
import type { Node, NodeAPI, NodeMessage } from 'node-red';
import type { ImportResult } from '../lib/memory/user-import';
import { addCounts, type CountsByKind } from '../lib/memory/partition-delete';
import { parseExportRequest, parseImportMsg, type ExportPart } from '../lib/schemas/transfer-request';
import { handleMessages } from '../lib/node-red/input-handler';
import { connectionOf, evaluateUser, memoryFor, type MemoryNodeDef } from '../lib/node-red/memory-config';
import { withDefaults } from '../lib/node-red/node-defaults';
import { configuredNumber, definedFields } from '../lib/node-red/typed-property';

interface TransferDef extends MemoryNodeDef {
  /** 'export': the user's data out as parts; 'import': parts in. */
  operation: 'export' | 'import';
  /** At most this many records in one exported part (blank: the core's default, 1,000). */
  partRecords: string;
}

type TransferMsg = NodeMessage & { parts?: unknown };

export = function register(RED: NodeAPI): void {
  function DynamoDBMemoryTransfer(this: Node, deployed: TransferDef) {
    const def = withDefaults('dynamodb-memory-transfer', deployed);
    RED.nodes.createNode(this, def);

    const exportUser = async (msg: TransferMsg, userId: unknown): Promise<string> => {
      const request = parseExportRequest(definedFields({ userId, partRecords: configuredNumber(def.partRecords) }));
      const memory = await memoryFor(RED, def.memory);
      // Split-node style sequence info: a join node in automatic mode makes the parts one array again.
      const id = RED.util.generateId();
      const outer = msg.parts === undefined ? {} : { parts: msg.parts };
      const withPart = (target: TransferMsg, part: ExportPart): TransferMsg =>
        Object.assign(target, {
          payload: part,
          parts: { id, type: 'array', index: part.part, ...(part.last ? { count: part.part + 1 } : {}), ...outer },
        });
      const template = { ...msg, payload: undefined };
      for await (const part of memory.exportUser(request)) {
        if (part.last) {
          withPart(msg, part);
          return RED._('dynamodb-memory-transfer.status.exported', { count: part.part + 1 });
        }
        // Every part but the last goes out as soon as it is read; the last one is this msg itself, sent when the work is done.
        this.send(withPart(RED.util.cloneMessage(template) as TransferMsg, part));
      }
      throw new Error('the export ended without its last part');
    };

    const importParts = async (msg: TransferMsg, userId: unknown): Promise<string> => {
      // Every part is validated before the first is written.
      const { payload } = parseImportMsg(definedFields({ payload: msg.payload, userId }));
      const parts = (Array.isArray(payload) ? payload : [payload]) as ExportPart[];
      const memory = await memoryFor(RED, def.memory);
      const results: ImportResult[] = [];
      for (const part of parts) results.push(await memory.importUser({ part, ...(userId !== undefined ? { userId: userId as string } : {}) }));
      const written: CountsByKind = {};
      for (const result of results) addCounts(written, result.written);
      msg.payload = {
        userId: results[0]!.userId,
        parts: results.map((r) => r.part),
        last: results.some((r) => r.last),
        written,
        unchanged: results.reduce((sum, r) => sum + r.unchanged, 0),
      };
      return RED._('dynamodb-memory-transfer.status.imported', { count: Object.values(written).reduce((a, b) => a + b, 0) });
    };

    handleMessages(RED, this, RED._('dynamodb-memory-transfer.status.working'), async (msg: TransferMsg) => {
      const userId = await evaluateUser(RED, this, msg, def);
      return def.operation === 'import' ? importParts(msg, userId) : exportUser(msg, userId);
    }, connectionOf(RED, def.memory));
  }
  RED.nodes.registerType('dynamodb-memory-transfer', DynamoDBMemoryTransfer);
};
