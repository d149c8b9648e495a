//! Operational transformation of splices: how the server carries an edit made against an older
//! text past the changes applied since, in one central order.
//!
//! This is the same transformation the browser client runs on its own pending edits
//! (`static/live.js`: `prims`, `xform1`, `xform`), ported function for function, so that the
//! server's idea of what a client was looking at when it typed is exactly what that client
//! showed. Edits are split into *primitives*: a splice that only deletes or only inserts. Two
//! primitives made against the same text are transformed into a pair applying after each other;
//! when both insert at one place the one already in the server's order (`b`) goes first, and an
//! insert inside a range the other side deleted survives (the deletion is split around it).
//! Nothing is lost: every inserted character ends up in the text, and a character is gone only
//! if someone deleted it.
//!
//! Positions count Unicode scalar values, like every position of the live protocol.
//!
//! `diff_ops` turns a before/after pair of texts into primitives deterministically (no time
//! limit), for changes that reach the live document as automerge changes (from git).

use std::time::{Duration, Instant};

use super::doc::GIT_SESSION;
use super::merge::{splices as diff_splices, Splice};

/// Past this many differing characters on either side, [`diff_ops`] gives one splice for the
/// whole changed middle instead of a character diff (bounded time, still exact).
const DIFF_MAX: usize = 2_000;

fn chars(s: &str) -> usize {
    s.chars().count()
}

fn del(pos: usize, delete: usize) -> Splice {
    Splice {
        pos,
        delete,
        insert: String::new(),
    }
}

fn ins(pos: usize, insert: String) -> Splice {
    Splice {
        pos,
        delete: 0,
        insert,
    }
}

/// Splits splices (in order, each against the text after the previous one) into primitives:
/// a deletion, then an insertion at the same place. Empty ones are dropped.
pub fn prims(splices: &[Splice]) -> Vec<Splice> {
    let mut out = Vec::with_capacity(splices.len());
    for s in splices {
        if s.delete > 0 {
            out.push(del(s.pos, s.delete));
        }
        if !s.insert.is_empty() {
            out.push(ins(s.pos, s.insert.clone()));
        }
    }
    out
}

/// Joins a deletion followed by an insertion at the same place back into one splice (what
/// clients are sent; [`prims`] splits it again).
pub fn join(prims: &[Splice]) -> Vec<Splice> {
    let mut out: Vec<Splice> = Vec::with_capacity(prims.len());
    for p in prims {
        match out.last_mut() {
            Some(last) if last.insert.is_empty() && p.delete == 0 && p.pos == last.pos => {
                last.insert.clone_from(&p.insert);
            }
            _ => out.push(p.clone()),
        }
    }
    out
}

/// The change in length a list of primitives (or splices) makes.
pub fn net(splices: &[Splice]) -> isize {
    splices
        .iter()
        .map(|s| chars(&s.insert) as isize - s.delete as isize)
        .sum()
}

/// Transforms primitive `a` past primitive `b`, both against the same text: `(a after b, b
/// after a)`. On a tie (two inserts at one place) `b` goes first when `b_first`.
fn xform1(a: &Splice, b: &Splice, b_first: bool) -> (Vec<Splice>, Vec<Splice>) {
    let (p, d) = (a.pos, a.delete);
    let (q, e) = (b.pos, b.delete);
    match (d, e) {
        (0, 0) => {
            if p < q || (p == q && !b_first) {
                (
                    vec![a.clone()],
                    vec![ins(q + chars(&a.insert), b.insert.clone())],
                )
            } else {
                (
                    vec![ins(p + chars(&b.insert), a.insert.clone())],
                    vec![b.clone()],
                )
            }
        }
        (0, _) => ins_past_del(a, b),
        (_, 0) => {
            let (b2, a2) = ins_past_del(b, a);
            (a2, b2)
        }
        _ => {
            // Two deletions: each loses what the other already deleted.
            (shrink(p, d, q, e), shrink(q, e, p, d))
        }
    }
}

/// The deletion `[x, x + n)` past the deletion `[y, y + m)`.
fn shrink(x: usize, n: usize, y: usize, m: usize) -> Vec<Splice> {
    let start = if x < y { x } else { y.max(x.saturating_sub(m)) };
    let end = if x + n <= y {
        x + n
    } else {
        y.max((x + n).saturating_sub(m))
    };
    if end > start {
        vec![del(start, end - start)]
    } else {
        Vec::new()
    }
}

