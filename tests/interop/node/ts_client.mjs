// The official TypeScript SDK client: lists everything (all pages) and sends a list of requests,
// then prints one JSON object {catalog, outcomes} on stdout.
// Usage: node ts_client.mjs '<target JSON>' '<requests JSON>'
//   target: {"transport": "stdio", "command": ..., "args": [...]}
//         | {"transport": "http" | "ws", "url": ..., "token": ...}
//   requests: [{"method": "tools/call" | "prompts/get" | "resources/read" | "completion/complete",
//               "target": ..., "arguments": ...}]
import NodeWebSocket from "ws";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { WebSocketClientTransport } from "@modelcontextprotocol/sdk/client/websocket.js";

const target = JSON.parse(process.argv[2]);
const requests = JSON.parse(process.argv[3]);

function transport() {
  if (target.transport === "stdio") {
    return new StdioClientTransport({ command: target.command, args: target.args, stderr: "ignore" });
  }
  const headers = { Authorization: `Bearer ${target.token}` };
  if (target.transport === "ws") {
    // The transport calls the WHATWG constructor, which takes no headers; the `ws` package's
    // takes the Authorization header that the gateway requires on the upgrade request.
    globalThis.WebSocket = class extends NodeWebSocket {
      constructor(address, protocols) {
        super(address, protocols, { headers });
      }
    };
    return new WebSocketClientTransport(new URL(target.url));
  }
  return new StreamableHTTPClientTransport(new URL(target.url), { requestInit: { headers } });
}

async function allPages(list, key) {
  const items = [];
  let cursor;
  do {
    const page = await list(cursor === undefined ? {} : { cursor });
    items.push(...page[key]);
    cursor = page.nextCursor;
  } while (cursor !== undefined);
  return items;
}

async function outcome(request) {
  try {
    if (request.method === "tools/call") {
      return { result: await client.callTool({ name: request.target, arguments: request.arguments ?? {} }) };
    }
    if (request.method === "prompts/get") {
      return { result: await client.getPrompt({ name: request.target, arguments: request.arguments ?? undefined }) };
    }
    if (request.method === "completion/complete") {
      const { argument, context } = request.arguments;
      const ref = { type: "ref/prompt", name: request.target };
      return { result: await client.complete({ ref, argument, context: context && { arguments: context } }) };
    }
    return { result: await client.readResource({ uri: request.target }) };
  } catch (error) {
    return { error: { code: error.code, message: error.message, data: error.data } };
  }
}

const client = new Client({ name: "interop-ts-client", version: "1.0.0" });
await client.connect(transport());
const capabilities = client.getServerCapabilities() ?? {};
const catalog = {
  tools: capabilities.tools ? await allPages((p) => client.listTools(p), "tools") : [],
  prompts: capabilities.prompts ? await allPages((p) => client.listPrompts(p), "prompts") : [],
  resources: capabilities.resources ? await allPages((p) => client.listResources(p), "resources") : [],
  resourceTemplates: capabilities.resources
    ? await allPages((p) => client.listResourceTemplates(p), "resourceTemplates")
    : [],
};
const outcomes = [];
for (const request of requests) {
  outcomes.push(await outcome(request));
}
await client.close();
process.stdout.write(JSON.stringify({ catalog, outcomes }) + "\n");
