// codraft live editor: the thin client of docs/live-protocol.md. No build step, no dependencies.
//
// Model, per field: `confirmed` is the server's text at `seq` (the snapshot plus every `op`
// applied in order). `pending` is the list of our own edits not yet seen back as an `op`, each
// transformed past every `op` that arrived since it was made. What the field shows is
// confirmed + pending. Positions on the wire count code points; the DOM counts UTF-16 units,
// so every conversion goes through cpLength / utf16ToCp / cpToUtf16.
'use strict';
(() => {
  const form = document.getElementById('live-editor');
  if (!form || !('WebSocket' in window)) return; // the notice pointing to the plain form stays
  const $ = (id) => document.getElementById(id);
  const strings = $('live-strings');
  const str = (name) => (strings && strings.getAttribute('data-' + name)) || '';
  const statusEl = $('live-status'), versionEl = $('live-version'), saveBtn = $('live-save');
  $('live-needs-js').hidden = true;
  $('live-panel').hidden = false;

  // ---- Code points vs UTF-16
  const isHi = (c) => c >= 0xd800 && c <= 0xdbff;
  const isLo = (c) => c >= 0xdc00 && c <= 0xdfff;
  /** Number of code points in s (a surrogate pair counts once). */
  function cpLength(s) {
    let n = 0;
    for (let i = 0; i < s.length; i++, n++) {
      if (isHi(s.charCodeAt(i)) && isLo(s.charCodeAt(i + 1))) i++;
    }
    return n;
  }
  /** The code point offset of UTF-16 offset u in s. */
  const utf16ToCp = (s, u) => cpLength(s.slice(0, u));
  /** The UTF-16 offset of code point offset p in s (clamped to the end). */
  function cpToUtf16(s, p) {
    let i = 0;
    for (; p > 0 && i < s.length; p--) i += isHi(s.charCodeAt(i)) && isLo(s.charCodeAt(i + 1)) ? 2 : 1;
    return i;
  }

  // ---- Splices [pos, delete, insert] in code points
  /** Applies one splice, clamped to the text (so a best-effort replay never throws). */
  function applySplice(text, [pos, del, ins]) {
    const a = cpToUtf16(text, pos);
    const b = a + cpToUtf16(text.slice(a), del);
    return text.slice(0, a) + ins + text.slice(b);
  }
  const applyAll = (text, splices) => splices.reduce(applySplice, text);
  /** A splice as primitives: a pure delete and/or a pure insert (what the transform handles). */
  function prims(splices) {
    const out = [];
    for (const [p, d, s] of splices) {
      if (d > 0) out.push([p, d, '']);
      if (s) out.push([p, 0, s]);
    }
    return out;
  }
  /** Transforms primitive a past primitive b, both against the same text: [a' after b, b' after a].
   *  On a tie (two inserts at one place) b goes first when bFirst. The server runs the same
   *  transform (src/live/transform.rs) to know what we were looking at when we typed. */
  function xform1(a, b, bFirst) {
    const [p, d, s] = a, [q, e, r] = b;
    const la = cpLength(s), lb = cpLength(r);
    if (!d && !e) return p < q || (p === q && !bFirst) ? [[a], [[q + la, 0, r]]] : [[[p + lb, 0, s]], [b]];
    if (!d) return insPastDel(a, b, true);
    if (!e) return insPastDel(b, a, false);
    // two deletes: each loses what the other already deleted
    const shrink = (x, y, n, m) => { // [x, x+n) past the deletion [y, y+m)
      const st = x < y ? x : Math.max(y, x - m), en = x + n <= y ? x + n : Math.max(y, x + n - m);
      return en > st ? [[st, en - st, '']] : [];
    };
    return [shrink(p, q, d, e), shrink(q, p, e, d)];
  }
  /** Insert i past delete x (and x past i); `insFirst` says which of the pair comes first. */
  function insPastDel(i, x, insFirst) {
    const [p, , s] = i, [q, e] = x, l = cpLength(s);
    let i2, x2;
    if (p <= q) { i2 = [i]; x2 = [[q + l, e, '']]; }
    else if (p >= q + e) { i2 = [[p - e, 0, s]]; x2 = [x]; }
    else { i2 = [[q, 0, s]]; x2 = [[q, p - q, ''], [q + l, q + e - p, '']]; } // keep the insert, delete around it
    return insFirst ? [i2, x2] : [x2, i2];
  }
  /** Transforms two lists of primitives made against the same text: [A past B, B past A]. Where
   *  both insert at one place, B's text goes first when bFirst: B is an op of a session with a
   *  rank not above ours (ranks keep two people typing at one spot from interleaving). */
  function xform(A, B, bFirst) {
    if (!A.length || !B.length) return [A, B];
    if (A.length === 1 && B.length === 1) return xform1(A[0], B[0], bFirst);
    if (A.length > 1) {
      const [a0, B1] = xform([A[0]], B, bFirst);
      const [rest, B2] = xform(A.slice(1), B1, bFirst);
      return [a0.concat(rest), B2];
    }
    const [A1, b0] = xform(A, [B[0]], bFirst);
    const [A2, rest] = xform(A1, B.slice(1), bFirst);
    return [A2, b0.concat(rest)];
  }
  /** A position past primitives (a caret stays before text inserted right at it). */
  const movePos = (x, ops) => ops.reduce((x, [q, e, r]) =>
    e ? (x <= q ? x : Math.max(q, x - e)) : (x > q ? x + cpLength(r) : x), x);
  /** One splice from old to new: the common prefix and suffix, never splitting a surrogate pair.
   *  With the caret after the change, the suffix stops at the caret: typing "a" after "a" is an
   *  insert where the caret is, not after the other "a" (which may sit inside a word). */
  function diff(old, cur, caret) {
    const n = Math.min(old.length, cur.length);
    let i = 0, j = 0;
    const suffix = (max) => {
      while (j < max && old.charCodeAt(old.length - 1 - j) === cur.charCodeAt(cur.length - 1 - j)) j++;
      if (j > 0 && isLo(old.charCodeAt(old.length - j))) j--;
    };
    if (caret !== undefined) suffix(Math.min(n, cur.length - caret));
    while (i < n - j && old.charCodeAt(i) === cur.charCodeAt(i)) i++;
    if (i > 0 && isHi(old.charCodeAt(i - 1))) i--;
    if (caret === undefined) suffix(n - i);
    if (i === old.length - j && i === cur.length - j) return null;
    return [utf16ToCp(old, i), cpLength(old.slice(i, old.length - j)), cur.slice(i, cur.length - j)];
  }
  /** All changes from text a to text b as primitives (code points, in order): Myers' O(ND)
   *  diff, so that changes others made apart from each other stay apart; past `max` differing
   *  code points, one splice for the whole changed middle. */
  function changes(a, b, max = 1000) {
    const A = Array.from(a), B = Array.from(b);
    let p = 0, s = 0;
    while (p < A.length && p < B.length && A[p] === B[p]) p++;
    while (s < A.length - p && s < B.length - p && A[A.length - 1 - s] === B[B.length - 1 - s]) s++;
    const n = A.length - p - s, m = B.length - p - s, x0 = (i) => A[p + i], y0 = (j) => B[p + j];
    if (!n && !m) return [];
    const whole = prims([[p, n, B.slice(p, p + m).join('')]]);
    const off = max + 1, v = new Int32Array(2 * off + 1), trace = [];
    for (let d = 0; d <= Math.min(max, n + m); d++) {
      trace.push(v.slice(off - d - 1, off + d + 2)); // v before step d, for diagonals -d-1 … d+1
      for (let k = -d; k <= d; k += 2) {
        let x = k === -d || (k !== d && v[off + k - 1] < v[off + k + 1]) ? v[off + k + 1] : v[off + k - 1] + 1;
        let y = x - k;
        while (x < n && y < m && x0(x) === y0(y)) { x++; y++; }
        v[off + k] = x;
        if (x >= n && y >= m) { // walk back through the trace, then replay forwards as splices
          const steps = [];
          for (let e = d; e > 0; e--) {
            const t = trace[e], at = (k) => t[k + e + 1], kk = x - y;
            const pk = kk === -e || (kk !== e && at(kk - 1) < at(kk + 1)) ? kk + 1 : kk - 1;
            const px = at(pk), py = px - pk;
            while (x > px && y > py) { x--; y--; }
            steps.push(x === px ? [px, 0, y0(py)] : [px, 1, '']);
            x = px; y = py;
          }
          const out = [];
          let shift = p;
          for (const [i, del, ins] of steps.reverse()) {
            const pos = i + shift, last = out[out.length - 1];
            if (del && last && last[1] && last[0] === pos) last[1]++;
            else if (!del && last && !last[1] && last[0] + cpLength(last[2]) === pos) last[2] += ins;
            else out.push([pos, del, ins]);
            shift += del ? -1 : 1;
          }
          return out;
        }
      }
    }
    return whole;
  }

  // ---- State
  const sid = (() => { // the session id: 24 of [A-Za-z0-9_-], random per page load
    const abc = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-';
    return Array.from(crypto.getRandomValues(new Uint8Array(24)), (b) => abc[b & 63]).join('');
  })();
  const fields = new Map(); // key -> {el, wrap, confirmed, shown (what el held when we last looked), removed}
  for (const el of form.querySelectorAll('[data-field]')) {
    const key = el.dataset.field;
    fields.set(key, { el, wrap: el.closest('.live-field'), confirmed: el.value, shown: el.value, removed: false });
  }
  // Own edits not yet seen back: {ref, field, base, orig (as made: what is sent), splices (now), ackSeq}
  let pending = [];
  const unacked = new Map(); // ref -> when made, for edits not yet durable (the ack may follow the op)
  let seq = 0, nextRef = 1, ws = null, connected = false, synced = false, everSynced = false, me = null;
  let backoff = 500, stopped = false, saveRef = 0, errorText = '', syncing = null;
  let composing = null, statusTimer = 0; const inbox = []; // messages held back (see handle)
  const peers = new Map(); // client -> presence message
  const CHUNK = 8000; // code points per edit, so a frame stays far below 64 KiB

  const send = (msg) => { if (connected) ws.send(JSON.stringify(msg)); };
  const sendEdit = (e, resend) => send(Object.assign(
    { type: 'edit', ref: e.ref, base: e.base, field: e.field, splices: e.orig }, resend ? { resend: true } : {}));

  // ---- Showing the model
  /** Recomputes a field's value from the model; `move` maps an old code point offset to a new one. */
  function render(key, move) {
    const f = fields.get(key);
    if (!f) return;
    let text = f.confirmed;
    for (const e of pending) if (e.field === key) text = applyAll(text, e.splices);
    const el = f.el, old = el.value;
    if (text !== old) {
      if (!move) { const d = diff(old, text); move = (x) => (d ? movePos(x, prims([d])) : x); }
      const focused = document.activeElement === el;
      const s = utf16ToCp(old, el.selectionStart), e = utf16ToCp(old, el.selectionEnd), top = el.scrollTop;
      el.value = text;
      if (focused) el.setSelectionRange(cpToUtf16(text, move(s)), cpToUtf16(text, move(e)));
      el.scrollTop = top;
    }
    f.shown = text;
  }

  function setStatus() {
    let state, text;
    if (stopped) { state = 'error'; text = (errorText ? str('error') + errorText + ' ' : '') + str('stopped'); }
    else if (!navigator.onLine || !connected || !synced) {
      state = !navigator.onLine ? 'offline' : everSynced ? 'reconnecting' : 'connecting';
      text = str(state);
    } else if (errorText) { state = 'error'; text = str('error') + errorText; }
    else {
      // "Sending" only for edits unanswered for a second: no flicker (or announcement) per key.
      const now = Date.now();
      state = Array.from(unacked.values()).some((t) => now - t > 1000) ? 'saving' : 'live';
      text = str(state);
      clearTimeout(statusTimer);
      if (unacked.size) statusTimer = setTimeout(setStatus, 1100);
    }
    if (statusEl.textContent !== text) statusEl.textContent = text;
    statusEl.dataset.state = state;
    saveBtn.disabled = !connected || !synced || stopped || saveRef > 0;
  }
  function showVersion(commit) {
    versionEl.textContent = str('saved-as') + String(commit).slice(0, 7);
    versionEl.hidden = false;
  }

  // ---- Local edits
  /** Turns whatever changed in a field since we last looked into pending edits (and sends them). */
  function capture(f) {
    if (f.removed) { if (f.el.value !== f.shown) f.el.value = f.shown; return; }
    const d = diff(f.shown, f.el.value, document.activeElement === f.el ? f.el.selectionEnd : undefined);
    f.shown = f.el.value;
    if (!d) return;
    let [pos, del, ins] = d;
    do { // a long paste goes as several edits, each against the text after the previous one
      const a = cpToUtf16(ins, CHUNK), part = ins.slice(0, a);
      ins = ins.slice(a);
      const e = { ref: nextRef++, field: f.el.dataset.field, base: seq, orig: [[pos, del, part]] };
      unacked.set(e.ref, Date.now());
      e.splices = e.orig;
      pending.push(e);
      if (synced) sendEdit(e, false);
      pos += cpLength(part); del = 0;
    } while (ins);
    errorText = '';
    setStatus();
  }
  form.addEventListener('input', (ev) => {
    const f = fields.get(ev.target.dataset.field);
    if (f && !ev.isComposing && !composing) capture(f);
  });
  form.addEventListener('compositionstart', (ev) => { composing = ev.target; });
  const endComposition = () => {
    if (!composing) return;
    const f = fields.get(composing.dataset.field);
    composing = null;
    if (f) capture(f);
    drain(); // what arrived meanwhile, in order
  };
  form.addEventListener('compositionend', endComposition);
  form.addEventListener('focusout', endComposition);
  form.addEventListener('submit', (ev) => ev.preventDefault());
  form.addEventListener('keydown', (ev) => { // Ctrl/Cmd+S saves a version
    if ((ev.ctrlKey || ev.metaKey) && (ev.key || '').toLowerCase() === 's') { ev.preventDefault(); save(); }
  });
  saveBtn.addEventListener('click', save);
  function save() {
    if (saveBtn.disabled) return;
    saveRef = nextRef++;
    send({ type: 'save', ref: saveRef });
    versionEl.textContent = str('saving-version');
    versionEl.hidden = false;
    setStatus();
  }

  // ---- Presence: where my caret is, at most ~10 times a second
  let cursorTimer = 0, cursorSent = '';
  function sendCursor() {
    cursorTimer = 0;
    const el = document.activeElement, f = el && el.dataset && fields.get(el.dataset.field);
    const msg = f ? { type: 'cursor', field: el.dataset.field, pos: utf16ToCp(el.value, el.selectionStart) }
      : { type: 'cursor', field: null, pos: 0 };
    const k = JSON.stringify(msg);
    if (k !== cursorSent && synced) { cursorSent = k; send(msg); }
  }
  const cursorSoon = () => { if (!cursorTimer) cursorTimer = setTimeout(sendCursor, 100); };
  form.addEventListener('focusin', cursorSoon);
  form.addEventListener('focusout', cursorSoon);
  for (const t of ['keyup', 'mouseup', 'select']) form.addEventListener(t, cursorSoon);
  document.addEventListener('selectionchange', cursorSoon);

  function renderPeers() {
    const list = $('live-peers');
    for (const li of list.querySelectorAll('.live-peer')) li.remove();
    for (const f of fields.values()) {
      f.wrap.classList.remove('live-busy');
      f.wrap.querySelector('.live-tags').replaceChildren();
    }
    for (const p of peers.values()) {
      const li = document.createElement('li');
      li.className = 'live-peer';
      const name = document.createElement('span');
      name.className = 'live-name';
      name.textContent = p.name;
      const badge = document.createElement('span');
      badge.className = 'sector sector-' + p.sector;
      badge.textContent = str('sector-' + p.sector) || p.sector;
      const where = document.createElement('span');
      where.className = 'live-where';
      const f = p.field && fields.get(p.field);
      const label = f && form.querySelector('label[for="' + CSS.escape(f.el.id) + '"]');
      where.textContent = f ? str('in-field') + (label ? label.textContent : p.field) : str('not-in-field');
      li.append(name, ' ', badge, ' ', where);
      list.append(li);
      if (f) { // the field gets an outline and a name tag (not colour alone)
        f.wrap.classList.add('live-busy');
        const tag = document.createElement('span');
        tag.className = 'live-tag sector-' + p.sector;
        tag.textContent = p.name;
        tag.title = p.name + ' ' + str('editing');
        f.wrap.querySelector('.live-tags').append(tag);
      }
    }
    $('live-alone').hidden = peers.size > 0;
  }

  // ---- Messages from the server
  function handle(m) {
    // Never rewrite a field under an open IME composition; while catching up after a reconnect,
    // hold everything but the answers to the edits sent again.
    if (composing || (syncing && m.type !== 'ack' && m.type !== 'error')) { inbox.push(m); return; }
    switch (m.type) {
      case 'snapshot': return onSnapshot(m);
      case 'op': return onOp(m);
      case 'ack': {
        const e = pending.find((e) => e.ref === m.ref);
        unacked.delete(m.ref);
        if (e) {
          e.ackSeq = m.seq;
          // Sent again, and the server had applied it before the connection dropped.
          if (syncing && syncing.waiting.has(e.ref) && m.seq <= syncing.snap.seq) fold(e);
        }
        answered(m.ref);
        return setStatus();
      }
      case 'error': return onError(m);
      case 'presence':
        if (!me || m.client !== me.client) peers.set(m.client, m);
        return renderPeers();
      case 'left': peers.delete(m.client); return renderPeers();
      case 'saved': if (m.ref === saveRef) saveRef = 0; showVersion(m.commit); return setStatus();
      case 'checkpoint': return showVersion(m.commit);
      case 'fields': resync(m); return renderPeers();
    }
  }
  const drain = () => { while (inbox.length && !composing && !syncing) handle(inbox.shift()); };

  /** An own edit the server's text already holds becomes part of `confirmed`. Such edits are the
   *  oldest pending ones of their field, so what the field shows does not change. */
  function fold(e) {
    const f = fields.get(e.field);
    if (f) f.confirmed = applyAll(f.confirmed, e.splices);
    pending.splice(pending.indexOf(e), 1);
  }

  // After a reconnect: edits acked before the drop are in the snapshot; every other pending edit
  // is sent again (with the base it was made against) and the page waits for each answer, so it
  // knows which ones the snapshot already holds. Only then does it move to the snapshot. An edit
  // the server can no longer merge at its base (`stale_base`: the document was compacted
  // meanwhile) is carried past the difference to the snapshot and sent again against it.
  function onSnapshot(m) {
    me = m.you;
    peers.clear();
    for (const p of m.peers || []) if (p.client !== me.client) peers.set(p.client, p);
    synced = everSynced = true; backoff = 500; errorText = ''; cursorSent = '';
    for (const e of pending.slice()) if (e.ackSeq !== undefined) fold(e);
    // Seen back as ops but never acked: the snapshot is the server's word on them.
    for (const r of unacked.keys()) if (!pending.some((e) => e.ref === r)) unacked.delete(r);
    syncing = { snap: m, waiting: new Set(pending.map((e) => e.ref)) };
    for (const e of pending) sendEdit(e, true);
    answered(null);
    if (m.checkpoint && m.checkpoint.commit) showVersion(m.checkpoint.commit);
    renderPeers(); setStatus(); sendCursor();
  }
  function answered(ref) {
    if (!syncing) return;
    syncing.waiting.delete(ref);
    if (syncing.waiting.size) return;
    const m = syncing.snap;
    syncing = null;
    resync(m);
    for (const e of pending) {
      if (!e.stale) continue;
      delete e.stale;
      e.base = seq; e.orig = e.splices;
      unacked.set(e.ref, Date.now());
      sendEdit(e, true);
    }
    drain();
  }

  /** Moves to the server's texts at m.seq (a snapshot or a `fields` message): what changed since
   *  `confirmed` is taken as one change by others, and pending edits are carried past it. */
  function resync(m) {
    for (const f of fields.values()) if (f.el.value !== f.shown) capture(f);
    seq = m.seq;
    const texts = new Map(m.fields);
    let changed = false;
    for (const [key, f] of fields) {
      if (!texts.has(key)) { // removed by a commit: no longer editable
        pending = pending.filter((e) => e.field !== key);
        if (!f.removed) {
          f.removed = changed = true;
          f.wrap.classList.add('live-removed');
          const note = document.createElement('span');
          note.className = 'live-removed-note';
          note.textContent = str('field-removed');
          f.wrap.querySelector('.live-tags').after(note);
        }
      } else {
        let op = changes(f.confirmed, texts.get(key));
        for (const e of pending) if (e.field === key) [e.splices, op] = xform(prims(e.splices), op, true);
        f.confirmed = texts.get(key);
        render(key, (x) => movePos(x, op));
      }
      f.el.readOnly = f.removed || stopped;
    }
    for (const key of texts.keys()) if (!fields.has(key)) changed = true;
    if (changed) $('live-structure').hidden = false;
  }

  function onOp(m) {
    seq = m.seq;
    const f = fields.get(m.field);
    if (f && f.el.value !== f.shown) capture(f);
    if (me && m.client === me.client) {
      // Our own edit back: the one acked with this seq, else the first not yet acked (they come
      // back in the order sent).
      let i = pending.findIndex((e) => e.ackSeq === m.seq);
      if (i < 0) i = pending.findIndex((e) => e.ackSeq === undefined && e.field === m.field);
      if (i >= 0) pending.splice(i, 1);
      if (!f) return;
      f.confirmed = applyAll(f.confirmed, m.splices);
      render(m.field);
    } else {
      if (!f) return;
      f.confirmed = applyAll(f.confirmed, m.splices);
      // Carry the op past each pending edit of this field; what is left applies to what is shown.
      let op = prims(m.splices);
      const theirsFirst = !me || !(m.rank > 0) || m.rank <= me.rank;
      for (const e of pending) if (e.field === m.field) [e.splices, op] = xform(prims(e.splices), op, theirsFirst);
      render(m.field, (x) => movePos(x, op));
    }
    setStatus();
  }

  function onError(m) {
    errorText = m.message || m.code;
    const stale = m.code === 'stale_base' && pending.find((e) => e.ref === m.ref);
    if (stale && syncing) { // not applied: goes again against the snapshot (see onSnapshot)
      stale.stale = true;
      unacked.delete(m.ref);
      errorText = '';
      answered(m.ref);
    } else if (m.code === 'stale_base') { if (ws) lost(ws); } // reconnect and catch up
    else if (m.ref === saveRef) { saveRef = 0; versionEl.hidden = true; }
    else if (m.ref !== undefined) { // the edit changed nothing: stop showing it
      unacked.delete(m.ref);
      const i = pending.findIndex((e) => e.ref === m.ref);
      if (i >= 0) { const [e] = pending.splice(i, 1); render(e.field); }
      answered(m.ref);
    }
    if (m.fatal) { stopped = true; for (const f of fields.values()) f.el.readOnly = true; }
    setStatus();
  }

  // ---- The connection
  function connect() {
    const url = form.dataset.wsUrl;
    ws = new WebSocket((location.protocol === 'https:' ? 'wss://' : 'ws://') + location.host + url +
      (url.includes('?') ? '&' : '?') + 'session=' + sid);
    const sock = ws;
    sock.onopen = () => { if (ws === sock) { connected = true; setStatus(); } };
    sock.onmessage = (ev) => {
      if (ws !== sock) return;
      let m;
      try { m = JSON.parse(ev.data); } catch { return; }
      handle(m);
    };
    sock.onclose = () => lost(sock);
  }
  /** The connection `sock` is over (closed, or given up on): keep editing, reconnect soon. */
  function lost(sock) {
    if (ws !== sock) return;
    ws = null;
    try { sock.close(); } catch { /* already closed */ }
    connected = synced = false;
    syncing = null;
    inbox.length = 0; // the next snapshot replaces whatever was held back
    for (const f of fields.values()) if (f.el.value !== f.shown && !composing) capture(f);
    peers.clear(); renderPeers();
    saveRef = 0;
    setStatus();
    if (stopped) return;
    setTimeout(connect, backoff * (0.8 + Math.random() * 0.4));
    backoff = Math.min(backoff * 2, 5000);
  }
  window.addEventListener('online', setStatus);
  // Offline: drop the socket now (edits stay pending) rather than wait for TCP to notice.
  window.addEventListener('offline', () => { if (ws) lost(ws); setStatus(); });
  // A connection that died silently (no close, no reset) shows itself as an edit that gets
  // no answer: after 15 s, reconnect; the edits are sent again and none is applied twice.
  setInterval(() => {
    const now = Date.now();
    if (connected && synced && Array.from(unacked.values()).some((t) => now - t > 15000)) lost(ws);
  }, 5000);
  // Leaving with edits the server has not confirmed as durable loses them: ask first.
  window.addEventListener('beforeunload', (ev) => { if (unacked.size) ev.preventDefault(); });
  $('live-reload').addEventListener('click', (ev) => { ev.preventDefault(); location.reload(); });

  // For browser tests: wait until `pending` is 0, then compare `fields` across clients; and the
  // transform itself, to check it against the server's (src/live/transform.rs).
  window.codraftLive = {
    xform: (A, B, bFirst) => xform(prims(A), prims(B), bFirst),
    state: () => ({
      seq, pending: pending.length, connected: connected && synced, client: me && me.client,
      fields: Object.fromEntries(Array.from(fields, ([k, f]) => [k, f.el.value])),
    }),
  };
  setStatus();
  connect();
})();
