// The peer benchmark's load generator: the same workload, from this one Node process, against
// codraft (its live protocol over `ws`), Hocuspocus (Yjs, HocuspocusProvider) or an
// automerge-repo sync server (a Repo per client with the websocket client adapter).
//
//   node bench.mjs --server codraft|hocuspocus|automerge --url URL --workload flat|human|ff
//                  [--n N] [--edits TOTAL] [--seconds S] [--pid SERVER_PID] [--out FILE]
//                  [--seed paste|none] [--timeout S] [--token T] (codraft)
//
// Workloads (see README.md "Benchmarks"):
// - flat:  N editors, each in its own paragraph of ONE shared text, replaying the first
//          TOTAL/N transactions of the seph-blog1 trace; each editor makes its next edit as
//          soon as every other editor has seen its previous one (closed loop, one edit in
//          flight per editor).
// - human: the same, but each editor makes one trace transaction every 200 ms (5 characters a
//          second) for S seconds, open loop (no waiting).
// - ff:    the concurrent `friendsforever` trace, its two agents as two clients; an agent makes
//          its next transaction once it has seen every transaction that one depends on, against
//          exactly that version (codraft: `base`; Yjs/automerge: a private replica at that
//          version whose update is then handed to the live document).
//
// Measured: time to converge (workload start → every client has seen every edit; then every
// client's text is compared with the expected text), edits/s, p50/p99 from an edit being made to
// it being seen by every other client, peak server RSS (VmHWM of --pid; servers are started
// fresh for each run), server and load-generator CPU seconds.
//
// How an edit is recognised on arrival: codraft's `op` names its client and comes in order;
// for Yjs and automerge each edit also sets `p[editor] = count` in the same transaction/change
// (a small extra map write per edit for those two).
import crypto from "node:crypto";
import fs from "node:fs";
import zlib from "node:zlib";
import { performance } from "node:perf_hooks";
import WebSocket from "ws";
import * as Y from "yjs";
import { HocuspocusProvider } from "@hocuspocus/provider";
import { Repo } from "@automerge/automerge-repo";
import { WebSocketClientAdapter } from "@automerge/automerge-repo-network-websocket";
import * as A from "@automerge/automerge";

// ---------------------------------------------------------------------------------- arguments
const args = {};
for (let i = 2; i < process.argv.length; i += 2) args[process.argv[i].replace(/^--/, "")] = process.argv[i + 1];
const SERVER = args.server;
const URL_ = args.url;
const WORKLOAD = args.workload || "flat";
const N = Number(args.n || 10);
const TOTAL = Number(args.edits || 6000);
const SECONDS = Number(args.seconds || 60);
const TRACES = args.traces || "/work/shared/traces";
const SEED = args.seed || "paste";
const FIELD = "section.problem.text";
const COMMITMENT = "c04-information-access";
const now = () => performance.now();
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function loadTrace(name) {
  return JSON.parse(zlib.gunzipSync(fs.readFileSync(`${TRACES}/${name}.json.gz`)).toString("utf8"));
}
function applyPatches(text, patches) {
  for (const [pos, del, ins] of patches) text = text.slice(0, pos) + ins + text.slice(pos + del);
  return text;
}
const hasAstral = (s) => /[\uD800-\uDFFF]/.test(s);

