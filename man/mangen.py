#!/usr/bin/env python3
"""man/mangen.py — futurl's man pages, generated from include/futurl.h.

The header's comments are the one source of every page's text, so a page
cannot say something the header does not. Besides the header this reads:

  man/pages/<page>.c  one file per section-3 page: its first comment names
                      the functions on the page ("page:"), a one-line NAME
                      summary ("summary:"), optionally header types or macros
                      to show in the SYNOPSIS ("also:") and extra SEE ALSO
                      pages ("see:"); the rest of the file is the EXAMPLE, a
                      complete program that `make man-check` compiles and links.
  man/futurl.7.in     the overview futurl(7) in a small markup (see render_overview);
                      its error table, conventions and map of the pages come
                      from the header and the page files.
  man/unstated.txt    functions whose header comment does not yet state its
                      Returns or its Thread-safety (issue #18 fills them in).
                      `check` fails when a function is missing from the header's
                      statements and from this list, and when the list names
                      one the header now states, so the list only shrinks.

Commands (python3 only, no other package):
  mangen.py build --out DIR        write DIR/man3/*.3 and DIR/man7/futurl.7
  mangen.py check --out DIR --lib libfuturl.so
                                   every exported function has a page, every
                                   page has the required sections and renders
                                   without warnings, the lists above are true
  mangen.py examples               print the example files, one a line
"""

import argparse
import os
import re
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
HEADER = os.path.join(ROOT, "include", "futurl.h")
PAGES = os.path.join(HERE, "pages")
OVERVIEW = os.path.join(HERE, "futurl.7.in")
UNSTATED = os.path.join(HERE, "unstated.txt")

REQUIRED = ["NAME", "SYNOPSIS", "DESCRIPTION", "RETURN VALUE", "THREAD SAFETY",
            "EXAMPLE", "SEE ALSO"]

# Characters the header uses that groff must get as named glyphs.
GLYPHS = {"\u2014": r"\(em", "\u2013": r"\(en", "\u2026": "...", "\u2265": r"\(>=",
          "\u2264": r"\(<=", "\u2192": r"\(->", "\u00d7": r"\(mu"}


class Item:
    """One top-level declaration of the header and the comment above it.

    kind: "func", "type" (typedef), "macro"; names: what it declares;
    code: its text as written; comment: the comment it falls under ("" if
    none); section: the banner it sits under (e.g. "Future")."""

    def __init__(self, kind, names, code, comment, section):
        self.kind, self.names, self.code = kind, names, code
        self.comment, self.section = comment, section


def comment_text(lines):
    """The words of a /* … */ comment, its markers and stars removed."""
    out = []
    for ln in lines:
        s = ln.strip()
        if s.startswith("/*"):
            s = s[2:]
        if s.endswith("*/"):
            s = s[:-2]
        s = s.strip() if s.strip().startswith("*") or not s.startswith(" ") else s
        if s.startswith("*"):
            s = s[2:] if s.startswith("* ") else s[1:]
        out.append(s.rstrip())
    return out


