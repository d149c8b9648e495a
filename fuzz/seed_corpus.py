#!/usr/bin/env python3
"""Writes the seed corpus fuzz/corpus/<target>/ from the demo plan, the invalid fixtures,
the protocol's examples and strings in Chinese, English, emoji and combining characters.
Run from the repository's root: python3 fuzz/seed_corpus.py (files found by fuzzing that are
kept in the corpus are not written here; this only adds or rewrites the seed files)."""

import glob
import json
import os
import tomllib

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CORPUS = os.path.join(ROOT, "fuzz", "corpus")


def put(target, name, data):
    d = os.path.join(CORPUS, target)
    os.makedirs(d, exist_ok=True)
    if isinstance(data, str):
        data = data.encode()
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


def read(path):
    with open(os.path.join(ROOT, path), encoding="utf-8") as f:
        return f.read()


# ---- document: demo documents, plan.toml, members, the invalid fixtures, small variants
DEMO = ["c01-open-data-framework", "c04-information-access", "c08-labor-unions",
        "c13-new-immigrants"]
for c in DEMO:
    put("document", f"demo-{c[:3]}-zh-TW.md", read(f"demo/commitments/{c}/zh-TW.md"))
en = read("demo/later/commitments/c04-information-access/en.md")
put("document", "demo-c04-en.md", en)
put("document", "demo-plan.toml", read("demo/plan.toml"))
put("document", "demo-members.toml", read("demo/forum/members.toml"))
for path in sorted(glob.glob(os.path.join(ROOT, "tests/fixtures/invalid/*.md"))):
    put("document", "invalid-" + os.path.basename(path), read(path))
c04 = read("demo/commitments/c04-information-access/zh-TW.md")
front, body = c04.split("\n+++\n", 1)
put("document", "variant-emoji-combining.md",
    c04.replace("## ", "## 👩\u200d👩\u200d👧 cafe\u0301 ", 1))
put("document", "variant-crlf-body.md", front + "\n+++\n" + body.replace("\n", "\r\n", 3))
put("document", "variant-no-sections.md", front + "\n+++\n")
put("document", "variant-empty-section.md", front + "\n+++\n## 空 {#empty}\n")
put("document", "variant-heading-only-id.md", front + "\n+++\n## {#x}\n\ntext\n")
put("document", "variant-bom.md", "\ufeff" + c04)
put("document", "variant-only-delimiters.md", "+++\n+++\n")

# ---- live_message: the protocol's examples and edits of the fuzzed live document
def msg(name, value):
    put("live_message", name, value if isinstance(value, str) else
        json.dumps(value, ensure_ascii=False))

msg("protocol-edit.json", '{"type": "edit", "ref": 17, "base": 120, "field": '
    '"section.problem.text", "splices": [[42, 0, "而未說明理由"]]}')
msg("protocol-cursor.json", '{"type": "cursor", "field": "section.problem.text", "pos": 42}')
msg("protocol-cursor-null.json", '{"type": "cursor", "field": null}')
msg("protocol-save.json", '{"type": "save", "ref": 18}')
msg("protocol-resend.json", '{"type": "edit", "ref": 17, "base": 1, "field": "title", '
    '"splices": [[0, 0, "修正"]], "resend": true}')
edit = lambda r, base, field, splices: {"type": "edit", "ref": r, "base": base,
                                        "field": field, "splices": splices}
