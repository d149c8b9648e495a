//! Live documents against real editing traces (josephg/editing-traces, CC BY 4.0, copied in
//! `tests/traces/`, see its README): every replay through `LiveDoc::apply` must end at the
//! trace's `endContent`, and so must the `op`s a client would receive, applied in order.
//!
//! The traces are found at `$CODRAFT_TRACES` if set, else at `<repo>/tests/traces`. A missing
//! file is a failure, not a skip. `seph-blog1` (138k patches) runs only with
//! `cargo test --release --test traces -- --ignored`; the benchmark (`cargo bench --bench
//! live`) replays it too.

mod common;
#[path = "common/trace.rs"]
mod trace;

use codraft::live::{transform, LiveDoc, Outcome, Splice};
use trace::{load, splices, Trace};

/// What a client holds: the snapshot with every `op` applied in order.
struct Client(Vec<char>);

impl Client {
    fn apply(&mut self, splices: &[Splice]) {
        for s in splices {
            let ins: Vec<char> = s.insert.chars().collect();
            self.0.splice(s.pos..s.pos + s.delete, ins);
        }
    }

    fn text(&self) -> String {
        self.0.iter().collect()
    }
}

/// A new live document whose one field, `text`, holds the trace's start, and a client of it.
fn live_at_start(trace: &Trace) -> (tempfile::TempDir, LiveDoc, Client) {
    let dir = tempfile::tempdir().unwrap();
    let live = LiveDoc::create(
        &dir.path().join("doc.log"),
        &[("text".to_string(), trace.start.clone())],
        "c0",
    )
    .unwrap();
    (dir, live, Client(trace.start.chars().collect()))
}

/// One session typing the whole trace, each edit against the newest seq.
/// Returns the folder holding the log with the document.
fn replay_sequential(trace: &Trace) -> (tempfile::TempDir, LiveDoc, Client) {
    let (dir, mut live, mut client) = live_at_start(trace);
    for (i, txn) in trace.txns.iter().enumerate() {
        let base = live.seq();
        let out = live
            .apply(
                "typist",
                "u1",
                i as u64,
                base,
                "text",
                &splices(&txn.patches),
            )
            .unwrap_or_else(|e| panic!("txn {i}: {e}"));
        let Outcome::Applied(applied) = out else {
            panic!("txn {i}: {out:?}")
        };
        client.apply(&applied.splices);
        if i % 1000 == 999 {
            live.sync().unwrap();
        }
    }
    live.sync().unwrap();
    (dir, live, client)
}

#[test]
fn sveltecomponent_replayed_sequentially_ends_at_end_content() {
    let trace = load("sveltecomponent");
    let (_dir, live, client) = replay_sequential(&trace);
    assert_eq!(live.seq(), trace.txns.len() as u64);
    assert_eq!(live.field("text").as_deref(), Some(trace.end.as_str()));
    assert_eq!(client.text(), trace.end);
}