def parse_header(path):
    """Items in header order, the file's first comment and the status map
    [(name, value, message)]."""
    src = open(path, encoding="utf-8").read().split("\n")
    items, section, banner, comment, first = [], "", "", None, None
    cond = 0  # #if nesting: 1 is the include guard, deeper is skipped
    i = 0
    while i < len(src):
        line = src[i]
        s = line.strip()
        if s.startswith("#if"):
            cond += 1
            i += 1
            continue
        if s.startswith("#endif"):
            cond -= 1
            i += 1
            continue
        if s.startswith("/*") and (first is None or cond == 1):
            block = [line]
            while "*/" not in src[i]:
                i += 1
                block.append(src[i])
            i += 1
            words = comment_text(block)
            if first is None:  # the file's own comment, before the guard
                first = words
                continue
            if s.startswith("/* ===="):
                continue  # banner rule; the title is the comment between two
            if len(block) == 1 and i < len(src) and src[i].strip().startswith("/* ===="):
                section = banner = " ".join(words).strip()
                continue
            sub = re.match(r"/\* -{8,} ([\w ]+?) \*/$", s)
            if sub:  # "/* ------- request */": a part of the banner's section
                section = banner + ": " + sub.group(1)
                continue
            comment = " ".join(w for w in words if w).strip()
            continue
        if cond != 1 or s.startswith("#else") or s.startswith("#include") \
                or s.startswith("#undef"):
            i += 1
            continue
        if not s:
            comment = None
            i += 1
            continue
        if s.startswith("#define"):
            block = [line]
            while src[i].endswith("\\"):
                i += 1
                block.append(src[i])
            i += 1
            name = re.match(r"#define\s+(\w+)", s).group(1)
            items.append(Item("macro", [name], "\n".join(block), comment or "", section))
            continue
        if s.startswith("#") or s in ("extern \"C\" {", "}"):
            i += 1
            continue
        # A declaration: up to the ';' at brace depth 0.
        block, depth = [], 0
        while True:
            ln = src[i]
            block.append(ln)
            depth += ln.count("{") - ln.count("}")
            i += 1
            if depth == 0 and re.search(r";\s*(/\*.*\*/)?\s*$", ln):
                break
        code = "\n".join(block)
        flat = re.sub(r"/\*.*?\*/", " ", code, flags=re.S)
        if re.match(r"\s*struct \w+;\s*$", flat):
            continue  # a forward declaration (struct cJSON)
        if "FUTURL_API" in flat:
            name = re.search(r"(\w+)\s*\(", flat.split("FUTURL_API", 1)[1]).group(1)
            items.append(Item("func", [name], code, comment or "", section))
        elif flat.lstrip().startswith("typedef"):
            m = None if "{" in flat else re.search(r"\(\s*\*\s*(\w+)\s*\)", flat)
            name = m.group(1) if m else re.search(r"(\w+)\s*;\s*$", flat).group(1)
            items.append(Item("type", [name], code, comment or "", section))
        else:
            raise SystemExit("mangen: cannot classify declaration:\n" + code)
        # A comment covers the declarations that follow it up to a blank line.
    status = []
    smap = next((it for it in items if it.names == ["FUTURL_STATUS_MAP"]), None)
    if smap:
        body = re.sub(r'"\s*\\?\s*\n\s*"', "", smap.code.replace("\\\n", "\n"))
        status = [(n, int(v), m) for n, v, m in
                  re.findall(r'X\((\w+),\s*(-?\d+),\s*"([^"]*)"\)', body)]
    return items, first or [], status


# ---------------------------------------------------------------- sentences

ABBREV = ("e.g.", "i.e.", "etc.", "vs.")


def sentences(text):
    """Split prose into sentences: a '.' outside parentheses followed by a
    space and a capital, a digit, '*' or '"' ends one (not after e.g.)."""
    out, cur, depth = [], "", 0
    for k, ch in enumerate(text):
        cur += ch
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth = max(0, depth - 1)
        elif ch == "." and depth == 0:
            rest = text[k + 1:]
            if any(cur.endswith(a) for a in ABBREV):
                continue
            if rest == "" or re.match(r"\s+[A-Z0-9*\"(]", rest):
                out.append(cur.strip())
                cur = ""
    if cur.strip():
        out.append(cur.strip())
    return out


def classify(comment):
    """(description, returns, threads, ownership) sentence lists."""
    desc, ret, thr, own = [], [], [], []
    for s in sentences(comment):
        if s.startswith("Thread-safety:"):
            thr.append(s[len("Thread-safety:"):].strip())
        elif s.startswith("Ownership:"):
            own.append(s[len("Ownership:"):].strip())
        elif re.match(r"(Returns?|Same returns)\b", s):
            ret.append(s)
        elif re.search(r"; return\b", s):  # "Block until …; return the outcome"
            desc.append(s)
            ret.append(s)
        else:
            desc.append(s)
    return desc, ret, thr, own