// ---------------------------------------------------------------------------------- workload
// edits[e] = list of {patches} editor/agent e makes, in order; for lanes, positions are
// relative to the editor's own paragraph; for ff, absolute against `need` (the version).
let edits, expected, initialText, lanes;
if (WORKLOAD === "ff") {
  const t = loadTrace("friendsforever");
  const nAgents = t.numAgents;
  const vv = [];
  edits = Array.from({ length: nAgents }, () => []);
  t.txns.forEach((txn, i) => {
    const need = new Array(nAgents).fill(0);
    for (const p of txn.parents) for (let a = 0; a < nAgents; a++) need[a] = Math.max(need[a], vv[p][a]);
    if (need[txn.agent] !== edits[txn.agent].length) throw new Error(`txn ${i}: agent not sequential`);
    const mine = need.slice();
    mine[txn.agent] += 1;
    vv.push(mine);
    for (const [, , ins] of txn.patches) if (hasAstral(ins)) throw new Error("astral characters: positions would need converting");
    edits[txn.agent].push({ patches: txn.patches, need, txn: i });
  });
  expected = t.endContent;
  initialText = "";
  lanes = false;
} else {
  const t = loadTrace("seph-blog1");
  // The trace opens with a 4,061-character paste, then its author types a new opening above
  // it. --seed paste (default): every paragraph starts as that paste (part of the initial
  // document, loaded before timing: a text of ~4 KB × N); --seed none: paragraphs start empty
  // (the typed opening's positions never reach the paste in the first 300 transactions; checked
  // below). Either way editors then type transactions 1, 2, 3 …
  const per = WORKLOAD === "human" ? SECONDS * 5 : Math.floor(TOTAL / N);
  const seed = SEED === "none" ? "" : applyPatches("", t.txns[0].patches);
  const share = t.txns.slice(1, 1 + per);
  let lane = seed;
  const laneLen = [lane.length];
  for (const txn of share) {
    for (const [pos, del, ins] of txn.patches) {
      if (hasAstral(ins)) throw new Error("astral characters: positions would need converting");
      if (pos + del > lane.length) throw new Error(`--seed ${SEED}: the trace edits past the paragraph's end`);
    }
    lane = applyPatches(lane, txn.patches);
    laneLen.push(lane.length);
  }
  if (hasAstral(seed)) throw new Error("astral characters in the seed");
  edits = Array.from({ length: N }, () => share.map((txn) => ({ patches: txn.patches })));
  lanes = { laneLen, seed, final: lane };
  initialText = Array.from({ length: N }, () => "\n" + seed).join("");
  expected = Array.from({ length: N }, () => "\n" + lane).join("");
}
const C = edits.length; // clients
const totalEdits = edits.reduce((s, l) => s + l.length, 0);

// ---------------------------------------------------------------------------------- accounting
const sentAt = edits.map((l) => new Float64Array(l.length));
const remaining = edits.map((l) => new Int32Array(l.length).fill(C - 1));
const latencies = [];
let allSeenCount = 0;
let t0 = 0;
let tDone = 0;
let onAllSeen = () => {};
let afterSeen = null; // ff: called (deferred) after client c saw something
let finished;
const done = new Promise((r) => (finished = r));
// seen[c][e]: how many of editor e's edits client c has seen.
const seen = Array.from({ length: C }, () => new Int32Array(C));
function markSeen(c, e, count) {
  const t = now();
  while (seen[c][e] < count) {
    const k = seen[c][e]++;
    if (c === e) continue;
    if (--remaining[e][k] === 0) {
      latencies.push(t - sentAt[e][k]);
      allSeenCount++;
      queueMicrotask(() => onAllSeen(e, k)); // not from inside another client's event
      if (allSeenCount === totalEdits) {
        tDone = t;
        finished();
      }
    }
  }
  if (afterSeen) queueMicrotask(() => afterSeen(c));
}
// Lanes: where editor c's paragraph starts in client c's current view (code units = code points
// here: the traces' used parts have no astral characters, checked above).
function laneStart(c) {
  let s = 0;
  for (let i = 0; i < c; i++) s += 1 + lanes.laneLen[seen[c][i]];
  return s + 1;
}

// ---------------------------------------------------------------------------------- adapters
// Each adapter: connect(c) → client {edit(k), text()}; setup() before, teardown() after.

