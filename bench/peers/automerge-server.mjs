// automerge-repo sync server for the peer benchmark: `node automerge-server.mjs PORT DIR`.
// As automerge-repo's own sync-server example: the websocket server adapter and the nodefs
// storage adapter (documents saved under DIR), defaults otherwise.
import { Repo } from "@automerge/automerge-repo";
import { NodeWSServerAdapter } from "@automerge/automerge-repo-network-websocket";
import { NodeFSStorageAdapter } from "@automerge/automerge-repo-storage-nodefs";
import { WebSocketServer } from "ws";
import os from "node:os";

const port = Number(process.argv[2] || 3030);
const dir = process.argv[3] || "automerge-data";
const wss = new WebSocketServer({ port, host: "127.0.0.1" });
new Repo({
  // Keep-alive 60 s instead of 5 s: the load generator, busy applying automerge changes for
  // dozens of clients, can miss a 5 s ping; the socket is then dropped and automerge-repo
  // 2.5.6's client corrupts its handle ("Attempting to change an outdated document").
  network: [new NodeWSServerAdapter(wss, 60_000)],
  storage: new NodeFSStorageAdapter(dir),
  peerId: `sync-server-${os.hostname()}`,
  // Like the sync-server example: do not push documents to peers unprompted; peers that ask
  // for a document get it and its changes.
  sharePolicy: async () => false,
});
wss.on("listening", () => console.log(`automerge-repo listening on 127.0.0.1:${port}`));