# ---------------------------------------------------------------- pages

class Page:
    def __init__(self, name, funcs, summary, also, see, example, path):
        self.name, self.funcs, self.summary = name, funcs, summary
        self.also, self.see, self.example, self.path = also, see, example, path


def read_pages(pagedir):
    pages = []
    for fn in sorted(os.listdir(pagedir)):
        if not fn.endswith(".c"):
            continue
        path = os.path.join(pagedir, fn)
        text = open(path, encoding="utf-8").read()
        m = re.match(r"/\*(.*?)\*/\n", text, re.S)
        if not m:
            raise SystemExit(f"mangen: {path}: must start with a /* page: … */ comment")
        meta = {}
        key = None
        for ln in comment_text(m.group(0).split("\n")):
            ln = ln.strip()
            km = re.match(r"(page|summary|also|see):\s*(.*)", ln)
            if km:
                key = km.group(1)
                meta[key] = km.group(2)
            elif key and ln:
                meta[key] += " " + ln
        if "page" not in meta or "summary" not in meta:
            raise SystemExit(f"mangen: {path}: needs page: and summary: lines")
        funcs = meta["page"].split()
        name = fn[:-2]
        if funcs[0] != name:
            raise SystemExit(f"mangen: {path}: the first function must be {name}")
        example = text[m.end():].strip("\n") + "\n"
        pages.append(Page(name, funcs, meta["summary"].strip(), meta.get("also", "").split(),
                          meta.get("see", "").split(), example, path))
    return pages


def roff_escape(text, code=False):
    """Text for groff: backslashes, leading dots, minus signs and the few
    non-ASCII glyphs the header uses."""
    text = text.replace("\\", r"\e")
    out = []
    for k, ch in enumerate(text):
        if ch == "-":
            prev = text[k - 1] if k else " "
            nxt = text[k + 1] if k + 1 < len(text) else " "
            # A hyphen between two letters stays a hyphen in prose; every
            # other '-' (options, negative numbers, code) is a minus sign.
            out.append("-" if (not code and prev.isalpha() and nxt.isalpha()) else r"\-")
        elif ch in GLYPHS:
            out.append(GLYPHS[ch])
        elif ord(ch) > 127:
            raise SystemExit(f"mangen: no groff glyph for {ch!r} (U+{ord(ch):04X}); "
                             "add it to GLYPHS")
        else:
            out.append(ch)
    lines = "".join(out).split("\n")
    return "\n".join((r"\&" + ln) if ln[:1] in (".", "'") else ln for ln in lines)


def prose(text, known):
    """Escape text and set the names of public functions in bold."""
    t = roff_escape(text)
    return re.sub(r"\b(futurl_\w+)\(\)",
                  lambda m: (r"\fB%s\fP()" % m.group(1)) if m.group(1) in known else m.group(0),
                  t)


def prototype(code, width=78):
    """A FUTURL_API declaration without its attribute macros, wrapped at
    width with the arguments aligned after the parenthesis."""
    code = re.sub(r"\bFUTURL_(API|NODISCARD)\b|\s*FUTURL_PRINTF\(\d+, \d+\)", "", code)
    flat = " ".join(code.split()).replace("( ", "(").replace(" )", ")")
    head, args = flat.split("(", 1)
    rtype = re.sub(r"\w+\s*$", "", head).rstrip()
    name = head[len(rtype):].strip()
    if not rtype.endswith("*"):
        rtype += " "
    lines = [rtype + name + "("]
    if len(lines[0]) + len(args) > width and len(name) + 1 + len(args) <= width * 2:
        lines = [rtype.rstrip(), name + "("]
    indent = " " * len(lines[-1])
    for k, arg in enumerate(args.split(", ")):
        piece = arg + ("" if arg.endswith(";") else ",")
        if lines[-1].endswith("(") or len(lines[-1]) + 1 + len(piece) <= width:
            lines[-1] += ("" if lines[-1].endswith("(") else " ") + piece
        else:
            lines.append(indent + piece)
    return "\n".join(lines)