async function codraftAdapter() {
  const token = args.token;
  const res = await fetch(`${URL_}/api/proposals`, {
    method: "POST",
    headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
    body: JSON.stringify({ title: `peer bench ${WORKLOAD} ${N} ${Date.now()}` }),
  });
  if (!res.ok) throw new Error(`open proposal: ${res.status} ${await res.text()}`);
  const branch = (await res.json()).branch;
  const wsUrl = URL_.replace("http://", "ws://");
  const clientOf = new Map(); // server client id → our client index
  // Clients keep the text per paragraph when paragraphs start with the (distinct) paste: cheap
  // on a 200 KB text, and it checks each op lands in its editor's paragraph. With empty
  // paragraphs the text is runs of "\n" where the server's op (a diff of the text before and
  // after, when the edit was concurrent) may equally put a "\n" in the neighbour's paragraph:
  // clients then keep the whole (small) text and apply ops to it as they come.
  const perLane = lanes && lanes.seed.length > 0;
  const run = Date.now().toString(36);
  function open(name) {
    const ws = new WebSocket(
      `${wsUrl}/live?branch=${encodeURIComponent(branch)}&commitment=${COMMITMENT}&lang=zh-TW&session=peerbench-${run}-${name}`,
      { headers: { authorization: `Bearer ${token}` }, perMessageDeflate: false },
    );
    ws.on("error", (e) => {
      console.error(`codraft ws ${name}: ${e.message}`);
      process.exit(2);
    });
    return ws;
  }
  // Setup: replace the field's text with the initial text (one edit per paragraph: frames are
  // limited to 64 KiB), then leave.
  {
    const ws = open("setup");
    const pieces = lanes ? Array.from({ length: N }, () => "\n" + lanes.seed) : [initialText];
    await new Promise((resolve) => {
      ws.on("message", (data) => {
        const m = JSON.parse(data);
        if (m.type === "snapshot") {
          const text = m.fields.find(([f]) => f === FIELD)[1];
          ws.send(JSON.stringify({ type: "edit", ref: 1, base: m.seq, field: FIELD, splices: [[0, [...text].length, ""]] }));
          let at = 0;
          pieces.forEach((piece, i) => {
            ws.send(JSON.stringify({ type: "edit", ref: i + 2, base: m.seq, field: FIELD, splices: [[at, 0, piece]] }));
            at += piece.length;
          });
        } else if (m.type === "ack" && m.ref === pieces.length + 1) resolve(m.seq);
        else if (m.type === "error") throw new Error(JSON.stringify(m));
      });
    });
    ws.close();
  }
  const clients = [];
  // codraft's rank of a session (src/live/transform.rs `rank`): where two sessions insert at
  // one place at once, the lower rank's text goes first. friendsforever has one such place,
  // recorded with agent 0's text first, so agent k's session is named to rank above agent
  // k-1's (what the replay tests do too).
  const rank = (session) =>
    (crypto.createHash("sha256").update("codraft live rank\0").update(session).digest().readUInt32BE(0) >>> 1) + 1;
  const names = [];
  for (let c = 0; c < C; c++) {
    let name = `c${c}`;
    if (!lanes && c > 0) {
      const below = rank(`peerbench-${run}-${names[c - 1]}`);
      for (let k = 0; rank(`peerbench-${run}-${name}`) <= below; k++) name = `c${c}-${k}`;
    }
    names.push(name);
  }
  async function connect(c) {
    const ws = open(names[c]);
    const cl = { ws, seq: 0, ref: 0, text: "", laneTexts: null, seqOfSeen: null, pending: new Map() };
    await new Promise((resolve) => {
      ws.on("message", (data) => {
        const m = JSON.parse(data);
        switch (m.type) {
          case "snapshot": {
            cl.seq = m.seq;
            cl.startSeq = m.seq;
            const text = m.fields.find(([f]) => f === FIELD)[1];
            if (text !== initialText) throw new Error(`codraft client ${c}: snapshot text is not the initial text`);
            if (perLane) cl.laneTexts = new Array(C).fill(lanes.seed);
            else cl.text = text;
            cl.seqOfSeen = Array.from({ length: C }, () => []);
            clientOf.set(m.you.client, c);
            resolve();
            break;
          }
          case "op": {
            cl.seq = m.seq;
            if (m.field !== FIELD) break;
            const e = clientOf.get(m.client);
            if (e === undefined) throw new Error(`op from unknown client ${m.client}`);
            if (perLane) {
              // Apply within the editor's paragraph (checks the server put it there).
              let start = 0;
              for (let i = 0; i < e; i++) start += 1 + cl.laneTexts[i].length;
              start += 1;
              let lt = cl.laneTexts[e];
              for (const [pos, del, ins] of m.splices) {
                const p = pos - start;
                if (p < 0 || p + del > lt.length) throw new Error(`codraft op seq ${m.seq} outside editor ${e}'s paragraph`);
                lt = lt.slice(0, p) + ins + lt.slice(p + del);
              }
              cl.laneTexts[e] = lt;
            } else {
              cl.text = applyPatches(cl.text, m.splices);
            }
            cl.seqOfSeen[e].push(m.seq);
            markSeen(c, e, seen[c][e] + 1);
            break;
          }
          case "ack":
            cl.pending.delete(m.ref);
            break;
          case "error":
            if (m.code === "stale_base" && cl.pending.has(m.ref)) {
              // The document was compacted under us: send it again against what we know now.
              const k = cl.pending.get(m.ref);
              console.error(`codraft client ${c}: stale_base on edit ${k}, resending`);
              sendEdit(cl, c, k, m.ref);
            } else throw new Error(`codraft error: ${JSON.stringify(m)}`);
            break;
          default:
        }
      });
    });
    clients[c] = cl;
    return {
      edit: (k) => {
        sentAt[c][k] = now();
        sendEdit(cl, c, k, ++cl.ref);
      },
      text: () => (perLane ? cl.laneTexts.map((l) => "\n" + l).join("") : cl.text),
    };
  }
  function sendEdit(cl, c, k, ref) {
    const ed = edits[c][k];
    let base, splices;
    if (lanes) {
      const s = laneStart(c);
      base = cl.seq;
      splices = ed.patches.map(([pos, del, ins]) => [s + pos, del, ins]);
    } else {
      // The version the transaction was made on: the seq at which the other agents' last
      // needed transaction landed (this connection's own earlier edits are included anyway).
      base = cl.startSeq;
      for (let a = 0; a < C; a++) if (a !== c && ed.need[a] > 0) base = Math.max(base, cl.seqOfSeen[a][ed.need[a] - 1]);
      splices = ed.patches;
    }
    cl.pending.set(ref, k);
    cl.ws.send(JSON.stringify({ type: "edit", ref, base, field: FIELD, splices }));
  }
  async function serverText() {
    const ws = open("verify");
    const text = await new Promise((resolve) =>
      ws.on("message", (data) => {
        const m = JSON.parse(data);
        if (m.type === "snapshot") resolve(m.fields.find(([f]) => f === FIELD)[1]);
      }),
    );
    ws.close();
    return text;
  }
  return {
    connect,
    serverText,
    teardown: async () => {
      for (const cl of clients) cl.ws.close();
    },
  };
}

