// Prints the peer benchmark's side-by-side table from bench.mjs's JSON lines:
//   node report.mjs results.jsonl [note]
import fs from "node:fs";

const rows = fs.readFileSync(process.argv[2], "utf8").trim().split("\n").filter(Boolean).map((l) => JSON.parse(l));
const note = process.argv[3] || "";
const servers = ["codraft", "hocuspocus", "automerge"];
const names = { codraft: "codraft", hocuspocus: "Hocuspocus (Yjs)", automerge: "automerge-repo" };
const label = { flat: "flat out", human: "human pace (5 char/s each)", ff: "friendsforever (2 agents, concurrent)" };
const f = (x, d = 0) => (x === undefined || Number.isNaN(x) ? "—" : x.toFixed(d));
const ms = (x) => (x >= 100 ? x.toFixed(0) : x.toFixed(1));

console.log(`# Peer benchmark${note ? ` (${note})` : ""}\n`);
console.log("converge = workload start → every client has seen every edit; latency = edit made → seen by every other client;");
console.log("RSS = server's peak resident memory (VmHWM, fresh process per run); ok = every client's text identical,");
console.log("equal to a fresh client's and (=exp) to the expected text. ×best = how many times worse than the best of the three (1.00 = best).\n");
const groups = [];
for (const r of rows) {
  const key = `${r.workload}/${r.n}/${r.seed || ""}`;
  if (!groups.includes(key)) groups.push(key);
}
const summary = [];
for (const key of groups) {
  const [w, n, seed] = key.split("/");
  const rs = servers.map((s) => rows.find((r) => r.server === s && `${r.workload}/${r.n}/${r.seed || ""}` === key)).filter(Boolean);
  const seedNote = { paste: ", paragraphs seeded with the 4,061-char paste", none: ", paragraphs start empty" }[seed] || "";
  const done = rs.filter((r) => !r.timed_out);
  const best = {
    converge: Math.min(...done.map((r) => r.converge_s)),
    rate: Math.max(...done.map((r) => r.edits_per_s)),
    p50: Math.min(...done.map((r) => r.p50_ms)),
    p99: Math.min(...done.map((r) => r.p99_ms)),
    rss: Math.min(...rs.map((r) => r.peak_rss_mb)),
  };
  console.log(`## ${label[w] || w}, ${n} ${w === "ff" ? "agents" : "editors"}, ${rs[0].edits} edits${seedNote}, text ${rs.find((r) => !r.timed_out)?.text_chars ?? rs[0].expected_chars} chars at the end\n`);
  console.log("| server | converge s | ×best | edits/s | ×best | p50 ms | ×best | p99 ms | ×best | peak RSS MB | ×best | server CPU s | load-gen CPU s | ok |");
  console.log("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |");
  for (const r of rs) {
    const ok = r.timed_out
      ? `no: ${r.seen_by_all}/${r.edits} seen by all after ${f(r.converge_s)} s`
      : r.clients_identical && r.fresh_client_equals
        ? r.equals_expected
          ? "yes, =exp"
          : "yes, ≠exp"
        : "NO";
    const t = r.timed_out;
    console.log(
      `| ${names[r.server]} | ${t ? "—" : f(r.converge_s, 2)} | ${t ? "—" : f(r.converge_s / best.converge, 2)} | ${f(r.edits_per_s)} | ${t ? "—" : f(best.rate / r.edits_per_s, 2)} | ${ms(r.p50_ms)} | ${t ? "—" : f(r.p50_ms / best.p50, 2)} | ${ms(r.p99_ms)} | ${t ? "—" : f(r.p99_ms / best.p99, 2)} | ${f(r.peak_rss_mb, 1)} | ${f(r.peak_rss_mb / best.rss, 2)} | ${f(r.server_cpu_s, 1)} | ${f(r.loadgen_cpu_s, 1)} | ${ok} |`,
    );
  }
  const c = rs.find((r) => r.server === "codraft");
  const peers = rs.filter((r) => r.server !== "codraft" && !r.timed_out);
  if (c && !c.timed_out && peers.length) {
    const bp = {
      rate: Math.max(...peers.map((r) => r.edits_per_s)),
      p50: Math.min(...peers.map((r) => r.p50_ms)),
      p99: Math.min(...peers.map((r) => r.p99_ms)),
      rss: Math.min(...peers.map((r) => r.peak_rss_mb)),
    };
    summary.push(
      `| ${label[w] || w}, ${n}${seed ? `, seed ${seed}` : ""} | ${f(c.edits_per_s / bp.rate, 2)} | ${f(c.p50_ms / bp.p50, 2)} | ${f(c.p99_ms / bp.p99, 2)} | ${f(c.peak_rss_mb / bp.rss, 2)} |`,
    );
  }
  console.log("");
}
if (summary.length) {
  console.log("## codraft against the best peer (that finished)\n");
  console.log("edits/s > 1: codraft faster; p50, p99, RSS < 1: codraft lower.\n");
  console.log("| workload, N | edits/s ratio | p50 ratio | p99 ratio | RSS ratio |");
  console.log("| --- | ---: | ---: | ---: | ---: |");
  for (const s of summary) console.log(s);
}