def code_block(code):
    return ".nf\n" + roff_escape(code, code=True) + "\n.fi\n"


def expanded_status(status):
    lines = ["typedef enum futurl_status {"]
    for n, v, m in status:
        lines.append(f"    FUTURL_{n} = {v}, /* {m} */")
    lines.append("} futurl_status;")
    return "\n".join(lines)


def man_date():
    sde = os.environ.get("SOURCE_DATE_EPOCH")
    t = int(sde) if sde else int(os.path.getmtime(HEADER))
    return time.strftime("%Y-%m-%d", time.gmtime(t))


def th(name, section, version):
    return f'.TH {name.upper()} {section} {man_date()} "futurl {version}" "futurl manual"\n'


class Model:
    """The header and the page files, cross-checked."""

    def __init__(self):
        self.items, self.first, self.status = parse_header(HEADER)
        self.pages = read_pages(PAGES)
        self.funcs = {it.names[0]: it for it in self.items if it.kind == "func"}
        self.types = {it.names[0]: it for it in self.items if it.kind == "type"}
        self.macros = {it.names[0]: it for it in self.items if it.kind == "macro"}
        self.page_of = {}
        for p in self.pages:
            for f in p.funcs:
                self.page_of.setdefault(f, p.name)
        vm = re.search(r'#define FUTURL_VERSION_STRING "([^"]+)"', open(HEADER).read())
        self.version = vm.group(1)

    def types_of(self, page):
        """Header items the SYNOPSIS shows before the prototypes: types named
        in them (not opaque handles, not futurl_status), macros whose comment
        names a function or type of the page, and the page's also: list."""
        protos = " ".join(self.funcs[f].code for f in page.funcs if f in self.funcs)
        shown = []
        for name, it in self.types.items():
            opaque = re.match(r"typedef struct (\w+) \1;$", it.code.strip())
            if name == "futurl_status" or opaque:
                continue
            if re.search(r"\b%s\b" % name, protos) or name in page.also:
                shown.append(it)
        names = set(page.funcs) | {t.names[0] for t in shown}
        for it in self.macros.values():
            if it.names[0] in page.also or (it.comment and any(
                    re.search(r"\b%s\b" % re.escape(n), it.comment) for n in names)):
                shown.append(it)
        order = {id(it): k for k, it in enumerate(self.items)}
        return sorted(shown, key=lambda it: order[id(it)])


def return_type(code):
    """The return type of a FUTURL_API prototype, e.g. "const char *"."""
    flat = re.sub(r"/\*.*?\*/", " ", code, flags=re.S).split("FUTURL_API", 1)[1]
    head = flat.split("(", 1)[0].replace("FUTURL_NODISCARD", "")
    return " ".join(re.sub(r"\w+\s*$", "", head).replace("*", " *").split())


def return_value(comment, codes):
    """What RETURN VALUE says for functions sharing one comment, and whether
    the header states it: a Returns sentence; no value for void; for an
    accessor (neither void nor futurl_status) the first sentence of its
    comment, which by the header's habit names what it returns."""
    _, ret, _, _ = classify(comment)
    if ret:
        return " ".join(ret), True
    types = {return_type(c) for c in codes}
    if types == {"void"}:
        return "No value.", True
    if "futurl_status" not in types and "void" not in types and comment:
        return sentences(comment)[0], True
    if types == {"futurl_status"}:
        return ("FUTURL_OK (0) on success, else a negative futurl_status; futurl.h "
                "does not list which codes yet (see DESCRIPTION)."), False
    return "Not stated in futurl.h yet; see DESCRIPTION.", False


def thread_rule(comment):
    _, _, thr, _ = classify(comment)
    if thr:
        return " ".join(thr), True
    return ("Not stated in futurl.h yet; see THREADING in futurl(7)."), False


