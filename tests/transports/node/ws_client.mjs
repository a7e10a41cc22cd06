// The TypeScript SDK's WebSocketClientTransport against the gateway's WebSocket endpoint.
// Usage: node ws_client.mjs <ws url> <bearer token> <tool> <arguments JSON> <hidden tool>
// Prints one JSON object: the permitted view, the tool's result, and the error codes of a
// hidden tool and of a tool that does not exist.
import NodeWebSocket from "ws";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { WebSocketClientTransport } from "@modelcontextprotocol/sdk/client/websocket.js";

const [url, token, tool, args, hidden] = process.argv.slice(2);

// The transport calls the WHATWG constructor, which takes no headers; the `ws` package's
// takes the Authorization header that the gateway requires on the upgrade request.
globalThis.WebSocket = class extends NodeWebSocket {
  constructor(address, protocols) {
    super(address, protocols, { headers: { Authorization: `Bearer ${token}` } });
  }
};

async function errorCode(call) {
  try {
    await call;
    return "ok";
  } catch (error) {
    return error.code ?? String(error);
  }
}

const client = new Client({ name: "ts-ws-client", version: "1.0.0" });
await client.connect(new WebSocketClientTransport(new URL(url)));
const tools = (await client.listTools()).tools.map((t) => t.name).sort();
const prompts = (await client.listPrompts()).prompts.map((p) => p.name).sort();
const resources = (await client.listResources()).resources.map((r) => r.uri).sort();
const result = await client.callTool({ name: tool, arguments: JSON.parse(args) });
const denied = await errorCode(client.callTool({ name: hidden, arguments: {} }));
const missing = await errorCode(client.callTool({ name: "no_such__tool", arguments: {} }));
await client.close();
console.log(JSON.stringify({ tools, prompts, resources, result, denied, missing }));
