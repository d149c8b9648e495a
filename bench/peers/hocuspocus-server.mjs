// Hocuspocus (Yjs) server for the peer benchmark: `node hocuspocus-server.mjs PORT`.
// No persistence extension: documents live in memory only (the cheapest setup Hocuspocus
// offers; codraft, by contrast, fsyncs every batch of edits before acking).
import { Server } from "@hocuspocus/server";

const port = Number(process.argv[2] || 1234);
const server = new Server({ port, address: "127.0.0.1", quiet: true });
await server.listen();
console.log(`hocuspocus listening on 127.0.0.1:${port}`);