def gaps(model):
    """{(function, "returns" | "thread-safety")} the header does not state."""
    out = set()
    for f, it in model.funcs.items():
        if not return_value(it.comment, [it.code])[1]:
            out.add((f, "returns"))
        if not thread_rule(it.comment)[1]:
            out.add((f, "thread-safety"))
    return out


def render_page(model, page):
    known = set(model.funcs)
    order = {it.names[0]: k for k, it in enumerate(model.items)}
    funcs = sorted((f for f in page.funcs if f in model.funcs), key=order.get)
    out = [th(page.name, 3, model.version)]
    out.append(".SH NAME\n" + ", ".join(r"\fB%s\fP" % f for f in funcs).replace(r"\fB", "")
               .replace(r"\fP", "") + r" \- " + roff_escape(page.summary) + "\n")
    # SYNOPSIS: the include, the types, the prototypes, as written.
    syn = ["#include <futurl.h>", ""]
    pos = {id(it): k for k, it in enumerate(model.items)}
    last = None
    for it in model.types_of(page):
        if it.names[0] == "FUTURL_STATUS_MAP" and "futurl_status" in page.also:
            continue  # shown expanded below
        if last is not None and pos[id(it)] == last + 1 and syn[-1] == "":
            syn.pop()  # neighbours in the header stay together
        syn.append(it.code.strip("\n"))
        syn.append("")
        last = pos[id(it)]
    if "futurl_status" in page.also:
        syn.append(expanded_status(model.status))
        syn.append("")
    for f in funcs:
        syn.append(prototype(model.funcs[f].code))
    out.append(".SH SYNOPSIS\n" + code_block("\n".join(syn).rstrip("\n")))
    # DESCRIPTION: each comment once, in header order; tagged with its
    # functions when the page has several.
    out.append(".SH DESCRIPTION\n")
    groups = []
    for f in funcs:
        c = model.funcs[f].comment
        if groups and groups[-1][1] == c:
            groups[-1][0].append(f)
        else:
            groups.append(([f], c))
    for names, c in groups:
        desc = " ".join(classify(c)[0])
        if not desc:
            desc = "See RETURN VALUE." if classify(c)[1] else ""
        if len(funcs) > 1:
            out.append(".TP\n" + ", ".join(r"\fB%s\fP()" % n for n in names) + "\n")
        else:
            out.append(".PP\n")
        out.append(prose(desc, known) + "\n")
    for it in model.types_of(page):
        if it.kind == "type" and it.comment and it.comment not in (c for _, c in groups):
            out.append(".PP\n" + r"\fB%s\fP: " % it.names[0] + prose(it.comment, known) + "\n")
    # RETURN VALUE, THREAD SAFETY, OWNERSHIP: one entry per comment.
    sections = {"RETURN VALUE": [], "THREAD SAFETY": [], "OWNERSHIP": []}
    for names, c in groups:
        own = classify(c)[3]
        sections["RETURN VALUE"].append(
            (names, return_value(c, [model.funcs[n].code for n in names])[0]))
        sections["THREAD SAFETY"].append((names, thread_rule(c)[0]))
        if own:
            sections["OWNERSHIP"].append((names, " ".join(own)))
    for key in ("RETURN VALUE", "THREAD SAFETY", "OWNERSHIP"):
        if not sections[key]:
            continue
        out.append(f".SH {key}\n")
        entries = sections[key]
        if len(entries) > 1 and len({t for _, t in entries}) == 1 and \
                sum(len(n) for n, _ in entries) == len(funcs):
            entries = [(funcs, entries[0][1])]  # one rule for the whole page
        for names, text in entries:
            if list(names) != funcs:
                out.append(".TP\n" + ", ".join(r"\fB%s\fP()" % n for n in names) + "\n")
            else:
                out.append(".PP\n")
            if text[:1].islower() and not text.startswith("futurl"):
                text = text[0].upper() + text[1:]
            out.append(prose(text, known) + "\n")
    out.append(".SH EXAMPLE\n" + code_block(page.example.rstrip("\n")))
    # SEE ALSO: futurl(7), the pages this page's text names, then see:.
    text = "\n".join(x for x in out if not x.startswith((".SH SYNOPSIS", ".SH EXAMPLE")))
    seen = []
    for m in re.finditer(r"(?<![a-z_])futurl_\w+", text + " " + " ".join(it.comment for it in model.types_of(page))):
        p = model.page_of.get(m.group(0))
        if p and p != page.name and p not in seen:
            seen.append(p)
    first = model.funcs.get(funcs[0])
    for s in page.see + [q.name for q in model.pages
                         if first and model.funcs[q.funcs[0]].section == first.section]:
        if s not in seen and s != page.name:
            seen.append(s)
    refs = [r".BR futurl (7)"] + [r".BR %s (3)" % s for s in seen]
    out.append(".SH SEE ALSO\n" + ",\n".join(refs) + "\n")
    return "".join(out)