async function hocuspocusAdapter() {
  const name = `bench-${WORKLOAD}-${N}-${Date.now()}`;
  const providers = [];
  function provider() {
    // One websocket per client (the provider makes and owns it).
    const doc = new Y.Doc();
    const p = new HocuspocusProvider({ url: URL_, name, document: doc, WebSocketPolyfill: WebSocket });
    providers.push(p);
    return { p, doc };
  }
  const synced = (p) => new Promise((r) => (p.isSynced ? r() : p.on("synced", () => r())));
  const flushed = async (p) => {
    while (p.unsyncedChanges > 0) await sleep(5);
  };
  {
    const { p, doc } = provider();
    await synced(p);
    if (initialText) doc.getText("t").insert(0, initialText);
    await flushed(p);
  }
  const replicas = [];
  const updates = edits.map(() => []); // ff: the update of each agent's k-th transaction
  async function connect(c) {
    const { p, doc } = provider();
    await synced(p);
    const text = doc.getText("t");
    const map = doc.getMap("p");
    if (text.toString() !== initialText) throw new Error(`hocuspocus client ${c}: initial text missing`);
    map.observe((ev) => {
      for (const key of ev.keysChanged) {
        const e = Number(key.slice(1));
        markSeen(c, e, map.get(key));
      }
    });
    let replica, replicaMap, replicaText, applied, lastUpdate;
    if (!lanes) {
      replica = new Y.Doc();
      Y.applyUpdate(replica, Y.encodeStateAsUpdate(doc), "remote");
      replicaText = replica.getText("t");
      replicaMap = replica.getMap("p");
      applied = new Int32Array(C);
      replica.on("update", (u, origin) => {
        if (origin === "local") lastUpdate = u;
      });
      replicas[c] = replica;
    }
    return {
      edit: (k) => {
        sentAt[c][k] = now();
        const ed = edits[c][k];
        if (lanes) {
          const s = laneStart(c);
          doc.transact(() => {
            for (const [pos, del, ins] of ed.patches) {
              if (del) text.delete(s + pos, del);
              if (ins) text.insert(s + pos, ins);
            }
            map.set(`e${c}`, k + 1);
          });
        } else {
          for (let a = 0; a < C; a++)
            while (a !== c && applied[a] < ed.need[a]) Y.applyUpdate(replica, updates[a][applied[a]++], "remote");
          replica.transact(() => {
            for (const [pos, del, ins] of ed.patches) {
              if (del) replicaText.delete(pos, del);
              if (ins) replicaText.insert(pos, ins);
            }
            replicaMap.set(`e${c}`, k + 1);
          }, "local");
          updates[c][k] = lastUpdate;
          Y.applyUpdate(doc, lastUpdate);
        }
      },
      text: () => text.toString(),
    };
  }
  return {
    connect,
    serverText: async () => {
      const { p, doc } = provider();
      await synced(p);
      return doc.getText("t").toString();
    },
    teardown: async () => {
      for (const p of providers) p.destroy();
    },
  };
}