/// `friendsforever`: two agents typing at once. Each txn edits the merged state of its
/// `parents`; it is sent by its agent's session with `base` = the seq of its newest parent
/// from the other agent (0 if none).
///
/// Why that is exactly the protocol's "text at `base` plus this session's earlier edits": the
/// server applies txns in file order, so the state at `base` is every txn up to that parent.
/// Each agent's txns form a chain (each has the agent's previous txn among its ancestors), so
/// the other agent's txns up to that parent are all ancestors, and the own txns among them
/// too. Ancestors reached only through an own txn (a parent of the other agent older than the
/// newest one, or one reached through the own previous txn) are in the history of the session's
/// last change, which the server adds. With two agents nothing else can be an ancestor. The
/// test checks this model against the `parents` of every txn before replaying (ancestor sets
/// as bitsets), so a trace where it did not hold would fail loudly instead of replaying wrongly.
///
/// Once in the trace both agents type at one place at once (txns 22360–22377: agent 1 types
/// " The" where agent 0 types ", huh?"), and the CRDT that recorded it put agent 0's text
/// first; the positions of agent 0's later txns count on that. codraft puts the text of the
/// session with the lower rank first there ([`transform::b_first`]), so the sessions are named
/// to give agent 0 the lower rank; see [`agents_rank_as_the_trace_needs`].
#[test]
fn friendsforever_replayed_concurrently_ends_at_end_content() {
    let trace = load("friendsforever");
    let n = trace.txns.len();
    check_two_agent_model(&trace);
    agents_rank_as_the_trace_needs(&["agent-0", "agent-1"]);

    let (dir, mut live, mut client) = live_at_start(&trace);
    let mut seq_of = vec![0u64; n];
    let mut concurrent = 0;
    for (i, txn) in trace.txns.iter().enumerate() {
        let base = txn
            .parents
            .iter()
            .filter(|&&p| trace.txns[p].agent != txn.agent)
            .map(|&p| seq_of[p])
            .max()
            .unwrap_or(0);
        if base != live.seq() {
            concurrent += 1;
        }
        let session = format!("agent-{}", txn.agent);
        let out = live
            .apply(
                &session,
                &format!("u{}", txn.agent),
                i as u64,
                base,
                "text",
                &splices(&txn.patches),
            )
            .unwrap_or_else(|e| panic!("txn {i}: {e}"));
        let Outcome::Applied(applied) = out else {
            panic!("txn {i}: {out:?}")
        };
        seq_of[i] = applied.seq;
        client.apply(&applied.splices);
    }
    live.sync().unwrap();
    assert!(concurrent > 1000, "the trace is concurrent ({concurrent})");
    assert_eq!(live.field("text").as_deref(), Some(trace.end.as_str()));
    assert_eq!(client.text(), trace.end);
    let authors: Vec<String> = live.authors_since_checkpoint().into_iter().collect();
    assert_eq!(authors, ["u0", "u1"]);

    // And the log gives the same document back.
    drop(live);
    let reopened = LiveDoc::open(&dir.path().join("doc.log")).unwrap();
    assert_eq!(reopened.seq(), n as u64);
    assert_eq!(reopened.field("text").as_deref(), Some(trace.end.as_str()));
}

/// friendsforever as two racing clients deliver it (what `bench/peers` does over the socket):
/// each agent's transactions arrive in its own order, each as soon as the other agent's
/// transactions it depends on have been applied, the two agents interleaved at random
/// (seeded, in bursts of 1 to 8 edits); each against the seq of the newest of those. After
/// every 500 edits, a client applying the ops in order holds the server's text; at the end,
/// the trace's `endContent`.
#[test]
fn friendsforever_in_a_racing_arrival_order_keeps_clients_and_server_equal() {
    let trace = load("friendsforever");
    let n = trace.txns.len();
    agents_rank_as_the_trace_needs(&["agent-0", "agent-1"]);
    {
        let seed = 1u64;
        let (_dir, mut live, mut client) = live_at_start(&trace);
        let mut seq_of: Vec<Option<u64>> = vec![None; n];
        let mut queues: [std::collections::VecDeque<usize>; 2] = Default::default();
        for (i, txn) in trace.txns.iter().enumerate() {
            queues[txn.agent].push_back(i);
        }
        let mut rng = common::Rng(seed);
        let ready = |i: usize, seq_of: &[Option<u64>]| {
            trace.txns[i]
                .parents
                .iter()
                .filter(|&&p| trace.txns[p].agent != trace.txns[i].agent)
                .all(|&p| seq_of[p].is_some())
        };
        let mut applied_count = 0;
        while applied_count < n {
            let mut order = [0usize, 1];
            if rng.below(2) == 1 {
                order.swap(0, 1);
            }
            // Deliver a burst of up to 8 edits of one agent, as a socket batch would.
            let burst = 1 + rng.below(8);
            let Some(agent) = order
                .into_iter()
                .find(|&a| queues[a].front().is_some_and(|&i| ready(i, &seq_of)))
            else {
                panic!("seed {seed}: no agent can go on after {applied_count} edits");
            };
            for _ in 0..burst {
                let Some(&i) = queues[agent].front() else {
                    break;
                };
                if !ready(i, &seq_of) {
                    break;
                }
                queues[agent].pop_front();
                let txn = &trace.txns[i];
                let base = txn
                    .parents
                    .iter()
                    .filter(|&&p| trace.txns[p].agent != txn.agent)
                    .map(|&p| seq_of[p].unwrap())
                    .max()
                    .unwrap_or(0);
                let out = live
                    .apply(
                        &format!("agent-{agent}"),
                        &format!("u{agent}"),
                        i as u64,
                        base,
                        "text",
                        &splices(&txn.patches),
                    )
                    .unwrap_or_else(|e| panic!("seed {seed}, txn {i}: {e}"));
                let Outcome::Applied(applied) = out else {
                    panic!("seed {seed}, txn {i}: {out:?}")
                };
                seq_of[i] = Some(applied.seq);
                client.apply(&applied.splices);
                applied_count += 1;
                if applied_count % 500 == 0 || applied_count == n {
                    assert_eq!(
                        live.field("text").unwrap(),
                        client.text(),
                        "seed {seed}: the ops up to txn {i} ({applied_count} applied) give another text than the server's"
                    );
                }
            }
        }
        assert_eq!(
            live.field("text").as_deref(),
            Some(trace.end.as_str()),
            "seed {seed}"
        );
    }
}