msg("edit-base1-title.json", edit(1, 1, "title", [[2, 2, "資料"]]))
msg("edit-base0-title.json", edit(2, 0, "title", [[0, 0, "「"], [15, 0, "」"]]))
msg("edit-base0-delete-over-first.json", edit(3, 0, "section.problem.text", [[2, 4, ""]]))
msg("edit-base1-emoji.json", edit(4, 1, "section.problem.text", [[30, 5, "🇹🇼"]]))
msg("edit-base1-combining.json", edit(5, 1, "section.problem.text", [[37, 1, "\u0301\u0301"]]))
msg("edit-base1-end.json", edit(6, 1, "section.problem.text", [[51, 0, "\n第三段。"]]))
msg("edit-base1-past-end.json", edit(7, 1, "title", [[15, 0, "x"]]))
msg("edit-base0-past-end-insert.json", edit(8, 0, "title", [[99, 0, "x"]]))
msg("edit-base1-delete-too-many.json", edit(9, 1, "title", [[10, 10, ""]]))
msg("edit-huge-numbers.json", '{"type":"edit","ref":18446744073709551615,"base":1,'
    '"field":"title","splices":[[18446744073709551615,18446744073709551615,""]]}')
msg("edit-negative.json", '{"type":"edit","ref":1,"base":1,"field":"title",'
    '"splices":[[-1,0,"x"]]}')
msg("edit-base-ahead.json", edit(10, 2, "title", [[0, 0, "x"]]))
msg("edit-unknown-field.json", edit(11, 1, "section.nope.text", [[0, 0, "x"]]))
msg("edit-empty-field.json", edit(12, 1, "milestone.m1.end", [[0, 0, "2024-06"]]))
msg("edit-noop.json", edit(13, 1, "title", [[0, 0, ""]]))
msg("edit-many-splices.json", edit(14, 0, "section.problem.text",
                                   [[0, 1, "a"], [5, 0, "b"], [10, 2, ""], [1, 0, "資訊"]]))
msg("edit-extra-field.json", '{"type":"edit","ref":15,"base":1,"field":"title",'
    '"splices":[],"x":1}')
msg("bad-not-json.txt", "而未說明理由")
msg("bad-unknown-type.json", '{"type": "delete", "ref": 1}')
msg("bad-missing-splices.json", '{"type": "edit", "ref": 1, "base": 1, "field": "title"}')
msg("bad-splice-shape.json", '{"type":"edit","ref":1,"base":1,"field":"title",'
    '"splices":[[0,"x"]]}')
msg("bad-escapes.json", '{"type":"edit","ref":1,"base":1,"field":"title",'
    '"splices":[[0,0,"\\ud83d\\ude00\\u0301\\ud800"]]}')

# ---- diff: pairs of texts separated by a 0xFF byte
def pair(name, old, new):
    put("diff", name, old.encode() + b"\xff" + new.encode())

pair("zh-word.txt", "政府應公開資訊取用之程序。", "政府應主動公開資訊取用之程序與結果。")
pair("en-words.txt", "The national open government action plan.",
     "The second national open-government action plan, with milestones.")
pair("emoji-zwj.txt", "團隊 👩\u200d👩\u200d👧 開會", "團隊 👩\u200d👩\u200d👦 開會 🇹🇼")
pair("combining.txt", "cafe\u0301 re\u0301sume\u0301", "cafe re\u0301sume\u0301\u0300")
pair("empty-old.txt", "", "新增一段文字。")
pair("empty-new.txt", "刪除的段落 deleted", "")
pair("same.txt", "不變 unchanged", "不變 unchanged")
pair("mixed-spaces.txt", "a  b\t c\n\n第二段", "a b c\n第二 段\n")
pair("crlf.txt", "line one\r\nline two\r\n", "line one\nline 2\n")
pair("punctuation.txt", "（一）資訊、公開；取用。", "(一) 資訊，公開；取用！")
# A demo document and its next version in the history (both valid: the section diffs run).
history = tomllib.loads(read("demo/history.toml"))
seen = set()
for commit in history["commit"]:
    for e in commit.get("edit", []):
        f = e["file"]
        if f in seen or not f.endswith("zh-TW.md") or len(seen) >= 3:
            continue
        seen.add(f)
        old = read(os.path.join("demo", f))
        new = old.replace(e["find"], e["replace"], 1)
        pair(f"demo-{f.split('/')[1][:3]}-history.txt", old, new)