/// Insertion `i` past deletion `x` and `x` past `i`: `(i', x')`. An insertion inside the
/// deleted range is kept, and the deletion is split around it.
fn ins_past_del(i: &Splice, x: &Splice) -> (Vec<Splice>, Vec<Splice>) {
    let (p, q, e) = (i.pos, x.pos, x.delete);
    let l = chars(&i.insert);
    if p <= q {
        (vec![i.clone()], vec![del(q + l, e)])
    } else if p >= q + e {
        (vec![ins(p - e, i.insert.clone())], vec![x.clone()])
    } else {
        (
            vec![ins(q, i.insert.clone())],
            vec![del(q, p - q), del(q + l, q + e - p)],
        )
    }
}

/// Transforms two lists of primitives made against the same text: `(a past b, b past a)`.
/// Where both insert at one place, `b`'s text goes first when `b_first` (see [`b_first`]).
pub fn xform(a: Vec<Splice>, b: Vec<Splice>, b_first: bool) -> (Vec<Splice>, Vec<Splice>) {
    if a.is_empty() || b.is_empty() {
        return (a, b);
    }
    if a.len() == 1 && b.len() == 1 {
        return xform1(&a[0], &b[0], b_first);
    }
    if a.len() > 1 {
        let mut a = a;
        let rest = a.split_off(1);
        let (a0, b1) = xform(a, b, b_first);
        let (rest, b2) = xform(rest, b1, b_first);
        let mut out = a0;
        out.extend(rest);
        return (out, b2);
    }
    let mut b = b;
    let rest = b.split_off(1);
    let (a1, b0) = xform(a, b, b_first);
    let (a2, rest) = xform(a1, rest, b_first);
    let mut out = b0;
    out.extend(rest);
    (a2, out)
}

/// Who goes first where two sessions insert at one place: the lower rank ([`rank`]), so that
/// two people typing at one spot at once each keep their text in one piece (with "whoever
/// reached the server first", characters typed while the other's were in flight interleave).
/// `b` is the change already in the server's order, `a` the one carried past it; equal ranks
/// (only a hash collision) fall back to the server's order.
pub fn b_first(a_rank: u32, b_rank: u32) -> bool {
    b_rank <= a_rank
}

/// A session's rank for [`b_first`]: 0 for changes from git ([`GIT_SESSION`], a session id
/// no client may use: they go first), otherwise 31 bits of SHA-256 of the session id, plus
/// one. Clients get their own in the snapshot and everyone's with each `op`.
pub fn rank(session: &str) -> u32 {
    if session == GIT_SESSION {
        return 0;
    }
    use sha2::{Digest, Sha256};
    let digest = Sha256::new()
        .chain_update(b"codraft live rank\0")
        .chain_update(session.as_bytes())
        .finalize();
    (u32::from_be_bytes([digest[0], digest[1], digest[2], digest[3]]) >> 1) + 1
}