# ---------------------------------------------------------------- futurl(7)

def render_overview(model):
    """futurl.7.in markup: '# T' a section, '## T' a subsection, a blank line
    a paragraph, '- ' a bullet, ``` a code block, and the lines
    @CONVENTIONS@, @NAMING@, @ERRORS@ and @PAGES@ filled from the header and pages."""
    known = set(model.funcs)
    out = [th("futurl", 7, model.version)]
    lines = open(OVERVIEW, encoding="utf-8").read().split("\n")
    para, in_code, code = [], False, []

    def flush():
        if para:
            out.append(prose(" ".join(para), known) + "\n")
            para.clear()

    for ln in lines:
        if in_code:
            if ln.startswith("```"):
                out.append(code_block("\n".join(code)))
                code.clear()
                in_code = False
            else:
                code.append(ln)
            continue
        if ln.startswith("```"):
            flush()
            in_code = True
            out.append(".PP\n")
        elif ln.startswith("## "):
            flush()
            out.append(".SS " + roff_escape(ln[3:]) + "\n")
        elif ln.startswith("# "):
            flush()
            out.append(".SH " + roff_escape(ln[2:]) + "\n")
        elif ln.startswith("- "):
            flush()
            out.append(".IP \\(bu 2\n")
            para.append(ln[2:])
        elif ln.strip() == "":
            flush()
            out.append(".PP\n")
        elif ln.strip() == "@CONVENTIONS@":
            flush()
            out.append(conventions(model, known))
        elif ln.strip() == "@NAMING@":
            flush()
            out.append(naming(model, known))
        elif ln.strip() == "@ERRORS@":
            flush()
            out.append(errors_table(model))
        elif ln.strip() == "@PAGES@":
            flush()
            out.append(pages_map(model))
        else:
            para.append(ln.strip())
    flush()
    text = "".join(out)
    text = re.sub(r"(\.PP\n)+(?=\.(PP|SH|SS|IP|TP)\b)", "", text)  # no empty paragraphs
    text = re.sub(r"(\.PP\n)+", ".PP\n", text)
    return text


def conventions(model, known):
    """The header's own 'Conventions used by every comment below' list."""
    words = model.first
    start = next(k for k, w in enumerate(words) if w.startswith("Conventions"))
    entries, cur = [], None
    for w in words[start + 1:]:
        if not w.strip():
            break  # the list ends at the first blank line
        m = re.match(r"\s{0,4}(\w[\w-]*)\s+\u2013\s+(.*)", w)
        if m:
            cur = [m.group(1), m.group(2)]
            entries.append(cur)
        elif cur and w.strip():
            cur[1] += " " + w.strip()
    out = []
    for name, text in entries:
        out.append(".TP\n.B %s\n%s\n" % (roff_escape(name), prose(text, known)))
    return "".join(out)