/// The one place of `friendsforever` where both agents insert at one place at once needs
/// agent 0's text first (see [`friendsforever_replayed_concurrently_ends_at_end_content`]):
/// the sessions standing for the agents must rank that way. Session names are arbitrary, so a
/// test picks names that do; this says so instead of leaving it to luck.
fn agents_rank_as_the_trace_needs(sessions: &[&str; 2]) {
    let [a0, a1] = sessions.map(transform::rank);
    assert!(
        a0 < a1,
        "sessions {sessions:?} rank {a0} and {a1}: agent 0 needs the lower rank"
    );
}

/// Checks, for every txn, that its ancestors are exactly "every txn up to the newest parent of
/// the other agent, plus the ancestors of the agent's previous txn" (see above).
fn check_two_agent_model(trace: &Trace) {
    let n = trace.txns.len();
    let words = n.div_ceil(64);
    let mut anc: Vec<Vec<u64>> = Vec::with_capacity(n);
    let mut last_of_agent: Vec<Option<usize>> = Vec::new();
    for (i, txn) in trace.txns.iter().enumerate() {
        let mut set = vec![0u64; words];
        set[i / 64] |= 1 << (i % 64);
        for &p in &txn.parents {
            assert!(p < i, "txn {i}: parent {p} is not earlier");
            for (w, a) in set.iter_mut().zip(&anc[p]) {
                *w |= a;
            }
        }
        if last_of_agent.len() <= txn.agent {
            last_of_agent.resize(txn.agent + 1, None);
        }
        let mut model = vec![0u64; words];
        model[i / 64] |= 1 << (i % 64);
        if let Some(newest) = txn
            .parents
            .iter()
            .filter(|&&p| trace.txns[p].agent != txn.agent)
            .max()
        {
            for j in 0..=*newest {
                model[j / 64] |= 1 << (j % 64);
            }
        }
        if let Some(prev) = last_of_agent[txn.agent] {
            assert!(
                set[prev / 64] & (1 << (prev % 64)) != 0,
                "txn {i}: the agent's previous txn {prev} is not an ancestor"
            );
            for (w, a) in model.iter_mut().zip(&anc[prev]) {
                *w |= a;
            }
        }
        assert_eq!(set, model, "txn {i}: the two-agent model does not hold");
        last_of_agent[txn.agent] = Some(i);
        anc.push(set);
    }
    assert!(last_of_agent.len() <= 2, "more than two agents");
}

/// `cargo test --release --test traces -- --ignored` (a debug build takes minutes).
#[test]
#[ignore]
fn seph_blog1_replayed_sequentially_ends_at_end_content() {
    let trace = load("seph-blog1");
    let (_dir, live, client) = replay_sequential(&trace);
    assert_eq!(live.seq(), trace.txns.len() as u64);
    assert_eq!(live.field("text").as_deref(), Some(trace.end.as_str()));
    assert_eq!(client.text(), trace.end);
}