/// The primitives that turn `old` into `new`, deterministically (the same texts always give
/// the same primitives): the common prefix and suffix are kept, and the middle is a character
/// diff, or one replacement when either side of it is longer than [`DIFF_MAX`].
pub fn diff_ops(old: &str, new: &str) -> Vec<Splice> {
    if old == new {
        return Vec::new();
    }
    let (o, n): (Vec<char>, Vec<char>) = (old.chars().collect(), new.chars().collect());
    let prefix = o.iter().zip(&n).take_while(|(x, y)| x == y).count();
    let suffix = o[prefix..]
        .iter()
        .rev()
        .zip(n[prefix..].iter().rev())
        .take_while(|(x, y)| x == y)
        .count();
    let (om, nm) = (&o[prefix..o.len() - suffix], &n[prefix..n.len() - suffix]);
    let (om, nm): (String, String) = (om.iter().collect(), nm.iter().collect());
    let (ol, nl) = (o.len() - prefix - suffix, n.len() - prefix - suffix);
    let splices = if ol <= DIFF_MAX && nl <= DIFF_MAX {
        // A deadline that is never reached for inputs this small keeps the result
        // independent of the machine's speed.
        let far = Instant::now() + Duration::from_secs(3_600);
        diff_splices(&om, &nm, far)
    } else {
        vec![Splice {
            pos: 0,
            delete: ol,
            insert: nm,
        }]
    };
    // Ascending splices in the old middle's coordinates → a sequence in the whole text's.
    let mut shift: isize = prefix as isize;
    let sequence: Vec<Splice> = splices
        .into_iter()
        .map(|s| {
            let pos = s.pos.saturating_add_signed(shift);
            shift += chars(&s.insert) as isize - s.delete as isize;
            Splice { pos, ..s }
        })
        .collect();
    prims(&sequence)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::live::{apply_to as apply, sp, TestRng as Rng};

    #[test]
    fn ties_insertions_and_deletions() {
        // Two inserts at one place: b first when it wins the tie, from either side.
        let (a, b) = xform(vec![sp(2, 0, "甲")], vec![sp(2, 0, "乙")], true);
        assert_eq!(apply(&apply("ab", &[sp(2, 0, "乙")]), &a), "ab乙甲");
        assert_eq!(apply(&apply("ab", &[sp(2, 0, "甲")]), &b), "ab乙甲");
        let (a, b) = xform(vec![sp(2, 0, "甲")], vec![sp(2, 0, "乙")], false);
        assert_eq!(apply(&apply("ab", &[sp(2, 0, "乙")]), &a), "ab甲乙");
        assert_eq!(apply(&apply("ab", &[sp(2, 0, "甲")]), &b), "ab甲乙");
        // An insert inside a range the other deleted survives; the deletion goes around it.
        let (a, b) = xform(vec![sp(2, 0, "X")], vec![sp(1, 3, "")], true);
        assert_eq!(a, [sp(1, 0, "X")]);
        assert_eq!(b, [sp(1, 1, ""), sp(2, 2, "")]);
        assert_eq!(
            apply("abcdef", &[sp(2, 0, "X"), sp(1, 1, ""), sp(2, 2, "")]),
            "aXef"
        );
        // Overlapping deletions delete the union once.
        let (a, b) = xform(vec![sp(1, 3, "")], vec![sp(2, 3, "")], false);
        assert_eq!(apply(&apply("abcdefg", &[sp(2, 3, "")]), &a), "afg");
        assert_eq!(apply(&apply("abcdefg", &[sp(1, 3, "")]), &b), "afg");
    }

    #[test]
    fn join_undoes_prims() {
        let s = [sp(3, 2, "新"), sp(0, 0, "前"), sp(5, 1, "")];
        assert_eq!(join(&prims(&s)), s);
    }

    /// The property everything rests on (TP1): for random lists `a` and `b` against one text,
    /// text + b + (a past b) == text + a + (b past a), and every character a side inserted (and
    /// did not delete itself) survives.
    #[test]
    fn both_orders_give_the_same_text() {
        let mut rng = Rng(0x7f4a_7c15_9e37_79b9);
        let alphabet: Vec<char> = "ab的開😀𠀀".chars().collect();
        let mut fresh = 0u32;
        for round in 0..20_000 {
            let len = rng.below(8);
            let text: String = (0..len)
                .map(|_| alphabet[rng.below(alphabet.len())])
                .collect();
            let mut list = |rng: &mut Rng| {
                let mut n = len;
                let mut out = Vec::new();
                for _ in 0..1 + rng.below(3) {
                    let pos = rng.below(n + 1);
                    let delete = rng.below(3).min(n - pos);
                    let insert: String = (0..rng.below(3))
                        .map(|_| {
                            fresh += 1;
                            char::from_u32(0x4E00 + fresh % 20_000).unwrap()
                        })
                        .collect();
                    n = n + insert.chars().count() - delete;
                    out.push(sp(pos, delete, &insert));
                }
                prims(&out)
            };
            let (a, b) = (list(&mut rng), list(&mut rng));
            let (a2, b2) = xform(a.clone(), b.clone(), round % 2 == 0);
            let one = apply(&apply(&text, &b), &a2);
            let two = apply(&apply(&text, &a), &b2);
            assert_eq!(one, two, "round {round}: {text:?} a={a:?} b={b:?}");
            // What either side inserted and kept, the other side never saw: it survives.
            for side in [apply(&text, &a), apply(&text, &b)] {
                for c in side.chars().filter(|c| !text.contains(*c)) {
                    assert!(one.contains(c), "round {round}: {c} lost");
                }
            }
        }
    }

    #[test]
    fn diff_ops_turn_old_into_new_the_same_way_every_time() {
        for (old, new) in [
            ("", "開放政府"),
            ("開放政府", ""),
            ("開放政府行動方案", "開放的政府行動計畫"),
            ("aaa", "aa"),
            ("😀𠀀x", "x😀𠀀"),
        ] {
            let ops = diff_ops(old, new);
            assert_eq!(apply(old, &ops), new);
            assert_eq!(diff_ops(old, new), ops);
            assert!(ops.iter().all(|p| (p.delete == 0) != p.insert.is_empty()));
        }
        let long_old = "甲".repeat(5_000);
        let long_new = "乙".repeat(4_000);
        assert_eq!(apply(&long_old, &diff_ops(&long_old, &long_new)), long_new);
    }
}