async function automergeAdapter() {
  const repos = [];
  function repo() {
    const r = new Repo({ network: [new WebSocketClientAdapter(URL_)] });
    repos.push(r);
    return r;
  }
  const setupRepo = repo();
  const setupHandle = setupRepo.create({ t: initialText, p: {} });
  const url = setupHandle.url;
  const initialBytes = A.save(setupHandle.doc());
  // Wait until the server holds it: a fresh client can find it.
  for (let i = 0; ; i++) {
    await sleep(200);
    try {
      const probe = repo();
      await probe.find(url, { signal: AbortSignal.timeout(2000) });
      break;
    } catch (e) {
      if (i > 20) throw e;
    }
  }
  const changes = edits.map(() => []);
  async function connect(c) {
    const r = repo();
    const handle = await r.find(url);
    if (handle.doc().t !== initialText) throw new Error(`automerge client ${c}: initial text missing`);
    handle.on("change", ({ patches }) => {
      for (const p of patches) {
        if (p.path[0] === "p" && p.path.length === 2 && p.action === "put") markSeen(c, Number(String(p.path[1]).slice(1)), p.value);
      }
    });
    let replica, applied;
    if (!lanes) {
      replica = A.load(initialBytes);
      applied = new Int32Array(C);
    }
    return {
      edit: (k) => {
        sentAt[c][k] = now();
        const ed = edits[c][k];
        if (lanes) {
          const s = laneStart(c);
          handle.change((d) => {
            for (const [pos, del, ins] of ed.patches) A.splice(d, ["t"], s + pos, del, ins);
            d.p[`e${c}`] = k + 1;
          });
        } else {
          const missing = [];
          for (let a = 0; a < C; a++) while (a !== c && applied[a] < ed.need[a]) missing.push(changes[a][applied[a]++]);
          if (missing.length) [replica] = A.applyChanges(replica, missing);
          replica = A.change(replica, (d) => {
            for (const [pos, del, ins] of ed.patches) A.splice(d, ["t"], pos, del, ins);
            d.p[`e${c}`] = k + 1;
          });
          const change = A.getLastLocalChange(replica);
          changes[c][k] = change;
          handle.update((d) => A.applyChanges(d, [change])[0]);
        }
      },
      text: () => handle.doc().t,
    };
  }
  return {
    connect,
    serverText: async () => {
      await sleep(300);
      const h = await repo().find(url);
      return h.doc().t;
    },
    teardown: async () => {
      for (const r of repos) await r.shutdown?.();
    },
  };
}

// ---------------------------------------------------------------------------------- server stats
function procStatus(pid) {
  try {
    const s = fs.readFileSync(`/proc/${pid}/status`, "utf8");
    const kb = (k) => Number((s.match(new RegExp(`${k}:\\s+(\\d+)`)) || [0, 0])[1]);
    return { hwm: kb("VmHWM"), rss: kb("VmRSS") };
  } catch {
    return { hwm: 0, rss: 0 };
  }
}
function procCpu(pid) {
  try {
    const f = fs.readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1].split(" ");
    return (Number(f[11]) + Number(f[12])) / 100; // utime + stime, clock ticks (100/s)
  } catch {
    return 0;
  }
}