def naming(model, known):
    """The header's 'Naming:' paragraph: its first line, then each
    '  <names> \u2013 <rule>' entry as a tagged paragraph; deeper lines continue it."""
    words = model.first
    start = next(k for k, w in enumerate(words) if w.startswith("Naming:"))
    out = [".PP\n" + prose(words[start][len("Naming:"):].strip(), known) + "\n"]
    for w in words[start + 1:]:
        if not w.strip():
            break
        m = re.match(r"\s{2,4}(\S.*?)\s+\u2013\s+(.*)", w)
        if m:
            out.append(".TP\n.B %s\n%s\n" % (roff_escape(m.group(1)), prose(m.group(2), known)))
        else:
            out[-1] = out[-1].rstrip("\n") + " " + prose(w.strip(), known) + "\n"
    return "".join(out)


def errors_table(model):
    out = [".TS\nl r lx.\n", "\\fBcode\\fP\t\\fBvalue\\fP\t\\fBfuturl_strerror()\\fP\n"]
    for n, v, m in model.status:
        out.append("%s\t%s\tT{\n%s\nT}\n" % (roff_escape("FUTURL_" + n, code=True),
                                            roff_escape(str(v), code=True), roff_escape(m)))
    out.append(".TE\n")
    return "".join(out)


def pages_map(model):
    """Every section-3 page under the header banner of its first function."""
    out, last = [], None
    order = {it.names[0]: k for k, it in enumerate(model.items)}
    for p in sorted(model.pages, key=lambda p: order.get(p.funcs[0], 1 << 30)):
        it = model.funcs.get(p.funcs[0])
        sec = it.section if it else "Other"
        if sec != last:
            out.append(".SS " + roff_escape(sec) + "\n")
            last = sec
        out.append(".TP\n.BR %s (3)\n%s\n" % (p.name, roff_escape(p.summary)))
    return "".join(out)


# ---------------------------------------------------------------- commands

def build(out):
    model = Model()
    problems = structural_problems(model)
    if problems:
        raise SystemExit("mangen: " + "\nmangen: ".join(problems))
    d3, d7 = os.path.join(out, "man3"), os.path.join(out, "man7")
    os.makedirs(d3, exist_ok=True)
    os.makedirs(d7, exist_ok=True)
    for old in os.listdir(d3):
        os.remove(os.path.join(d3, old))
    for p in model.pages:
        write(os.path.join(d3, p.name + ".3"), render_page(model, p))
        for f in p.funcs[1:]:
            write(os.path.join(d3, f + ".3"), ".so man3/%s.3\n" % p.name)
    write(os.path.join(d7, "futurl.7"), render_overview(model))


def write(path, text):
    with open(path, "w", encoding="utf-8") as fp:
        fp.write(text)


def read_unstated():
    out = set()
    if os.path.exists(UNSTATED):
        for ln in open(UNSTATED, encoding="utf-8"):
            ln = ln.split("#", 1)[0].split()
            if ln:
                out.add(tuple(ln[:2]))
    return out


def structural_problems(model):
    """Pages and header that do not match."""
    out = []
    for f in model.funcs:
        if f not in model.page_of:
            out.append(f"{f} is on no page: add it to a man/pages/*.c page: line "
                       f"(or write man/pages/{f}.c)")
    for p in model.pages:
        for f in p.funcs:
            if f not in model.funcs:
                out.append(f"{p.path}: {f} is not a function of include/futurl.h")
            elif model.page_of[f] != p.name:
                out.append(f"{f} is on two pages: {model.page_of[f]} and {p.name}")
        for a in p.also:
            if a not in model.types and a not in model.macros:
                out.append(f"{p.path}: also: {a} is not a type or macro of the header")
        for s in p.see:
            if s not in {q.name for q in model.pages}:
                out.append(f"{p.path}: see: {s} is not a page")
    return out