// ---------------------------------------------------------------------------------- main
const adapter = await { codraft: codraftAdapter, hocuspocus: hocuspocusAdapter, automerge: automergeAdapter }[SERVER]();
const clients = [];
for (let c = 0; c < C; c++) clients.push(await adapter.connect(c));
await sleep(300);
const pid = Number(args.pid || 0);
let peakRss = 0;
const poll = setInterval(() => (peakRss = Math.max(peakRss, procStatus(pid).rss)), 50);
const cpu0 = procCpu(pid);
const myCpu0 = process.cpuUsage();
const next = new Int32Array(C);
const timers = [];
t0 = now();
if (process.env.BENCH_DEBUG) {
  let last = now();
  setInterval(() => {
    const t = now();
    if (t - last > 300) console.error(`event loop blocked ${Math.round(t - last - 100)} ms; ${allSeenCount}/${totalEdits} seen by all`);
    last = t;
  }, 100).unref();
  setInterval(() => console.error(`${Math.round(now() - t0)} ms: ${allSeenCount}/${totalEdits}`), 1000).unref();
}
if (WORKLOAD === "flat") {
  onAllSeen = (e) => {
    if (next[e] < edits[e].length) clients[e].edit(next[e]++);
  };
  for (let c = 0; c < C; c++) clients[c].edit(next[c]++);
} else if (WORKLOAD === "human") {
  // Editor c's k-th edit at t0 + c's offset + 200 ms × k (offsets spread over the 200 ms).
  const tick = (c) => {
    if (next[c] >= edits[c].length) return;
    clients[c].edit(next[c]++);
    if (next[c] < edits[c].length) timers.push(setTimeout(() => tick(c), t0 + (200 * c) / C + 200 * next[c] - now()));
  };
  for (let c = 0; c < C; c++) timers.push(setTimeout(() => tick(c), (200 * c) / C));
} else {
  // ff: an agent makes its next transaction as soon as it has seen everything it depends on.
  afterSeen = (c) => {
    while (next[c] < edits[c].length) {
      const ed = edits[c][next[c]];
      for (let a = 0; a < C; a++) if (a !== c && seen[c][a] < ed.need[a]) return;
      clients[c].edit(next[c]++);
    }
  };
  for (let c = 0; c < C; c++) afterSeen(c);
}
const TIMEOUT = Number(args.timeout || 300);
let timedOut = false;
const limit = setTimeout(() => {
  console.error(`${SERVER} ${WORKLOAD} ${C}: not converged after ${TIMEOUT} s: ${allSeenCount}/${totalEdits} edits seen by all`);
  timedOut = true;
  tDone = now();
  finished();
}, TIMEOUT * 1000);
await done;
clearTimeout(limit);
clearInterval(poll);
const cpu1 = procCpu(pid);
const my = process.cpuUsage(myCpu0);
const st = procStatus(pid);
// Verify: every client's text equals the expected text, and so does a fresh client's.
// "Seen by all" counts an edit once every *other* client has it. codraft's clients hold only
// what the server sends back, their own edits included, so first wait (at most 10 s) until each
// has its own last ops too; reading the texts earlier compared half-received texts.
if (!timedOut && SERVER === "codraft") {
  const until = now() + 10_000;
  while (now() < until && !edits.every((l, c) => seen[c][c] >= l.length)) {
    await new Promise((r) => setTimeout(r, 10));
  }
}
const texts = timedOut ? [] : clients.map((c) => c.text());
const identical = texts.every((t) => t === texts[0]);
const serverText = timedOut ? "" : await adapter.serverText();
const result = {
  server: SERVER,
  workload: WORKLOAD,
  n: C,
  seed: WORKLOAD === "ff" ? undefined : SEED,
  edits: totalEdits,
  seen_by_all: allSeenCount,
  timed_out: timedOut,
  converge_s: (tDone - t0) / 1000,
  edits_per_s: allSeenCount / ((tDone - t0) / 1000),
  p50_ms: pct(latencies, 0.5),
  p99_ms: pct(latencies, 0.99),
  max_ms: pct(latencies, 1),
  peak_rss_mb: Math.max(st.hwm, peakRss) / 1024,
  server_cpu_s: cpu1 - cpu0,
  loadgen_cpu_s: (my.user + my.system) / 1e6,
  clients_identical: !timedOut && identical,
  equals_expected: !timedOut && identical && texts[0] === expected,
  fresh_client_equals: !timedOut && serverText === texts[0],
  text_chars: timedOut ? 0 : texts[0].length,
  expected_chars: expected.length,
};
if (!result.clients_identical || !result.fresh_client_equals) console.error("NOT CONVERGED", JSON.stringify(result));
console.log(JSON.stringify(result));
if (args.out) fs.appendFileSync(args.out, JSON.stringify(result) + "\n");
for (const t of timers) clearTimeout(t);
await adapter.teardown();
process.exit(0);

function pct(xs, p) {
  if (!xs.length) return 0;
  const s = Float64Array.from(xs).sort();
  return s[Math.min(s.length - 1, Math.round((s.length - 1) * p))];
}