def exported(lib):
    names = []
    res = subprocess.run(["nm", "-D", "--defined-only", lib], capture_output=True,
                         text=True, check=True)
    for ln in res.stdout.splitlines():
        parts = ln.split()
        if len(parts) == 3 and parts[1] in "TtDdBbRrVvWw" and not parts[2].startswith("_"):
            names.append(parts[2])
    return names


def check(out, lib):
    model = Model()
    problems = structural_problems(model)
    d3 = os.path.join(out, "man3")
    # Every exported function has a page (a page of its own or a .so link).
    for name in exported(lib):
        path = os.path.join(d3, name + ".3")
        if not os.path.exists(path):
            problems.append(f"{name} is exported by {lib} but has no page {path}")
    # Every page has the required sections, and names the functions it covers.
    for p in model.pages:
        path = os.path.join(d3, p.name + ".3")
        if not os.path.exists(path):
            problems.append(f"{path} was not built")
            continue
        text = open(path, encoding="utf-8").read()
        have = re.findall(r"^\.SH (.*)$", text, re.M)
        for sec in REQUIRED:
            if sec not in have:
                problems.append(f"{path} has no {sec} section")
        if have[:len(REQUIRED)] and [s for s in have if s in REQUIRED] != REQUIRED:
            problems.append(f"{path}: sections out of order: {have}")
    overview = os.path.join(out, "man7", "futurl.7")
    otext = open(overview, encoding="utf-8").read() if os.path.exists(overview) else ""
    for p in model.pages:
        if r".BR %s (3)" % p.name not in otext:
            problems.append(f"futurl(7) does not list {p.name}(3)")
    for n, _, _ in model.status:
        if roff_escape("FUTURL_" + n, code=True) not in otext:
            problems.append(f"futurl(7) does not list FUTURL_{n}")
    # The unstated list is exact: every gap is listed, every entry is a gap.
    unstated = read_unstated()
    missing = gaps(model)
    for g in sorted(missing - unstated):
        problems.append(f"{g[0]}: its header comment states no {g[1].capitalize()} "
                        f"(write one; man/unstated.txt lists only the old gaps)")
    for g in sorted(unstated - missing):
        problems.append(f"man/unstated.txt: {g[0]} {g[1]} is stated now: "
                        "remove the line")
    # Pages render without a warning from groff, as lintian runs it.
    for fn in sorted(os.listdir(d3)) + ["../man7/futurl.7"]:
        path = os.path.normpath(os.path.join(d3, fn))
        if open(path, encoding="utf-8").read().startswith(".so "):
            continue
        res = subprocess.run(["man", "--warnings", "-E", "UTF-8", "-l", "-Tutf8", "-Z", path],
                             capture_output=True, text=True,
                             env=dict(os.environ, LC_ALL="C.UTF-8", MANROFFSEQ="",
                                      MANWIDTH="80"))
        if res.returncode != 0 or res.stderr.strip():
            problems.append(f"{path}: man --warnings: {res.stderr.strip()}")
    if problems:
        for p in problems:
            print("man-check: " + p, file=sys.stderr)
        print(f"man-check: {len(problems)} problem(s)", file=sys.stderr)
        sys.exit(1)
    n3 = len(os.listdir(d3))
    print(f"man-check: {len(model.funcs)} functions on {len(model.pages)} pages "
          f"({n3} names in man3), futurl(7); all sections present; "
          f"{len(unstated)} statements still to write (man/unstated.txt)")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("command", choices=["build", "check", "examples", "unstated"])
    ap.add_argument("--out", default="build/plain/man")
    ap.add_argument("--lib", default="build/plain/libfuturl.so")
    a = ap.parse_args()
    if a.command == "build":
        build(a.out)
    elif a.command == "check":
        check(a.out, a.lib)
    elif a.command == "examples":
        for p in read_pages(PAGES):
            print(p.path)
    elif a.command == "unstated":
        for f, what in sorted(gaps(Model())):
            print(f, what)

if __name__ == "__main__":
    main()
